"""A district with sector–area collaboration enabled, built through the API as its administrator.

``sector_world`` builds: a sector department (行业主管部门) under the district, a street with a
community, organisations in that community, a sector led by the department guiding them, and
(unless asked otherwise) a published standard. ``sg`` wraps the plugin's API for the tests.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

SLUG = "sector_guidance"
API = f"/api/v1/m/{SLUG}"
# Weights 40 + 30 + 20 + 10: meeting the first two scores 70.
ITEMS = [
    {"text": "按规定建立党组织", "weight": 40, "guidance": "查阅组建批复"},
    {"text": "规范开展“三会一课”", "weight": 30},
    {"text": "党组织书记进入决策层", "weight": 20},
    {"text": "党建活动阵地有保障", "weight": 10},
]


@dataclass
class SG:
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
class SectorWorld:
    admin: Any
    department: Any
    street: Any
    community: Any
    organisations: list[Any]
    sector: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    standard: dict[str, Any] | None = None

    @property
    def sector_id(self) -> str:
        return str(self.sector["id"])

    @property
    def item_ids(self) -> list[str]:
        assert self.standard is not None
        return [item["id"] for item in self.standard["items"]]


@pytest.fixture
def sg(client: Any) -> SG:
    return SG(client)


@pytest.fixture
def sector_world(
    sg: SG, admin: Any, enable_plugin: Any, make_node: Any
) -> Callable[..., Awaitable[SectorWorld]]:
    """Factory: ``await sector_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build(
        *,
        code: str = "private_school",
        name: str = "民办学校",
        members: int = 2,
        items: list[dict[str, Any]] | None = None,
        publish: bool = True,
        pass_mark: int | None = None,
    ) -> SectorWorld:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        department = await make_node(
            admin.tenant, admin.tenant.root_id, "sector_department", f"区教育局{tag}"
        )
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"和平路街道{tag}")
        community = await make_node(admin.tenant, street.id, "community", f"金山社区{tag}")
        sector = await sg.ok(
            admin,
            "POST",
            "/sectors",
            {"department_id": str(department.id), "name": name, "code": f"{code}{tag}"},
            201,
        )
        world = SectorWorld(admin, department, street, community, [], sector)
        for n in range(members):
            organisation = await make_node(
                admin.tenant, community.id, "social_org", f"镇江{n}号民办学校{tag}"
            )
            world.organisations.append(organisation)
            world.members.append(
                await sg.ok(
                    admin,
                    "POST",
                    f"/sectors/{world.sector_id}/members",
                    {"org_node_id": str(organisation.id), "joined_on": "2025-09-01"},
                    201,
                )
            )
        if publish:
            draft = await sg.ok(
                admin,
                "POST",
                f"/sectors/{world.sector_id}/standards",
                {"title": "民办学校党建工作标准", "pass_mark": pass_mark, "items": items or ITEMS},
                201,
            )
            world.standard = await sg.ok(admin, "POST", f"/standards/{draft['id']}/publish")
        return world

    return build


def answers(world: SectorWorld, met: list[bool]) -> dict[str, Any]:
    """A results body answering the world's standard item by item."""
    return {
        "results": [
            {"item_id": item, "met": is_met, "evidence": "查阅会议记录" if is_met else None}
            for item, is_met in zip(world.item_ids, met, strict=True)
        ]
    }


@pytest.fixture
def answer() -> Callable[[SectorWorld, list[bool]], dict[str, Any]]:
    return answers


def today_in_district() -> dt.date:
    from core.api import district_today

    return district_today()


@pytest.fixture
def district_day() -> dt.date:
    return today_in_district()
