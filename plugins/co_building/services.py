"""The rules of co-building agreements (组织共建联席): routes parse and authorise, services decide and write.

Every record is scoped by the agreement's area party (a street, community or
village, ``org_node_id``): whoever's scope covers it sees the agreement, its
service list (双向服务清单), its joint activities and meetings and its annual
reviews. The unit party must be a resident unit (驻区单位) or a two-new
organisation (两新组织) the caller can see. Every write is validated before
anything is written, and audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, Table, and_, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
    Conflict,
    FieldProblem,
    Figure,
    MapFeature,
    NotificationTemplate,
    OrgNode,
    PageParams,
    Principal,
    _,
    audit,
    audit_diff,
    district_today,
    in_subtree,
    invalid_field,
    load_in_scope,
    new_id,
    node_in_scope,
    notify,
    paginate,
    plugin_config,
    register_template,
    scoped_select,
    utcnow,
)
from plugins.co_building.models import (
    ACTIVE,
    CANCELLED,
    DRAFT,
    EXPIRED,
    FULFILLED,
    IN_PROGRESS,
    PENDING,
    REVIEW_COMPLETED,
    REVIEW_OPEN,
    TERMINATED,
    Activity,
    Agreement,
    Review,
    ServiceItem,
)
from plugins.co_building.schemas import (
    ActivityIn,
    ActivityOut,
    AgreementIn,
    AgreementOut,
    AgreementTransition,
    AgreementUpdate,
    CoBuildingConfig,
    FulfilmentIn,
    ItemIn,
    ItemOut,
    ReviewComplete,
    ReviewOut,
)

SLUG = "co_building"
READ = f"{SLUG}.read"
MANAGE = f"{SLUG}.manage"
RECORD = f"{SLUG}.record"

# The area party of an agreement: a street working committee, a community or a village.
AREA_KINDS = frozenset({"street", "community", "village"})
RESIDENT_UNIT = "unit"

# Which status an agreement may move to from which; "expired" and "terminated" are final.
AGREEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    DRAFT: frozenset({ACTIVE, TERMINATED}),
    ACTIVE: frozenset({EXPIRED, TERMINATED}),
    EXPIRED: frozenset(),
    TERMINATED: frozenset(),
}
ITEM_TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({IN_PROGRESS, FULFILLED, CANCELLED}),
    IN_PROGRESS: frozenset({FULFILLED, CANCELLED}),
    FULFILLED: frozenset(),
    CANCELLED: frozenset(),
}

for _template in (
    NotificationTemplate(
        f"{SLUG}.expiry_reminder",
        title={
            "zh_CN": "共建协议即将到期：{title}（{unit}，{ends_on} 到期）",
            "en": "Co-building agreement ending soon: {title} ({unit}, ends {ends_on})",
        },
        body={
            "zh_CN": "请与共建单位商议续签或做好到期总结。",
            "en": "Agree a renewal with the unit, or prepare the closing summary.",
        },
    ),
    NotificationTemplate(
        f"{SLUG}.reviews_opened",
        title={
            "zh_CN": "{year}年度共建履约评议已开启：{count}份协议待评议",
            "en": "Co-building reviews for {year} are open: {count} agreements to review",
        },
    ),
):
    register_template(_template)


async def config_of(session: AsyncSession) -> CoBuildingConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, CoBuildingConfig)
    return config


def _clean(text: str) -> str:
    return " ".join(text.split())


def _clean_optional(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.strip()
    return cleaned or None


def _required(field: str, text: str) -> str:
    cleaned = _clean(text)
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


def in_force(agreement: Agreement, today: dt.date) -> bool:
    """Active and within its term: what the co-building rate counts (an agreement whose end date has
    passed does not count, whatever its stored status)."""
    return agreement.status == ACTIVE and agreement.starts_on <= today <= agreement.ends_on


def _in_force_clause(today: dt.date) -> Any:
    return and_(Agreement.status == ACTIVE, Agreement.starts_on <= today, Agreement.ends_on >= today)


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


async def _nodes(session: AsyncSession, node_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(node_ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


# --- agreements ------------------------------------------------------------------------------------


def _snapshot(agreement: Agreement) -> dict[str, Any]:
    return {
        "org_node_id": agreement.org_node_id,
        "unit_node_id": agreement.unit_node_id,
        "title": agreement.title,
        "starts_on": agreement.starts_on,
        "ends_on": agreement.ends_on,
        "signed_on": agreement.signed_on,
        "status": agreement.status,
    }


def _check_term(starts_on: dt.date, ends_on: dt.date) -> None:
    if ends_on < starts_on:
        raise invalid_field(
            "ends_on",
            _("The term cannot end before it starts ({start})."),
            code="before_start",
            start=starts_on,
        )


async def _area_party(session: AsyncSession, principal: Principal, node_id: uuid.UUID) -> OrgNode:
    area = await node_in_scope(session, principal, node_id, MANAGE)
    if area.kind not in AREA_KINDS:
        raise invalid_field(
            "org_node_id",
            _("A co-building agreement is signed by a street, community or village, not by {name}."),
            code="not_an_area",
            name=area.name,
        )
    if area.archived_at is not None:
        raise invalid_field("org_node_id", _("{name} is archived."), code="archived", name=area.name)
    return area


async def _unit_party(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, config: CoBuildingConfig
) -> OrgNode:
    unit = await node_in_scope(session, principal, node_id, READ)
    if unit.kind not in config.partner_kinds:
        raise invalid_field(
            "unit_id",
            _("{name} is not a resident unit or a two-new organisation."),
            code="not_a_partner",
            name=unit.name,
        )
    if unit.archived_at is not None:
        raise invalid_field("unit_id", _("{name} is archived."), code="archived", name=unit.name)
    return unit


async def _active_between(
    session: AsyncSession, area_id: uuid.UUID, unit_id: uuid.UUID, exclude: uuid.UUID | None
) -> Agreement | None:
    stmt = select(Agreement).where(
        Agreement.org_node_id == area_id, Agreement.unit_node_id == unit_id, Agreement.status == ACTIVE
    )
    if exclude is not None:
        stmt = stmt.where(Agreement.id != exclude)
    return (await session.scalars(stmt)).first()


async def _check_can_activate(
    session: AsyncSession, agreement: Agreement, today: dt.date
) -> Agreement | None:
    """Refuse to activate an agreement whose term is over or whose parties already have one in force.

    Returns a stored-active agreement between the same parties whose end date has passed: the caller
    marks it expired (only once everything else is valid, so a refusal writes nothing)."""
    if agreement.ends_on < today:
        raise invalid_field(
            "ends_on",
            _("The term ended on {ends_on}; an agreement cannot become active after its end."),
            code="ended",
            ends_on=agreement.ends_on,
        )
    other = await _active_between(session, agreement.org_node_id, agreement.unit_node_id, agreement.id)
    if other is None:
        return None
    if other.ends_on >= today:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "unit_id",
                    "duplicate_active",
                    _("These two parties already have an active agreement ({title}, until {ends_on})."),
                    {"title": other.title, "ends_on": other.ends_on.isoformat()},
                )
            ],
        )
    return other


async def _expire(session: AsyncSession, agreement: Agreement, reason: str) -> None:
    agreement.status = EXPIRED
    await session.flush()
    await audit(
        session,
        f"{SLUG}.agreement_expire",
        object_type=Agreement.__tablename__,
        object_id=agreement.id,
        org_node_id=agreement.org_node_id,
        changes={"status": {"old": ACTIVE, "new": EXPIRED}, "reason": reason},
    )


async def create_agreement(session: AsyncSession, principal: Principal, data: AgreementIn) -> Agreement:
    """Record an agreement between an area party the caller manages and a unit the caller can see."""
    config = await config_of(session)
    area = await _area_party(session, principal, data.org_node_id)
    unit = await _unit_party(session, principal, data.unit_id, config)
    title = _required("title", data.title)
    _check_term(data.starts_on, data.ends_on)
    today = district_today()
    if data.signed_on is not None and data.signed_on > today:
        raise invalid_field("signed_on", _("The date cannot be in the future."), code="in_future")
    agreement = Agreement(
        org_node_id=area.id,
        unit_node_id=unit.id,
        title=title,
        content=_clean_optional(data.content),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        signed_on=data.signed_on,
        status=DRAFT,
    )
    stale = None
    if data.status == ACTIVE:
        stale = await _check_can_activate(session, agreement, today)
        agreement.status = ACTIVE
        agreement.signed_on = agreement.signed_on or today
    if stale is not None:
        await _expire(session, stale, "renewed")
    session.add(agreement)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.agreement_create",
        object_type=Agreement.__tablename__,
        object_id=agreement.id,
        org_node_id=area.id,
        changes=audit_diff({}, _snapshot(agreement)),
    )
    return agreement


async def agreement_in_scope(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, permission: str
) -> Agreement:
    agreement: Agreement = await load_in_scope(session, principal, Agreement, agreement_id, permission)
    return agreement


async def update_agreement(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, data: AgreementUpdate
) -> Agreement:
    """Change a draft's or an active agreement's title, term, signing date or content."""
    agreement = await agreement_in_scope(session, principal, agreement_id, MANAGE)
    if agreement.status not in (DRAFT, ACTIVE):
        raise Conflict(
            _("An agreement that is {state} cannot be changed."),
            code="agreement_closed",
            state=agreement.status,
        )
    starts_on = agreement.starts_on if data.starts_on is msgspec.UNSET else data.starts_on
    ends_on = agreement.ends_on if data.ends_on is msgspec.UNSET else data.ends_on
    _check_term(starts_on, ends_on)
    title = agreement.title if data.title is msgspec.UNSET else _required("title", data.title)
    signed_on = data.signed_on
    if isinstance(signed_on, dt.date) and signed_on > district_today():
        raise invalid_field("signed_on", _("The date cannot be in the future."), code="in_future")
    before = _snapshot(agreement)
    agreement.title = title
    agreement.starts_on = starts_on
    agreement.ends_on = ends_on
    if data.signed_on is not msgspec.UNSET:
        agreement.signed_on = data.signed_on
    if data.content is not msgspec.UNSET:
        agreement.content = _clean_optional(data.content)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.agreement_update",
        object_type=Agreement.__tablename__,
        object_id=agreement.id,
        org_node_id=agreement.org_node_id,
        changes=audit_diff(before, _snapshot(agreement)),
    )
    return agreement


async def transition_agreement(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, data: AgreementTransition
) -> Agreement:
    """Move an agreement along draft → active → expired, or end it early (terminated)."""
    agreement = await agreement_in_scope(session, principal, agreement_id, MANAGE)
    return await apply_transition(session, agreement, data)


async def apply_transition(
    session: AsyncSession, agreement: Agreement, data: AgreementTransition
) -> Agreement:
    if data.status not in AGREEMENT_TRANSITIONS[agreement.status]:
        raise Conflict(
            _("An agreement that is {current} cannot become {wanted}."),
            code="transition_not_allowed",
            current=agreement.status,
            wanted=data.status,
        )
    today = district_today()
    stale = None
    reason = _clean_optional(data.reason)
    if data.status == ACTIVE:
        stale = await _check_can_activate(session, agreement, today)
    elif data.status == EXPIRED and agreement.ends_on >= today:
        raise Conflict(
            _("The agreement runs until {ends_on}; terminate it to end it early."),
            code="not_ended",
            ends_on=agreement.ends_on.isoformat(),
        )
    elif data.status == TERMINATED and reason is None:
        raise invalid_field("reason", _("Say why the agreement ends."), code="missing")
    if stale is not None:
        await _expire(session, stale, "renewed")
    before = {"status": agreement.status}
    agreement.status = data.status
    if data.status == ACTIVE:
        agreement.signed_on = agreement.signed_on or today
    if data.status == TERMINATED:
        agreement.terminated_on = today
        agreement.termination_reason = reason
    await session.flush()
    await audit(
        session,
        f"{SLUG}.agreement_{data.status}",
        object_type=Agreement.__tablename__,
        object_id=agreement.id,
        org_node_id=agreement.org_node_id,
        changes=audit_diff(before, {"status": agreement.status}) | ({"reason": reason} if reason else {}),
    )
    return agreement


def agreements_select(
    principal: Principal,
    *,
    status: str | None = None,
    unit_id: uuid.UUID | None = None,
    within: OrgNode | None = None,
    in_force_on: dt.date | None = None,
) -> Select[tuple[Agreement]]:
    stmt = scoped_select(Agreement, principal, READ)
    if within is not None:
        area = aliased(OrgNode, name="area_node")
        stmt = stmt.join(
            area, and_(area.tenant_id == Agreement.tenant_id, area.id == Agreement.org_node_id)
        ).where(in_subtree(area.path, within.path))
    if status is not None:
        stmt = stmt.where(Agreement.status == status)
    if unit_id is not None:
        stmt = stmt.where(Agreement.unit_node_id == unit_id)
    if in_force_on is not None:
        stmt = stmt.where(_in_force_clause(in_force_on))
    return stmt.order_by(Agreement.ends_on.desc(), Agreement.id)


async def agreements_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: str | None = None,
    unit_id: uuid.UUID | None = None,
    node_id: uuid.UUID | None = None,
    in_force_only: bool = False,
) -> tuple[list[Agreement], int]:
    within = await node_in_scope(session, principal, node_id, READ) if node_id is not None else None
    stmt = agreements_select(
        principal,
        status=status,
        unit_id=unit_id,
        within=within,
        in_force_on=district_today() if in_force_only else None,
    )
    return await paginate(session, stmt, page)


async def agreement_outs(session: AsyncSession, agreements: Sequence[Agreement]) -> list[AgreementOut]:
    """Agreements with their parties' names and their items and activities counted (three queries)."""
    ids = [a.id for a in agreements]
    nodes = await _nodes(session, [a.org_node_id for a in agreements] + [a.unit_node_id for a in agreements])
    items: dict[uuid.UUID, tuple[int, int]] = {}
    activities: dict[uuid.UUID, int] = {}
    if ids:
        for agreement_id, total, fulfilled in await session.execute(
            select(
                ServiceItem.agreement_id,
                func.count(),
                func.count().filter(ServiceItem.status == FULFILLED),
            )
            .where(ServiceItem.agreement_id.in_(ids))
            .group_by(ServiceItem.agreement_id)
        ):
            items[agreement_id] = (int(total), int(fulfilled))
        for agreement_id, count in await session.execute(
            select(Activity.agreement_id, func.count())
            .where(Activity.agreement_id.in_(ids))
            .group_by(Activity.agreement_id)
        ):
            activities[agreement_id] = int(count)
    today = district_today()
    return [
        AgreementOut(
            id=a.id,
            org_node_id=a.org_node_id,
            org_name=nodes[a.org_node_id].name,
            unit_id=a.unit_node_id,
            unit_name=nodes[a.unit_node_id].name,
            unit_kind=nodes[a.unit_node_id].kind,
            title=a.title,
            content=a.content,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            signed_on=a.signed_on,
            status=a.status,
            in_force=in_force(a, today),
            terminated_on=a.terminated_on,
            termination_reason=a.termination_reason,
            items=items.get(a.id, (0, 0))[0],
            items_fulfilled=items.get(a.id, (0, 0))[1],
            activities=activities.get(a.id, 0),
            created_at=a.created_at,
        )
        for a in agreements
    ]


