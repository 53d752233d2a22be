"""Scheduled work of three-level linkage: meeting reminders and the overdue-decision ladder.

Plain functions taking the core's ``JobContext``; the core makes them actors,
runs each with its district's session, and fans the schedules out to every
district that has the plugin enabled.
"""

from __future__ import annotations

import datetime as dt

from core.api import DISTRICT_TIMEZONE, JobContext, utcnow
from plugins.joint_committees import services


def _tick(ctx: JobContext) -> dt.datetime:
    """The scheduler's tick (so a late or repeated run acts for the moment it was due), else now."""
    tick = ctx.payload.get("tick")
    return dt.datetime.fromisoformat(tick) if isinstance(tick, str) else utcnow()


async def escalate_overdue_decisions(ctx: JobContext) -> int:
    """Daily: move overdue decisions one level up and tell the secretaries there."""
    today = _tick(ctx).astimezone(DISTRICT_TIMEZONE).date()
    return len(await services.escalate_overdue_decisions(ctx.session, today))


async def remind_upcoming_meetings(ctx: JobContext) -> int:
    """Hourly: remind members and secretaries of meetings coming up within the configured hours."""
    return await services.remind_upcoming_meetings(ctx.session, _tick(ctx))


JOBS = {
    "escalate_overdue_decisions": escalate_overdue_decisions,
    "remind_upcoming_meetings": remind_upcoming_meetings,
}
SCHEDULES = [
    ("escalate_overdue_decisions", "30 8 * * *"),
    ("remind_upcoming_meetings", "0 * * * *"),
]
