"""The rules of demonstration zones (示范片区联建): zones and their joint committee in the tree,
member organisations, shared activities, exported experiences and their adoptions, periodic reviews.

Routes parse and authorise; these functions decide and write, in the caller's transaction, and
audit every change. A refusal raises before anything is written, so a refused request leaves
nothing behind (the request's transaction is rolled back as a whole anyway).
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import (
    Conflict,
    FieldProblem,
    Figure,
    MapFeature,
    NotificationTemplate,
    OrgNode,
    Person,
    Principal,
    _,
    add_node,
    ancestors,
    audit,
    audit_diff,
    district_today,
    get_kind,
    in_subtree,
    invalid_field,
    load_in_scope,
    notify,
    plugin_config,
    register_template,
    scope_predicate,
    scoped_select,
)
from plugins.model_zones.models import (
    ZONE_ACTIVE,
    ZONE_DISSOLVED,
    ZONE_SUSPENDED,
    Zone,
    ZoneActivity,
    ZoneActivityOrganisation,
    ZoneAdoption,
    ZoneExperience,
    ZoneMember,
    ZoneReview,
)
from plugins.model_zones.schemas import (
    ActivityIn,
    ActivityOrgOut,
    ActivityOut,
    AdoptionIn,
    AdoptionOut,
    ExperienceIn,
    ExperienceOut,
    MemberIn,
    MemberOut,
    ModelZonesConfig,
    ReviewIn,
    ReviewOut,
    ZoneIn,
    ZoneOut,
    ZoneTransition,
    ZoneUpdate,
)

SLUG = "model_zones"
READ = f"{SLUG}.read"
MANAGE = f"{SLUG}.manage"
RECORD = f"{SLUG}.record"
COMMITTEE_KIND = "joint_committee"

register_template(
    NotificationTemplate(
        f"{SLUG}.review_due",
        title={
            "zh_CN": "示范片区评估提醒：{zone} 应于 {due_on} 前完成评估",
            "en": "Zone review due: {zone} is to be reviewed by {due_on}",
        },
        body={
            "zh_CN": "上次评估：{last}。请组织片区联合党委开展评估并录入评估结果。",
            "en": "Last review: {last}. Please review the zone with its joint committee and record the result.",
        },
    )
)

BEFORE_ZONE = _("The date cannot be before the zone was established ({start}).")
BEFORE_EXPORT = _("The date cannot be before the experience was exported ({start}).")

# Which status a zone may move to from which; a dissolved zone (撤销) stays dissolved.
ZONE_TRANSITIONS: dict[str, frozenset[str]] = {
    ZONE_ACTIVE: frozenset({ZONE_SUSPENDED, ZONE_DISSOLVED}),
    ZONE_SUSPENDED: frozenset({ZONE_ACTIVE, ZONE_DISSOLVED}),
    ZONE_DISSOLVED: frozenset(),
}


async def config(session: AsyncSession) -> ModelZonesConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    found = await plugin_config(session, SLUG)
    assert isinstance(found, ModelZonesConfig)
    return found


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _clean(text: str) -> str:
    return " ".join(text.split())


def _not_future(field: str, day: dt.date, today: dt.date) -> None:
    if day > today:
        raise invalid_field(field, _("The date cannot be in the future."), code="future")


def _not_before(field: str, day: dt.date, start: dt.date, message: str) -> None:
    if day < start:
        raise invalid_field(field, message, code="before_start", start=start.isoformat())


async def _node_in_reach(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, field: str, permission: str = MANAGE
) -> OrgNode:
    """An organisation of this district inside the caller's scope for managing zones; 422 otherwise
    (the same answer for one that does not exist, one of another district and one outside the scope)."""
    node = (
        await session.scalars(
            select(OrgNode).where(OrgNode.id == node_id, scope_predicate(principal, permission, OrgNode.path))
        )
    ).first()
    if node is None:
        raise invalid_field(
            field, _("No such organisation in your scope."), code="unknown_organisation", id=str(node_id)
        )
    if node.archived_at is not None:
        raise invalid_field(field, _("{name} is archived."), code="archived", name=node.name)
    return node


async def _person(session: AsyncSession, person_id: uuid.UUID, field: str) -> Person:
    person = (await session.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None:
        raise invalid_field(field, _("No such person in this district."), code="unknown_person")
    return person


def _require_open(zone: Zone) -> None:
    if zone.status == ZONE_DISSOLVED:
        raise Conflict(_("{name} is dissolved."), code="zone_dissolved", name=zone.name)


# --- zones -----------------------------------------------------------------------------------------


async def committee_parent(session: AsyncSession, lead: OrgNode) -> OrgNode:
    """Where the zone's joint committee sits: under the lead organisation when its kind may hold one
    (a district, street or community), else under the nearest organisation above it that may."""
    allowed = get_kind(COMMITTEE_KIND).parents
    for node in [lead, *reversed(await ancestors(session, lead))]:
        if node.kind in allowed:
            return node
    raise invalid_field(
        "lead_node_id",
        _("No organisation above {name} can hold a joint committee."),
        code="no_place",
        name=lead.name,
    )


async def create_zone(session: AsyncSession, principal: Principal, lead: OrgNode, data: ZoneIn) -> Zone:
    """Set up a zone led by ``lead`` (already checked to be in the caller's scope) with its joint
    committee (非建制联合党委) as a new ``joint_committee`` node of the tree."""
    today = district_today()
    if lead.archived_at is not None:
        raise invalid_field("lead_node_id", _("{name} is archived."), code="archived", name=lead.name)
    if lead.kind == COMMITTEE_KIND:
        raise invalid_field(
            "lead_node_id",
            _("A joint committee cannot lead a zone; choose the community or organisation that leads it."),
            code="wrong_kind",
        )
    await _person(session, data.lead_person_id, "lead_person_id")
    established = data.established_on or today
    _not_future("established_on", established, today)
    name = _clean(data.name)
    if (await session.scalars(select(Zone.id).where(Zone.name == name))).first() is not None:
        raise Conflict(
            _("A zone with this name exists already."),
            code="zone_exists",
            errors=[FieldProblem("name", "duplicate", _("A zone with this name exists already."))],
        )
    parent = await committee_parent(session, lead)
    if not principal.can_at(MANAGE, parent.path):
        raise invalid_field(
            "lead_node_id",
            _("The zone's joint committee would sit under {parent}, outside your scope."),
            code="committee_out_of_scope",
            parent=parent.name,
        )
    cfg = await config(session)
    committee = await add_node(session, parent, COMMITTEE_KIND, f"{name}{cfg.committee_suffix}")
    zone = Zone(
        org_node_id=committee.id,
        lead_node_id=lead.id,
        lead_person_id=data.lead_person_id,
        name=name,
        description=data.description,
        established_on=established,
        status=ZONE_ACTIVE,
    )
    session.add(zone)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.zone_create",
        object_type=Zone.__tablename__,
        object_id=zone.id,
        org_node_id=committee.id,
        changes=audit_diff({}, _zone_snapshot(zone)),
    )
    return zone


def _zone_snapshot(zone: Zone) -> dict[str, Any]:
    return {
        "name": zone.name,
        "lead_node_id": str(zone.lead_node_id),
        "lead_person_id": str(zone.lead_person_id),
        "description": zone.description,
        "established_on": str(zone.established_on),
        "status": zone.status,
        "dissolved_on": str(zone.dissolved_on) if zone.dissolved_on else None,
    }


async def update_zone(session: AsyncSession, zone: Zone, data: ZoneUpdate) -> Zone:
    """Rename the zone, change its description or its lead secretary."""
    _require_open(zone)
    before = _zone_snapshot(zone)
    if data.lead_person_id is not msgspec.UNSET:
        await _person(session, data.lead_person_id, "lead_person_id")
        zone.lead_person_id = data.lead_person_id
    if data.name is not msgspec.UNSET:
        name = _clean(data.name)
        taken = (await session.scalars(select(Zone.id).where(Zone.name == name, Zone.id != zone.id))).first()
        if taken is not None:
            raise Conflict(
                _("A zone with this name exists already."),
                code="zone_exists",
                errors=[FieldProblem("name", "duplicate", _("A zone with this name exists already."))],
            )
        zone.name = name
    if data.description is not msgspec.UNSET:
        zone.description = data.description
    await session.flush()
    await audit(
        session,
        f"{SLUG}.zone_update",
        object_type=Zone.__tablename__,
        object_id=zone.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff(before, _zone_snapshot(zone)),
    )
    return zone


async def transition_zone(session: AsyncSession, zone: Zone, data: ZoneTransition) -> Zone:
    """active ⇄ suspended (整改), either → dissolved (撤销, final). The joint committee node stays."""
    if data.status not in ZONE_TRANSITIONS[zone.status]:
        raise Conflict(
            _("A zone that is {current} cannot become {wanted}."),
            code="transition_not_allowed",
            errors=[
                FieldProblem(
                    "status",
                    "transition_not_allowed",
                    _("A zone that is {current} cannot become {wanted}."),
                    {"current": zone.status, "wanted": data.status},
                )
            ],
            current=zone.status,
            wanted=data.status,
        )
    before = _zone_snapshot(zone)
    if data.status == ZONE_DISSOLVED:
        today = district_today()
        on = data.on or today
        _not_future("on", on, today)
        _not_before("on", on, zone.established_on, BEFORE_ZONE)
        zone.dissolved_on = on
    zone.status = data.status
    await session.flush()
    await audit(
        session,
        f"{SLUG}.zone_status",
        object_type=Zone.__tablename__,
        object_id=zone.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff(before, _zone_snapshot(zone)),
    )
    return zone


def zones_select(
    principal: Principal, *, within: OrgNode | None = None, status: str | None = None
) -> Select[tuple[Zone]]:
    stmt = scoped_select(Zone, principal, READ)
    if within is not None:
        node = OrgNode.__table__.alias("within_node")
        stmt = stmt.join(node, and_(node.c.tenant_id == Zone.tenant_id, node.c.id == Zone.org_node_id))
        stmt = stmt.where(in_subtree(node.c.path, within.path))
    if status is not None:
        stmt = stmt.where(Zone.status == status)
    return stmt.order_by(Zone.established_on, Zone.name, Zone.id)


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    if not ids:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}


async def _counts(session: AsyncSession, column: Any, zone_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(select(column, func.count()).where(column.in_(zone_ids)).group_by(column))
    return {zone_id: int(count) for zone_id, count in rows}


async def zone_outs(session: AsyncSession, zones: Sequence[Zone]) -> list[ZoneOut]:
    """Zones with their names and counts (a fixed number of queries for the page)."""
    if not zones:
        return []
    cfg = await config(session)
    ids = [z.id for z in zones]
    nodes = await _names(session, {z.org_node_id for z in zones} | {z.lead_node_id for z in zones})
    people: dict[uuid.UUID, str] = {
        person_id: name
        for person_id, name in await session.execute(
            select(Person.id, Person.name).where(Person.id.in_({z.lead_person_id for z in zones}))
        )
    }
    members = await _counts(session, ZoneMember.zone_id, ids)
    activities = await _counts(session, ZoneActivity.zone_id, ids)
    experiences = await _counts(session, ZoneExperience.zone_id, ids)
    reviewed = await last_reviews(session, ids)
    shown = []
    for z in zones:
        last = reviewed.get(z.id)
        shown.append(
            ZoneOut(
                id=z.id,
                name=z.name,
                committee_node_id=z.org_node_id,
                committee_name=nodes[z.org_node_id].name if z.org_node_id in nodes else "",
                lead_node_id=z.lead_node_id,
                lead_name=nodes[z.lead_node_id].name if z.lead_node_id in nodes else "",
                lead_person_id=z.lead_person_id,
                lead_person_name=str(people.get(z.lead_person_id, "")),
                description=z.description,
                established_on=z.established_on,
                status=z.status,
                dissolved_on=z.dissolved_on,
                members=members.get(z.id, 0),
                activities=activities.get(z.id, 0),
                experiences=experiences.get(z.id, 0),
                last_reviewed_on=last,
                next_review_due=next_review_due(z, last, cfg),
            )
        )
    return shown


async def last_reviews(session: AsyncSession, zone_ids: Any) -> dict[uuid.UUID, dt.date]:
    """The date of each zone's last review (``zone_ids``: a list or a subquery of ids)."""
    rows = await session.execute(
        select(ZoneReview.zone_id, func.max(ZoneReview.reviewed_on))
        .where(ZoneReview.zone_id.in_(zone_ids))
        .group_by(ZoneReview.zone_id)
    )
    return {zone_id: last for zone_id, last in rows}


def next_review_due(zone: Zone, last: dt.date | None, cfg: ModelZonesConfig) -> dt.date | None:
    """The next review is due an interval after the last one (or after the zone was set up)."""
    if zone.status == ZONE_DISSOLVED:
        return None
    return add_months(last or zone.established_on, cfg.review_interval_months)


# --- members ---------------------------------------------------------------------------------------


async def add_member(session: AsyncSession, principal: Principal, zone: Zone, data: MemberIn) -> ZoneMember:
    """An organisation of the caller's scope joins the zone (once)."""
    _require_open(zone)
    node = await _node_in_reach(session, principal, data.org_node_id, "org_node_id")
    if node.id == zone.lead_node_id:
        raise invalid_field(
            "org_node_id",
            _("{name} leads the zone; it is not one of its members."),
            code="is_lead",
            name=node.name,
        )
    if node.id == zone.org_node_id or node.kind == COMMITTEE_KIND:
        raise invalid_field(
            "org_node_id", _("A joint committee cannot be a member of a zone."), code="wrong_kind"
        )
    today = district_today()
    joined = data.joined_on or today
    _not_future("joined_on", joined, today)
    _not_before("joined_on", joined, zone.established_on, BEFORE_ZONE)
    existing = (
        await session.scalars(
            select(ZoneMember.id).where(ZoneMember.zone_id == zone.id, ZoneMember.member_node_id == node.id)
        )
    ).first()
    if existing is not None:
        raise Conflict(
            _("{name} is already a member of this zone."),
            code="already_member",
            errors=[
                FieldProblem(
                    "org_node_id",
                    "duplicate",
                    _("{name} is already a member of this zone."),
                    {"name": node.name},
                )
            ],
            name=node.name,
        )
    member = ZoneMember(
        zone_id=zone.id,
        org_node_id=zone.org_node_id,
        member_node_id=node.id,
        joined_on=joined,
        note=data.note,
    )
    session.add(member)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.member_add",
        object_type=ZoneMember.__tablename__,
        object_id=member.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff({}, {"zone_id": str(zone.id), "member": str(node.id), "joined_on": str(joined)}),
    )
    return member


