"""Production delivery through dramatiq on the real Redis: relayed jobs run once, with their tenant,
and a job whose message Redis lost is relayed again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from core.jobs.models import OutboxEntry
from core.jobs.service import enqueue, run_due


def start_worker(backend, plugin_host, threads=1):
    """A broker and a started worker as ``quanyu worker`` makes them, on an empty queue."""
    import dramatiq

    from core.jobs.broker import configure_worker, make_broker, worker_database

    made = make_broker(backend.redis_url, heartbeat_timeout=2_000, maintenance_chance=1_000)
    made.flush_all()
    configure_worker(lambda: worker_database(backend.app_url, backend.system_url), lambda: plugin_host)
    worker = dramatiq.Worker(made, worker_threads=threads, worker_timeout=100)
    worker.start()
    return made, worker


def stop_worker(made, worker):
    worker.stop()
    made.flush_all()
    made.close()


@pytest.fixture
async def broker(backend, database, redis_client, plugin_host):
    if redis_client is None:
        pytest.skip(
            "the dramatiq relay is the production path (PostgreSQL and Redis); SQLite uses the embedded worker"
        )
    from core.jobs.broker import QUEUE

    await run_due(database, plugin_host, limit=1000)  # start with nothing due from other tests
    made, worker = start_worker(backend, plugin_host)
    yield made, worker, QUEUE
    stop_worker(made, worker)


async def queue_notes(database, tenant, count):
    """``count`` hello.leave_note jobs for ``tenant``'s root, queued in one transaction."""
    async with database.transaction(tenant.id) as session:
        return [
            await enqueue(session, "hello.leave_note", {"org_node_id": str(tenant.root_id), "text": str(n)})
            for n in range(count)
        ]


async def notes(database, tenant):
    from tests.fixture_plugins.hello import HelloNote

    async with database.transaction(tenant.id) as session:
        return await session.scalar(select(func.count()).select_from(HelloNote))


async def status_of(database, entry_id):
    async with database.system_transaction() as session:
        return (await session.get(OutboxEntry, entry_id)).status


async def drain(broker, worker, queue):
    import asyncio

    await asyncio.to_thread(broker.join, queue, timeout=20_000)
    await asyncio.to_thread(worker.join)


async def test_relayed_jobs_run_once_with_their_tenant(client, admin, database, broker):
    from core.jobs.broker import relay_due

    made, worker, queue = broker
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        job = await enqueue(
            session, "hello.leave_note", {"org_node_id": str(admin.tenant.root_id), "text": "经队列"}
        )
    with pytest.raises(RuntimeError):
        async with database.transaction(admin.tenant.id) as session:
            await enqueue(
                session, "hello.leave_note", {"org_node_id": str(admin.tenant.root_id), "text": "回滚"}
            )
            raise RuntimeError("rolled back")
    assert await relay_due(database, made) == 1, "the rolled-back job was never written"
    await drain(made, worker, queue)
    assert await status_of(database, job.id) == "done"
    assert await notes(database, admin.tenant) == 1


