"""``Figure``: one number on the dashboard, as the core and plugins report it."""

from __future__ import annotations

import msgspec


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    """A dashboard figure for an org subtree (returned by ``quanyu_dashboard_figures``).

    ``key`` is stable within its plugin (e.g. ``"decision_completion_rate"``);
    ``unit`` is shown after the value (``"%"``, ``"人"``, ``"次"``), in each language.
    """

    key: str
    name_zh: str
    name_en: str
    value: int | float
    unit_zh: str = ""
    unit_en: str = ""
