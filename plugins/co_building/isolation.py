"""Isolation examples of every route of co-building agreements, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: an
agreement between community C1 and a resident unit under it, so the records lie outside the sibling
street S2 (its secretary must get 404) and outside district B.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.api import IsolationExample, district_today

SLUG = "co_building"
API = f"/api/v1/m/{SLUG}"


@dataclass
class Built:
    agreement: str
    unit: uuid.UUID


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def _unit(world: Any) -> uuid.UUID:
    return uuid.UUID(str(await world.node(world.c1, "unit", f"驻区单位{secrets.token_hex(3)}")))


def _body(unit: uuid.UUID, world: Any, status: str) -> dict[str, Any]:
    today = district_today()
    return {
        "org_node_id": str(world.c1),
        "unit_id": str(unit),
        "title": f"党建共建协议 {secrets.token_hex(2)}",
        "starts_on": (today - dt.timedelta(days=30)).isoformat(),
        "ends_on": (today + dt.timedelta(days=300)).isoformat(),
        "status": status,
    }


async def build_agreement(world: Any, *, status: str = "active") -> Built:
    """An agreement of district A between community C1 and a fresh resident unit under it."""
    await world.ensure_plugin(SLUG, enabled=True)
    unit = await _unit(world)
    agreement = await _ok(world, "POST", f"{API}/agreements", _body(unit, world, status), 201)
    world.remember(uuid.UUID(agreement["id"]), world.paths[world.c1])
    return Built(agreement["id"], unit)


async def _item(world: Any, built: Built) -> str:
    item = await _ok(
        world,
        "POST",
        f"{API}/agreements/{built.agreement}/items",
        {"kind": "need", "party": "area", "title": "开放停车位"},
        201,
    )
    world.remember(uuid.UUID(item["id"]), world.paths[world.c1])
    return str(item["id"])


def _activity_body() -> dict[str, Any]:
    return {
        "kind": "activity",
        "title": f"共建志愿服务 {secrets.token_hex(2)}",
        "held_on": (district_today() - dt.timedelta(days=1)).isoformat(),
        "place": "社区党群服务中心",
        "participants": 30,
        "content": "走访慰问困难党员",
    }


async def _activity(world: Any, built: Built) -> str:
    activity = await _ok(
        world, "POST", f"{API}/agreements/{built.agreement}/activities", _activity_body(), 201
    )
    world.remember(uuid.UUID(activity["id"]), world.paths[world.c1])
    return str(activity["id"])


async def _review(world: Any, built: Built) -> str:
    review = await _ok(
        world, "POST", f"{API}/agreements/{built.agreement}/reviews", {"year": district_today().year}, 201
    )
    world.remember(uuid.UUID(review["id"]), world.paths[world.c1])
    return str(review["id"])


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_agreements(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        return IsolationExample(
            f"{API}/agreements?limit=200", kind="collection", owner_sees=(built.agreement,)
        )

    async def create_agreement(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        unit = await _unit(world)
        return IsolationExample(
            f"{API}/agreements",
            json=_body(unit, world, "draft"),
            expect=201,
            readback=f"{API}/agreements?unit_id={unit}",
        )

    async def read_agreement(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        return IsolationExample(f"{API}/agreements/{built.agreement}", owner_sees=(built.agreement,))

    async def update_agreement(world: Any) -> IsolationExample:
        built = await build_agreement(world, status="draft")
        url = f"{API}/agreements/{built.agreement}"
        return IsolationExample(url, json={"content": f"双向服务 {secrets.token_hex(3)}"}, readback=url)

    async def transition_agreement(world: Any) -> IsolationExample:
        built = await build_agreement(world, status="draft")
        url = f"{API}/agreements/{built.agreement}"
        return IsolationExample(f"{url}/transition", json={"status": "active"}, readback=url)

    async def list_items(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        item = await _item(world, built)
        return IsolationExample(f"{API}/agreements/{built.agreement}/items", owner_sees=(item,))

    async def add_item(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        url = f"{API}/agreements/{built.agreement}/items"
        return IsolationExample(
            url, json={"kind": "resource", "party": "unit", "title": "提供会议室"}, expect=201, readback=url
        )

    async def fulfil_item(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        item = await _item(world, built)
        return IsolationExample(
            f"{API}/items/{item}/fulfilment",
            json={"status": "fulfilled", "note": "已开放"},
            readback=f"{API}/agreements/{built.agreement}/items",
        )

    async def list_activities(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        activity = await _activity(world, built)
        return IsolationExample(f"{API}/agreements/{built.agreement}/activities", owner_sees=(activity,))

    async def record_activity(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        url = f"{API}/agreements/{built.agreement}/activities"
        return IsolationExample(url, json=_activity_body(), expect=201, readback=url)

    async def list_reviews(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        review = await _review(world, built)
        return IsolationExample(f"{API}/agreements/{built.agreement}/reviews", owner_sees=(review,))

    async def open_review(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        url = f"{API}/agreements/{built.agreement}/reviews"
        return IsolationExample(url, json={"year": district_today().year}, expect=201, readback=url)

    async def complete_review(world: Any) -> IsolationExample:
        built = await build_agreement(world)
        review = await _review(world, built)
        return IsolationExample(
            f"{API}/reviews/{review}/complete",
            json={"rating": "good", "note": "履约良好"},
            readback=f"{API}/agreements/{built.agreement}/reviews",
        )

    agreements = f"{API}/agreements"
    agreement = f"{agreements}/{{agreement_id:uuid}}"
    return {
        ("GET", agreements): list_agreements,
        ("POST", agreements): create_agreement,
        ("GET", agreement): read_agreement,
        ("PATCH", agreement): update_agreement,
        ("POST", f"{agreement}/transition"): transition_agreement,
        ("GET", f"{agreement}/items"): list_items,
        ("POST", f"{agreement}/items"): add_item,
        ("POST", f"{API}/items/{{item_id:uuid}}/fulfilment"): fulfil_item,
        ("GET", f"{agreement}/activities"): list_activities,
        ("POST", f"{agreement}/activities"): record_activity,
        ("GET", f"{agreement}/reviews"): list_reviews,
        ("POST", f"{agreement}/reviews"): open_review,
        ("POST", f"{API}/reviews/{{review_id:uuid}}/complete"): complete_review,
    }
