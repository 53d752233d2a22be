"""A district with the spark plan enabled, built through the API as its administrator.

``spark_world`` enables the plugin (which seeds the seven emerging fields under the district) and
builds a street with a community holding two-new organisations (an enterprise and a social
organisation). ``spark`` wraps the plugin's API for the tests; ``make_person`` registers a person.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.people.validation import make_id_card

SLUG = "spark_incubation"
API = f"/api/v1/m/{SLUG}"


@dataclass
class Spark:
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

    async def nominate(
        self, actor: Any, field_id: str, org_id: Any, reason: str = "党建基础较好，有培育潜力"
    ) -> Any:
        body = {"field_id": field_id, "org_node_id": str(org_id), "reason": reason}
        return await self.ok(actor, "POST", "/candidates", body, 201)

    async def move(
        self, actor: Any, candidate_id: str, to: str, reason: str = "按计划推进", **extra: Any
    ) -> Any:
        body = {"to": to, "reason": reason, **extra}
        return await self.ok(actor, "POST", f"/candidates/{candidate_id}/transitions", body)


@dataclass
class SparkWorld:
    admin: Any
    street: Any
    community: Any
    enterprise: Any
    social_org: Any
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def field_id(self, code: str = "internet") -> str:
        return str(self.fields[code]["id"])


@pytest.fixture
def spark(client: Any) -> Spark:
    return Spark(client)


@pytest.fixture
def spark_world(
    spark: Spark, admin: Any, enable_plugin: Any, make_node: Any
) -> Callable[..., Awaitable[SparkWorld]]:
    """Factory: ``await spark_world()`` in ``admin``'s district (plugin enabled once)."""
    enabled: list[bool] = []

    async def build() -> SparkWorld:
        if not enabled:
            await enable_plugin(admin, SLUG)
            enabled.append(True)
        tag = uuid.uuid4().hex[:6]
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"七里甸街道{tag}")
        community = await make_node(admin.tenant, street.id, "community", f"长江社区{tag}")
        enterprise = await make_node(
            admin.tenant, community.id, "enterprise", f"瑞祥集团{tag}", longitude=119.45, latitude=32.2
        )
        social_org = await make_node(admin.tenant, community.id, "social_org", f"网络社会组织联合会{tag}")
        listed = await spark.ok(admin, "GET", "/fields", limit=100)
        world = SparkWorld(admin, street, community, enterprise, social_org)
        world.fields = {f["code"]: f for f in listed["items"]}
        return world

    return build


@pytest.fixture
def make_person(client: Any) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Factory: a person registered at ``node`` through the people API."""

    async def make(actor: Any, node_id: Any, name: str = "王建国") -> dict[str, Any]:
        body = {
            "name": name,
            "id_card": make_id_card(
                "321111", dt.date(1980, 5, 17), secrets.randbelow(100), "male", variant=secrets.randbelow(5)
            ),
            "org_node_id": str(node_id),
            "party_status": "none",
        }
        response = await client.post("/api/v1/people", json=body, headers=actor.headers)
        client.cookies.clear()
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return make


def _days(n: int) -> str:
    from core.api import district_today

    return (district_today() + dt.timedelta(days=n)).isoformat()


@pytest.fixture
def days() -> Callable[[int], str]:
    """``days(n)``: the district's date ``n`` days from today, ISO formatted."""
    return _days
