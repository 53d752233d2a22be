"""What-if: the measured effect of the changes to ``core/`` that docs/performance.md proposes (not run by default).

``python -m bench whatif`` (or ``make bench`` with ``whatif`` named) serves
the people list from the platform as it is, from the platform with each
candidate change applied alone (as a start-up patch, ``bench/_whatif_app.py``),
with all of them, and from the bare app: all interleaved on one database,
same wrk load as ``platform_overhead``. Then the job path as it is vs. with
the outbox row checked and marked done in the job's own transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from bench._common import (
    ROUNDS,
    WARMUP_SECONDS,
    Result,
    Spread,
    banner,
    drop_database,
    interleaved,
    paired_ratio,
    platform_env,
    require_wrk,
    run_async,
    say,
    servers,
    settle,
    start_server,
    table,
    write_json,
    wrk,
)
from bench._fixtures import SECRETARY, demo_district, ensure_single, login, people_list_path, working_copy
from bench._http import Target, bare_people_url, start_bare, start_platform, summary
from bench._whatif_app import PATCHES

NAME = "whatif"
DEFAULT = False  # only when named: it takes a while and measures proposals, not the platform
DATABASE = "quanyu_bench_whatif"


def _merged_job_path() -> None:
    """The job's outbox row is locked, checked and marked done inside the job's own tenant transaction,
    instead of being read first in a separate system transaction (``core.jobs.broker._run_entry``)."""
    import inspect

    from sqlalchemy import select, update

    import core.jobs.broker as broker
    from core.db.base import utcnow
    from core.jobs.models import JOB_DONE, JOB_RUNNING, OutboxEntry
    from core.jobs.service import JobContext, _enabled, _fail, job_functions
    from core.tenancy.context import tenant_context

    async def run_merged(database: Any, entry_id: uuid.UUID, tenant_id: uuid.UUID | None) -> str:
        assert broker._host_factory is not None
        functions = job_functions(broker._host_factory())
        entry = None
        try:
            with tenant_context(tenant_id):
                async with database.transaction(tenant_id) as session:
                    entry = (
                        await session.scalars(
                            select(OutboxEntry).where(OutboxEntry.id == entry_id).with_for_update()
                        )
                    ).first()
                    if entry is None or entry.status != JOB_RUNNING:
                        return "skipped"
                    slug, function = functions[entry.name]
                    outcome = None
                    if (
                        slug is not None
                        and tenant_id is not None
                        and not await _enabled(session, tenant_id, slug)
                    ):
                        outcome = "skipped: plugin disabled for the tenant"
                    else:
                        ctx = JobContext(
                            entry.id, entry.name, tenant_id, dict(entry.payload), session, entry.attempts
                        )
                        result = function(ctx)
                        if inspect.isawaitable(result):
                            await result
                    await session.execute(
                        update(OutboxEntry)
                        .where(OutboxEntry.id == entry.id)
                        .values(status=JOB_DONE, done_at=utcnow(), lease_until=None, last_error=outcome)
                    )
        except Exception as exc:
            if entry is None:
                raise
            return await _fail(
                database, entry, f"{type(exc).__name__}: {exc}", final=entry.attempts >= entry.max_attempts
            )
        return JOB_DONE

    def run_outbox_job(entry_id: str, tenant_id: str | None = None) -> None:
        loop, database = broker._thread_loop()
        loop.run_until_complete(
            run_merged(database, uuid.UUID(entry_id), uuid.UUID(tenant_id) if tenant_id else None)
        )

    broker.run_outbox_job = run_outbox_job


def _http() -> dict[str, list[dict[str, float]]]:
    """Every side on its own server, started for each of its runs (nine warm pools would exceed the
    database's connection limit), warmed up, loaded, stopped; sides interleaved round by round."""
    run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(DATABASE))
        path = people_list_path(district)
        with servers():
            token = login(start_platform(DATABASE, "whatif-login").url, SECRETARY)
        sides = ["platform as is", *(f"+ {name}" for name in [*PATCHES, "all"]), "bare"]

        def one(side: str, number: int) -> dict[str, float]:
            with servers():
                if side == "bare":
                    server = start_bare(DATABASE)
                    target = Target(bare_people_url(server, district))
                elif side == "platform as is":
                    server = start_platform(DATABASE)
                    target = Target(server.url + path, token)
                else:
                    env = platform_env(DATABASE, BENCH_WHATIF=side[2:])
                    server = start_server(f"whatif-{side[2:]}", "bench._whatif_app:create_app", env)
                    target = Target(server.url + path, token)
                wrk(target.url, token=target.token, seconds=WARMUP_SECONDS)
                result = wrk(target.url, token=target.token)
            say(f"round {number + 1} {side}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms")
            return result

        return interleaved(ROUNDS, sides, one)
    finally:
        run_async(drop_database(DATABASE))


def _jobs() -> dict[str, list[dict[str, float]]]:
    import core.jobs.broker as broker
    from bench import jobs_throughput
    from bench._inprocess import bench_settings
    from core.jobs.service import register_job
    from core.settings import override_settings

    run_async(working_copy(run_async(ensure_single()), jobs_throughput.DATABASE))
    override_settings(bench_settings(jobs_throughput.DATABASE))
    register_job(jobs_throughput.JOB_NAME, jobs_throughput._noop)
    original = broker.run_outbox_job
    results: dict[str, list[dict[str, float]]] = {"outbox as is": [], "+ one transaction per job": []}
    try:
        tenant_id = run_async(demo_district(jobs_throughput.DATABASE)).tenant_id
        for number in range(ROUNDS):
            settle()
            order = list(results) if number % 2 == 0 else list(reversed(list(results)))
            for side in order:
                if side == "outbox as is":
                    broker.run_outbox_job = original
                else:
                    _merged_job_path()
                try:
                    results[side].append(run_async(jobs_throughput._platform_round(tenant_id)))
                finally:
                    broker.run_outbox_job = original
                say(f"round {number + 1} {side}: {results[side][-1]['jobs_per_s']:.0f} jobs/s")
    finally:
        override_settings(None)
        run_async(drop_database(jobs_throughput.DATABASE))
    return results


def run() -> Result:
    banner()
    require_wrk()
    http = _http()
    jobs = _jobs()
    summarised = summary(http)
    base = http["platform as is"]
    table(
        ["people list", "req/s (median)", "x platform", "p50 ms", "p99 ms"],
        [
            [
                side,
                s["rps"].median,
                f"{paired_ratio(http[side], base, 'rps').median:.2f}",
                s["p50_ms"].median,
                s["p99_ms"].median,
            ]
            for side, s in summarised.items()
        ],
    )
    job_summary = {side: Spread([r["jobs_per_s"] for r in rows]) for side, rows in jobs.items()}
    table(
        ["jobs", "jobs/s (median)", "min..max"],
        [[side, s.median, f"{s.low:.0f}..{s.high:.0f}"] for side, s in job_summary.items()],
    )
    write_json(
        NAME, {"people_list": summarised, "people_list_raw": http, "jobs": job_summary, "jobs_raw": jobs}
    )
    result = Result(NAME)
    for side, s in summarised.items():
        result.add(
            f"what-if: {side}",
            f"{s['rps'].median:.0f} req/s ({paired_ratio(http[side], base, 'rps').median:.2f}x)",
        )
    for side, spread in job_summary.items():
        result.add(f"what-if jobs: {side}", f"{spread.median:.0f} jobs/s")
    return result
