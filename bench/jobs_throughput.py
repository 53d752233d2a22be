"""6. Jobs: jobs/s through the outbox -> Redis -> dramatiq worker path vs. bare dramatiq send + process.

Platform side, as ``quanyu worker`` runs it with Redis configured: N no-op
jobs are enqueued for 润州区, each in its own transaction (``enqueue``, as a
change would; timed apart as the enqueue rate), then the clock starts and the
relay loop (``relay_due``: claim due rows with ``FOR UPDATE SKIP LOCKED``,
send them up to ten per message) feeds a dramatiq worker with 4 threads
whose actor runs the rows of a message side by side on the worker's event
loop, each in its tenant's transaction (``run_relayed``: take and mark the
row with one statement, run the job, commit both). The clock stops when all N rows are
``done``. Bare side: a dramatiq actor that only counts, on the same Redis,
the same worker threads: N ``send`` calls, clock stopped when all N ran.
Both in this process (the relay on the event loop, the actors in the worker's
threads, as in ``quanyu worker``), interleaved. Goal: platform / bare >= 0.5.

A third side shows the floor of any job whose state is recorded durably:
bare dramatiq whose actor commits one UPDATE per job (asyncpg, no ORM).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

from bench._common import (
    QUICK,
    REDIS_URL,
    ROLES,
    ROUNDS,
    Result,
    Spread,
    admin_connect,
    banner,
    drop_database,
    paired_ratio,
    role_dsn,
    run_async,
    say,
    settle,
    table,
    verdict,
    write_json,
)
from bench._fixtures import demo_district, ensure_single, working_copy
from bench._inprocess import bench_settings

NAME = "jobs_throughput"
DATABASE = "quanyu_bench_jobs"
JOBS = 500 if QUICK else 2000
THREADS = 4
GOAL = 0.5
JOB_NAME = "bench.noop"
BARE_NAMESPACE = "quanyu-bench-bare"
FLOOR = "bare dramatiq + 1 durable UPDATE/job"


def _noop(_ctx: Any) -> None:
    """The platform-side job: does nothing (its session, tenant and bookkeeping are the cost measured)."""


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self.lock:
            self.value += 1


async def _platform_round(tenant_id: uuid.UUID) -> dict[str, float]:
    import dramatiq
    from sqlalchemy import delete, func, select

    from core.db.session import Database
    from core.jobs.broker import configure_worker, make_broker, relay_due, worker_database
    from core.jobs.models import JOB_DONE, OutboxEntry
    from core.jobs.service import enqueue
    from core.plugins.host import get_host

    settings = bench_settings(DATABASE)
    database = Database(settings.database_url, settings.database_system_url)
    broker = make_broker(REDIS_URL)
    broker.flush_all()
    configure_worker(lambda: worker_database(settings.database_url, settings.database_system_url), get_host)
    try:
        async with database.system_transaction() as session:
            await session.execute(delete(OutboxEntry).where(OutboxEntry.name == JOB_NAME))
        started = time.perf_counter()
        for number in range(JOBS):
            async with database.transaction(tenant_id) as session:
                await enqueue(session, JOB_NAME, {"n": number})
        enqueue_seconds = time.perf_counter() - started

        worker = dramatiq.Worker(broker, worker_threads=THREADS)
        worker.start()
        try:

            async def done() -> int:
                async with database.system_transaction() as session:
                    return int(
                        await session.scalar(
                            select(func.count())
                            .select_from(OutboxEntry)
                            .where(OutboxEntry.name == JOB_NAME, OutboxEntry.status == JOB_DONE)
                        )
                        or 0
                    )

            started, cpu = time.perf_counter(), time.process_time()
            finished = 0
            while finished < JOBS:
                if not await relay_due(database, broker):
                    await asyncio.sleep(0.02)
                    finished = await done()
                if time.perf_counter() - started > 600:
                    raise RuntimeError(f"only {finished} of {JOBS} outbox jobs done after 10 minutes")
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        finally:
            worker.stop()
    finally:
        broker.close()
        await database.dispose()
    return {
        "jobs_per_s": JOBS / seconds,
        "seconds": seconds,
        "cpu_ms_per_job": cpu * 1000 / JOBS,
        "enqueue_per_s": JOBS / enqueue_seconds,
    }


def _bare_round() -> dict[str, float]:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    counter = _Counter()
    broker = RedisBroker(url=REDIS_URL, namespace=BARE_NAMESPACE)  # type: ignore[no-untyped-call]
    actor: Any = dramatiq.Actor(
        lambda _n: counter.add(),
        broker=broker,
        actor_name="bench_noop",
        queue_name="bench",
        priority=0,
        options={"max_retries": 0},
    )
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=THREADS)
    worker.start()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for number in range(JOBS):
            actor.send(number)
        while counter.value < JOBS:
            time.sleep(0.002)
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {counter.value} of {JOBS} bare messages processed after 10 minutes")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        worker.stop()
        broker.close()
    return {"jobs_per_s": JOBS / seconds, "seconds": seconds, "cpu_ms_per_job": cpu * 1000 / JOBS}


_floor_local = threading.local()


def _floor_job(number: int) -> None:
    """The durable floor's actor: mark one row done in its own committed transaction (asyncpg, no ORM)."""
    import asyncpg

    if getattr(_floor_local, "loop", None) is None:
        _floor_local.loop = asyncio.new_event_loop()
        _floor_local.conn = _floor_local.loop.run_until_complete(
            asyncpg.connect(role_dsn("system", DATABASE))
        )
    _floor_local.loop.run_until_complete(
        _floor_local.conn.execute("UPDATE bench_job SET done = true WHERE id = $1", number)
    )
    _floor_counter.add()