# --- service-list items ----------------------------------------------------------------------------


def item_out(item: ServiceItem) -> ItemOut:
    return ItemOut(
        id=item.id,
        agreement_id=item.agreement_id,
        kind=item.kind,
        party=item.party,
        title=item.title,
        detail=item.detail,
        due_on=item.due_on,
        status=item.status,
        fulfilled_on=item.fulfilled_on,
        fulfilment_note=item.fulfilment_note,
    )


async def add_item(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, data: ItemIn
) -> ServiceItem:
    """Put a need (需求) or a resource (资源) of either party on the agreement's two-way service list."""
    agreement = await agreement_in_scope(session, principal, agreement_id, MANAGE)
    if agreement.status not in (DRAFT, ACTIVE):
        raise Conflict(
            _("An agreement that is {state} takes no new service-list items."),
            code="agreement_closed",
            state=agreement.status,
        )
    title = _required("title", data.title)
    if data.due_on is not None and data.due_on < agreement.starts_on:
        raise invalid_field("due_on", _("The date lies outside the agreement's term."), code="outside_term")
    item = ServiceItem(
        agreement_id=agreement.id,
        org_node_id=agreement.org_node_id,
        kind=data.kind,
        party=data.party,
        title=title,
        detail=_clean_optional(data.detail),
        due_on=data.due_on,
        status=PENDING,
    )
    session.add(item)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.item_add",
        object_type=ServiceItem.__tablename__,
        object_id=item.id,
        org_node_id=agreement.org_node_id,
        changes=audit_diff(
            {}, {"agreement_id": agreement.id, "kind": item.kind, "party": item.party, "title": title}
        ),
    )
    return item


