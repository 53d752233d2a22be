"""The rules of shared resources (区域载体联享): routes parse and authorise, services decide and write.

Who sees a resource follows its visibility. ``own``: its provider organisation and whoever's scope
covers the provider; ``subtree``: also every organisation under the provider; ``district``: everyone
in the district. An organisation may reserve what it sees (``own``: the provider itself only). The
provider's side (``resource_sharing.provide`` over the provider) manages the resource and approves
its reservations.

Never double-booked: a reservation inserts one ``shared_resource_slot`` row per slot it holds, in
its own transaction; the unique key ``(tenant_id, resource_id, slot_start)`` refuses a second
holder, on SQLite and PostgreSQL alike, whatever the timing. Nothing here checks for a free slot
before inserting: the insert is the check. Rejected and cancelled reservations delete their rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
    DISTRICT_TIMEZONE,
    Conflict,
    FieldProblem,
    Figure,
    Forbidden,
    MapFeature,
    NotificationTemplate,
    OrgNode,
    PageParams,
    Principal,
    _,
    audit,
    audit_diff,
    current_locale,
    district_today,
    in_subtree,
    invalid_field,
    node_in_scope,
    not_found,
    notify,
    paginate,
    plugin_config,
    register_template,
    scope_predicate,
    utcnow,
)
from plugins.resource_sharing.models import (
    APPROVED,
    CANCELLED,
    COMPLETED,
    REJECTED,
    REQUESTED,
    SharedResource,
    SharedResourceCatalogue,
    SharedResourceCatalogueItem,
    SharedResourceHours,
    SharedResourceReservation,
    SharedResourceSlot,
)
from plugins.resource_sharing.schemas import (
    CatalogueDetailOut,
    CatalogueIn,
    CatalogueItemOut,
    CatalogueOut,
    DayOut,
    HoursIn,
    HoursOut,
    ReservationIn,
    ReservationOut,
    ResourceIn,
    ResourceOut,
    ResourceSharingConfig,
    ResourceUpdate,
    SlotOut,
    WeekOut,
)

SLUG = "resource_sharing"
READ = f"{SLUG}.read"
RESERVE = f"{SLUG}.reserve"
PROVIDE = f"{SLUG}.provide"

# Providers that count as "units and two-new organisations" (驻区单位、两新组织) in the figures.
LINKED_PROVIDER_KINDS = ("unit", "enterprise", "social_org")
VENUE_KINDS = ("venue", "room")
WEEKDAYS_ZH = "一二三四五六日"
UTILISATION_DAYS = 30

for _template in (
    NotificationTemplate(
        f"{SLUG}.requested",
        title={
            "zh_CN": "新的载体预约申请：{org} 预约 {resource}（{when}）",
            "en": "New reservation request: {org} asks for {resource} ({when})",
        },
        body={"zh_CN": "用途：{purpose}", "en": "Purpose: {purpose}"},
    ),
    NotificationTemplate(
        f"{SLUG}.approved",
        title={
            "zh_CN": "预约已通过：{resource}（{when}）",
            "en": "Reservation approved: {resource} ({when})",
        },
        body={"zh_CN": "{note}", "en": "{note}"},
    ),
    NotificationTemplate(
        f"{SLUG}.rejected",
        title={
            "zh_CN": "预约未通过：{resource}（{when}）",
            "en": "Reservation rejected: {resource} ({when})",
        },
        body={"zh_CN": "原因：{note}", "en": "Reason: {note}"},
    ),
    NotificationTemplate(
        f"{SLUG}.reminder",
        title={
            "zh_CN": "预约提醒：{resource}，{when}，{address}",
            "en": "Reservation reminder: {resource}, {when}, {address}",
        },
    ),
):
    register_template(_template)


async def config_of(session: AsyncSession) -> ResourceSharingConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, ResourceSharingConfig)
    return config


def _clean(text: str) -> str:
    return " ".join(text.split())


def _required(field: str, text: str) -> str:
    cleaned = _clean(text)
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


def _optional(text: str | None) -> str | None:
    if text is None:
        return None
    return text.strip() or None


# --- time: slots on the district's clock ---------------------------------------------------------


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` on the district's clock (a naive time is taken to be on it already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=DISTRICT_TIMEZONE)
    return moment.astimezone(DISTRICT_TIMEZONE)


def as_utc(moment: dt.datetime) -> dt.datetime:
    return local(moment).astimezone(dt.UTC)


def stored(moment: dt.datetime) -> dt.datetime:
    """A time read back from the database, in UTC (the columns hold UTC)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def minute_of(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def when_text(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    start, end = local(stored(starts_at)), local(stored(ends_at))
    end_text = end.strftime("%H:%M") if end.date() == start.date() or end.time() != dt.time() else "24:00"
    return f"{start.strftime('%Y-%m-%d %H:%M')}–{end_text}"


def slot_starts(starts_at: dt.datetime, ends_at: dt.datetime, slot_minutes: int) -> list[dt.datetime]:
    """The slot starts (UTC) covering ``[starts_at, ends_at)``."""
    step = dt.timedelta(minutes=slot_minutes)
    found: list[dt.datetime] = []
    moment = as_utc(starts_at)
    end = as_utc(ends_at)
    while moment < end:
        found.append(moment)
        moment += step
    return found


def aligned(moment: dt.datetime, slot_minutes: int) -> bool:
    at = local(moment)
    return at.second == 0 and at.microsecond == 0 and (at.hour * 60 + at.minute) % slot_minutes == 0


def within_hours(slot_start: dt.datetime, slot_minutes: int, hours: Sequence[SharedResourceHours]) -> bool:
    at = local(slot_start)
    minute = at.hour * 60 + at.minute
    return any(
        h.weekday == at.isoweekday() and h.opens_minute <= minute and minute + slot_minutes <= h.closes_minute
        for h in hours
    )


def hours_text(hours: Sequence[SharedResourceHours]) -> str:
    """``周一 08:30-17:30；周二 …`` for a published catalogue."""
    parts = [
        f"周{WEEKDAYS_ZH[h.weekday - 1]} {clock(h.opens_minute)}-{clock(h.closes_minute)}"
        for h in sorted(hours, key=lambda h: (h.weekday, h.opens_minute))
    ]
    return "；".join(parts)[:300]


# --- visibility and scope ------------------------------------------------------------------------


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: n + 1]) for n in range(len(parts))]


def home_ancestors(principal: Principal, permission: str) -> list[str]:
    """Paths of the caller's grant nodes for ``permission`` and of every node above them."""
    found: set[str] = set()
    for grant in principal.grants:
        if permission in grant.permissions:
            found.update(_prefixes(grant.path))
    return sorted(found)


