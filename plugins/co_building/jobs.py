"""Jobs of co-building agreements: the daily expiry round and the yearly opening of reviews.

Scheduled jobs receive the tick (UTC, ISO 8601) in ``payload["tick"]``; dates are counted on the
districts' clock. Each job runs in its district's own transaction (``ctx.session``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.api import DISTRICT_TIMEZONE, JobContext, district_today
from plugins.co_building import services

EXPIRY_CRON = "0 9 * * *"
# 2 January, 08:00: the reviews of the year that just ended.
REVIEWS_CRON = "0 8 2 1 *"


def tick_day(ctx: JobContext) -> dt.date:
    """The district's date of the job's tick (today when run by hand without one)."""
    tick = ctx.payload.get("tick")
    if not tick:
        return district_today()
    moment = dt.datetime.fromisoformat(str(tick))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(DISTRICT_TIMEZONE).date()


async def expiry_round(ctx: JobContext) -> dict[str, Any]:
    """Daily: mark agreements whose end date has passed as expired, and remind the area party's
    administrators of agreements ending within ``remind_days_before_end`` days (once each)."""
    config = await services.config_of(ctx.session)
    day = tick_day(ctx)
    expired = await services.expire_ended(ctx.session, day)
    notified = await services.remind_expiring(ctx.session, day, config)
    return {"expired": expired, "notified": notified}


async def open_annual_reviews(ctx: JobContext) -> dict[str, Any]:
    """Yearly: open the fulfilment review of the year before the tick for every agreement that ran in it."""
    assert ctx.tenant_id is not None, "a district's job"
    year = tick_day(ctx).year - 1
    return {"year": year, "opened": await services.open_reviews(ctx.session, ctx.tenant_id, year)}


JOBS = {"expiry_round": expiry_round, "open_annual_reviews": open_annual_reviews}
SCHEDULES = [("expiry_round", EXPIRY_CRON), ("open_annual_reviews", REVIEWS_CRON)]