async def items_page(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, page: PageParams
) -> tuple[list[ServiceItem], int]:
    agreement = await agreement_in_scope(session, principal, agreement_id, READ)
    stmt = (
        select(ServiceItem)
        .where(ServiceItem.agreement_id == agreement.id)
        .order_by(ServiceItem.party, ServiceItem.kind, ServiceItem.created_at, ServiceItem.id)
    )
    return await paginate(session, stmt, page)


async def fulfil_item(
    session: AsyncSession, principal: Principal, item_id: uuid.UUID, data: FulfilmentIn
) -> ServiceItem:
    """Record the fulfilment (履约) of an item: in progress, fulfilled on a date, or cancelled, with a note."""
    item: ServiceItem = await load_in_scope(session, principal, ServiceItem, item_id, RECORD)
    if data.status not in ITEM_TRANSITIONS[item.status]:
        raise Conflict(
            _("An item that is {current} cannot become {wanted}."),
            code="transition_not_allowed",
            current=item.status,
            wanted=data.status,
        )
    agreement = await session.get_one(Agreement, (item.tenant_id, item.agreement_id))
    today = district_today()
    note = _clean_optional(data.note)
    fulfilled_on = None
    if data.status == FULFILLED:
        fulfilled_on = data.fulfilled_on or today
        if fulfilled_on > today:
            raise invalid_field("fulfilled_on", _("The date cannot be in the future."), code="in_future")
        if fulfilled_on < agreement.starts_on:
            raise invalid_field(
                "fulfilled_on", _("The date lies outside the agreement's term."), code="outside_term"
            )
    elif data.fulfilled_on is not None:
        raise invalid_field(
            "fulfilled_on", _("Only a fulfilled item has a fulfilment date."), code="not_fulfilled"
        )
    if data.status == CANCELLED and note is None:
        raise invalid_field("note", _("Say why the item is cancelled."), code="missing")
    before = {"status": item.status}
    item.status = data.status
    item.fulfilled_on = fulfilled_on
    if note is not None:
        item.fulfilment_note = note
    await session.flush()
    await audit(
        session,
        f"{SLUG}.item_fulfilment",
        object_type=ServiceItem.__tablename__,
        object_id=item.id,
        org_node_id=item.org_node_id,
        changes=audit_diff(before, {"status": item.status, "fulfilled_on": fulfilled_on}),
    )
    return item


