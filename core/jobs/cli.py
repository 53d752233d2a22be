"""``quanyu worker``: run jobs from the outbox in this process."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--poll", default=2.0, show_default=True, type=float, help="Seconds between polls when idle.")
def worker(once: bool, poll: float) -> None:
    """Run due jobs with their tenant (at least once each; failures retried with back-off)."""
    from core.cli import run_async

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
    click.echo("worker running; stop with Ctrl-C")
    await work(get_database(), get_host(), poll_seconds=poll)


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
