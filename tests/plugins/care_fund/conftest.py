"""A district with the care fund enabled, built through the API as its administrator.

``fund_world`` builds: a street with a community, a fund of the community, a beneficiary of the
community, and the people a disbursement needs: the administrator (who applies), two secretaries of
the street (the approvers), each a different person. ``cf`` wraps the plugin's API for the tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

SLUG = "care_fund"
API = f"/api/v1/m/{SLUG}"


@dataclass
class CF:
    """The plugin's API as one district's users call it."""

    client: Any

    async def call(
        self,
        actor: Any,
        method: str,
        url: str,
        json: Any = None,
        expect: int | None = None,
        key: str | None = None,
        **params: Any,
    ) -> Any:
        headers = dict(actor.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        kwargs: dict[str, Any] = {"headers": headers}
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
        self, actor: Any, method: str, url: str, json: Any = None, expect: int = 200, **kw: Any
    ) -> Any:
        return (await self.call(actor, method, url, json, expect, **kw)).json()


@dataclass
class FundWorld:
    admin: Any
    street: Any
    community: Any
    fund: dict[str, Any]
    beneficiary: dict[str, Any]
    approver: Any
    second_approver: Any

    @property
    def fund_id(self) -> str:
        return str(self.fund["id"])


@pytest.fixture
def cf(client: Any) -> CF:
    return CF(client)


def receipt() -> str:
    return f"R{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fund_world(
    cf: CF, admin: Any, enable_plugin: Any, make_node: Any, make_actor: Any
) -> Callable[..., Awaitable[FundWorld]]:
    """Factory: ``await fund_world(raised=...)`` in ``admin``'s district (plugin enabled once)."""
    state: dict[str, Any] = {}

    async def build(*, raised: int = 0) -> FundWorld:
        if not state:
            await enable_plugin(admin, SLUG)
            street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
            state["street"] = street
            state["approver"] = await make_actor("secretary", tenant=admin.tenant, node_id=street.id)
            state["second"] = await make_actor("secretary", tenant=admin.tenant, node_id=street.id)
        street = state["street"]
        tag = uuid.uuid4().hex[:6]
        community = await make_node(admin.tenant, street.id, "community", f"迎江路中心社区{tag}")
        fund = await cf.ok(
            admin, "POST", "/funds", {"org_node_id": str(community.id), "name": "红色基金"}, 201
        )
        beneficiary = await cf.ok(
            admin,
            "POST",
            "/beneficiaries",
            {"org_node_id": str(community.id), "kind": "member", "name": "王桂兰", "hardship": "elderly"},
            201,
        )
        world = FundWorld(admin, street, community, fund, beneficiary, state["approver"], state["second"])
        if raised:
            await cf.ok(
                admin,
                "POST",
                f"/funds/{world.fund_id}/income",
                {
                    "source": "party_dues",
                    "amount_fen": raised,
                    "receipt_no": receipt(),
                    "payer": "区委组织部",
                },
                201,
            )
        return world

    return build