# --- joint activities and meetings -----------------------------------------------------------------


def activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut(
        id=activity.id,
        agreement_id=activity.agreement_id,
        kind=activity.kind,
        title=activity.title,
        held_on=activity.held_on,
        place=activity.place,
        longitude=activity.longitude,
        latitude=activity.latitude,
        participants=activity.participants,
        content=activity.content,
    )


async def record_activity(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, data: ActivityIn
) -> Activity:
    """Record a joint activity (共建活动) or joint meeting (联席会议) held under the agreement's term."""
    agreement = await agreement_in_scope(session, principal, agreement_id, RECORD)
    if agreement.status == DRAFT:
        raise Conflict(
            _("The agreement is still a draft; activities are recorded once it is active."),
            code="agreement_draft",
        )
    if data.held_on > district_today():
        raise invalid_field("held_on", _("The date cannot be in the future."), code="in_future")
    last_day = agreement.terminated_on or agreement.ends_on
    if not agreement.starts_on <= data.held_on <= last_day:
        raise invalid_field("held_on", _("The date lies outside the agreement's term."), code="outside_term")
    if (data.longitude is None) != (data.latitude is None):
        raise invalid_field(
            "latitude" if data.latitude is None else "longitude",
            _("Give both longitude and latitude, or neither."),
            code="half_a_place",
        )
    activity = Activity(
        agreement_id=agreement.id,
        org_node_id=agreement.org_node_id,
        kind=data.kind,
        title=_required("title", data.title),
        held_on=data.held_on,
        place=_required("place", data.place),
        longitude=data.longitude,
        latitude=data.latitude,
        participants=data.participants,
        content=data.content.strip() or _required("content", data.content),
    )
    session.add(activity)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.activity_record",
        object_type=Activity.__tablename__,
        object_id=activity.id,
        org_node_id=agreement.org_node_id,
        changes=audit_diff(
            {},
            {
                "agreement_id": agreement.id,
                "kind": activity.kind,
                "title": activity.title,
                "held_on": activity.held_on,
                "participants": activity.participants,
            },
        ),
    )
    return activity