async def remove_member(session: AsyncSession, member: ZoneMember) -> None:
    """An organisation leaves the zone; activities it took part in keep their record."""
    zone = await session.get_one(Zone, (member.tenant_id, member.zone_id))
    _require_open(zone)
    await audit(
        session,
        f"{SLUG}.member_remove",
        object_type=ZoneMember.__tablename__,
        object_id=member.id,
        org_node_id=member.org_node_id,
        changes=audit_diff({"zone_id": str(zone.id), "member": str(member.member_node_id)}, {}),
    )
    await session.delete(member)
    await session.flush()


def members_select(zone: Zone) -> Select[tuple[ZoneMember]]:
    return (
        select(ZoneMember).where(ZoneMember.zone_id == zone.id).order_by(ZoneMember.joined_on, ZoneMember.id)
    )


async def member_outs(session: AsyncSession, members: Sequence[ZoneMember]) -> list[MemberOut]:
    nodes = await _names(session, {m.member_node_id for m in members})
    return [
        MemberOut(
            id=m.id,
            zone_id=m.zone_id,
            org_node_id=m.member_node_id,
            org_name=nodes[m.member_node_id].name if m.member_node_id in nodes else "",
            org_kind=nodes[m.member_node_id].kind if m.member_node_id in nodes else "",
            joined_on=m.joined_on,
            note=m.note,
        )
        for m in members
    ]


