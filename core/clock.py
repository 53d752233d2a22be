"""The districts' clock: China Standard Time, the zone every district's dates are counted in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DISTRICT_TIMEZONE = ZoneInfo("Asia/Shanghai")


def district_now() -> dt.datetime:
    """Now, as an aware datetime in the districts' zone."""
    return dt.datetime.now(DISTRICT_TIMEZONE)


def district_today() -> dt.date:
    """Today's date where the districts are (deadlines, terms and "this year" are counted in it)."""
    return district_now().date()