async def activities_page(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, page: PageParams
) -> tuple[list[Activity], int]:
    agreement = await agreement_in_scope(session, principal, agreement_id, READ)
    stmt = (
        select(Activity)
        .where(Activity.agreement_id == agreement.id)
        .order_by(Activity.held_on.desc(), Activity.id)
    )
    return await paginate(session, stmt, page)


# --- annual reviews --------------------------------------------------------------------------------


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        agreement_id=review.agreement_id,
        year=review.year,
        status=review.status,
        items_total=review.items_total,
        items_fulfilled=review.items_fulfilled,
        fulfilment_rate=review.fulfilment_rate,
        rating=review.rating,
        note=review.note,
        completed_on=review.completed_on,
    )


def _ran_during(agreement: Agreement, year: int) -> bool:
    last_day = agreement.terminated_on or agreement.ends_on
    return agreement.status != DRAFT and agreement.starts_on.year <= year <= last_day.year


async def open_review(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, year: int
) -> Review:
    """Open the annual fulfilment review (年度履约评议) of an agreement for a year it ran in."""
    agreement = await agreement_in_scope(session, principal, agreement_id, MANAGE)
    if year > district_today().year or not _ran_during(agreement, year):
        raise invalid_field(
            "year", _("The agreement was not in force in {year}."), code="outside_term", year=year
        )
    existing = (
        await session.scalars(
            select(Review.id).where(Review.agreement_id == agreement.id, Review.year == year)
        )
    ).first()
    if existing is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "year", "duplicate", _("The agreement already has a review for {year}."), {"year": year}
                )
            ],
        )
    review = Review(
        agreement_id=agreement.id, org_node_id=agreement.org_node_id, year=year, status=REVIEW_OPEN
    )
    session.add(review)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.review_open",
        object_type=Review.__tablename__,
        object_id=review.id,
        org_node_id=agreement.org_node_id,
        changes={"agreement_id": str(agreement.id), "year": year},
    )
    return review


