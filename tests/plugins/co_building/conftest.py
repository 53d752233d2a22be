"""A district with co-building agreements switched on, built as its administrator would.

``cb_world`` builds: 和平路街道 with 大西路社区 (a resident unit 镇江供电公司 and a private firm
under it, and a party branch that is no partner), and 宝塔路街道 with 南门社区 and its own resident
unit. ``cb`` wraps the plugin's API for the tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from core.api import district_today

SLUG = "co_building"
API = f"/api/v1/m/{SLUG}"


def today() -> dt.date:
    """The district's date now: computed per call, so that a run crossing midnight in Beijing stays right."""
    return district_today()


def day(offset: int) -> str:
    """The district's date ``offset`` days from today, ISO formatted."""
    return (today() + dt.timedelta(days=offset)).isoformat()


@dataclass
class CB:
    """The plugin's API as one district's users call it."""

    client: Any

    async def call(
        self, actor: Any, method: str, url: str, json: Any = None, expect: int | None = None, **params: Any
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": actor.headers}
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
class World:
    admin: Any
    street: Any
    community: Any
    unit: Any
    firm: Any
    branch: Any
    other_street: Any
    other_community: Any
    other_unit: Any
    cb: CB

    async def agreement(
        self, *, area: Any = None, unit: Any = None, actor: Any = None, expect: int = 201, **body: Any
    ) -> Any:
        payload = {
            "org_node_id": str((area or self.community).id),
            "unit_id": str((unit or self.unit).id),
            "title": "大西路社区与镇江供电公司党建共建协议",
            "starts_on": day(-30),
            "ends_on": day(700),
            "status": "active",
            **body,
        }
        return await self.cb.ok(actor or self.admin, "POST", "/agreements", payload, expect)

    async def count(self) -> int:
        listed = await self.cb.ok(self.admin, "GET", "/agreements")
        return int(listed["total"])


async def time_passes(database: Any, world: World, agreement_id: str, **values: Any) -> None:
    """Change a stored agreement as the passing of time would (e.g. its end date now in the past)."""
    import uuid

    from plugins.co_building.models import Agreement

    async with database.transaction(world.admin.tenant.id) as session:
        row = await session.get_one(Agreement, (world.admin.tenant.id, uuid.UUID(agreement_id)))
        for key, value in values.items():
            setattr(row, key, value)


@pytest.fixture
def cb(client: Any) -> CB:
    return CB(client)


@pytest.fixture
async def cb_world(cb: CB, admin: Any, enable_plugin: Any, make_node: Any) -> World:
    await enable_plugin(admin, SLUG)
    tenant = admin.tenant
    street = await make_node(tenant, tenant.root_id, "street", "和平路街道")
    community = await make_node(tenant, street.id, "community", "大西路社区")
    unit = await make_node(
        tenant, community.id, "unit", "镇江供电公司", level="provincial", longitude=119.43, latitude=32.2
    )
    firm = await make_node(tenant, community.id, "enterprise", "镇江金山科技有限公司")
    branch = await make_node(tenant, community.id, "branch", "大西路社区第一支部")
    other_street = await make_node(tenant, tenant.root_id, "street", "宝塔路街道")
    other_community = await make_node(tenant, other_street.id, "community", "南门社区")
    other_unit = await make_node(tenant, other_community.id, "unit", "镇江市第一人民医院", level="municipal")
    return World(admin, street, community, unit, firm, branch, other_street, other_community, other_unit, cb)