# --- activities ------------------------------------------------------------------------------------


async def record_activity(session: AsyncSession, zone: Zone, data: ActivityIn) -> ZoneActivity:
    """A shared activity held by the zone, with the organisations (the lead or members) taking part."""
    _require_open(zone)
    today = district_today()
    _not_future("held_on", data.held_on, today)
    _not_before("held_on", data.held_on, zone.established_on, BEFORE_ZONE)
    if (data.longitude is None) != (data.latitude is None):
        raise invalid_field(
            "latitude" if data.latitude is None else "longitude",
            _("Give both the longitude and the latitude of the place, or neither."),
            code="incomplete_place",
        )
    in_zone = {zone.lead_node_id} | set(
        await session.scalars(select(ZoneMember.member_node_id).where(ZoneMember.zone_id == zone.id))
    )
    seen: set[uuid.UUID] = set()
    for index, node_id in enumerate(data.organisations):
        field = f"organisations[{index}]"
        if node_id in seen:
            raise invalid_field(field, _("This organisation is listed twice."), code="duplicate")
        if node_id not in in_zone:
            raise invalid_field(
                field,
                _("Only the zone's lead organisation and its members take part in its activities."),
                code="not_in_zone",
            )
        seen.add(node_id)
    activity = ZoneActivity(
        zone_id=zone.id,
        org_node_id=zone.org_node_id,
        title=_clean(data.title),
        held_on=data.held_on,
        place=_clean(data.place),
        longitude=data.longitude,
        latitude=data.latitude,
        participants=data.participants,
        description=data.description,
    )
    session.add(activity)
    await session.flush()
    for node_id in data.organisations:
        session.add(ZoneActivityOrganisation(activity_id=activity.id, member_node_id=node_id))
    await session.flush()
    await audit(
        session,
        f"{SLUG}.activity_record",
        object_type=ZoneActivity.__tablename__,
        object_id=activity.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff(
            {},
            {
                "title": activity.title,
                "held_on": str(activity.held_on),
                "place": activity.place,
                "participants": activity.participants,
                "organisations": [str(n) for n in data.organisations],
            },
        ),
    )
    return activity