def visible_predicate(
    principal: Principal, permission: str, provider_path: Any, visibility: Any
) -> ColumnElement[bool]:
    """SQL: the caller sees a resource of this provider and visibility for ``permission``."""
    above = home_ancestors(principal, permission)
    clauses: list[ColumnElement[bool]] = [
        visibility == "district",
        scope_predicate(principal, permission, provider_path),
    ]
    if above:
        clauses.append(and_(visibility == "subtree", provider_path.in_(above)))
    return or_(*clauses)


def can_see(principal: Principal, permission: str, provider: OrgNode, visibility: str) -> bool:
    if visibility == "district" or principal.can_at(permission, provider.path):
        return True
    return visibility == "subtree" and provider.path in home_ancestors(principal, permission)


def may_reserve_for(organisation: OrgNode, provider: OrgNode, visibility: str) -> bool:
    """Whether ``organisation`` may reserve a resource of ``provider`` with ``visibility``."""
    if visibility == "district":
        return True
    if visibility == "subtree":
        return organisation.path.startswith(provider.path)
    return organisation.id == provider.id


async def _nodes(session: AsyncSession, node_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(node_ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


async def _node(session: AsyncSession, tenant_id: uuid.UUID, node_id: uuid.UUID) -> OrgNode:
    node = await session.get(OrgNode, (tenant_id, node_id))
    assert node is not None  # a foreign key
    return node


def _visible_resources(principal: Principal, permission: str = READ) -> Select[tuple[SharedResource]]:
    provider = aliased(OrgNode, name="provider")
    return (
        select(SharedResource)
        .join(
            provider,
            (provider.tenant_id == SharedResource.tenant_id) & (provider.id == SharedResource.org_node_id),
        )
        .where(visible_predicate(principal, permission, provider.path, SharedResource.visibility))
    )


async def visible_resource(
    session: AsyncSession, principal: Principal, resource_id: uuid.UUID, permission: str = READ
) -> SharedResource:
    """The resource if the caller sees it; 404 otherwise (absent or not visible alike)."""
    found = (
        await session.scalars(
            _visible_resources(principal, permission).where(SharedResource.id == resource_id)
        )
    ).first()
    if found is None:
        raise not_found()
    return found


async def provided_resource(
    session: AsyncSession, principal: Principal, resource_id: uuid.UUID
) -> tuple[SharedResource, OrgNode]:
    """The resource and its provider if the caller provides there (``provide`` over the provider); 404
    for a resource the caller cannot see; 403 for one the caller sees but does not provide."""
    resource = await visible_resource(session, principal, resource_id, READ)
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    if not principal.can_at(PROVIDE, provider.path):
        raise _not_provider(provider)
    return resource, provider


def _not_provider(provider: OrgNode) -> Forbidden:
    return Forbidden(
        _("Only the provider {provider} (or those over it) may do this."),
        code="not_provider",
        provider=provider.name,
    )


# --- resources -----------------------------------------------------------------------------------


async def _hours(
    session: AsyncSession, resource_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[SharedResourceHours]]:
    wanted = set(resource_ids)
    found: dict[uuid.UUID, list[SharedResourceHours]] = {r: [] for r in wanted}
    if wanted:
        rows = await session.scalars(
            select(SharedResourceHours)
            .where(SharedResourceHours.resource_id.in_(wanted))
            .order_by(SharedResourceHours.weekday, SharedResourceHours.opens_minute)
        )
        for row in rows:
            found[row.resource_id].append(row)
    return found


async def resource_outs(
    session: AsyncSession, principal: Principal, resources: Sequence[SharedResource]
) -> list[ResourceOut]:
    providers = await _nodes(session, (r.org_node_id for r in resources))
    hours = await _hours(session, (r.id for r in resources))
    return [
        ResourceOut(
            id=r.id,
            provider_id=r.org_node_id,
            provider_name=providers[r.org_node_id].name,
            provider_kind=providers[r.org_node_id].kind,
            kind=r.kind,
            name=r.name,
            description=r.description,
            capacity=r.capacity,
            address=r.address,
            longitude=r.longitude,
            latitude=r.latitude,
            visibility=r.visibility,
            status=r.status,
            slot_minutes=r.slot_minutes,
            opening_hours=[
                HoursOut(weekday=h.weekday, opens=clock(h.opens_minute), closes=clock(h.closes_minute))
                for h in hours[r.id]
            ],
            can_manage=principal.can_at(PROVIDE, providers[r.org_node_id].path),
            created_at=r.created_at,
        )
        for r in resources
    ]


def _checked_hours(items: Sequence[HoursIn], slot_minutes: int) -> list[tuple[int, int, int]]:
    """Opening intervals as ``(weekday, opens, closes)`` minutes: in order, not overlapping, on slot
    boundaries."""
    rows: list[tuple[int, int, int]] = []
    for index, item in enumerate(items):
        opens, closes = minute_of(item.opens), minute_of(item.closes)
        field = f"opening_hours[{index}]"
        if closes <= opens:
            raise invalid_field(
                f"{field}.closes",
                _("The closing time must be after the opening time {opens}."),
                code="before_opening",
                opens=item.opens,
            )
        if opens % slot_minutes or closes % slot_minutes:
            raise invalid_field(
                field,
                _("Opening hours must start and end on the slot length of {minutes} minutes."),
                code="not_aligned",
                minutes=slot_minutes,
            )
        rows.append((item.weekday, opens, closes))
    rows.sort()
    for (day_a, _opens_a, closes_a), (day_b, opens_b, _closes_b) in itertools.pairwise(rows):
        if day_a == day_b and opens_b < closes_a:
            raise invalid_field(
                "opening_hours",
                _("Two opening intervals on weekday {weekday} overlap."),
                code="overlap",
                weekday=day_a,
            )
    return rows


def _check_place(longitude: float | None, latitude: float | None) -> None:
    if (longitude is None) != (latitude is None):
        raise invalid_field(
            "latitude" if latitude is None else "longitude",
            _("Give both longitude and latitude, or neither."),
            code="half_a_place",
        )


def _snapshot(
    resource: SharedResource, hours: Sequence[tuple[int, int, int]] | None = None
) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "provider_id": resource.org_node_id,
        "kind": resource.kind,
        "name": resource.name,
        "capacity": resource.capacity,
        "address": resource.address,
        "longitude": resource.longitude,
        "latitude": resource.latitude,
        "visibility": resource.visibility,
        "status": resource.status,
        "slot_minutes": resource.slot_minutes,
    }
    if hours is not None:
        shown["opening_hours"] = [f"{d}:{clock(o)}-{clock(c)}" for d, o, c in hours]
    return shown


async def _check_name(
    session: AsyncSession, provider_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> None:
    stmt = select(SharedResource.id).where(
        SharedResource.org_node_id == provider_id, SharedResource.name == name
    )
    if exclude is not None:
        stmt = stmt.where(SharedResource.id != exclude)
    if (await session.scalars(stmt)).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "name",
                    "duplicate",
                    _("The provider already offers a resource named {name}."),
                    {"name": name},
                )
            ],
        )


