"""``quanyu worker``: run jobs from the outbox in this process."""

from __future__ import annotations

import logging
from typing import Any

import click

log = logging.getLogger("quanyu.jobs")
RELAY_PAUSE_MAX_SECONDS = 30.0


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--poll", default=2.0, show_default=True, type=float, help="Seconds between polls when idle.")
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve this worker's Prometheus metrics (jobs by name and outcome, job durations) on this port.",
)
def worker(once: bool, poll: float, metrics_port: int | None) -> None:
    """Run due jobs with their tenant (at least once each; failures retried with back-off)."""
    from core.cli import run_async

    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    run_async(_worker)(once, poll)


async def _worker(once: bool, poll: float) -> None:
    from core.cli import _require_schema
    from core.db.session import get_database
    from core.jobs.service import run_due
    from core.jobs.worker import work
    from core.logging import configure_logging
    from core.plugins.host import get_host

    configure_logging()
    await _require_schema()
    if once:
        total = 0
        while ran := await run_due(get_database(), get_host()):
            total += ran
        click.echo(f"ran {total} job(s)")
        return
    from core.settings import get_settings

    settings = get_settings()
    if not settings.redis_url:
        click.echo("worker running jobs from the outbox (embedded mode); stop with Ctrl-C")
        await work(get_database(), get_host(), poll_seconds=poll)
        return
    await _relay_and_work(settings, poll)


async def _relay_and_work(settings: Any, poll: float) -> None:
    """Production: relay due outbox rows to dramatiq on Redis and run them in this process (worker threads
    taking messages, the jobs on one event loop)."""
    import asyncio

    import dramatiq

    from core.db.session import get_database
    from core.jobs.broker import WORKER_THREADS, configure_worker, make_broker, relay_due, worker_database
    from core.plugins.host import get_host

    broker = make_broker(settings.redis_url)
    configure_worker(
        lambda: worker_database(settings.app_database_url, settings.system_database_url), get_host
    )
    worker = dramatiq.Worker(broker, worker_threads=WORKER_THREADS)
    worker.start()
    click.echo("worker relaying the outbox to Redis and running jobs; stop with Ctrl-C")
    pause = poll
    try:
        while True:
            try:
                sent = await relay_due(get_database(), broker)
            except Exception as exc:
                # The database or Redis is away (restarted, failing over): keep the process and its running
                # jobs, and try again with a growing pause; what could not be relayed stays in the outbox.
                log.warning(
                    "relaying the outbox failed (%s: %s); retrying in %.0f s", type(exc).__name__, exc, pause
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, RELAY_PAUSE_MAX_SECONDS)
                continue
            pause = poll
            if not sent:
                await asyncio.sleep(poll)
    finally:
        worker.stop()


@click.command("scheduler")
def scheduler() -> None:
    """Fan out every plugin's cron schedules to the districts that enabled it (run one; a second is harmless)."""
    from core.cli import run_async

    run_async(_scheduler)()


async def _scheduler() -> None:
    import asyncio

    from core.cli import _require_schema
    from core.db.session import get_database
    from core.jobs.scheduler import build_scheduler, schedules
    from core.logging import configure_logging
    from core.plugins.host import get_host

    configure_logging()
    await _require_schema()
    running = build_scheduler(get_database(), get_host())
    running.start()
    for schedule in schedules(get_host()):
        click.echo(f"{schedule.job_name}: {schedule.cron} (Asia/Shanghai)")
    click.echo("scheduler running; stop with Ctrl-C")
    try:
        await asyncio.Event().wait()
    finally:
        running.shutdown(wait=False)


@click.command("enqueue")
@click.argument("job_name")
@click.option("--tenant", "district", required=True, help="District slug or code the job runs for.")
@click.option("--payload", default="{}", show_default=True, help="JSON object handed to the job.")
@click.option("--now", "tick_now", is_flag=True, help='Add payload["tick"] = now, as the scheduler does.')
def enqueue_command(job_name: str, district: str, payload: str, tick_now: bool) -> None:
    """Queue one job for one district by hand (e.g. open an assessment cycle after enabling mid-year).

    The job runs like any other: through the outbox, by the next worker, skipped
    if its plugin is disabled for the district.
    """
    from core.cli import run_async

    run_async(_enqueue)(job_name, district, payload, tick_now)


async def _enqueue(job_name: str, district: str, payload: str, tick_now: bool) -> None:
    import datetime as dt
    import json

    from core.cli import fail
    from core.db.session import get_database
    from core.jobs.service import enqueue, job_functions
    from core.plugins.cli import _tenant_id
    from core.plugins.host import get_host

    known = job_functions(get_host())
    if job_name not in known:
        raise fail(f"no job named {job_name!r}; known: {', '.join(sorted(known))}")
    try:
        body = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise fail(f"--payload is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise fail("--payload must be a JSON object")
    if tick_now:
        body["tick"] = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0).isoformat()
    tenant_id = await _tenant_id(district)
    async with get_database().transaction(tenant_id) as session:
        entry = await enqueue(session, job_name, body)
    click.echo(f"queued {job_name} for {district} as job {entry.id}")