def activities_select(zone: Zone) -> Select[tuple[ZoneActivity]]:
    return (
        select(ZoneActivity)
        .where(ZoneActivity.zone_id == zone.id)
        .order_by(ZoneActivity.held_on.desc(), ZoneActivity.id)
    )


async def activity_outs(session: AsyncSession, activities: Sequence[ZoneActivity]) -> list[ActivityOut]:
    taking_part: dict[uuid.UUID, list[uuid.UUID]] = {a.id: [] for a in activities}
    if activities:
        rows = await session.execute(
            select(ZoneActivityOrganisation.activity_id, ZoneActivityOrganisation.member_node_id).where(
                ZoneActivityOrganisation.activity_id.in_(list(taking_part))
            )
        )
        for activity_id, node_id in rows:
            taking_part[activity_id].append(node_id)
    nodes = await _names(session, {n for ids in taking_part.values() for n in ids})
    return [
        ActivityOut(
            id=a.id,
            zone_id=a.zone_id,
            title=a.title,
            held_on=a.held_on,
            place=a.place,
            longitude=a.longitude,
            latitude=a.latitude,
            participants=a.participants,
            description=a.description,
            organisations=sorted(
                (
                    ActivityOrgOut(org_node_id=n, org_name=nodes[n].name if n in nodes else "")
                    for n in taking_part[a.id]
                ),
                key=lambda o: o.org_name,
            ),
        )
        for a in activities
    ]