async def create_resource(session: AsyncSession, principal: Principal, data: ResourceIn) -> SharedResource:
    """Offer a resource of the provider ``data.provider_id`` (which the caller provides for)."""
    provider = await node_in_scope(session, principal, data.provider_id, PROVIDE)
    if provider.archived_at is not None:
        raise invalid_field("provider_id", _("The organisation is archived."), code="archived")
    config = await config_of(session)
    slot_minutes = data.slot_minutes or config.slot_minutes
    if 1440 % slot_minutes:
        raise invalid_field(
            "slot_minutes",
            _("The slot length must divide a day (e.g. 15, 30, 60 minutes)."),
            code="not_a_divisor",
        )
    _check_place(data.longitude, data.latitude)
    hours = _checked_hours(data.opening_hours, slot_minutes)
    name = _required("name", data.name)
    await _check_name(session, provider.id, name, None)
    resource = SharedResource(
        org_node_id=provider.id,
        kind=data.kind,
        name=name,
        description=_optional(data.description),
        capacity=data.capacity,
        address=_optional(data.address),
        longitude=data.longitude,
        latitude=data.latitude,
        visibility=data.visibility,
        status="open",
        slot_minutes=slot_minutes,
    )
    session.add(resource)
    await session.flush()
    session.add_all(
        SharedResourceHours(resource_id=resource.id, weekday=d, opens_minute=o, closes_minute=c)
        for d, o, c in hours
    )
    await session.flush()
    await audit(
        session,
        f"{SLUG}.resource_create",
        object_type="shared_resource",
        object_id=resource.id,
        org_node_id=provider.id,
        changes=audit_diff({}, _snapshot(resource, hours)),
    )
    return resource


async def update_resource(
    session: AsyncSession, principal: Principal, resource_id: uuid.UUID, data: ResourceUpdate
) -> SharedResource:
    resource, provider = await provided_resource(session, principal, resource_id)
    old_hours = [
        (h.weekday, h.opens_minute, h.closes_minute)
        for h in (await _hours(session, [resource.id]))[resource.id]
    ]
    before = _snapshot(resource, old_hours)
    if data.name is not msgspec.UNSET:
        name = _required("name", data.name)
        if name != resource.name:
            await _check_name(session, provider.id, name, resource.id)
        resource.name = name
    if data.description is not msgspec.UNSET:
        resource.description = _optional(data.description)
    if data.capacity is not msgspec.UNSET:
        resource.capacity = data.capacity
    if data.address is not msgspec.UNSET:
        resource.address = _optional(data.address)
    longitude = resource.longitude if data.longitude is msgspec.UNSET else data.longitude
    latitude = resource.latitude if data.latitude is msgspec.UNSET else data.latitude
    _check_place(longitude, latitude)
    resource.longitude, resource.latitude = longitude, latitude
    if data.visibility is not msgspec.UNSET:
        resource.visibility = data.visibility
    if data.status is not msgspec.UNSET:
        resource.status = data.status
    new_hours = old_hours
    if data.opening_hours is not msgspec.UNSET:
        # Reservations already made keep their slots: hours govern new requests only.
        new_hours = _checked_hours(data.opening_hours, resource.slot_minutes)
        await session.execute(
            delete(SharedResourceHours).where(SharedResourceHours.resource_id == resource.id)
        )
        session.add_all(
            SharedResourceHours(resource_id=resource.id, weekday=d, opens_minute=o, closes_minute=c)
            for d, o, c in new_hours
        )
    await session.flush()
    await audit(
        session,
        f"{SLUG}.resource_update",
        object_type="shared_resource",
        object_id=resource.id,
        org_node_id=provider.id,
        changes=audit_diff(before, _snapshot(resource, new_hours)),
    )
    return resource


async def resources_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    kind: str | None = None,
    status: str | None = None,
    node_id: uuid.UUID | None = None,
    provided: bool = False,
    q: str | None = None,
) -> tuple[list[SharedResource], int]:
    """The catalogue as the caller sees it; ``node_id`` keeps providers in that subtree, ``provided``
    the resources the caller manages."""
    provider = aliased(OrgNode, name="provider")
    stmt = (
        select(SharedResource)
        .join(
            provider,
            (provider.tenant_id == SharedResource.tenant_id) & (provider.id == SharedResource.org_node_id),
        )
        .where(visible_predicate(principal, READ, provider.path, SharedResource.visibility))
    )
    if kind is not None:
        stmt = stmt.where(SharedResource.kind == kind)
    if status is not None:
        stmt = stmt.where(SharedResource.status == status)
    if provided:
        stmt = stmt.where(scope_predicate(principal, PROVIDE, provider.path))
    if q:
        stmt = stmt.where(SharedResource.name.contains(q.strip(), autoescape=True))
    if node_id is not None:
        node = await session.get(OrgNode, (principal.tenant_id, node_id))
        if node is None or not (
            principal.can_at(READ, node.path) or node.path in home_ancestors(principal, READ)
        ):
            raise not_found()
        stmt = stmt.where(in_subtree(provider.path, node.path))
    return await paginate(session, stmt.order_by(provider.path, SharedResource.name, SharedResource.id), page)


