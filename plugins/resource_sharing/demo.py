"""Demo records for the Runzhou district, after the seed: 237 venues open to the whole area, more
than 30% of them offered by resident units and two-new organisations (驻区单位、两新组织), with a few
service, equipment and information resources besides, a published district catalogue, and
reservations: completed ones over the last 30 days, approved and requested ones ahead.

Deterministic for a given tree (seeded); dated relative to now so that "the last 30 days" holds
records. Written directly (the rules hold by construction: aligned slots inside opening hours, one
slot row per booked slot, no two reservations on one slot).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import DISTRICT_TIMEZONE, OrgNode, add_node, utcnow
from plugins.resource_sharing import services
from plugins.resource_sharing.models import (
    SharedResource,
    SharedResourceCatalogue,
    SharedResourceCatalogueItem,
    SharedResourceHours,
    SharedResourceReservation,
    SharedResourceSlot,
)

VENUES = 237
# 80 of 237 = 33.8%: "30%+ provided by units and two-new organisations".
LINKED_VENUES = 80
CENTRE = (119.41, 32.19)
COMMUNITY_ROOMS = (
    "党群服务中心",
    "党员活动室",
    "多功能会议室",
    "道德讲堂",
    "图书阅览室",
    "文体活动室",
    "老年日间照料室",
)
UNIT_ROOMS = ("会议室", "职工之家", "报告厅", "篮球场", "党建活动室", "培训教室")
OTHER_RESOURCES = (
    ("service", "法律咨询志愿服务", 0),
    ("service", "义诊健康服务", 0),
    ("equipment", "投影及音响设备", 0),
    ("equipment", "流动党课宣讲车", 0),
    ("information", "辖区企业用工信息", 0),
    ("information", "社区志愿者名册", 0),
)
WEEKDAY_HOURS = [(d, 8 * 60 + 30, 17 * 60 + 30) for d in range(1, 6)] + [(6, 9 * 60, 12 * 60)]
UNIT_HOURS = [(d, 18 * 60, 21 * 60) for d in range(1, 6)] + [(d, 9 * 60, 17 * 60) for d in (6, 7)]
PURPOSES = (
    "主题党日活动",
    "党课学习",
    "志愿服务培训",
    "居民议事会",
    "共建单位联席会",
    "青少年公益课堂",
    "老年大学课程",
)

_app_user = sa.table("app_user", sa.column("tenant_id", sa.Uuid()), sa.column("id", sa.Uuid()))


def _place(node: OrgNode, rng: random.Random) -> tuple[float, float]:
    attrs = node.attrs or {}
    lon, lat = attrs.get("longitude"), attrs.get("latitude")
    if isinstance(lon, (int, float)) and isinstance(lat, (int, float)):
        return round(float(lon) + rng.uniform(-0.002, 0.002), 6), round(
            float(lat) + rng.uniform(-0.002, 0.002), 6
        )
    return round(CENTRE[0] + rng.uniform(-0.06, 0.06), 6), round(CENTRE[1] + rng.uniform(-0.04, 0.04), 6)


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records into the session's district; returns how many rows of each kind."""
    rng = random.Random(20181)
    tenant_id = session.info["tenant_id"]
    nodes = list(
        await session.scalars(select(OrgNode).where(OrgNode.archived_at.is_(None)).order_by(OrgNode.path))
    )
    hosts = [n for n in nodes if n.kind in ("community", "village", "street")]
    linked = [n for n in nodes if n.kind in services.LINKED_PROVIDER_KINDS]
    root = next(n for n in nodes if n.depth == 0)
    if not hosts:
        hosts = [root]
    if not linked:
        # A tree without resident units: give the first communities one each, as the seed's units are.
        for index, host in enumerate(hosts[:10]):
            parent = host if host.kind in ("community", "village", "street") else root
            linked.append(await add_node(session, parent, "unit", f"驻区共建单位{index + 1}"))
    rng.shuffle(linked)

    resources: list[tuple[SharedResource, list[tuple[int, int, int]]]] = []
    for index in range(VENUES):
        if index < LINKED_VENUES:
            provider = linked[index % len(linked)]
            name = f"{UNIT_ROOMS[(index // len(linked)) % len(UNIT_ROOMS)]}"
            hours = UNIT_HOURS
        else:
            provider = hosts[(index - LINKED_VENUES) % len(hosts)]
            name = f"{COMMUNITY_ROOMS[((index - LINKED_VENUES) // len(hosts)) % len(COMMUNITY_ROOMS)]}"
            hours = WEEKDAY_HOURS
        round_no = index // (len(linked) if index < LINKED_VENUES else len(hosts))
        if round_no >= len(UNIT_ROOMS if index < LINKED_VENUES else COMMUNITY_ROOMS):
            name = f"{name}{round_no + 1}"
        lon, lat = _place(provider, rng)
        resources.append(
            (
                SharedResource(
                    org_node_id=provider.id,
                    kind="venue" if name.startswith(("党群服务中心", "报告厅", "篮球场")) else "room",
                    name=name,
                    capacity=rng.choice((20, 30, 40, 60, 80, 120)),
                    address=f"{provider.name}内",
                    longitude=lon,
                    latitude=lat,
                    visibility="district",
                    status="open",
                    slot_minutes=30,
                ),
                hours,
            )
        )
    for index, (kind, name, _n) in enumerate(OTHER_RESOURCES):
        provider = (linked if index % 2 else hosts)[index % len(linked if index % 2 else hosts)]
        resources.append(
            (
                SharedResource(
                    org_node_id=provider.id,
                    kind=kind,
                    name=name,
                    visibility="district",
                    status="open",
                    slot_minutes=60,
                ),
                [(d, 9 * 60, 17 * 60) for d in range(1, 6)],
            )
        )
    session.add_all(r for r, _h in resources)
    await session.flush()
    session.add_all(
        SharedResourceHours(resource_id=r.id, weekday=d, opens_minute=o, closes_minute=c)
        for r, hours in resources
        for d, o, c in hours
    )
    await session.flush()

    requester = await session.scalar(
        select(_app_user.c.id).where(_app_user.c.tenant_id == tenant_id).order_by(_app_user.c.id).limit(1)
    )
    reservations = slots = 0
    if requester is not None:
        reservations, slots = await _reservations(session, rng, resources, hosts, requester)
    catalogue = await _catalogue(session, root, resources, requester) if requester is not None else 0
    return {
        "resources": len(resources),
        "venues": VENUES,
        "linked_venues": LINKED_VENUES,
        "reservations": reservations,
        "slots": slots,
        "catalogues": catalogue,
    }