# --- experiences -----------------------------------------------------------------------------------


async def export_experience(session: AsyncSession, zone: Zone, data: ExperienceIn) -> ZoneExperience:
    """An experience (经验做法) the zone sums up for others to adopt; its document is an attachment."""
    _require_open(zone)
    today = district_today()
    exported = data.exported_on or today
    _not_future("exported_on", exported, today)
    _not_before("exported_on", exported, zone.established_on, BEFORE_ZONE)
    if not data.summary.strip():
        raise invalid_field("summary", _("Summarise the experience."), code="missing")
    experience = ZoneExperience(
        zone_id=zone.id,
        org_node_id=zone.org_node_id,
        title=_clean(data.title),
        summary=data.summary.strip(),
        exported_on=exported,
    )
    session.add(experience)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.experience_export",
        object_type=ZoneExperience.__tablename__,
        object_id=experience.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff({}, {"title": experience.title, "exported_on": str(exported)}),
    )
    return experience


async def add_adoption(
    session: AsyncSession, principal: Principal, experience: ZoneExperience, data: AdoptionIn
) -> ZoneAdoption:
    """Record that an organisation (of the caller's scope) adopted the experience, once."""
    node = await _node_in_reach(session, principal, data.org_node_id, "org_node_id", RECORD)
    today = district_today()
    adopted = data.adopted_on or today
    _not_future("adopted_on", adopted, today)
    _not_before("adopted_on", adopted, experience.exported_on, BEFORE_EXPORT)
    existing = (
        await session.scalars(
            select(ZoneAdoption.id).where(
                ZoneAdoption.experience_id == experience.id, ZoneAdoption.adopter_node_id == node.id
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            _("{name} has already adopted this experience."),
            code="already_adopted",
            errors=[
                FieldProblem(
                    "org_node_id",
                    "duplicate",
                    _("{name} has already adopted this experience."),
                    {"name": node.name},
                )
            ],
            name=node.name,
        )
    adoption = ZoneAdoption(
        experience_id=experience.id,
        org_node_id=experience.org_node_id,
        adopter_node_id=node.id,
        adopted_on=adopted,
        note=data.note,
    )
    session.add(adoption)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.experience_adopt",
        object_type=ZoneAdoption.__tablename__,
        object_id=adoption.id,
        org_node_id=experience.org_node_id,
        changes=audit_diff({}, {"experience_id": str(experience.id), "adopter": str(node.id)}),
    )
    return adoption


def experiences_select(zone: Zone) -> Select[tuple[ZoneExperience]]:
    return (
        select(ZoneExperience)
        .where(ZoneExperience.zone_id == zone.id)
        .order_by(ZoneExperience.exported_on.desc(), ZoneExperience.id)
    )


async def experience_outs(
    session: AsyncSession, experiences: Sequence[ZoneExperience]
) -> list[ExperienceOut]:
    adoptions: dict[uuid.UUID, list[ZoneAdoption]] = {e.id: [] for e in experiences}
    if experiences:
        for adoption in await session.scalars(
            select(ZoneAdoption)
            .where(ZoneAdoption.experience_id.in_(list(adoptions)))
            .order_by(ZoneAdoption.adopted_on, ZoneAdoption.id)
        ):
            adoptions[adoption.experience_id].append(adoption)
    nodes = await _names(session, {a.adopter_node_id for rows in adoptions.values() for a in rows})
    return [
        ExperienceOut(
            id=e.id,
            zone_id=e.zone_id,
            title=e.title,
            summary=e.summary,
            exported_on=e.exported_on,
            adoptions=[
                AdoptionOut(
                    id=a.id,
                    org_node_id=a.adopter_node_id,
                    org_name=nodes[a.adopter_node_id].name if a.adopter_node_id in nodes else "",
                    adopted_on=a.adopted_on,
                    note=a.note,
                )
                for a in adoptions[e.id]
            ],
        )
        for e in experiences
    ]


# --- reviews ---------------------------------------------------------------------------------------


async def record_review(session: AsyncSession, zone: Zone, data: ReviewIn) -> ZoneReview:
    """A periodic review (片区评估) with its rating and findings; one per zone and day."""
    _require_open(zone)
    today = district_today()
    _not_future("reviewed_on", data.reviewed_on, today)
    _not_before("reviewed_on", data.reviewed_on, zone.established_on, BEFORE_ZONE)
    if not data.findings.strip():
        raise invalid_field("findings", _("Write the review's findings."), code="missing")
    taken = (
        await session.scalars(
            select(ZoneReview.id).where(
                ZoneReview.zone_id == zone.id, ZoneReview.reviewed_on == data.reviewed_on
            )
        )
    ).first()
    if taken is not None:
        raise Conflict(
            _("The zone was already reviewed on {day}."),
            code="already_reviewed",
            errors=[
                FieldProblem(
                    "reviewed_on",
                    "duplicate",
                    _("The zone was already reviewed on {day}."),
                    {"day": data.reviewed_on.isoformat()},
                )
            ],
            day=data.reviewed_on.isoformat(),
        )
    review = ZoneReview(
        zone_id=zone.id,
        org_node_id=zone.org_node_id,
        reviewed_on=data.reviewed_on,
        reviewer=_clean(data.reviewer),
        rating=data.rating,
        findings=data.findings.strip(),
    )
    session.add(review)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.review_record",
        object_type=ZoneReview.__tablename__,
        object_id=review.id,
        org_node_id=zone.org_node_id,
        changes=audit_diff({}, {"reviewed_on": str(review.reviewed_on), "rating": review.rating}),
    )
    return review