async def week(
    session: AsyncSession,
    principal: Principal,
    resource_id: uuid.UUID,
    first_day: dt.date | None,
    days: int = 7,
) -> WeekOut:
    """A week of the resource's slots within its opening hours: free or held, and by which reservation
    when the caller may see it (the provider's side, or the caller's own)."""
    resource = await visible_resource(session, principal, resource_id)
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    hours = (await _hours(session, [resource.id]))[resource.id]
    start_day = first_day or district_today()
    window_start = dt.datetime.combine(start_day, dt.time(), DISTRICT_TIMEZONE).astimezone(dt.UTC)
    window_end = window_start + dt.timedelta(days=days)
    held = {
        slot_start: (reservation_id, requester_id)
        for slot_start, reservation_id, requester_id in (
            await session.execute(
                select(
                    SharedResourceSlot.slot_start,
                    SharedResourceSlot.reservation_id,
                    SharedResourceReservation.requester_id,
                )
                .join(
                    SharedResourceReservation,
                    (SharedResourceReservation.tenant_id == SharedResourceSlot.tenant_id)
                    & (SharedResourceReservation.id == SharedResourceSlot.reservation_id),
                )
                .where(
                    SharedResourceSlot.resource_id == resource.id,
                    SharedResourceSlot.slot_start >= window_start,
                    SharedResourceSlot.slot_start < window_end,
                )
            )
        ).tuples()
    }
    held = {stored(k): v for k, v in held.items()}
    provider_side = principal.can_at(PROVIDE, provider.path)
    step = dt.timedelta(minutes=resource.slot_minutes)
    out: list[DayOut] = []
    for offset in range(days):
        day = start_day + dt.timedelta(days=offset)
        slots: list[SlotOut] = []
        for h in (h for h in hours if h.weekday == day.isoweekday()):
            moment = dt.datetime.combine(day, dt.time(), DISTRICT_TIMEZONE) + dt.timedelta(
                minutes=h.opens_minute
            )
            close = dt.datetime.combine(day, dt.time(), DISTRICT_TIMEZONE) + dt.timedelta(
                minutes=h.closes_minute
            )
            while moment + step <= close:
                utc = moment.astimezone(dt.UTC)
                holder = held.get(utc)
                shown = holder is not None and (provider_side or holder[1] == principal.user_id)
                slots.append(
                    SlotOut(
                        starts_at=utc,
                        ends_at=(moment + step).astimezone(dt.UTC),
                        free=holder is None,
                        reservation_id=holder[0] if shown and holder is not None else None,
                    )
                )
                moment += step
        out.append(DayOut(day=day, weekday=day.isoweekday(), slots=slots))
    return WeekOut(resource_id=resource.id, slot_minutes=resource.slot_minutes, days=out)


# --- reservations --------------------------------------------------------------------------------


def _reservations_in_reach(principal: Principal) -> Select[tuple[SharedResourceReservation]]:
    """Reservations the caller may read: their own, their organisations' (``read`` over the requesting
    organisation) and their resources' (``provide`` over the provider)."""
    organisation = aliased(OrgNode, name="requesting_org")
    provider = aliased(OrgNode, name="provider")
    return (
        select(SharedResourceReservation)
        .join(
            SharedResource,
            (SharedResource.tenant_id == SharedResourceReservation.tenant_id)
            & (SharedResource.id == SharedResourceReservation.resource_id),
        )
        .join(
            provider,
            (provider.tenant_id == SharedResource.tenant_id) & (provider.id == SharedResource.org_node_id),
        )
        .join(
            organisation,
            (organisation.tenant_id == SharedResourceReservation.tenant_id)
            & (organisation.id == SharedResourceReservation.org_node_id),
        )
        .where(
            or_(
                SharedResourceReservation.requester_id == principal.user_id,
                scope_predicate(principal, READ, organisation.path),
                scope_predicate(principal, PROVIDE, provider.path),
            )
        )
    )


async def reservation_in_reach(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID
) -> SharedResourceReservation:
    found = (
        await session.scalars(
            _reservations_in_reach(principal).where(SharedResourceReservation.id == reservation_id)
        )
    ).first()
    if found is None:
        raise not_found()
    return found


async def reservation_outs(
    session: AsyncSession, reservations: Sequence[SharedResourceReservation]
) -> list[ReservationOut]:
    if not reservations:
        return []
    resources = {
        r.id: r
        for r in await session.scalars(
            select(SharedResource).where(SharedResource.id.in_({x.resource_id for x in reservations}))
        )
    }
    nodes = await _nodes(
        session, [x.org_node_id for x in reservations] + [r.org_node_id for r in resources.values()]
    )
    out = []
    for x in reservations:
        resource = resources[x.resource_id]
        out.append(
            ReservationOut(
                id=x.id,
                resource_id=x.resource_id,
                resource_name=resource.name,
                provider_id=resource.org_node_id,
                provider_name=nodes[resource.org_node_id].name,
                org_node_id=x.org_node_id,
                org_name=nodes[x.org_node_id].name,
                requester_id=x.requester_id,
                starts_at=x.starts_at,
                ends_at=x.ends_at,
                slot_count=x.slot_count,
                purpose=x.purpose,
                attendees=x.attendees,
                status=x.status,
                auto_approved=x.auto_approved,
                decided_by=x.decided_by,
                decided_at=x.decided_at,
                decision_note=x.decision_note,
                created_at=x.created_at,
            )
        )
    return out


async def reservations_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: str | None = None,
    resource_id: uuid.UUID | None = None,
    mine: bool = False,
    inbox: bool = False,
) -> tuple[list[SharedResourceReservation], int]:
    """Reservations in reach; ``mine``: the caller's own requests; ``inbox``: requests waiting for the
    caller's approval (``provide`` over the provider)."""
    stmt = _reservations_in_reach(principal)
    if status is not None:
        stmt = stmt.where(SharedResourceReservation.status == status)
    if resource_id is not None:
        stmt = stmt.where(SharedResourceReservation.resource_id == resource_id)
    if mine:
        stmt = stmt.where(SharedResourceReservation.requester_id == principal.user_id)
    if inbox:
        provider = aliased(OrgNode, name="inbox_provider")
        stmt = stmt.where(
            SharedResourceReservation.status == REQUESTED,
            SharedResource.org_node_id.in_(
                select(provider.id).where(scope_predicate(principal, PROVIDE, provider.path))
            ),
        )
        order: tuple[Any, ...] = (SharedResourceReservation.starts_at, SharedResourceReservation.id)
    else:
        order = (SharedResourceReservation.starts_at.desc(), SharedResourceReservation.id)
    return await paginate(session, stmt.order_by(*order), page)


def _reservation_snapshot(x: SharedResourceReservation) -> dict[str, Any]:
    return {
        "resource_id": x.resource_id,
        "org_node_id": x.org_node_id,
        "starts_at": x.starts_at,
        "ends_at": x.ends_at,
        "slot_count": x.slot_count,
        "status": x.status,
    }


async def _by_key(session: AsyncSession, principal: Principal, key: str) -> SharedResourceReservation | None:
    return (
        await session.scalars(
            select(SharedResourceReservation).where(
                SharedResourceReservation.requester_id == principal.user_id,
                SharedResourceReservation.request_key == key,
            )
        )
    ).first()


def _replayed(
    existing: SharedResourceReservation, resource_id: uuid.UUID, starts_at: dt.datetime
) -> SharedResourceReservation:
    if existing.resource_id != resource_id or stored(existing.starts_at) != starts_at:
        raise Conflict(
            _("This Idempotency-Key was already used for another reservation."),
            code="idempotency_key_reused",
        )
    return existing


