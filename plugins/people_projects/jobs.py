"""Jobs of projects for the people: flagging projects in progress whose progress went quiet.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; days are counted on the
districts' clock. Each job runs in its district's own transaction (``ctx.session``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import DISTRICT_TIMEZONE, JobContext, district_today
from plugins.people_projects import services

STALE_CRON = "30 8 * * *"


def tick_day(ctx: JobContext) -> dt.date:
    """The district's date of the job's tick (today when run by hand without one)."""
    tick = ctx.payload.get("tick")
    if not tick:
        return district_today()
    moment = dt.datetime.fromisoformat(str(tick))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(DISTRICT_TIMEZONE).date()


async def flag_stale_projects(ctx: JobContext) -> dict[str, Any]:
    """Daily: tell the organisation of each project in progress without a progress update for
    ``stale_after_days`` days (once per quiet spell)."""
    config = await services.config_of(ctx.session)
    return {"flagged": await services.flag_stale(ctx.session, tick_day(ctx), config)}


JOBS = {"flag_stale_projects": flag_stale_projects}
SCHEDULES = [("flag_stale_projects", STALE_CRON)]
