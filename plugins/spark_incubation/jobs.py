"""Jobs of the spark plan: reminding mentors of milestones coming due.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; dates are counted on the
districts' clock. Each job runs in its district's own transaction (``ctx.session``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import DISTRICT_TIMEZONE, JobContext, district_today
from plugins.spark_incubation import services

REMIND_CRON = "0 9 * * *"


def tick_day(ctx: JobContext) -> dt.date:
    """The district's date of the job's tick (today when run by hand without one)."""
    tick = ctx.payload.get("tick")
    if not tick:
        return district_today()
    moment = dt.datetime.fromisoformat(str(tick))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(DISTRICT_TIMEZONE).date()


async def remind_milestones(ctx: JobContext) -> dict[str, Any]:
    """Daily: remind mentors of open milestones due within ``remind_days_before`` days (once each)."""
    config = await services.config_of(ctx.session)
    sent = await services.remind_mentors(ctx.session, tick_day(ctx), config)
    return {"notified": sent}


JOBS = {"remind_milestones": remind_milestones}
SCHEDULES = [("remind_milestones", REMIND_CRON)]