def _period_errors(
    resource: SharedResource,
    hours: Sequence[SharedResourceHours],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    config: ResourceSharingConfig,
    now: dt.datetime,
) -> list[dt.datetime]:
    """The slots of ``[starts_at, ends_at)``, or a 422 naming the field that is wrong."""
    if ends_at <= starts_at:
        raise invalid_field("ends_at", _("The end must be after the start."), code="before_start")
    minutes = resource.slot_minutes
    for field, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not aligned(moment, minutes):
            raise invalid_field(
                field,
                _("Reservations start and end on the resource's {minutes}-minute slots."),
                code="not_aligned",
                minutes=minutes,
            )
    if starts_at < now:
        raise invalid_field("starts_at", _("The start is in the past."), code="in_past")
    latest = now + dt.timedelta(days=config.max_advance_days)
    if starts_at > latest:
        raise invalid_field(
            "starts_at",
            _("Reservations open at most {days} days ahead."),
            code="too_far_ahead",
            days=config.max_advance_days,
        )
    slots = slot_starts(starts_at, ends_at, minutes)
    if len(slots) > config.max_slots_per_reservation:
        raise invalid_field(
            "ends_at",
            _("One reservation holds at most {max} slots of {minutes} minutes."),
            code="too_many_slots",
            max=config.max_slots_per_reservation,
            minutes=minutes,
        )
    for slot in slots:
        if not within_hours(slot, minutes, hours):
            raise invalid_field(
                "starts_at",
                _("The resource is not open at {when}; see its opening hours."),
                code="outside_opening_hours",
                when=local(slot).strftime("%Y-%m-%d %H:%M"),
            )
    return slots


async def request_reservation(
    session: AsyncSession, principal: Principal, data: ReservationIn, request_key: str | None = None
) -> tuple[SharedResourceReservation, bool]:
    """Request ``data``: the reservation and whether it was made now (``False``: a retry with the
    same ``request_key`` returned the first one). 409 when a slot is already held."""
    if request_key is not None:
        existing = await _by_key(session, principal, request_key)
        if existing is not None:
            return _replayed(existing, data.resource_id, as_utc(data.starts_at)), False
    resource = await visible_resource(session, principal, data.resource_id, READ)
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    organisation = await node_in_scope(session, principal, data.org_node_id, RESERVE)
    if not may_reserve_for(organisation, provider, resource.visibility):
        raise invalid_field(
            "org_node_id",
            _(
                "{org} may not reserve this resource: {provider} shares it only within its own organisation or subtree."
            ),
            code="not_shared_with",
            org=organisation.name,
            provider=provider.name,
        )
    if resource.status != "open":
        raise Conflict(
            _("The resource {name} is closed to reservations."), code="resource_closed", name=resource.name
        )
    config = await config_of(session)
    starts_at, ends_at = as_utc(data.starts_at), as_utc(data.ends_at)
    hours = (await _hours(session, [resource.id]))[resource.id]
    slots = _period_errors(resource, hours, starts_at, ends_at, config, utcnow())
    if data.attendees is not None and resource.capacity is not None and data.attendees > resource.capacity:
        raise invalid_field(
            "attendees",
            _("The resource holds at most {capacity} people."),
            code="over_capacity",
            capacity=resource.capacity,
        )
    auto = config.auto_approve_own_subtree and organisation.path.startswith(provider.path)
    now = utcnow()
    reservation = SharedResourceReservation(
        resource_id=resource.id,
        org_node_id=organisation.id,
        requester_id=principal.user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        slot_count=len(slots),
        purpose=_required("purpose", data.purpose),
        attendees=data.attendees,
        status=APPROVED if auto else REQUESTED,
        request_key=request_key,
        auto_approved=auto,
        decided_at=now if auto else None,
    )
    try:
        # One savepoint for the reservation and its slot rows: a unique violation undoes both. The slots
        # go in in time order, so two overlapping requests wait on each other in one order, never in a cycle.
        async with session.begin_nested():
            session.add(reservation)
            await session.flush()
            session.add_all(
                SharedResourceSlot(resource_id=resource.id, reservation_id=reservation.id, slot_start=slot)
                for slot in slots
            )
            await session.flush()
    except IntegrityError:
        if request_key is not None:
            existing = await _by_key(session, principal, request_key)
            if existing is not None:  # the same request, retried while the first was in flight
                return _replayed(existing, data.resource_id, starts_at), False
        raise await _slot_conflict(session, resource, slots) from None
    await audit(
        session,
        f"{SLUG}.reservation_request",
        object_type="shared_resource_reservation",
        object_id=reservation.id,
        org_node_id=organisation.id,
        changes=audit_diff({}, _reservation_snapshot(reservation)),
    )
    params = {
        "org": organisation.name,
        "resource": resource.name,
        "when": when_text(starts_at, ends_at),
        "purpose": reservation.purpose,
    }
    link = f"/t/{principal.tenant_slug}/console/m/{SLUG}/reservations/{reservation.id}"
    if auto:
        await notify(
            session,
            kind="reservation_approved",
            template=f"{SLUG}.approved",
            params={**params, "note": "已自动通过（本组织及下级组织申请）"},
            source=SLUG,
            users=[principal.user_id],
            org_node_id=organisation.id,
            link=link,
            dedupe_key=f"{SLUG}.approved:{reservation.id}",
        )
    else:
        await notify(
            session,
            kind="reservation_requested",
            template=f"{SLUG}.requested",
            params=params,
            source=SLUG,
            role="secretary",
            at_node=provider.id,
            org_node_id=provider.id,
            link=link,
            dedupe_key=f"{SLUG}.requested:{reservation.id}",
        )
    return reservation, True


async def _slot_conflict(
    session: AsyncSession, resource: SharedResource, slots: Sequence[dt.datetime]
) -> Conflict:
    taken = sorted(
        stored(s)
        for s in await session.scalars(
            select(SharedResourceSlot.slot_start).where(
                SharedResourceSlot.resource_id == resource.id, SharedResourceSlot.slot_start.in_(list(slots))
            )
        )
    )
    first = local(taken[0] if taken else slots[0]).strftime("%Y-%m-%d %H:%M")
    return Conflict(
        _("The resource is already booked at {when}; choose another time."),
        code="slot_taken",
        when=first,
        errors=[
            FieldProblem(
                "starts_at", "slot_taken", _("The slot at {when} is already booked."), {"when": first}
            )
        ],
    )


async def _free_slots(session: AsyncSession, reservation_id: uuid.UUID) -> None:
    await session.execute(
        delete(SharedResourceSlot).where(SharedResourceSlot.reservation_id == reservation_id)
    )


