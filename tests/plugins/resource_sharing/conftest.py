"""A district with shared resources enabled, built through the API as its administrator.

``resource_world`` builds a street with a community, a resident unit (驻区单位) of that community
offering a room open every day 08:00–22:00 in 30-minute slots, and a second community elsewhere
that reserves it. ``rs`` wraps the plugin's API; ``at`` names a time tomorrow on the district clock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

SLUG = "resource_sharing"
API = f"/api/v1/m/{SLUG}"
EVERY_DAY = [{"weekday": d, "opens": "08:00", "closes": "22:00"} for d in range(1, 8)]


def at(hour: int, minute: int = 0, days: int = 1) -> str:
    """An ISO time ``days`` from today at ``hour:minute`` on the district's clock."""
    from core.api import DISTRICT_TIMEZONE, district_today

    day = district_today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), DISTRICT_TIMEZONE).isoformat()


@dataclass
class RS:
    """The plugin's API as one district's users call it."""

    client: Any

    async def call(
        self,
        actor: Any,
        method: str,
        url: str,
        json: Any = None,
        expect: int | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": {**actor.headers, **(headers or {})}}
        if json is not None:
            kwargs["json"] = json
        if params:
            kwargs["params"] = params
        response = await self.client.request(method, f"{API}{url}", **kwargs)
        self.client.cookies.clear()
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def ok(
        self, actor: Any, method: str, url: str, json: Any = None, expect: int = 200, **params: Any
    ) -> Any:
        return (await self.call(actor, method, url, json, expect, **params)).json()


@dataclass
class ResourceWorld:
    admin: Any
    street: Any
    community: Any
    unit: Any
    other_street: Any
    other_community: Any
    resource: dict[str, Any]

    @property
    def resource_id(self) -> str:
        return str(self.resource["id"])

    def booking(self, start: str, end: str, *, org: Any = None, **extra: Any) -> dict[str, Any]:
        """A reservation body for the world's resource, by the other community unless ``org``."""
        return {
            "resource_id": self.resource_id,
            "org_node_id": str((org or self.other_community).id),
            "starts_at": start,
            "ends_at": end,
            "purpose": "主题党日活动",
            **extra,
        }


@pytest.fixture
def rs(client: Any) -> RS:
    return RS(client)


@pytest.fixture
def resource_world(
    rs: RS, admin: Any, enable_plugin: Any, make_node: Any
) -> Callable[..., Awaitable[ResourceWorld]]:
    """Factory: ``await resource_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build(
        *, visibility: str = "district", capacity: int | None = 40, **resource: Any
    ) -> ResourceWorld:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"和平路街道{tag}")
        community = await make_node(admin.tenant, street.id, "community", f"金山社区{tag}")
        unit = await make_node(admin.tenant, community.id, "unit", f"区供电公司{tag}")
        other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"七里甸街道{tag}")
        other_community = await make_node(admin.tenant, other_street.id, "community", f"长江社区{tag}")
        body = {
            "provider_id": str(unit.id),
            "kind": "room",
            "name": "党员活动室",
            "capacity": capacity,
            "address": "润州区和平路1号",
            "longitude": 119.41,
            "latitude": 32.19,
            "visibility": visibility,
            "opening_hours": EVERY_DAY,
            **resource,
        }
        created = await rs.ok(admin, "POST", "/resources", body, 201)
        return ResourceWorld(admin, street, community, unit, other_street, other_community, created)

    return build