async def reviews_page(
    session: AsyncSession, principal: Principal, agreement_id: uuid.UUID, page: PageParams
) -> tuple[list[Review], int]:
    agreement = await agreement_in_scope(session, principal, agreement_id, READ)
    stmt = select(Review).where(Review.agreement_id == agreement.id).order_by(Review.year.desc(), Review.id)
    return await paginate(session, stmt, page)


async def fulfilment_of(session: AsyncSession, agreement_id: uuid.UUID, year: int) -> tuple[int, int]:
    """``(items, fulfilled)`` of an agreement's service list at the end of ``year``: cancelled items do
    not count; an item counts as fulfilled when it was fulfilled by 31 December."""
    year_end = dt.date(year, 12, 31)
    total, fulfilled = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(ServiceItem.status == FULFILLED, ServiceItem.fulfilled_on <= year_end),
            ).where(ServiceItem.agreement_id == agreement_id, ServiceItem.status != CANCELLED)
        )
    ).one()
    return int(total), int(fulfilled)


async def complete_review(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, data: ReviewComplete
) -> Review:
    """Complete a review: the fulfilment (items fulfilled ÷ items) is fixed now, with a rating and a note."""
    review: Review = await load_in_scope(session, principal, Review, review_id, MANAGE)
    if review.status != REVIEW_OPEN:
        raise Conflict(_("This review is already completed."), code="review_completed")
    total, fulfilled = await fulfilment_of(session, review.agreement_id, review.year)
    review.items_total = total
    review.items_fulfilled = fulfilled
    review.fulfilment_rate = _rate(fulfilled, total) if total else None
    review.rating = data.rating
    review.note = _clean_optional(data.note)
    review.status = REVIEW_COMPLETED
    review.completed_on = district_today()
    await session.flush()
    await audit(
        session,
        f"{SLUG}.review_complete",
        object_type=Review.__tablename__,
        object_id=review.id,
        org_node_id=review.org_node_id,
        changes=audit_diff(
            {"status": REVIEW_OPEN},
            {"status": REVIEW_COMPLETED, "rating": review.rating, "fulfilment_rate": review.fulfilment_rate},
        ),
    )
    return review


# --- scheduled work --------------------------------------------------------------------------------


async def expire_ended(session: AsyncSession, today: dt.date) -> int:
    """Mark active agreements whose end date has passed as expired. Returns how many."""
    ended = list(
        await session.scalars(
            select(Agreement)
            .where(Agreement.status == ACTIVE, Agreement.ends_on < today)
            .order_by(Agreement.id)
        )
    )
    for agreement in ended:
        await _expire(session, agreement, "term_ended")
    return len(ended)


async def remind_expiring(session: AsyncSession, today: dt.date, config: CoBuildingConfig) -> int:
    """Tell the area party's administrators (org_admin, secretary) of every active agreement ending within
    ``remind_days_before_end`` days; once per agreement and end date. Returns notifications created."""
    horizon = today + dt.timedelta(days=config.remind_days_before_end)
    rows = (
        await session.execute(
            select(Agreement, OrgNode.name)
            .join(
                OrgNode, and_(OrgNode.tenant_id == Agreement.tenant_id, OrgNode.id == Agreement.unit_node_id)
            )
            .where(Agreement.status == ACTIVE, Agreement.ends_on >= today, Agreement.ends_on <= horizon)
            .order_by(Agreement.ends_on, Agreement.id)
        )
    ).tuples()
    sent = 0
    for agreement, unit_name in rows:
        for role in ("org_admin", "secretary"):
            sent += await notify(
                session,
                template=f"{SLUG}.expiry_reminder",
                params={
                    "title": agreement.title,
                    "unit": unit_name,
                    "ends_on": agreement.ends_on.isoformat(),
                },
                kind="agreement_expiring",
                source=SLUG,
                role=role,
                at_node=agreement.org_node_id,
                org_node_id=agreement.org_node_id,
                link=f"/api/v1/m/{SLUG}/agreements/{agreement.id}",
                dedupe_key=f"{SLUG}.expiry:{agreement.id}:{agreement.ends_on.isoformat()}",
            )
    return sent