def reviews_select(zone: Zone) -> Select[tuple[ZoneReview]]:
    return (
        select(ZoneReview)
        .where(ZoneReview.zone_id == zone.id)
        .order_by(ZoneReview.reviewed_on.desc(), ZoneReview.id)
    )


def review_out(review: ZoneReview) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        zone_id=review.zone_id,
        reviewed_on=review.reviewed_on,
        reviewer=review.reviewer,
        rating=review.rating,
        findings=review.findings,
    )


# --- records reached through their zone ------------------------------------------------------------


async def zone_of(session: AsyncSession, principal: Principal, zone_id: uuid.UUID, permission: str) -> Zone:
    return await load_in_scope(session, principal, Zone, zone_id, permission)


# --- scheduled work --------------------------------------------------------------------------------


async def remind_reviews_due(session: AsyncSession, today: dt.date) -> int:
    """Tell each zone's leads (the lead secretary's account and the secretaries at the lead
    organisation and above) that a review falls due within the configured days; once per due date."""
    cfg = await config(session)
    zones = list(await session.scalars(select(Zone).where(Zone.status != ZONE_DISSOLVED).order_by(Zone.name)))
    reviewed = await last_reviews(session, select(Zone.id).where(Zone.status != ZONE_DISSOLVED))
    rows = [(zone, reviewed.get(zone.id)) for zone in zones]
    horizon = today + dt.timedelta(days=cfg.remind_days_before_review)
    sent = 0
    for zone, last in rows:
        due = next_review_due(zone, last, cfg)
        if due is None or due > horizon:
            continue
        common: dict[str, Any] = {
            "template": f"{SLUG}.review_due",
            "params": {
                "zone": zone.name,
                "due_on": due.isoformat(),
                "last": last.isoformat() if last else "-",
            },
            "kind": "review_due",
            "source": SLUG,
            "org_node_id": zone.org_node_id,
            "link": f"/api/v1/m/{SLUG}/zones/{zone.id}",
            "dedupe_key": f"{SLUG}.zone.{zone.id}.review.{due.isoformat()}",
        }
        sent += await notify(session, role="secretary", at_node=zone.lead_node_id, **common)
        sent += await notify(session, person_id=zone.lead_person_id, **common)
    return sent