_floor_counter = _Counter()


async def _floor_table(create: bool) -> None:
    conn = await admin_connect(DATABASE)
    try:
        if create:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS bench_job (id int PRIMARY KEY, done boolean NOT NULL DEFAULT false)"
            )
            await conn.execute(f'GRANT SELECT, UPDATE ON bench_job TO "{ROLES["system"]}"')
        await conn.execute("TRUNCATE bench_job")
        await conn.execute("INSERT INTO bench_job (id) SELECT generate_series(0, $1::int - 1)", JOBS)
    finally:
        await conn.close()


def _floor_round() -> dict[str, float]:
    """Bare dramatiq whose actor makes one durable write per job: the least a job with recorded state costs."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    run_async(_floor_table(create=False))
    _floor_counter.value = 0
    broker = RedisBroker(url=REDIS_URL, namespace=BARE_NAMESPACE + "-floor")  # type: ignore[no-untyped-call]
    actor: Any = dramatiq.Actor(
        _floor_job,
        broker=broker,
        actor_name="bench_floor",
        queue_name="bench",
        priority=0,
        options={"max_retries": 0},
    )
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=THREADS)
    worker.start()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for number in range(JOBS):
            actor.send(number)
        while _floor_counter.value < JOBS:
            time.sleep(0.002)
            if time.perf_counter() - started > 600:
                raise RuntimeError(f"only {_floor_counter.value} of {JOBS} floor jobs after 10 minutes")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        worker.stop()
        broker.close()
    return {"jobs_per_s": JOBS / seconds, "seconds": seconds, "cpu_ms_per_job": cpu * 1000 / JOBS}


def run() -> Result:
    banner()
    from core.jobs.service import register_job
    from core.settings import override_settings

    run_async(working_copy(run_async(ensure_single()), DATABASE))
    override_settings(bench_settings(DATABASE))
    register_job(JOB_NAME, _noop)
    results: dict[str, list[dict[str, float]]] = {
        "outbox -> Redis -> dramatiq": [],
        "bare dramatiq": [],
        FLOOR: [],
    }
    try:
        tenant_id = run_async(demo_district(DATABASE)).tenant_id
        run_async(_floor_table(create=True))
        say(f"{JOBS} jobs per side and round, {THREADS} worker threads, {ROUNDS} rounds")
        for number in range(ROUNDS):
            settle()
            order = list(results) if number % 2 == 0 else list(reversed(list(results)))
            for side in order:
                if side == FLOOR:
                    outcome = _floor_round()
                elif side.startswith("outbox"):
                    outcome = run_async(_platform_round(tenant_id))
                else:
                    outcome = _bare_round()
                results[side].append(outcome)
                say(
                    f"round {number + 1} {side}: {outcome['jobs_per_s']:.0f} jobs/s, "
                    f"{outcome['cpu_ms_per_job']:.2f} ms CPU/job"
                )
    finally:
        override_settings(None)
        run_async(drop_database(DATABASE))
    platform, bare, _floor = list(results)
    summary = {side: Spread([r["jobs_per_s"] for r in rows]) for side, rows in results.items()}
    cpu = {side: Spread([r["cpu_ms_per_job"] for r in rows]) for side, rows in results.items()}
    enqueue = Spread([r["enqueue_per_s"] for r in results[platform]])
    table(
        ["path", "jobs/s (median)", "min..max", "CPU ms/job"],
        [
            [side, s.median, f"{s.low:.0f}..{s.high:.0f}", f"{cpu[side].median:.2f}"]
            for side, s in summary.items()
        ]
        + [["enqueue (1 job per transaction)", enqueue.median, f"{enqueue.low:.0f}..{enqueue.high:.0f}", ""]],
    )
    throughput = paired_ratio(results[platform], results[bare], "jobs_per_s")
    floor = paired_ratio(results[platform], results[FLOOR], "jobs_per_s")
    print(
        f"   throughput outbox path / bare dramatiq: {throughput.median:.2f} "
        f"(rounds {throughput.low:.2f}..{throughput.high:.2f})  goal: {verdict(throughput.median, GOAL)}"
    )
    print(f"   outbox path / dramatiq with one durable write per job: {floor.median:.2f}")
    write_json(
        NAME,
        {
            "jobs_per_round": JOBS,
            "worker_threads": THREADS,
            "sides": summary,
            "cpu_ms_per_job": cpu,
            "enqueue_per_s": enqueue,
            "rounds_raw": results,
            "ratio_outbox_over_bare": throughput,
            "ratio_outbox_over_durable_floor": floor,
            "goal": GOAL,
        },
    )
    result = Result(NAME)
    result.add(
        "6. jobs/s outbox path / bare dramatiq", f"{throughput.median:.2f}", verdict(throughput.median, GOAL)
    )
    for side, s in summary.items():
        result.add(f"   {side}", f"{s.median:.0f} jobs/s")
    result.add("   outbox path / dramatiq + 1 durable write", f"{floor.median:.2f}")
    result.add("   enqueue, 1 job per transaction", f"{enqueue.median:.0f} jobs/s")
    return result
