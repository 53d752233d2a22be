"""Isolation examples of every route of shared resources, for the core's isolation suite.

Each builder creates fresh records of district A as its system administrator: a resource offered by
a resident unit of community C1 and visible to that unit only (``own``), so the sibling street S2's
secretary must get 404 and district B's administrators too. Reservations start tomorrow.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.api import DISTRICT_TIMEZONE, IsolationExample, district_today

SLUG = "resource_sharing"
API = f"/api/v1/m/{SLUG}"
ALL_DAY = [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(1, 8)]


@dataclass
class Built:
    resource: str
    provider: uuid.UUID


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def _tomorrow(hour: int) -> str:
    day = district_today() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), DISTRICT_TIMEZONE).isoformat()


async def build_resource(world: Any) -> Built:
    await world.ensure_plugin(SLUG, enabled=True)
    unit = await world.node(world.c1, "unit", f"驻区单位{secrets.token_hex(3)}")
    resource = await _ok(
        world,
        "POST",
        f"{API}/resources",
        {
            "provider_id": str(unit),
            "kind": "room",
            "name": f"党员活动室{secrets.token_hex(3)}",
            "capacity": 30,
            "visibility": "own",
            "slot_minutes": 60,
            "opening_hours": ALL_DAY,
        },
        201,
    )
    world.remember(uuid.UUID(resource["id"]), world.paths[unit])
    return Built(resource["id"], unit)


def _reservation_body(built: Built, hour: int = 10) -> dict[str, Any]:
    return {
        "resource_id": built.resource,
        "org_node_id": str(built.provider),
        "starts_at": _tomorrow(hour),
        "ends_at": _tomorrow(hour + 1),
        "purpose": "主题党日活动",
        "attendees": 20,
    }


async def approved_reservation(world: Any) -> tuple[Built, str]:
    """Reserved by the provider itself: approved at once (its own subtree)."""
    built = await build_resource(world)
    reservation = await _ok(world, "POST", f"{API}/reservations", _reservation_body(built), 201)
    world.remember(uuid.UUID(reservation["id"]), world.paths[built.provider])
    return built, reservation["id"]


async def requested_reservation(world: Any) -> tuple[Built, str]:
    """A reservation waiting for the provider's decision (written directly, with its slot)."""
    from plugins.resource_sharing.models import SharedResourceReservation, SharedResourceSlot

    built = await build_resource(world)
    starts = dt.datetime.fromisoformat(_tomorrow(14)).astimezone(dt.UTC)
    async with world.database.transaction(world.a.id) as session:
        reservation = SharedResourceReservation(
            resource_id=uuid.UUID(built.resource),
            org_node_id=world.c1,
            requester_id=world.owners["system"].user.id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            slot_count=1,
            purpose="社区议事会",
            status="requested",
        )
        session.add(reservation)
        await session.flush()
        session.add(
            SharedResourceSlot(
                resource_id=reservation.resource_id, reservation_id=reservation.id, slot_start=starts
            )
        )
    world.remember(reservation.id, world.paths[world.c1])
    return built, str(reservation.id)


async def published_catalogue(world: Any) -> str:
    await build_resource(world)
    catalogue = await _ok(world, "POST", f"{API}/catalogues", {"org_node_id": str(world.c1)}, 201)
    world.remember(uuid.UUID(catalogue["id"]), world.paths[world.c1])
    return str(catalogue["id"])


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_resources(world: Any) -> IsolationExample:
        built = await build_resource(world)
        return IsolationExample(f"{API}/resources?limit=200", kind="collection", owner_sees=(built.resource,))

    async def create_resource(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        unit = await world.node(world.c1, "unit", f"驻区单位{secrets.token_hex(3)}")
        return IsolationExample(
            f"{API}/resources",
            json={"provider_id": str(unit), "kind": "venue", "name": "报告厅", "visibility": "own"},
            expect=201,
            readback=f"{API}/resources?node_id={unit}",
        )

    async def read_resource(world: Any) -> IsolationExample:
        built = await build_resource(world)
        return IsolationExample(f"{API}/resources/{built.resource}", owner_sees=(built.resource,))

    async def update_resource(world: Any) -> IsolationExample:
        built = await build_resource(world)
        url = f"{API}/resources/{built.resource}"
        return IsolationExample(url, json={"capacity": 40, "description": "可容纳40人"}, readback=url)

    async def read_week(world: Any) -> IsolationExample:
        built, reservation = await approved_reservation(world)
        return IsolationExample(f"{API}/resources/{built.resource}/week", owner_sees=(reservation,))

    async def list_reservations(world: Any) -> IsolationExample:
        _built, reservation = await approved_reservation(world)
        return IsolationExample(f"{API}/reservations?limit=200", kind="collection", owner_sees=(reservation,))

    async def create_reservation(world: Any) -> IsolationExample:
        built = await build_resource(world)
        return IsolationExample(
            f"{API}/reservations",
            json=_reservation_body(built, 16),
            expect=201,
            readback=f"{API}/resources/{built.resource}/week",
        )

    async def read_reservation(world: Any) -> IsolationExample:
        _built, reservation = await approved_reservation(world)
        return IsolationExample(f"{API}/reservations/{reservation}", owner_sees=(reservation,))

    async def approve(world: Any) -> IsolationExample:
        _built, reservation = await requested_reservation(world)
        url = f"{API}/reservations/{reservation}"
        return IsolationExample(f"{url}/approve", json={"note": "同意"}, readback=url)

    async def reject(world: Any) -> IsolationExample:
        _built, reservation = await requested_reservation(world)
        url = f"{API}/reservations/{reservation}"
        return IsolationExample(f"{url}/reject", json={"note": "当天另有安排"}, readback=url)

    async def cancel(world: Any) -> IsolationExample:
        _built, reservation = await approved_reservation(world)
        url = f"{API}/reservations/{reservation}"
        return IsolationExample(f"{url}/cancel", json={"note": "活动改期"}, readback=url)

    async def list_catalogues(world: Any) -> IsolationExample:
        catalogue = await published_catalogue(world)
        return IsolationExample(f"{API}/catalogues?limit=200", kind="collection", owner_sees=(catalogue,))

    async def publish(world: Any) -> IsolationExample:
        await build_resource(world)
        return IsolationExample(
            f"{API}/catalogues",
            json={"org_node_id": str(world.c1)},
            expect=201,
            readback=f"{API}/catalogues?node_id={world.c1}&limit=200",
        )

    async def read_catalogue(world: Any) -> IsolationExample:
        catalogue = await published_catalogue(world)
        return IsolationExample(f"{API}/catalogues/{catalogue}", owner_sees=(catalogue,))

    resources = f"{API}/resources"
    resource = f"{resources}/{{resource_id:uuid}}"
    reservations = f"{API}/reservations"
    reservation = f"{reservations}/{{reservation_id:uuid}}"
    catalogues = f"{API}/catalogues"
    return {
        ("GET", resources): list_resources,
        ("POST", resources): create_resource,
        ("GET", resource): read_resource,
        ("PATCH", resource): update_resource,
        ("GET", f"{resource}/week"): read_week,
        ("GET", reservations): list_reservations,
        ("POST", reservations): create_reservation,
        ("GET", reservation): read_reservation,
        ("POST", f"{reservation}/approve"): approve,
        ("POST", f"{reservation}/reject"): reject,
        ("POST", f"{reservation}/cancel"): cancel,
        ("GET", catalogues): list_catalogues,
        ("POST", catalogues): publish,
        ("GET", f"{catalogues}/{{catalogue_id:uuid}}"): read_catalogue,
    }