# --- figures and the red map -----------------------------------------------------------------------


def _zones_in(node: OrgNode, *, open_only: bool) -> Any:
    """The ids of the zones whose joint committee lies in the subtree at ``node`` (a subquery)."""
    committee = OrgNode.__table__.alias("zone_committee")
    stmt = select(Zone.id).join(
        committee,
        and_(
            committee.c.tenant_id == Zone.tenant_id,
            committee.c.id == Zone.org_node_id,
            in_subtree(committee.c.path, node.path),
        ),
    )
    if open_only:
        stmt = stmt.where(Zone.status != ZONE_DISSOLVED)
    return stmt


async def figures(session: AsyncSession, node: OrgNode, today: dt.date) -> list[Figure]:
    """The mechanism's figures for the subtree at ``node``, from the records (six statements)."""
    cfg = await config(session)
    open_zones = _zones_in(node, open_only=True)
    all_zones = _zones_in(node, open_only=False)
    zones = list(await session.scalars(select(Zone).where(Zone.id.in_(open_zones))))
    reviewed = await last_reviews(session, open_zones)
    rows = [(zone, reviewed.get(zone.id)) for zone in zones]
    overdue = sum(1 for zone, last in rows if (due := next_review_due(zone, last, cfg)) and due < today)
    radiated = await session.scalar(
        select(func.count(func.distinct(ZoneMember.member_node_id))).where(ZoneMember.zone_id.in_(open_zones))
    )
    year_start = dt.date(today.year, 1, 1)
    activities, participants = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(ZoneActivity.participants), 0)).where(
                ZoneActivity.zone_id.in_(all_zones),
                ZoneActivity.held_on >= year_start,
                ZoneActivity.held_on <= today,
            )
        )
    ).one()
    experiences = await session.scalar(
        select(func.count()).select_from(ZoneExperience).where(ZoneExperience.zone_id.in_(all_zones))
    )
    adoptions = await session.scalar(
        select(func.count())
        .select_from(ZoneAdoption)
        .where(
            ZoneAdoption.experience_id.in_(
                select(ZoneExperience.id).where(ZoneExperience.zone_id.in_(all_zones))
            )
        )
    )
    return [
        Figure(key="zones", name_zh="示范片区", name_en="Demonstration zones", value=len(rows), unit_zh="个"),
        Figure(
            key="organisations_radiated",
            name_zh="辐射带动组织",
            name_en="Organisations radiated",
            value=int(radiated or 0),
            unit_zh="家",
        ),
        Figure(
            key="activities_this_year",
            name_zh="本年联办活动",
            name_en="Shared activities this year",
            value=int(activities),
            unit_zh="次",
        ),
        Figure(
            key="participants_this_year",
            name_zh="本年活动参与",
            name_en="Participants this year",
            value=int(participants),
            unit_zh="人次",
        ),
        Figure(
            key="experiences_exported",
            name_zh="输出经验做法",
            name_en="Experiences exported",
            value=int(experiences or 0),
            unit_zh="项",
        ),
        Figure(
            key="experience_adoptions",
            name_zh="经验推广采纳",
            name_en="Adoptions of experiences",
            value=int(adoptions or 0),
            unit_zh="家次",
        ),
        Figure(
            key="reviews_overdue",
            name_zh="逾期未评估片区",
            name_en="Zones overdue for review",
            value=overdue,
            unit_zh="个",
        ),
    ]