def _insert(session: AsyncSession) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def open_reviews(session: AsyncSession, tenant_id: uuid.UUID, year: int) -> int:
    """Open the year's review for every agreement that ran during ``year`` and has none; safe to run
    twice, even at once (the unique key decides). Tells each area party's administrators. Returns how
    many reviews were opened."""
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    reviewed = select(Review.agreement_id).where(Review.year == year)
    agreements = list(
        await session.scalars(
            select(Agreement)
            .where(
                Agreement.status != DRAFT,
                Agreement.starts_on <= year_end,
                Agreement.ends_on >= year_start,
                (Agreement.terminated_on.is_(None)) | (Agreement.terminated_on >= year_start),
                Agreement.id.not_in(reviewed),
            )
            .order_by(Agreement.org_node_id, Agreement.id)
        )
    )
    if not agreements:
        return 0
    now = utcnow()
    table: Table = Review.__table__  # type: ignore[assignment]
    stmt = (
        _insert(session)(table)
        .values(
            [
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "agreement_id": a.id,
                    "org_node_id": a.org_node_id,
                    "year": year,
                    "status": REVIEW_OPEN,
                    "items_total": None,
                    "items_fulfilled": None,
                    "fulfilment_rate": None,
                    "rating": None,
                    "note": None,
                    "completed_on": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for a in agreements
            ]
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "agreement_id", "year"])
        .returning(table.c.agreement_id)
    )
    opened = set((await session.scalars(stmt)).all())
    per_area: dict[uuid.UUID, int] = {}
    for agreement in agreements:
        if agreement.id in opened:
            per_area[agreement.org_node_id] = per_area.get(agreement.org_node_id, 0) + 1
    for area_id, count in sorted(per_area.items()):
        await audit(
            session,
            f"{SLUG}.reviews_open",
            object_type="org_node",
            object_id=area_id,
            org_node_id=area_id,
            changes={"year": year, "reviews": count},
        )
        for role in ("org_admin", "secretary"):
            await notify(
                session,
                template=f"{SLUG}.reviews_opened",
                params={"year": year, "count": count},
                kind="reviews_opened",
                source=SLUG,
                role=role,
                at_node=area_id,
                org_node_id=area_id,
                link=f"/api/v1/m/{SLUG}/agreements?node_id={area_id}",
                dedupe_key=f"{SLUG}.reviews:{area_id}:{year}",
            )
    return len(opened)


# --- dashboard figures and the red map -------------------------------------------------------------


