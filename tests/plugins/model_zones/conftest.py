"""A district with demonstration zones enabled, built through the API as its administrator.

``zone_world`` builds: a street (金山街道) with the renowned community 光华社区 that leads the zone,
two neighbouring communities and a resident unit and a private firm around them, the lead secretary
(a person of the district), and the zone itself (unless asked otherwise). ``mz`` wraps the plugin's
API for the tests.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from plugins.model_zones.isolation import id_card

SLUG = "model_zones"
API = f"/api/v1/m/{SLUG}"
ESTABLISHED = "2024-03-01"


@dataclass
class MZ:
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

    async def refused(
        self, actor: Any, method: str, url: str, json: Any, status: int, field: str | None = None
    ) -> dict[str, Any]:
        """The request is refused with ``status`` as problem+json, naming ``field`` when given."""
        response = await self.call(actor, method, url, json, status)
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
        problem: dict[str, Any] = response.json()
        if field is not None:
            assert field in [e["field"] for e in problem.get("errors", [])], problem
        return problem

    async def person(self, actor: Any, node_id: uuid.UUID, name: str = "周书记") -> str:
        """A person of ``actor``'s district registered at ``node_id`` (through the people API)."""
        for _attempt in range(5):
            birth = dt.date(1965, 1, 1) + dt.timedelta(days=secrets.randbelow(9000))
            response = await self.call(
                actor,
                "POST",
                "/api/v1/people",
                {
                    "name": name,
                    "id_card": id_card(birth, secrets.randbelow(1000)),
                    "org_node_id": str(node_id),
                },
            )
            if response.status_code == 409:
                continue
            assert response.status_code == 201, response.text
            return str(response.json()["id"])
        raise RuntimeError("no free ID card number")


@dataclass
class ZoneWorld:
    admin: Any
    street: Any
    lead: Any
    neighbours: list[Any]
    unit: Any
    firm: Any
    secretary_id: str
    zone: dict[str, Any] | None = None
    members: list[dict[str, Any]] = field(default_factory=list)

    @property
    def zone_id(self) -> str:
        assert self.zone is not None
        return str(self.zone["id"])


@pytest.fixture
def mz(client: Any) -> MZ:
    return MZ(client)


@pytest.fixture
def zone_world(mz: MZ, admin: Any, enable_plugin: Any, make_node: Any) -> Callable[..., Awaitable[ZoneWorld]]:
    """Factory: ``await zone_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build(*, create: bool = True, members: int = 0, name: str = "光华示范片区") -> ZoneWorld:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"金山街道{tag}")
        lead = await make_node(
            admin.tenant, street.id, "community", f"光华社区{tag}", longitude=119.42, latitude=32.21
        )
        neighbours = [
            await make_node(admin.tenant, street.id, "community", f"金西社区{tag}{n}") for n in range(2)
        ]
        unit = await make_node(admin.tenant, street.id, "unit", f"镇江供电公司{tag}", level="municipal")
        firm = await make_node(admin.tenant, lead.id, "enterprise", f"光华物流有限公司{tag}")
        secretary_id = await mz.person(admin, lead.id)
        world = ZoneWorld(admin, street, lead, neighbours, unit, firm, secretary_id)
        if create:
            world.zone = await mz.ok(
                admin,
                "POST",
                "/zones",
                {
                    "name": f"{name}{tag}",
                    "lead_node_id": str(lead.id),
                    "lead_person_id": secretary_id,
                    "established_on": ESTABLISHED,
                },
                201,
            )
            for organisation in [*neighbours, unit, firm][:members]:
                world.members.append(
                    await mz.ok(
                        admin,
                        "POST",
                        f"/zones/{world.zone_id}/members",
                        {"org_node_id": str(organisation.id), "joined_on": "2024-04-01"},
                        201,
                    )
                )
        return world

    return build


def today_in_district() -> dt.date:
    from core.api import district_today

    return district_today()