async def map_features(session: AsyncSession, node: OrgNode, today: dt.date) -> list[MapFeature]:
    """Zones at their lead organisation's place, and this year's shared activities that have a place."""
    features: list[MapFeature] = []
    lead = OrgNode.__table__.alias("zone_lead")
    zones = await session.execute(
        select(Zone.id, Zone.name, Zone.org_node_id, lead.c.name, lead.c.attrs)
        .join(lead, and_(lead.c.tenant_id == Zone.tenant_id, lead.c.id == Zone.lead_node_id))
        .where(Zone.id.in_(_zones_in(node, open_only=True)))
        .order_by(Zone.name)
    )
    for zone_id, name, committee_id, lead_name, attrs in zones:
        place = attrs or {}
        longitude, latitude = place.get("longitude"), place.get("latitude")
        if longitude is None or latitude is None:
            continue
        features.append(
            MapFeature(
                key=f"zone:{zone_id}",
                name=name,
                kind="model_zone",
                longitude=float(longitude),
                latitude=float(latitude),
                org_node_id=committee_id,
                properties={"lead": lead_name, "address": place.get("address")},
            )
        )
    activities = await session.scalars(
        select(ZoneActivity)
        .where(
            ZoneActivity.zone_id.in_(_zones_in(node, open_only=False)),
            ZoneActivity.longitude.is_not(None),
            ZoneActivity.latitude.is_not(None),
            ZoneActivity.held_on >= dt.date(today.year, 1, 1),
        )
        .order_by(ZoneActivity.held_on.desc(), ZoneActivity.id)
        .limit(500)
    )
    for activity in activities:
        assert activity.longitude is not None and activity.latitude is not None
        features.append(
            MapFeature(
                key=f"activity:{activity.id}",
                name=activity.title,
                kind="model_zone_activity",
                longitude=activity.longitude,
                latitude=activity.latitude,
                org_node_id=activity.org_node_id,
                properties={
                    "place": activity.place,
                    "held_on": activity.held_on.isoformat(),
                    "participants": activity.participants,
                },
            )
        )
    return features
