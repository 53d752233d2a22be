"""A district with projects for the people enabled, built through the API as its administrator.

``pp_world`` builds: a street with two communities, a resident unit and a two-new organisation under
the street, residents (people) registered in the first community, and hands back helpers that
drive the plugin's API the way a community secretary would. ``pp`` wraps the plugin's API.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

SLUG = "people_projects"
API = f"/api/v1/m/{SLUG}"
_sequence = itertools.count(1)


@dataclass
class PP:
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
        target = url if url.startswith("/api/") else f"{API}{url}"
        response = await self.client.request(method, target, **kwargs)
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
    other_community: Any
    unit: Any
    enterprise: Any
    residents: list[dict[str, Any]] = field(default_factory=list)
    pp: PP | None = None

    async def person(self, node_id: Any, name: str = "王芳") -> dict[str, Any]:
        from core.people.validation import make_id_card

        n = next(_sequence)
        card = make_id_card("321111", dt.date(1950, 1, 1) + dt.timedelta(days=n), n % 100, "female")
        assert self.pp is not None
        return await self.pp.ok(
            self.admin,
            "POST",
            "/api/v1/people",
            {"name": f"{name}{n}", "id_card": card, "org_node_id": str(node_id)},
            201,
        )

    async def project(self, *, status: str = "published", node: Any = None, **fields: Any) -> dict[str, Any]:
        """A project of the community moved to ``status`` through the API."""
        assert self.pp is not None
        body = {
            "org_node_id": str((node or self.community).id),
            "title": fields.pop("title", "老旧小区加装电梯"),
            "description": "为 3 号楼加装电梯，方便老年居民出行。",
            "category": "infrastructure",
            **fields,
        }
        project = await self.pp.ok(self.admin, "POST", "/projects", body, 201)
        steps = {
            "draft": [],
            "published": ["published"],
            "claimed": ["published", "claim"],
            "in_progress": ["published", "claim", "in_progress"],
            "completed": ["published", "claim", "in_progress", "completed"],
        }[status]
        for step in steps:
            if step == "claim":
                await self.pp.ok(
                    self.admin,
                    "POST",
                    f"/projects/{project['id']}/claims",
                    {"org_node_id": str(self.unit.id), "commitment": "money", "money_fen": 100_000},
                    201,
                )
            else:
                await self.pp.ok(self.admin, "POST", f"/projects/{project['id']}/transitions", {"to": step})
        return await self.pp.ok(self.admin, "GET", f"/projects/{project['id']}")


@pytest.fixture
def pp(client: Any) -> PP:
    return PP(client)


@pytest.fixture
def pp_world(pp: PP, admin: Any, enable_plugin: Any, make_node: Any) -> Callable[..., Awaitable[World]]:
    """Factory: ``await pp_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build(*, residents: int = 3) -> World:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"宝塔路街道{tag}")
        community = await make_node(admin.tenant, street.id, "community", f"桃花坞社区{tag}")
        other = await make_node(admin.tenant, street.id, "community", f"中山社区{tag}")
        unit = await make_node(admin.tenant, street.id, "unit", f"镇江供电公司{tag}")
        enterprise = await make_node(admin.tenant, street.id, "enterprise", f"润州科技有限公司{tag}")
        world = World(admin, street, community, other, unit, enterprise, pp=pp)
        for _n in range(residents):
            world.residents.append(await world.person(community.id))
        return world

    return build
