"""Jobs of action branches: the monthly reminder to leaders of branches that recorded no action.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; dates are counted on the
district's clock. Each job runs in its district's own transaction (``ctx.session``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import DISTRICT_TIMEZONE, JobContext, district_today
from plugins.action_branches import services

# 09:00 on the first day of every month.
REMIND_CRON = "0 9 1 * *"


def tick_day(ctx: JobContext) -> dt.date:
    """The district's date of the job's tick (today when run by hand without one)."""
    tick = ctx.payload.get("tick")
    if not tick:
        return district_today()
    moment = dt.datetime.fromisoformat(str(tick))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(DISTRICT_TIMEZONE).date()


async def remind_idle_branches(ctx: JobContext) -> dict[str, Any]:
    """Remind leaders of active branches that recorded no action in the previous calendar month."""
    config = await services.config_of(ctx.session)
    if not config.remind_idle_branches:
        return {"notified": 0}
    return {"notified": await services.remind_idle_branches(ctx.session, tick_day(ctx))}


JOBS = {"remind_idle_branches": remind_idle_branches}
SCHEDULES = [("remind_idle_branches", REMIND_CRON)]