async def test_a_job_redis_forgot_is_relayed_again_and_lands_once(client, admin, database, broker):
    from core.jobs.broker import relay_due

    made, worker, queue = broker
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        job = await enqueue(
            session, "hello.leave_note", {"org_node_id": str(admin.tenant.root_id), "text": "失而复得"}
        )
    worker.pause()
    assert await relay_due(database, made) == 1
    made.flush_all()  # Redis loses its memory before any worker took the message
    worker.resume()
    assert await status_of(database, job.id) == "running"
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == job.id)
            .values(lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    assert await relay_due(database, made) == 1
    await drain(made, worker, queue)
    assert await status_of(database, job.id) == "done"
    assert await notes(database, admin.tenant) == 1


async def test_jobs_of_two_districts_running_at_once_on_the_workers_loop_each_keep_their_own_district(
    backend, database, redis_client, plugin_host, make_actor, enable_plugin
):
    """Four worker threads hand their jobs to one event loop, where they interleave at every statement:
    each job must still run as its own district (its tenant context and RLS setting belong to the job,
    not to the loop), or a note would land in, or be refused by, the other district."""
    from core.jobs.broker import QUEUE, WORKER_THREADS, relay_due

    if redis_client is None:
        pytest.skip("the dramatiq relay is the production path (PostgreSQL and Redis)")
    await run_due(database, plugin_host, limit=1000)
    districts = [await make_actor(), await make_actor()]
    jobs = []
    for district in districts:
        await enable_plugin(district, "hello")
    for _round in range(12):
        for district in districts:
            jobs += await queue_notes(database, district.tenant, 1)
    made, worker = start_worker(backend, plugin_host, threads=WORKER_THREADS)
    try:
        assert await relay_due(database, made) == len(jobs)
        await drain(made, worker, QUEUE)
    finally:
        stop_worker(made, worker)
    assert {await status_of(database, job.id) for job in jobs} == {"done"}
    assert [await notes(database, district.tenant) for district in districts] == [12, 12]


async def test_jobs_redis_refused_go_back_to_the_outbox_at_once_with_the_attempt_not_counted(
    client, admin, database, broker, monkeypatch
):
    import redis

    from core.jobs.broker import ACTOR_NAME, relay_due

    made, worker, queue = broker
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    jobs = await queue_notes(database, admin.tenant, 3)
    actor = made.get_actor(ACTOR_NAME)
    real_send = actor.send
    sent: list[str] = []

    def send_one_then_fail(*args, **kwargs):
        if len(sent) == 1:
            raise redis.ConnectionError("Redis is restarting")
        sent.extend(entry_id for entry_id, _tenant in args[0])
        return real_send(*args, **kwargs)

    monkeypatch.setattr(actor, "send", send_one_then_fail)
    with pytest.raises(redis.ConnectionError):
        await relay_due(database, made)
    async with database.system_transaction() as session:
        rows = {
            row.id: row
            for row in await session.scalars(
                select(OutboxEntry).where(OutboxEntry.id.in_([j.id for j in jobs]))
            )
        }
    relayed = [row for row in rows.values() if str(row.id) in sent]
    given_back = [row for row in rows.values() if str(row.id) not in sent]
    assert len(relayed) == 1 and relayed[0].status in ("running", "done")
    assert len(given_back) == 2
    assert all(
        row.status == "pending" and row.attempts == 0 and row.lease_until is None for row in given_back
    )

    monkeypatch.setattr(actor, "send", real_send)
    assert await relay_due(database, made) == 2  # due again at once, not after the lease
    await drain(made, worker, queue)
    assert {await status_of(database, job.id) for job in jobs} == {"done"}
    assert await notes(database, admin.tenant) == 3


async def test_a_worker_whose_connection_the_database_dropped_runs_the_job_on_a_fresh_one(
    client, admin, database, broker, backend, plugin_host
):
    """The worker does not ping a connection before each job (three round trips on asyncpg, as many as
    the job's own); a connection dropped meanwhile (a database restart) costs a second run, not the job."""
    import asyncio
    import os
    from concurrent.futures import ThreadPoolExecutor

    import asyncpg
    from sqlalchemy.engine import make_url

    from core.jobs.broker import ACTOR_NAME, WORKER_APPLICATION_NAME
    from core.jobs.service import claim
    from core.testing import DEFAULT_TEST_DATABASE_URL

    made, worker, _queue = broker
    worker.pause()  # the test calls the actor itself, as a worker thread does: on the worker's event loop
    run_outbox_jobs = made.get_actor(ACTOR_NAME).fn
    thread = ThreadPoolExecutor(max_workers=1)
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)

    async def run_a_job(text: str) -> str:
        async with database.transaction(admin.tenant.id) as session:
            job = await enqueue(
                session, "hello.leave_note", {"org_node_id": str(admin.tenant.root_id), "text": text}
            )
        assert [e.id for e in await claim(database, 1000)] == [job.id]
        await asyncio.get_running_loop().run_in_executor(
            thread, run_outbox_jobs, [[str(job.id), str(admin.tenant.id)]]
        )
        return await status_of(database, job.id)

    try:
        assert await run_a_job("之前") == "done"
        superuser = make_url(os.environ.get("QUANYU_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL))
        conn = await asyncpg.connect(superuser.set(drivername="postgresql").render_as_string(False))
        try:
            dropped = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = $1 AND datname = $2",
                WORKER_APPLICATION_NAME,
                make_url(backend.app_url).database,
            )
        finally:
            await conn.close()
        assert dropped >= 1, "the worker kept a connection in its pool"
        assert await run_a_job("之后") == "done"
        assert await notes(database, admin.tenant) == 2
    finally:
        thread.shutdown()
        worker.resume()


def test_the_relay_packs_rows_into_messages_without_leaving_worker_threads_idle():
    from core.jobs.broker import MAX_JOBS_PER_MESSAGE, message_batches

    assert message_batches([]) == []
    assert message_batches([1, 2, 3], threads=4) == [[1], [2], [3]]
    assert message_batches(list(range(8)), threads=4) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert message_batches(list(range(9)), threads=4) == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
    burst = message_batches(list(range(100)), threads=4)
    assert [len(batch) for batch in burst] == [MAX_JOBS_PER_MESSAGE] * (100 // MAX_JOBS_PER_MESSAGE)
    assert [row for batch in burst for row in batch] == list(range(100))


async def test_a_row_that_cannot_run_does_not_keep_the_others_of_its_message_from_running(
    client, admin, database, broker, monkeypatch
):
    from core.jobs import broker as jobs_broker

    made, worker, queue = broker
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    jobs = await queue_notes(database, admin.tenant, 40)
    unlucky = jobs[13].id
    real_run_relayed = jobs_broker.run_relayed
    messages: list[int] = []
    real_send = made.get_actor(jobs_broker.ACTOR_NAME).send

    async def fail_for_one(database, entry_id, tenant_id, functions):
        if entry_id == unlucky:
            raise ConnectionError("the database went away")
        return await real_run_relayed(database, entry_id, tenant_id, functions)

    def count(*args, **kwargs):
        messages.append(len(args[0]))
        return real_send(*args, **kwargs)

    monkeypatch.setattr(jobs_broker, "run_relayed", fail_for_one)
    monkeypatch.setattr(made.get_actor(jobs_broker.ACTOR_NAME), "send", count)
    assert await jobs_broker.relay_due(database, made) == 40
    await drain(made, worker, queue)
    assert messages == [jobs_broker.MAX_JOBS_PER_MESSAGE] * 4
    statuses = {job.id: await status_of(database, job.id) for job in jobs}
    assert statuses.pop(unlucky) == "running", "left to be relayed again when its lease runs out"
    assert set(statuses.values()) == {"done"}
    assert await notes(database, admin.tenant) == 39


async def test_a_worker_whose_pool_cannot_be_closed_still_stops_its_event_loop(
    backend, database, redis_client, plugin_host, monkeypatch
):
    """Stopping a worker closes its database on the loop, then stops the loop; a database already gone
    (closing fails) must not leave the loop thread running in the process."""
    import asyncio

    from dramatiq.asyncio import get_event_loop_thread

    from core.jobs import broker as jobs_broker

    if redis_client is None:
        pytest.skip("the dramatiq relay is the production path (PostgreSQL and Redis)")
    made, worker = start_worker(backend, plugin_host)
    loop_thread = get_event_loop_thread()
    assert loop_thread is not None and loop_thread.is_alive()

    async def gone() -> None:
        raise ConnectionError("the database is gone")

    monkeypatch.setattr(jobs_broker._database, "dispose", gone)
    try:
        await asyncio.to_thread(worker.stop)
    finally:
        made.close()
    assert get_event_loop_thread() is None
    assert not loop_thread.is_alive()
    assert jobs_broker._database is None
