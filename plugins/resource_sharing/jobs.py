"""Jobs of shared resources: closing reservations whose time has passed, reminding before a slot.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; each runs in its
district's own transaction (``ctx.session``) and is safe to run twice (guarded updates, deduplicated
notifications).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import JobContext, utcnow
from plugins.resource_sharing import services

COMPLETE_CRON = "*/15 * * * *"
REMIND_CRON = "5,35 * * * *"


def tick_moment(ctx: JobContext) -> dt.datetime:
    """The job's tick (now when run by hand without one)."""
    tick = ctx.payload.get("tick")
    if not tick:
        return utcnow()
    moment = dt.datetime.fromisoformat(str(tick))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


async def complete_past_reservations(ctx: JobContext) -> dict[str, Any]:
    """Approved reservations that have ended become completed; undecided requests that ended lapse."""
    return await services.complete_past(ctx.session, tick_moment(ctx))


async def remind_upcoming_reservations(ctx: JobContext) -> dict[str, Any]:
    """Remind requesters of approved reservations starting within ``remind_hours_before``."""
    config = await services.config_of(ctx.session)
    return {"notified": await services.remind_upcoming(ctx.session, tick_moment(ctx), config)}


JOBS = {
    "complete_past_reservations": complete_past_reservations,
    "remind_upcoming_reservations": remind_upcoming_reservations,
}
SCHEDULES = [
    ("complete_past_reservations", COMPLETE_CRON),
    ("remind_upcoming_reservations", REMIND_CRON),
]
