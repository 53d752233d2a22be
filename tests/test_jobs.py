"""Jobs through the outbox: run once with their tenant, never for a rolled-back change, retried, skipped
for a plugin the district disabled, and picked up again when a worker dies mid-run."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, update

from core.jobs.models import OutboxEntry
from core.jobs.service import claim, enqueue, register_job, run_due
from core.tenancy.context import current_tenant_id

SEEN: list[tuple[object, object, dict]] = []


def record(ctx):
    SEEN.append((ctx.tenant_id, current_tenant_id(), ctx.payload))


def explode(ctx):
    raise RuntimeError("boom")


register_job("test.record", record)
register_job("test.explode", explode)


@pytest.fixture(autouse=True)
async def drained(database, plugin_host):
    """Start every test with no due jobs left by another test, and an empty record."""
    await run_due(database, plugin_host, limit=1000)
    SEEN.clear()


async def entry(database, entry_id):
    async with database.system_transaction() as session:
        return await session.get(OutboxEntry, entry_id)


async def test_a_job_runs_once_with_its_tenant(database, make_tenant, plugin_host):
    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        job = await enqueue(session, "test.record", {"n": 1})
    assert await run_due(database, plugin_host) == 1
    assert [(tenant.id, tenant.id, {"n": 1})] == SEEN
    assert (await entry(database, job.id)).status == "done"
    assert await run_due(database, plugin_host) == 0
    assert len(SEEN) == 1


async def test_a_job_of_a_rolled_back_change_never_runs(database, make_tenant, plugin_host):
    tenant = await make_tenant()
    with pytest.raises(RuntimeError):
        async with database.transaction(tenant.id) as session:
            await enqueue(session, "test.record", {"n": 2})
            raise RuntimeError("the change fails")
    assert await run_due(database, plugin_host) == 0
    assert SEEN == []


async def test_a_failing_job_is_retried_later_then_marked_failed(database, make_tenant, plugin_host):
    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        job = await enqueue(session, "test.explode", max_attempts=2)
    await run_due(database, plugin_host)
    first = await entry(database, job.id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert "boom" in first.last_error and first.available_at > dt.datetime.now(dt.UTC)
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry).where(OutboxEntry.id == job.id).values(available_at=func.now())
        )
    await run_due(database, plugin_host)
    assert (await entry(database, job.id)).status == "failed"


async def test_unknown_jobs_fail_without_retry(database, make_tenant, plugin_host):
    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        job = await enqueue(session, "nobody.knows")
    await run_due(database, plugin_host)
    failed = await entry(database, job.id)
    assert failed.status == "failed" and "nobody.knows" in failed.last_error


async def notes_at(database, tenant, node_id):
    from tests.fixture_plugins.hello import HelloNote

    async with database.transaction(tenant.id) as session:
        return await session.scalar(
            select(func.count()).select_from(HelloNote).where(HelloNote.org_node_id == node_id)
        )


async def test_a_plugin_job_runs_only_where_the_plugin_is_enabled(client, admin, database, plugin_host):
    payload = {"org_node_id": str(admin.tenant.root_id), "text": "来自任务"}
    async with database.transaction(admin.tenant.id) as session:
        await enqueue(session, "hello.leave_note", payload)
    await run_due(database, plugin_host)
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 0, "disabled: the job skips itself"

    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        await enqueue(session, "hello.leave_note", payload)
    await run_due(database, plugin_host)
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 1


async def test_a_job_whose_worker_died_is_run_again_and_its_effect_lands_once(
    client, admin, database, plugin_host
):
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        job = await enqueue(
            session, "hello.leave_note", {"org_node_id": str(admin.tenant.root_id), "text": "一次"}
        )
    claimed = await claim(database)
    assert [e.id for e in claimed] == [job.id]  # ...and this worker dies before running it
    assert await run_due(database, plugin_host) == 0, "the lease still holds"
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == job.id)
            .values(lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    assert await run_due(database, plugin_host) == 1
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 1
    done = await entry(database, job.id)
    assert (done.status, done.attempts) == ("done", 2)


async def test_domain_events_reach_subscribing_plugins_after_commit(client, admin, database, plugin_host):
    body = {"parent_id": str(admin.tenant.root_id), "kind": "street", "name": "金山街道"}
    quiet = (await client.post("/api/v1/org/nodes", headers=admin.headers, json=body)).json()
    await run_due(database, plugin_host)
    assert await notes_at(database, admin.tenant, uuid.UUID(quiet["id"])) == 0, "hello is not enabled here"

    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    greeted = (
        await client.post("/api/v1/org/nodes", headers=admin.headers, json={**body, "name": "蒋乔街道"})
    ).json()
    refused = await client.post("/api/v1/org/nodes", headers=admin.headers, json={**body, "kind": "nonsense"})
    assert refused.status_code == 422
    await run_due(database, plugin_host)
    assert await notes_at(database, admin.tenant, uuid.UUID(greeted["id"])) == 1


async def test_a_schedule_tick_reaches_each_enabled_district_once(
    client, admin, make_tenant, database, plugin_host
):
    from core.jobs.scheduler import fan_out, schedules

    found = {s.job_name: s for s in schedules(plugin_host)}
    hello = {name for name in found if name.startswith("hello.")}
    assert hello == {"hello.morning_greeting"}, "an unknown job and a bad cron are left out"
    other = await make_tenant()  # hello stays disabled there
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    tick = dt.datetime(2026, 11, 27, 0, 0, 12, tzinfo=dt.UTC)
    created = await fan_out(database, found["hello.morning_greeting"], tick)
    assert created >= 1
    assert await fan_out(database, found["hello.morning_greeting"], tick) == 0, (
        "a second scheduler adds nothing"
    )
    await run_due(database, plugin_host, limit=1000)
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 1
    assert await notes_at(database, other, other.root_id) == 0


async def test_a_relayed_job_runs_in_one_transaction_and_a_duplicate_delivery_does_nothing(
    database, make_tenant, plugin_host
):
    """The broker's path (``run_relayed``): the row is locked, checked and marked done with the job's effect."""
    from core.jobs.service import job_functions, run_relayed

    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        job = await enqueue(session, "test.record", {"n": 3})
        failing = await enqueue(session, "test.explode", max_attempts=3)
        unknown = await enqueue(session, "nobody.knows")
    claimed = {e.id for e in await claim(database, 1000)}
    assert {job.id, failing.id, unknown.id} <= claimed
    functions = job_functions(plugin_host)

    assert await run_relayed(database, job.id, tenant.id, functions) == "done"
    assert await run_relayed(database, job.id, tenant.id, functions) == "skipped"
    assert [(tenant.id, tenant.id, {"n": 3})] == SEEN
    assert (await entry(database, job.id)).status == "done"

    assert await run_relayed(database, failing.id, tenant.id, functions) == "pending"
    retried = await entry(database, failing.id)
    assert (retried.status, retried.attempts) == ("pending", 1) and "boom" in retried.last_error

    assert await run_relayed(database, unknown.id, tenant.id, functions) == "failed"
    assert "nobody.knows" in (await entry(database, unknown.id)).last_error
    assert await run_relayed(database, uuid.uuid4(), tenant.id, functions) == "skipped"
    async with database.system_transaction() as session:  # no retry left due for later tests
        await session.execute(update(OutboxEntry).where(OutboxEntry.id == failing.id).values(status="failed"))


async def test_the_relay_takes_due_jobs_oldest_first_as_claim_does(database, make_tenant):
    """``claim_for_relay`` (one UPDATE ... RETURNING) leases what ``claim`` would: due pending rows and
    running rows whose lease ran out, oldest first, the attempt counted; never a job not due yet."""
    from core.jobs.service import claim_for_relay

    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        first = await enqueue(session, "test.record", {"n": 1})
        second = await enqueue(session, "test.record", {"n": 2})
        later = await enqueue(session, "test.record", {"n": 3}, delay=dt.timedelta(hours=1))
        stale = await enqueue(session, "test.record", {"n": 4})
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == stale.id)
            .values(
                status="running",
                attempts=1,
                lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                available_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            )
        )
    taken = await claim_for_relay(database, 2)
    assert [(c.id, c.tenant_id) for c in taken] == [(stale.id, tenant.id), (first.id, tenant.id)]
    assert [c.id for c in await claim_for_relay(database, 100)] == [second.id]
    assert await claim_for_relay(database, 100) == [], "leased rows and the delayed job stay"
    rows = {e.id: e for e in [await entry(database, j.id) for j in (first, second, later, stale)]}
    assert [(rows[j.id].status, rows[j.id].attempts) for j in (first, second, later, stale)] == [
        ("running", 1),
        ("running", 1),
        ("pending", 0),
        ("running", 2),
    ]
    assert rows[first.id].lease_until > dt.datetime.now(dt.UTC)
    async with database.system_transaction() as session:  # nothing left running for later tests
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_([first.id, second.id, later.id, stale.id]))
            .values(status="done")
        )


async def test_a_relayed_plugin_job_is_done_and_noted_as_skipped_where_the_plugin_is_disabled(
    client, admin, database, plugin_host
):
    from core.jobs.service import job_functions, run_relayed

    payload = {"org_node_id": str(admin.tenant.root_id), "text": "经中转"}
    async with database.transaction(admin.tenant.id) as session:
        disabled = await enqueue(session, "hello.leave_note", payload)
    assert [e.id for e in await claim(database, 1000)] == [disabled.id]
    functions = job_functions(plugin_host)
    assert await run_relayed(database, disabled.id, admin.tenant.id, functions) == "done"
    skipped = await entry(database, disabled.id)
    assert (skipped.status, skipped.last_error) == ("done", "skipped: plugin disabled for the tenant")
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 0

    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        enabled = await enqueue(session, "hello.leave_note", payload)
    assert [e.id for e in await claim(database, 1000)] == [enabled.id]
    assert await run_relayed(database, enabled.id, admin.tenant.id, functions) == "done"
    ran = await entry(database, enabled.id)
    assert (ran.status, ran.last_error, ran.attempts) == ("done", None, 1)
    assert ran.done_at is not None and ran.lease_until is None
    assert await notes_at(database, admin.tenant, admin.tenant.root_id) == 1