async def _move(
    session: AsyncSession,
    reservation: SharedResourceReservation,
    allowed_from: tuple[str, ...],
    target: str,
    values: dict[str, Any],
) -> bool:
    """Move the reservation to ``target`` if it is still in ``allowed_from`` (one guarded UPDATE, so two
    deciders at once cannot both win). False when another move got there first."""
    result = await session.execute(
        update(SharedResourceReservation)
        .where(
            SharedResourceReservation.id == reservation.id,
            SharedResourceReservation.status.in_(allowed_from),
        )
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(reservation)
    return bool(result.rowcount)  # type: ignore[attr-defined]


STATUS_LABELS = {
    "zh_CN": {
        "requested": "待审批",
        "approved": "已通过",
        "rejected": "未通过",
        "cancelled": "已取消",
        "completed": "已完成",
        "approve": "通过",
        "reject": "驳回",
        "cancel": "取消",
    },
}


def _wrong_status(reservation: SharedResourceReservation, action: str) -> Conflict:
    labels = STATUS_LABELS.get(str(current_locale()), {})
    return Conflict(
        _("A reservation that is {state} cannot be {action}ed."),
        code="wrong_status",
        state=labels.get(reservation.status, reservation.status),
        action=labels.get(action, action),
    )


async def decide(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID, approve: bool, note: str | None
) -> SharedResourceReservation:
    """The provider approves or rejects a requested reservation. Deciding again the same way returns
    it unchanged (a retried click); the other way is a 409."""
    reservation = await reservation_in_reach(session, principal, reservation_id)
    resource = await session.get(SharedResource, (reservation.tenant_id, reservation.resource_id))
    assert resource is not None
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    if not principal.can_at(PROVIDE, provider.path):
        raise _not_provider(provider)
    target = APPROVED if approve else REJECTED
    if reservation.status == target and reservation.decided_by == principal.user_id:
        return reservation
    if reservation.status != REQUESTED:
        raise _wrong_status(reservation, "approve" if approve else "reject")
    cleaned = _optional(note)
    if not approve and cleaned is None:
        raise invalid_field("note", _("Give the requester the reason for the rejection."), code="missing")
    if approve and stored(reservation.ends_at) <= utcnow():
        raise Conflict(_("The reservation's time has passed."), code="in_past")
    moved = await _move(
        session,
        reservation,
        (REQUESTED,),
        target,
        {"decided_by": principal.user_id, "decided_at": utcnow(), "decision_note": cleaned},
    )
    if not moved:
        raise _wrong_status(reservation, "approve" if approve else "reject")
    if not approve:
        await _free_slots(session, reservation.id)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.reservation_{'approve' if approve else 'reject'}",
        object_type="shared_resource_reservation",
        object_id=reservation.id,
        org_node_id=reservation.org_node_id,
        changes=audit_diff({"status": REQUESTED}, {"status": target, "decision_note": cleaned}),
    )
    await notify(
        session,
        kind=f"reservation_{target}",
        template=f"{SLUG}.{target}",
        params={
            "resource": resource.name,
            "when": when_text(reservation.starts_at, reservation.ends_at),
            "note": cleaned or "",
        },
        source=SLUG,
        users=[reservation.requester_id],
        org_node_id=reservation.org_node_id,
        link=f"/t/{principal.tenant_slug}/console/m/{SLUG}/reservations/{reservation.id}",
        dedupe_key=f"{SLUG}.{target}:{reservation.id}",
    )
    return reservation


async def cancel(
    session: AsyncSession, principal: Principal, reservation_id: uuid.UUID, note: str | None
) -> SharedResourceReservation:
    """The requester (or whoever reserves for its organisation, or the provider) cancels a reservation
    that has not ended; its slots are free again at once."""
    reservation = await reservation_in_reach(session, principal, reservation_id)
    resource = await session.get(SharedResource, (reservation.tenant_id, reservation.resource_id))
    assert resource is not None
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    organisation = await _node(session, reservation.tenant_id, reservation.org_node_id)
    if not (
        reservation.requester_id == principal.user_id
        or principal.can_at(RESERVE, organisation.path)
        or principal.can_at(PROVIDE, provider.path)
    ):
        raise Forbidden(
            _("Only the requester, its organisation or the provider may cancel a reservation."),
            code="not_allowed",
        )
    if reservation.status == CANCELLED:
        return reservation  # a retried cancellation
    if reservation.status not in (REQUESTED, APPROVED):
        raise _wrong_status(reservation, "cancel")
    if stored(reservation.ends_at) <= utcnow():
        raise Conflict(_("The reservation's time has passed."), code="in_past")
    before = reservation.status
    moved = await _move(
        session,
        reservation,
        (REQUESTED, APPROVED),
        CANCELLED,
        {"cancelled_at": utcnow(), "decision_note": _optional(note) or reservation.decision_note},
    )
    if not moved:
        raise _wrong_status(reservation, "cancel")
    await _free_slots(session, reservation.id)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.reservation_cancel",
        object_type="shared_resource_reservation",
        object_id=reservation.id,
        org_node_id=reservation.org_node_id,
        changes=audit_diff({"status": before}, {"status": CANCELLED}),
    )
    return reservation


# --- jobs ----------------------------------------------------------------------------------------


