"""Periodic jobs: plugins declare cron schedules (the core its own, for every district); each tick
becomes one outbox job per district that has the plugin enabled, deduplicated by (plugin, job, tick,
district), so two schedulers started by mistake still run each tick once. APScheduler 3 keeps the time; the outbox does the rest."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import DISTRICT_TIMEZONE
from core.db.session import Database
from core.jobs.service import enqueue, job_functions
from core.plugins.models import TenantPlugin
from core.tenancy.models import Tenant

log = logging.getLogger("quanyu.jobs")
# Districts run on Beijing time: "08:00 every Monday" means 08:00 there.
TIMEZONE = DISTRICT_TIMEZONE


@dataclass(frozen=True)
class Schedule:
    slug: str | None  # None: a core job, fanned out to every district
    job: str
    cron: str
    trigger: CronTrigger

    @property
    def job_name(self) -> str:
        return self.job if self.slug is None else f"{self.slug}.{self.job}"


def core_schedules() -> list[tuple[str, str]]:
    """The core's own periodic jobs: (job name, cron)."""
    from core.audit.purge import PURGE_CRON, PURGE_JOB
    from core.auth.session_purge import SESSION_PURGE_CRON, SESSION_PURGE_JOB

    return [(PURGE_JOB, PURGE_CRON), (SESSION_PURGE_JOB, SESSION_PURGE_CRON)]


def schedules(host: Any) -> list[Schedule]:
    """Every plugin's declared schedules; a bad cron or an unknown job leaves that entry out (logged)."""
    known = job_functions(host)
    found = [
        Schedule(None, job, cron, CronTrigger.from_crontab(cron, timezone=TIMEZONE))
        for job, cron in core_schedules()
    ]
    for slug, entries in host.call_sync("quanyu_schedules"):
        for job, cron in entries:
            if f"{slug}.{job}" not in known:
                log.error("plugin %s schedules unknown job %r; left out", slug, job)
                continue
            try:
                trigger = CronTrigger.from_crontab(cron, timezone=TIMEZONE)
            except ValueError as exc:
                log.error("plugin %s: bad cron %r for %s (%s); left out", slug, cron, job, exc)
                continue
            found.append(Schedule(slug, job, cron, trigger))
    return found


async def fan_out(database: Database, schedule: Schedule, tick: dt.datetime) -> int:
    """Enqueue ``schedule``'s job for every district with the plugin enabled; returns how many were new."""
    tick = tick.astimezone(dt.UTC).replace(second=0, microsecond=0)
    async with database.system_transaction() as session:
        if schedule.slug is None:
            tenants = list(await session.scalars(select(Tenant.id)))
        else:
            tenants = list(
                await session.scalars(
                    select(TenantPlugin.tenant_id).where(
                        TenantPlugin.slug == schedule.slug, TenantPlugin.enabled.is_(True)
                    )
                )
            )
    created = 0
    for tenant_id in tenants:
        try:
            async with database.transaction(tenant_id) as session:
                await enqueue(
                    session,
                    schedule.job_name,
                    {"tick": tick.isoformat()},
                    dedupe_key=f"{schedule.job_name}@{tick.isoformat()}#{tenant_id}",
                )
            created += 1
        except IntegrityError:
            pass  # this tick was already fanned out for this district (another scheduler)
    return created


def build_scheduler(database: Database, host: Any) -> AsyncIOScheduler:
    """An APScheduler that fans out every plugin's schedules (start it inside a running event loop)."""
    scheduler = AsyncIOScheduler(timezone=TIMEZONE)
    for schedule in schedules(host):

        async def tick(schedule: Schedule = schedule) -> None:
            count = await fan_out(database, schedule, dt.datetime.now(dt.UTC))
            log.info("tick of %s: %d district(s)", schedule.job_name, count)

        scheduler.add_job(tick, schedule.trigger, id=schedule.job_name, coalesce=True, misfire_grace_time=300)
    return scheduler