async def _reservations(
    session: AsyncSession,
    rng: random.Random,
    resources: list[tuple[SharedResource, list[tuple[int, int, int]]]],
    hosts: list[OrgNode],
    requester: uuid.UUID,
) -> tuple[int, int]:
    now = utcnow()
    today = now.astimezone(DISTRICT_TIMEZONE).date()
    venues = [(r, h) for r, h in resources if r.kind in services.VENUE_KINDS]
    made = slot_rows = 0
    taken: set[tuple[uuid.UUID, dt.datetime]] = set()
    for n in range(160):
        resource, hours = rng.choice(venues)
        offset = rng.randint(-29, 14)
        day = today + dt.timedelta(days=offset)
        todays = [h for h in hours if h[0] == day.isoweekday()]
        if not todays:
            continue
        _weekday, opens, closes = todays[0]
        length = rng.choice((2, 3, 4))
        if closes - opens < length * 30:
            continue
        start_minute = opens + 30 * rng.randint(0, (closes - opens) // 30 - length)
        starts = dt.datetime.combine(day, dt.time(), DISTRICT_TIMEZONE) + dt.timedelta(minutes=start_minute)
        starts = starts.astimezone(dt.UTC)
        ends = starts + dt.timedelta(minutes=30 * length)
        wanted = [starts + dt.timedelta(minutes=30 * i) for i in range(length)]
        if any((resource.id, s) in taken for s in wanted):
            continue
        if ends <= now:
            status = "completed"
        elif starts <= now:
            continue
        else:
            status = "approved" if n % 3 else "requested"
        organisation = rng.choice(hosts)
        reservation = SharedResourceReservation(
            resource_id=resource.id,
            org_node_id=organisation.id,
            requester_id=requester,
            starts_at=starts,
            ends_at=ends,
            slot_count=length,
            purpose=rng.choice(PURPOSES),
            attendees=min(resource.capacity or 20, rng.randint(8, 40)),
            status=status,
            decided_by=requester if status != "requested" else None,
            decided_at=starts - dt.timedelta(days=2) if status != "requested" else None,
            completed_at=ends if status == "completed" else None,
        )
        session.add(reservation)
        await session.flush()
        session.add_all(
            SharedResourceSlot(resource_id=resource.id, reservation_id=reservation.id, slot_start=s)
            for s in wanted
        )
        taken.update((resource.id, s) for s in wanted)
        made += 1
        slot_rows += length
    await session.flush()
    return made, slot_rows


async def _catalogue(
    session: AsyncSession,
    root: OrgNode,
    resources: list[tuple[SharedResource, list[tuple[int, int, int]]]],
    requester: uuid.UUID | None,
) -> int:
    assert requester is not None
    providers = {
        n.id: n
        for n in await session.scalars(
            select(OrgNode).where(OrgNode.id.in_({r.org_node_id for r, _h in resources}))
        )
    }
    catalogue = SharedResourceCatalogue(
        org_node_id=root.id,
        version=1,
        title=f"{root.name}区域载体资源清单（第1版）",
        published_at=utcnow(),
        published_by=requester,
        resource_count=len(resources),
    )
    session.add(catalogue)
    await session.flush()
    session.add_all(
        SharedResourceCatalogueItem(
            catalogue_id=catalogue.id,
            resource_id=r.id,
            position=position,
            kind=r.kind,
            name=r.name,
            provider_name=providers[r.org_node_id].name,
            provider_kind=providers[r.org_node_id].kind,
            capacity=r.capacity,
            address=r.address,
            visibility=r.visibility,
            hours=services.hours_text(
                [
                    SharedResourceHours(resource_id=r.id, weekday=d, opens_minute=o, closes_minute=c)
                    for d, o, c in hours
                ]
            ),
        )
        for position, (r, hours) in enumerate(resources, start=1)
    )
    await session.flush()
    return 1
