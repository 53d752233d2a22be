"""Jobs of sector–area collaboration: opening assessment cycles and reminding before they end.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; dates are counted on
the districts' clock, so "1 January 08:00" is a Beijing morning. Each job runs in its
district's own transaction (``ctx.session``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import DISTRICT_TIMEZONE, JobContext, district_today
from plugins.sector_guidance import services

# Both cycle starts; the job itself checks the district's configured cycle.
OPEN_CYCLE_CRON = "0 8 1 1,7 *"
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


async def open_assessment_cycle(ctx: JobContext) -> dict[str, Any]:
    """Open the cycle that starts on the tick's day: ``due`` assessments for every organisation of every
    sector with a published standard. A tick that starts no cycle of the district's kind (1 July for a
    district assessing annually) does nothing."""
    assert ctx.tenant_id is not None, "a district's job"
    config = await services.config_of(ctx.session)
    day = tick_day(ctx)
    if not services.opens_a_cycle(day, config.cycle):
        return {"cycle": None, "opened": 0}
    cycle = services.cycle_containing(day, config.cycle)
    opened = await services.open_cycle(ctx.session, ctx.tenant_id, cycle)
    return {"cycle": cycle.label, "opened": sum(opened.values())}


async def remind_unfinished_assessments(ctx: JobContext) -> dict[str, Any]:
    """Daily: within ``remind_days_before_cycle_end`` of the cycle's end, remind of unsubmitted assessments."""
    config = await services.config_of(ctx.session)
    sent = await services.remind_unfinished(ctx.session, tick_day(ctx), config)
    return {"notified": sent}


JOBS = {
    "open_assessment_cycle": open_assessment_cycle,
    "remind_unfinished_assessments": remind_unfinished_assessments,
}
SCHEDULES = [
    ("open_assessment_cycle", OPEN_CYCLE_CRON),
    ("remind_unfinished_assessments", REMIND_CRON),
]
