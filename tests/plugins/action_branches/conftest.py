"""A district with action branches enabled, built through the API as its administrator.

``branch_world`` builds: a street with a community and the community's party branch (支部), people
whose formal relation is held by that branch, and an action branch hosted by the community and led
by one of them. ``ab`` wraps the plugin's API; ``people`` registers people through the core's API.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from plugins.action_branches.isolation import id_card

SLUG = "action_branches"
API = f"/api/v1/m/{SLUG}"
FOUNDED = "2024-03-01"


@dataclass
class AB:
    """The plugin's API (and the core's people API) as one district's users call them."""

    client: Any

    async def call(
        self, actor: Any, method: str, url: str, json: Any = None, expect: int | None = None, **params: Any
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": actor.headers}
        if json is not None:
            kwargs["json"] = json
        if params:
            kwargs["params"] = params
        full = url if url.startswith("/api/") else f"{API}{url}"
        response = await self.client.request(method, full, **kwargs)
        self.client.cookies.clear()
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def ok(
        self, actor: Any, method: str, url: str, json: Any = None, expect: int = 200, **params: Any
    ) -> Any:
        return (await self.call(actor, method, url, json, expect, **params)).json()

    async def person(self, actor: Any, node_id: Any, name: str | None = None, *, member: bool = True) -> str:
        """Register a person whose formal organisation is ``node_id`` (a party member by default)."""
        for _attempt in range(8):
            birth = dt.date(1960, 1, 1) + dt.timedelta(days=secrets.randbelow(12_000))
            body: dict[str, Any] = {
                "name": name or f"居民{secrets.token_hex(2)}",
                "id_card": id_card(birth, secrets.randbelow(1000)),
                "org_node_id": str(node_id),
            }
            if member:
                body |= {
                    "party_status": "full",
                    "joined_on": birth.replace(year=birth.year + 25, day=1).isoformat(),
                    "full_member_on": birth.replace(year=birth.year + 26, day=1).isoformat(),
                }
            response = await self.call(actor, "POST", "/api/v1/people", body)
            if response.status_code == 409:
                continue
            assert response.status_code == 201, response.text
            return str(response.json()["id"])
        raise AssertionError("no free ID card number")


@dataclass
class BranchWorld:
    admin: Any
    street: Any
    community: Any
    party_branch: Any
    leader: str
    people: list[str]
    branch: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def branch_id(self) -> str:
        return str(self.branch["id"])


@pytest.fixture
def ab(client: Any) -> AB:
    return AB(client)


@pytest.fixture
def branch_world(
    ab: AB, admin: Any, enable_plugin: Any, make_node: Any
) -> Callable[..., Awaitable[BranchWorld]]:
    """Factory: ``await branch_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build(*, kind: str = "interest", people: int = 3, place: bool = True) -> BranchWorld:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"金山街道{tag}")
        community = await make_node(admin.tenant, street.id, "community", f"光华社区{tag}")
        party_branch = await make_node(admin.tenant, community.id, "branch", f"光华社区第一党支部{tag}")
        leader = await ab.person(admin, party_branch.id, "王建国")
        others = [await ab.person(admin, party_branch.id) for _n in range(people)]
        body: dict[str, Any] = {
            "host_node_id": str(community.id),
            "kind": kind,
            "name": f"文化传承行动支部{tag}",
            "leader_person_id": leader,
            "founded_on": FOUNDED,
        }
        if place:
            body |= {"place": "光华社区党群服务中心", "longitude": 119.42, "latitude": 32.2}
        branch = await ab.ok(admin, "POST", "/branches", body, 201)
        return BranchWorld(admin, street, community, party_branch, leader, others, branch)

    return build


def days_ago(days: int) -> str:
    from core.api import district_today

    return (district_today() - dt.timedelta(days=days)).isoformat()