async def complete_past(session: AsyncSession, now: dt.datetime) -> dict[str, int]:
    """Approved reservations whose time has passed are completed (their slots stay: they were used);
    requests nobody decided before they ended lapse as cancelled and free their slots."""
    completed = await session.execute(
        update(SharedResourceReservation)
        .where(SharedResourceReservation.status == APPROVED, SharedResourceReservation.ends_at <= now)
        .values(status=COMPLETED, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    lapsed_ids = list(
        await session.scalars(
            select(SharedResourceReservation.id).where(
                SharedResourceReservation.status == REQUESTED, SharedResourceReservation.ends_at <= now
            )
        )
    )
    if lapsed_ids:
        await session.execute(
            update(SharedResourceReservation)
            .where(
                SharedResourceReservation.id.in_(lapsed_ids), SharedResourceReservation.status == REQUESTED
            )
            .values(
                status=CANCELLED,
                cancelled_at=now,
                updated_at=now,
                decision_note="未在预约时间前审批，自动失效",
            )
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(SharedResourceSlot).where(SharedResourceSlot.reservation_id.in_(lapsed_ids))
        )
    count = int(completed.rowcount or 0)  # type: ignore[attr-defined]
    if count or lapsed_ids:
        await audit(
            session,
            f"{SLUG}.reservations_close",
            object_type="shared_resource_reservation",
            changes={"completed": count, "lapsed": len(lapsed_ids)},
        )
    return {"completed": count, "lapsed": len(lapsed_ids)}


async def remind_upcoming(session: AsyncSession, now: dt.datetime, config: ResourceSharingConfig) -> int:
    """Remind each requester of an approved reservation starting within ``remind_hours_before``; once
    per reservation (the notification's dedupe key)."""
    rows = (
        await session.execute(
            select(SharedResourceReservation, SharedResource)
            .join(
                SharedResource,
                (SharedResource.tenant_id == SharedResourceReservation.tenant_id)
                & (SharedResource.id == SharedResourceReservation.resource_id),
            )
            .where(
                SharedResourceReservation.status == APPROVED,
                SharedResourceReservation.starts_at > now,
                SharedResourceReservation.starts_at <= now + dt.timedelta(hours=config.remind_hours_before),
            )
            .order_by(SharedResourceReservation.starts_at)
        )
    ).tuples()
    sent = 0
    for reservation, resource in rows:
        sent += await notify(
            session,
            kind="reservation_reminder",
            template=f"{SLUG}.reminder",
            params={
                "resource": resource.name,
                "when": when_text(reservation.starts_at, reservation.ends_at),
                "address": resource.address or "",
            },
            source=SLUG,
            users=[reservation.requester_id],
            org_node_id=reservation.org_node_id,
            link=f"/api/v1/m/{SLUG}/reservations/{reservation.id}",
            dedupe_key=f"{SLUG}.reminder:{reservation.id}",
        )
    return sent


# --- catalogues ----------------------------------------------------------------------------------


def _catalogues_in_reach(principal: Principal) -> Select[tuple[SharedResourceCatalogue]]:
    """Catalogues of organisations in the caller's scope or above the caller's organisations."""
    node = aliased(OrgNode, name="catalogue_org")
    above = home_ancestors(principal, READ)
    reach = [scope_predicate(principal, READ, node.path)]
    if above:
        reach.append(node.path.in_(above))
    return (
        select(SharedResourceCatalogue)
        .join(
            node,
            (node.tenant_id == SharedResourceCatalogue.tenant_id)
            & (node.id == SharedResourceCatalogue.org_node_id),
        )
        .where(or_(*reach))
    )


def catalogue_out(catalogue: SharedResourceCatalogue) -> CatalogueOut:
    return CatalogueOut(
        id=catalogue.id,
        org_node_id=catalogue.org_node_id,
        version=catalogue.version,
        title=catalogue.title,
        published_at=catalogue.published_at,
        published_by=catalogue.published_by,
        resource_count=catalogue.resource_count,
    )


async def catalogues_page(
    session: AsyncSession, principal: Principal, page: PageParams, node_id: uuid.UUID | None
) -> tuple[list[SharedResourceCatalogue], int]:
    stmt = _catalogues_in_reach(principal)
    if node_id is not None:
        stmt = stmt.where(SharedResourceCatalogue.org_node_id == node_id)
    return await paginate(
        session,
        stmt.order_by(SharedResourceCatalogue.published_at.desc(), SharedResourceCatalogue.id),
        page,
    )


async def catalogue_detail(
    session: AsyncSession, principal: Principal, catalogue_id: uuid.UUID
) -> CatalogueDetailOut:
    catalogue = (
        await session.scalars(
            _catalogues_in_reach(principal).where(SharedResourceCatalogue.id == catalogue_id)
        )
    ).first()
    if catalogue is None:
        raise not_found()
    items = await session.scalars(
        select(SharedResourceCatalogueItem)
        .where(SharedResourceCatalogueItem.catalogue_id == catalogue.id)
        .order_by(SharedResourceCatalogueItem.position)
    )
    return CatalogueDetailOut(
        **msgspec.structs.asdict(catalogue_out(catalogue)),
        items=[
            CatalogueItemOut(
                resource_id=i.resource_id,
                position=i.position,
                kind=i.kind,
                name=i.name,
                provider_name=i.provider_name,
                provider_kind=i.provider_kind,
                capacity=i.capacity,
                address=i.address,
                visibility=i.visibility,
                hours=i.hours,
            )
            for i in items
        ],
    )


async def publish_catalogue(
    session: AsyncSession, principal: Principal, data: CatalogueIn
) -> SharedResourceCatalogue:
    """Publish the next version of the catalogue of ``data.org_node_id``'s area: a snapshot of the open
    resources visible there (its own and its subtree's, those shared with the whole district, and
    those its ancestors share with their subtree)."""
    node = await node_in_scope(session, principal, data.org_node_id, PROVIDE)
    provider = aliased(OrgNode, name="provider")
    above = _prefixes(node.path)
    rows = list(
        (
            await session.execute(
                select(SharedResource, provider)
                .join(
                    provider,
                    (provider.tenant_id == SharedResource.tenant_id)
                    & (provider.id == SharedResource.org_node_id),
                )
                .where(
                    SharedResource.status == "open",
                    or_(
                        SharedResource.visibility == "district",
                        in_subtree(provider.path, node.path),
                        and_(SharedResource.visibility == "subtree", provider.path.in_(above)),
                    ),
                )
                .order_by(SharedResource.kind, provider.path, SharedResource.name)
            )
        ).tuples()
    )
    latest = await session.scalar(
        select(func.max(SharedResourceCatalogue.version)).where(
            SharedResourceCatalogue.org_node_id == node.id
        )
    )
    version = int(latest or 0) + 1
    title = (
        _clean(data.title)
        if data.title and data.title.strip()
        else f"{node.name}区域载体资源清单（第{version}版）"
    )
    catalogue = SharedResourceCatalogue(
        org_node_id=node.id,
        version=version,
        title=title,
        published_at=utcnow(),
        published_by=principal.user_id,
        resource_count=len(rows),
    )
    hours = await _hours(session, (r.id for r, _p in rows))
    try:
        async with session.begin_nested():
            session.add(catalogue)
            await session.flush()
            session.add_all(
                SharedResourceCatalogueItem(
                    catalogue_id=catalogue.id,
                    resource_id=resource.id,
                    position=position,
                    kind=resource.kind,
                    name=resource.name,
                    provider_name=owner.name,
                    provider_kind=owner.kind,
                    capacity=resource.capacity,
                    address=resource.address,
                    visibility=resource.visibility,
                    hours=hours_text(hours[resource.id]),
                )
                for position, (resource, owner) in enumerate(rows, start=1)
            )
            await session.flush()
    except IntegrityError:
        raise Conflict(
            _("Another catalogue of this organisation was published at the same moment; publish again."),
            code="published_concurrently",
        ) from None
    await audit(
        session,
        f"{SLUG}.catalogue_publish",
        object_type="shared_resource_catalogue",
        object_id=catalogue.id,
        org_node_id=node.id,
        changes={"version": version, "resource_count": len(rows)},
    )
    return catalogue


# --- dashboard figures and the red map -----------------------------------------------------------


def _rate(part: float, whole: float) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


async def figures(session: AsyncSession, node: OrgNode, now: dt.datetime) -> list[Figure]:
    """Open resources and venues of providers in the subtree, the share provided by units and two-new
    organisations, reservations and utilisation (booked slot-hours ÷ open hours) over the last 30 days.
    Three statements, whatever the size of the tree."""
    provider = aliased(OrgNode, name="provider")
    resources = list(
        (
            await session.execute(
                select(SharedResource.id, SharedResource.kind, SharedResource.slot_minutes, provider.kind)
                .join(
                    provider,
                    (provider.tenant_id == SharedResource.tenant_id)
                    & (provider.id == SharedResource.org_node_id),
                )
                .where(SharedResource.status == "open", in_subtree(provider.path, node.path))
            )
        ).tuples()
    )
    window_end = now
    window_start = now - dt.timedelta(days=UTILISATION_DAYS)
    booked = {
        resource_id: int(count)
        for resource_id, count in (
            await session.execute(
                select(SharedResourceSlot.resource_id, func.count())
                .join(
                    SharedResource,
                    (SharedResource.tenant_id == SharedResourceSlot.tenant_id)
                    & (SharedResource.id == SharedResourceSlot.resource_id),
                )
                .join(
                    provider,
                    (provider.tenant_id == SharedResource.tenant_id)
                    & (provider.id == SharedResource.org_node_id),
                )
                .where(
                    SharedResource.status == "open",
                    in_subtree(provider.path, node.path),
                    SharedResourceSlot.slot_start >= window_start,
                    SharedResourceSlot.slot_start < window_end,
                )
                .group_by(SharedResourceSlot.resource_id)
            )
        ).tuples()
    }
    # Open minutes per weekday over every open resource, summed in the database: loading each opening-hours
    # row as an entity was most of the whole district's dashboard time.
    open_per_weekday = (
        await session.execute(
            select(
                SharedResourceHours.weekday,
                func.sum(SharedResourceHours.closes_minute - SharedResourceHours.opens_minute),
            )
            .join(
                SharedResource,
                (SharedResource.tenant_id == SharedResourceHours.tenant_id)
                & (SharedResource.id == SharedResourceHours.resource_id),
            )
            .join(
                provider,
                (provider.tenant_id == SharedResource.tenant_id)
                & (provider.id == SharedResource.org_node_id),
            )
            .where(SharedResource.status == "open", in_subtree(provider.path, node.path))
            .group_by(SharedResourceHours.weekday)
        )
    ).tuples()
    # Open minutes over the window: each weekday's hours times the number of such days in it.
    first_day = local(window_start).date()
    day_counts: dict[int, int] = {}
    for offset in range(UTILISATION_DAYS):
        weekday = (first_day + dt.timedelta(days=offset)).isoweekday()
        day_counts[weekday] = day_counts.get(weekday, 0) + 1
    open_minutes = sum(
        int(minutes or 0) * day_counts.get(weekday, 0) for weekday, minutes in open_per_weekday
    )
    booked_minutes = sum(
        booked.get(resource_id, 0) * slot_minutes for resource_id, _k, slot_minutes, _p in resources
    )
    linked = sum(1 for r in resources if r[3] in LINKED_PROVIDER_KINDS)
    venues = sum(1 for r in resources if r[1] in VENUE_KINDS)
    return [
        Figure(
            key="open_resources",
            name_zh="开放共享载体",
            name_en="Open shared resources",
            value=len(resources),
            unit_zh="个",
        ),
        Figure(
            key="open_venues",
            name_zh="开放阵地场所",
            name_en="Open venues and rooms",
            value=venues,
            unit_zh="个",
        ),
        Figure(
            key="linked_provider_share",
            name_zh="驻区单位和两新组织提供占比",
            name_en="Provided by resident units and two-new organisations",
            value=_rate(linked, len(resources)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="booked_hours_30d",
            name_zh="近30天预约使用时长",
            name_en="Hours booked in the last 30 days",
            value=round(booked_minutes / 60, 1),
            unit_zh="小时",
            unit_en="h",
        ),
        Figure(
            key="utilisation_30d",
            name_zh="近30天载体利用率",
            name_en="Utilisation over the last 30 days",
            value=_rate(booked_minutes, open_minutes),
            unit_zh="%",
            unit_en="%",
        ),
    ]


async def map_features(session: AsyncSession, node: OrgNode) -> list[MapFeature]:
    """Open resources with coordinates, of providers in the subtree."""
    provider = aliased(OrgNode, name="provider")
    rows = (
        await session.execute(
            select(SharedResource, provider.name)
            .join(
                provider,
                (provider.tenant_id == SharedResource.tenant_id)
                & (provider.id == SharedResource.org_node_id),
            )
            .where(
                SharedResource.status == "open",
                SharedResource.longitude.is_not(None),
                SharedResource.latitude.is_not(None),
                in_subtree(provider.path, node.path),
            )
            .order_by(SharedResource.name)
        )
    ).tuples()
    features = []
    for resource, provider_name in rows:
        assert resource.longitude is not None and resource.latitude is not None
        features.append(
            MapFeature(
                key=str(resource.id),
                name=resource.name,
                kind=f"shared_{resource.kind}",
                longitude=resource.longitude,
                latitude=resource.latitude,
                org_node_id=resource.org_node_id,
                properties={
                    "provider": provider_name,
                    "kind": resource.kind,
                    "capacity": resource.capacity,
                    "address": resource.address,
                    "visibility": resource.visibility,
                },
            )
        )
    return features


async def reserving_organisations(
    session: AsyncSession, principal: Principal, resource: SharedResource
) -> list[OrgNode]:
    """The organisations the caller may reserve ``resource`` for, as a form offers them: the nodes of
    the caller's ``reserve`` grants and the provider itself when in reach."""
    provider = await _node(session, resource.tenant_id, resource.org_node_id)
    ids = {g.node_id for g in principal.grants if RESERVE in g.permissions}
    if principal.can_at(RESERVE, provider.path):
        ids.add(provider.id)
    nodes = await _nodes(session, ids)
    return sorted(
        (n for n in nodes.values() if may_reserve_for(n, provider, resource.visibility)),
        key=lambda n: n.path,
    )


async def resource_for_files(
    session: AsyncSession, principal: Principal, resource_id: uuid.UUID, permission: str
) -> SharedResource:
    """A resource's photos and floor plans: read by whoever sees it, attached by its provider's side."""
    resource = await visible_resource(session, principal, resource_id, READ)
    if permission != READ:
        provider = await _node(session, resource.tenant_id, resource.org_node_id)
        if not principal.can_at(permission, provider.path):
            raise not_found()
    return resource
