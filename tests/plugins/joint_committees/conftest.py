"""A district with three-level linkage switched on: 区 → 和平路街道 → 大西路社区 → 第一支部."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from core.api import district_today

BASE = "/api/v1/m/joint_committees"


@dataclass
class Linkage:
    admin: Any
    street: Any
    community: Any
    branch: Any
    other_street: Any
    client: Any

    async def post(
        self, url: str, body: dict[str, Any], *, actor: Any = None, expect: int | None = 201
    ) -> Any:
        response = await self.client.post(f"{BASE}{url}", headers=(actor or self.admin).headers, json=body)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def get(self, url: str, *, actor: Any = None, expect: int | None = 200, **params: Any) -> Any:
        response = await self.client.get(f"{BASE}{url}", headers=(actor or self.admin).headers, params=params)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def committee(self, node: Any, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = (
            await self.post("/committees", {"org_node_id": str(node.id), **body})
        ).json()
        return result

    async def decision(
        self, committee: dict[str, Any], assigned_to: Any, due_in_days: int = 10, **body: Any
    ) -> Any:
        due = (district_today() + dt.timedelta(days=due_in_days)).isoformat()
        payload = {
            "title": "清理楼道堆物",
            "assigned_to": str(assigned_to.id),
            "due_on": due,
            "owner_name": "李明",
        }
        return (await self.post(f"/committees/{committee['id']}/decisions", {**payload, **body})).json()


@pytest.fixture
async def linkage(client: Any, admin: Any, enable_plugin: Any, make_node: Any) -> Linkage:
    await enable_plugin(admin, "joint_committees")
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    branch = await make_node(admin.tenant, community.id, "branch", "大西路社区第一支部")
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    return Linkage(admin, street, community, branch, other_street, client)