async def figures(session: AsyncSession, node: OrgNode, today: dt.date) -> list[Figure]:
    """The mechanism's figures for the subtree at ``node`` (five statements whatever its size).

    The co-building rate is the share of the subtree's resident units (驻区单位) that have an
    agreement in force (active and within its term) with any street or community; the other
    figures count the agreements whose area party lies in the subtree."""
    unit = aliased(OrgNode, name="unit_node")
    area = aliased(OrgNode, name="area_node")
    units_here = and_(
        unit.kind == RESIDENT_UNIT, unit.archived_at.is_(None), in_subtree(unit.path, node.path)
    )
    resident_units = await session.scalar(select(func.count()).select_from(unit).where(units_here))
    allied_resident = await session.scalar(
        select(func.count(func.distinct(Agreement.unit_node_id)))
        .join(unit, and_(unit.tenant_id == Agreement.tenant_id, unit.id == Agreement.unit_node_id))
        .where(units_here, _in_force_clause(today))
    )
    area_here = in_subtree(area.path, node.path)
    agreements, allied_units, allied_areas = (
        await session.execute(
            select(
                func.count(),
                func.count(func.distinct(Agreement.unit_node_id)),
                func.count(func.distinct(Agreement.org_node_id)),
            )
            .join(area, and_(area.tenant_id == Agreement.tenant_id, area.id == Agreement.org_node_id))
            .where(area_here, _in_force_clause(today))
        )
    ).one()
    items, fulfilled = (
        await session.execute(
            select(func.count(), func.count().filter(ServiceItem.status == FULFILLED))
            .join(area, and_(area.tenant_id == ServiceItem.tenant_id, area.id == ServiceItem.org_node_id))
            .where(area_here, ServiceItem.status != CANCELLED)
        )
    ).one()
    activities, meetings, this_year = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Activity.kind == "meeting"),
                func.count().filter(Activity.held_on >= dt.date(today.year, 1, 1)),
            )
            .join(area, and_(area.tenant_id == Activity.tenant_id, area.id == Activity.org_node_id))
            .where(area_here)
        )
    ).one()
    return [
        Figure(
            key="co_building_rate",
            name_zh="驻区单位共建率",
            name_en="Co-building rate of resident units",
            value=_rate(int(allied_resident or 0), int(resident_units or 0)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="resident_units",
            name_zh="驻区单位",
            name_en="Resident units",
            value=int(resident_units or 0),
            unit_zh="家",
        ),
        Figure(
            key="agreements",
            name_zh="生效共建协议",
            name_en="Agreements in force",
            value=int(agreements),
            unit_zh="份",
        ),
        Figure(
            key="allied_units",
            name_zh="结盟单位",
            name_en="Allied units",
            value=int(allied_units),
            unit_zh="家",
        ),
        Figure(
            key="allied_areas",
            name_zh="结盟街道社区",
            name_en="Allied streets and communities",
            value=int(allied_areas),
            unit_zh="个",
        ),
        Figure(
            key="service_items",
            name_zh="双向服务清单事项",
            name_en="Service-list items",
            value=int(items),
            unit_zh="项",
        ),
        Figure(
            key="fulfilment_rate",
            name_zh="清单履约率",
            name_en="Service-list fulfilment rate",
            value=_rate(int(fulfilled), int(items)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="activities",
            name_zh="共建活动",
            name_en="Joint activities and meetings",
            value=int(activities),
            unit_zh="次",
        ),
        Figure(
            key="joint_meetings",
            name_zh="联席会议",
            name_en="Joint meetings",
            value=int(meetings),
            unit_zh="次",
        ),
        Figure(
            key="activities_this_year",
            name_zh=f"{today.year}年共建活动",
            name_en=f"Joint activities in {today.year}",
            value=int(this_year),
            unit_zh="次",
        ),
    ]


def _coordinates(attrs: dict[str, Any] | None) -> tuple[float, float] | None:
    if not attrs:
        return None
    longitude, latitude = attrs.get("longitude"), attrs.get("latitude")
    if isinstance(longitude, int | float) and isinstance(latitude, int | float):
        return float(longitude), float(latitude)
    return None


async def map_features(session: AsyncSession, node: OrgNode, today: dt.date) -> list[MapFeature]:
    """Places of the subtree: joint activities with coordinates, and the units of agreements in force
    whose organisation has coordinates (two statements)."""
    area = aliased(OrgNode, name="area_node")
    unit = aliased(OrgNode, name="unit_node")
    features: list[MapFeature] = []
    activities = (
        await session.execute(
            select(Activity)
            .join(area, and_(area.tenant_id == Activity.tenant_id, area.id == Activity.org_node_id))
            .where(
                in_subtree(area.path, node.path),
                Activity.longitude.is_not(None),
                Activity.latitude.is_not(None),
            )
            .order_by(Activity.held_on.desc(), Activity.id)
        )
    ).scalars()
    for activity in activities:
        assert activity.longitude is not None and activity.latitude is not None
        features.append(
            MapFeature(
                key=f"activity:{activity.id}",
                name=activity.title,
                kind="co_building_meeting" if activity.kind == "meeting" else "co_building_activity",
                longitude=activity.longitude,
                latitude=activity.latitude,
                org_node_id=activity.org_node_id,
                properties={
                    "held_on": activity.held_on.isoformat(),
                    "place": activity.place,
                    "participants": activity.participants,
                    "agreement_id": str(activity.agreement_id),
                },
            )
        )
    rows = (
        await session.execute(
            select(
                Agreement.id,
                Agreement.title,
                Agreement.org_node_id,
                Agreement.ends_on,
                unit.id,
                unit.name,
                unit.attrs,
            )
            .join(area, and_(area.tenant_id == Agreement.tenant_id, area.id == Agreement.org_node_id))
            .join(unit, and_(unit.tenant_id == Agreement.tenant_id, unit.id == Agreement.unit_node_id))
            .where(in_subtree(area.path, node.path), _in_force_clause(today))
            .order_by(unit.path, Agreement.id)
        )
    ).tuples()
    seen: set[uuid.UUID] = set()
    for agreement_id, title, area_id, ends_on, unit_id, unit_name, attrs in rows:
        place = _coordinates(attrs)
        if place is None or unit_id in seen:
            continue
        seen.add(unit_id)
        features.append(
            MapFeature(
                key=f"unit:{unit_id}",
                name=unit_name,
                kind="co_building_unit",
                longitude=place[0],
                latitude=place[1],
                org_node_id=unit_id,
                properties={
                    "agreement_id": str(agreement_id),
                    "agreement": title,
                    "area_id": str(area_id),
                    "ends_on": ends_on.isoformat(),
                },
            )
        )
    return features
