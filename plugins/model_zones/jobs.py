"""Scheduled work of demonstration zones: reminding each zone's leads when a review falls due.

Plain functions taking the core's ``JobContext``; the core makes them actors, runs each with its
district's session, and fans the schedule out to every district that has the plugin enabled.
"""

from __future__ import annotations

import datetime as dt

from core.api import DISTRICT_TIMEZONE, JobContext, utcnow
from plugins.model_zones import services


def _tick(ctx: JobContext) -> dt.datetime:
    """The scheduler's tick (so a late or repeated run acts for the day it was due), else now."""
    tick = ctx.payload.get("tick")
    return dt.datetime.fromisoformat(tick) if isinstance(tick, str) else utcnow()


async def remind_reviews_due(ctx: JobContext) -> int:
    """Daily: tell the leads of zones whose periodic review falls due soon (once per due date)."""
    today = _tick(ctx).astimezone(DISTRICT_TIMEZONE).date()
    return await services.remind_reviews_due(ctx.session, today)


JOBS = {"remind_reviews_due": remind_reviews_due}
SCHEDULES = [("remind_reviews_due", "15 8 * * *")]
