"""The rules of sector–area collaboration (条块横向联手): routes parse and authorise, services decide and write.

Who sees what follows the mechanism's name. A sector and its standards belong
to the sector department that leads it (条); the organisations it guides sit
in streets and communities (块). A record about one organisation (its
membership, assessments, guidance visits) is within reach of a caller whose
scope covers either the sector's department or the organisation; a sector
and its standards are visible to whoever can see its department or one of
its organisations. Only the department's side (``sector_guidance.manage``
over the department) changes a sector, its members and its standards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, Table, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
    Conflict,
    FieldProblem,
    Figure,
    Invalid,
    OrgNode,
    PageParams,
    Principal,
    _,
    audit,
    audit_diff,
    detach_all,
    district_today,
    in_subtree,
    invalid_field,
    new_id,
    node_in_scope,
    not_found,
    notify,
    paginate,
    plugin_config,
    scope_predicate,
    utcnow,
)
from plugins.sector_guidance.models import (
    Sector,
    SectorAssessment,
    SectorAssessmentResult,
    SectorGuidanceVisit,
    SectorMember,
    SectorStandard,
    SectorStandardItem,
)
from plugins.sector_guidance.schemas import (
    AnsweredItemOut,
    AssessmentDetailOut,
    AssessmentIn,
    AssessmentOut,
    ItemIn,
    ItemOut,
    MemberIn,
    MemberOut,
    ResultsIn,
    SectorGuidanceConfig,
    SectorIn,
    SectorOut,
    SectorUpdate,
    StandardIn,
    StandardOut,
    StandardUpdate,
    VisitIn,
    VisitOut,
)

SLUG = "sector_guidance"
READ = "sector_guidance.read"
MANAGE = "sector_guidance.manage"
ASSESS = "sector_guidance.assess"

DEPARTMENT_KIND = "sector_department"
# Area and department nodes organise the tree; they are not organisations a sector guides.
NOT_MEMBER_KINDS = frozenset({"district", "street", "community", "village", "sector_department", "group"})


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


def _required_text(field: str, text: str) -> str:
    """Free text (line breaks kept) that must not be blank."""
    cleaned = text.strip()
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


async def config_of(session: AsyncSession) -> SectorGuidanceConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, SectorGuidanceConfig)
    return config


# --- cycles ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """An assessment cycle (考核周期): a calendar year ("2026") or half year ("2026H1")."""

    label: str
    starts_on: dt.date
    ends_on: dt.date


def cycle_containing(day: dt.date, kind: str) -> Cycle:
    """The cycle of ``kind`` ("annual" or "half_year") that ``day`` falls in."""
    if kind == "half_year":
        if day.month <= 6:
            return Cycle(f"{day.year}H1", dt.date(day.year, 1, 1), dt.date(day.year, 6, 30))
        return Cycle(f"{day.year}H2", dt.date(day.year, 7, 1), dt.date(day.year, 12, 31))
    return Cycle(str(day.year), dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def parse_cycle(label: str, kind: str) -> Cycle:
    """The cycle named ``label`` ("2026", "2026H1"), which must be of the district's kind of cycle."""
    half = label.endswith(("H1", "H2"))
    year = int(label[:4]) if label[:4].isdigit() else 0
    if half != (kind == "half_year") or not 2000 <= year <= 2100:
        raise invalid_field(
            "cycle",
            _("The district assesses in cycles written like {example}."),
            code="wrong_cycle",
            example="2026H1" if kind == "half_year" else "2026",
        )
    return cycle_containing(dt.date(year, 7 if label.endswith("H2") else 1, 1), kind)


def compute_score(answers: Iterable[tuple[int, bool]]) -> float:
    """Score 0–100 of weighted answers ``(weight, met)``: met weight over all weight, to 0.1, half up."""
    total = met = 0
    for weight, is_met in answers:
        total += weight
        if is_met:
            met += weight
    if total == 0:
        return 0.0
    exact = Decimal(met * 100) / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- scope: the sector's department (条) or the organisation (块) -----------------------------------


def _within_reach(principal: Principal, permission: str, department: OrgNode, organisation: OrgNode) -> bool:
    return principal.can_at(permission, department.path) or principal.can_at(permission, organisation.path)


def _reach_predicate(
    principal: Principal, permission: str, department_path: Any, organisation_path: Any
) -> ColumnElement[bool]:
    return or_(
        scope_predicate(principal, permission, department_path),
        scope_predicate(principal, permission, organisation_path),
    )


def _visible_sectors(principal: Principal, permission: str) -> Select[tuple[Sector]]:
    """Sectors whose department, or one of whose organisations, is in the caller's scope."""
    department = aliased(OrgNode, name="department")
    organisation = aliased(OrgNode, name="member_org")
    guided_here = (
        select(SectorMember.sector_id)
        .join(
            organisation,
            (organisation.tenant_id == SectorMember.tenant_id)
            & (organisation.id == SectorMember.org_node_id),
        )
        .where(scope_predicate(principal, permission, organisation.path))
    )
    return (
        select(Sector)
        .join(department, (department.tenant_id == Sector.tenant_id) & (department.id == Sector.org_node_id))
        .where(or_(scope_predicate(principal, permission, department.path), Sector.id.in_(guided_here)))
    )


async def _department(session: AsyncSession, sector: Sector) -> OrgNode:
    department = await session.get(OrgNode, (sector.tenant_id, sector.org_node_id))
    assert department is not None  # a foreign key
    return department


async def visible_sector(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, permission: str
) -> Sector:
    """The sector if the caller sees it for ``permission`` (its department or an organisation); else 404."""
    sector = (
        await session.scalars(_visible_sectors(principal, permission).where(Sector.id == sector_id))
    ).first()
    if sector is None:
        raise not_found()
    return sector


async def led_sector(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID
) -> tuple[Sector, OrgNode]:
    """The sector and its department if the caller manages that department; 404 otherwise, as for
    a sector that does not exist."""
    sector = await session.get(Sector, (principal.tenant_id, sector_id))
    if sector is None:
        raise not_found()
    department = await _department(session, sector)
    if not principal.can_at(MANAGE, department.path):
        raise not_found()
    return sector, department


def _require_active(sector: Sector) -> None:
    if sector.status != "active":
        raise Conflict(
            _("The sector {name} is archived; restore it before changing its records."),
            code="sector_archived",
            name=sector.name,
        )


async def _organisation(session: AsyncSession, principal: Principal, org_node_id: uuid.UUID) -> OrgNode:
    node = await session.get(OrgNode, (principal.tenant_id, org_node_id))
    if node is None:
        raise not_found()
    return node


async def _membership(
    session: AsyncSession, sector_id: uuid.UUID, org_node_id: uuid.UUID
) -> SectorMember | None:
    return (
        await session.scalars(
            select(SectorMember).where(
                SectorMember.sector_id == sector_id, SectorMember.org_node_id == org_node_id
            )
        )
    ).first()


async def _require_member(session: AsyncSession, sector: Sector, organisation: OrgNode) -> None:
    if await _membership(session, sector.id, organisation.id) is None:
        raise invalid_field(
            "org_node_id",
            _("{org} is not an organisation of the sector {sector}; add it to the sector first."),
            code="not_member",
            org=organisation.name,
            sector=sector.name,
        )


async def _names(session: AsyncSession, node_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(node_ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


# --- sectors ---------------------------------------------------------------------------------------


async def _published(
    session: AsyncSession, sector_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, SectorStandard]:
    wanted = set(sector_ids)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(SectorStandard).where(
            SectorStandard.sector_id.in_(wanted), SectorStandard.status == "published"
        )
    )
    return {s.sector_id: s for s in rows}


async def sector_outs(session: AsyncSession, sectors: Sequence[Sector]) -> list[SectorOut]:
    departments = await _names(session, (s.org_node_id for s in sectors))
    published = await _published(session, (s.id for s in sectors))
    return [
        SectorOut(
            id=s.id,
            department_id=s.org_node_id,
            department_name=departments[s.org_node_id].name,
            name=s.name,
            code=s.code,
            description=s.description,
            status=s.status,
            published_standard_id=published[s.id].id if s.id in published else None,
            created_at=s.created_at,
        )
        for s in sectors
    ]


def _sector_snapshot(sector: Sector) -> dict[str, Any]:
    return {
        "department_id": sector.org_node_id,
        "name": sector.name,
        "code": sector.code,
        "description": sector.description,
        "status": sector.status,
    }


async def _check_code(session: AsyncSession, code: str, exclude: uuid.UUID | None) -> None:
    stmt = select(Sector.id).where(Sector.code == code)
    if exclude is not None:
        stmt = stmt.where(Sector.id != exclude)
    if (await session.scalars(stmt)).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "code", "duplicate", _("Another sector already has the code {code}."), {"code": code}
                )
            ],
        )


async def create_sector(session: AsyncSession, principal: Principal, data: SectorIn) -> Sector:
    """Create a sector led by the department ``data.department_id`` (which the caller manages)."""
    department = await node_in_scope(session, principal, data.department_id, MANAGE)
    if department.kind != DEPARTMENT_KIND:
        raise invalid_field(
            "department_id",
            _("A sector is led by a sector department, not by {name}."),
            code="not_a_department",
            name=department.name,
        )
    if department.archived_at is not None:
        raise invalid_field("department_id", _("The department is archived."), code="archived")
    name = _required("name", data.name)
    await _check_code(session, data.code, None)
    sector = Sector(
        org_node_id=department.id,
        name=name,
        code=data.code,
        description=_clean_optional(data.description),
        status="active",
    )
    session.add(sector)
    await session.flush()
    await audit(
        session,
        "sector_guidance.sector_create",
        object_type="sector",
        object_id=sector.id,
        org_node_id=department.id,
        changes=audit_diff({}, _sector_snapshot(sector)),
    )
    return sector


async def update_sector(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, data: SectorUpdate
) -> Sector:
    sector, department = await led_sector(session, principal, sector_id)
    before = _sector_snapshot(sector)
    if data.name is not msgspec.UNSET:
        sector.name = _required("name", data.name)
    if data.code is not msgspec.UNSET and data.code != sector.code:
        await _check_code(session, data.code, sector.id)
        sector.code = data.code
    if data.description is not msgspec.UNSET:
        sector.description = _clean_optional(data.description)
    if data.status is not msgspec.UNSET:
        sector.status = data.status
    await session.flush()
    await audit(
        session,
        "sector_guidance.sector_update",
        object_type="sector",
        object_id=sector.id,
        org_node_id=department.id,
        changes=audit_diff(before, _sector_snapshot(sector)),
    )
    return sector


async def sectors_page(
    session: AsyncSession, principal: Principal, page: PageParams, status: str | None
) -> tuple[list[Sector], int]:
    stmt = _visible_sectors(principal, READ)
    if status is not None:
        stmt = stmt.where(Sector.status == status)
    return await paginate(session, stmt.order_by(Sector.code, Sector.id), page)


# --- members ---------------------------------------------------------------------------------------


async def member_outs(session: AsyncSession, members: Sequence[SectorMember]) -> list[MemberOut]:
    nodes = await _names(session, (m.org_node_id for m in members))
    return [
        MemberOut(
            id=m.id,
            sector_id=m.sector_id,
            org_node_id=m.org_node_id,
            org_name=nodes[m.org_node_id].name,
            org_kind=nodes[m.org_node_id].kind,
            joined_on=m.joined_on,
        )
        for m in members
    ]


async def members_page(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, page: PageParams
) -> tuple[list[SectorMember], int]:
    """The sector's organisations the caller may see: all of them from the department's side, the
    caller's own from the area's side."""
    sector = await visible_sector(session, principal, sector_id, READ)
    department = await _department(session, sector)
    organisation = aliased(OrgNode, name="member_org")
    stmt = (
        select(SectorMember)
        .join(
            organisation,
            (organisation.tenant_id == SectorMember.tenant_id)
            & (organisation.id == SectorMember.org_node_id),
        )
        .where(SectorMember.sector_id == sector.id)
    )
    if not principal.can_at(READ, department.path):
        stmt = stmt.where(scope_predicate(principal, READ, organisation.path))
    return await paginate(session, stmt.order_by(organisation.name, SectorMember.id), page)


async def add_member(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, data: MemberIn
) -> SectorMember:
    """Put an organisation of the district under the sector's guidance."""
    sector, _department_node = await led_sector(session, principal, sector_id)
    _require_active(sector)
    organisation = await _organisation(session, principal, data.org_node_id)
    if organisation.kind in NOT_MEMBER_KINDS:
        raise invalid_field(
            "org_node_id",
            _(
                "{name} organises the tree; only organisations (enterprises, social organisations, units, branches...) join a sector."
            ),
            code="wrong_kind",
            name=organisation.name,
        )
    if organisation.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    joined_on = data.joined_on or district_today()
    if joined_on > district_today():
        raise invalid_field("joined_on", _("The date cannot be in the future."), code="in_future")
    if await _membership(session, sector.id, organisation.id) is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "org_node_id",
                    "duplicate",
                    _("{name} is already an organisation of this sector."),
                    {"name": organisation.name},
                )
            ],
        )
    member = SectorMember(sector_id=sector.id, org_node_id=organisation.id, joined_on=joined_on)
    session.add(member)
    await session.flush()
    await audit(
        session,
        "sector_guidance.member_add",
        object_type="sector_member",
        object_id=member.id,
        org_node_id=organisation.id,
        changes=audit_diff(
            {}, {"sector_id": sector.id, "org_node_id": organisation.id, "joined_on": joined_on}
        ),
    )
    return member


async def remove_member(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Take an organisation out of the sector. Its submitted assessments and visits stay as history;
    assessments merely due go with it; one in progress must be submitted first."""
    sector, _department_node = await led_sector(session, principal, sector_id)
    member = await session.get(SectorMember, (principal.tenant_id, member_id))
    if member is None or member.sector_id != sector.id:
        raise not_found()
    open_assessments = list(
        await session.scalars(
            select(SectorAssessment).where(
                SectorAssessment.sector_id == sector.id,
                SectorAssessment.org_node_id == member.org_node_id,
                SectorAssessment.status != "submitted",
            )
        )
    )
    if any(a.status == "in_progress" for a in open_assessments):
        raise Conflict(
            _("The organisation has an assessment in progress; submit it before removing the organisation."),
            code="assessment_in_progress",
        )
    if open_assessments:
        for assessment in open_assessments:
            await detach_all(session, f"{SLUG}.assessment", assessment.id)
        await session.execute(
            delete(SectorAssessment).where(SectorAssessment.id.in_([a.id for a in open_assessments]))
        )
    await session.delete(member)
    await session.flush()
    await audit(
        session,
        "sector_guidance.member_remove",
        object_type="sector_member",
        object_id=member.id,
        org_node_id=member.org_node_id,
        changes=audit_diff(
            {
                "sector_id": sector.id,
                "org_node_id": member.org_node_id,
                "due_assessments": len(open_assessments),
            },
            {},
        ),
    )


# --- standards -------------------------------------------------------------------------------------


async def _items(
    session: AsyncSession, standard_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[SectorStandardItem]]:
    wanted = set(standard_ids)
    found: dict[uuid.UUID, list[SectorStandardItem]] = {s: [] for s in wanted}
    if wanted:
        rows = await session.scalars(
            select(SectorStandardItem)
            .where(SectorStandardItem.standard_id.in_(wanted))
            .order_by(SectorStandardItem.standard_id, SectorStandardItem.position)
        )
        for item in rows:
            found[item.standard_id].append(item)
    return found


async def standard_outs(session: AsyncSession, standards: Sequence[SectorStandard]) -> list[StandardOut]:
    items = await _items(session, (s.id for s in standards))
    return [
        StandardOut(
            id=s.id,
            sector_id=s.sector_id,
            title=s.title,
            version=s.version,
            status=s.status,
            pass_mark=s.pass_mark,
            published_at=s.published_at,
            total_weight=sum(i.weight for i in items[s.id]),
            items=[
                ItemOut(id=i.id, position=i.position, text=i.text, weight=i.weight, guidance=i.guidance)
                for i in items[s.id]
            ],
        )
        for s in standards
    ]


async def standards_page(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, page: PageParams
) -> tuple[list[SectorStandard], int]:
    sector = await visible_sector(session, principal, sector_id, READ)
    stmt = (
        select(SectorStandard)
        .where(SectorStandard.sector_id == sector.id)
        .order_by(SectorStandard.version.desc())
    )
    return await paginate(session, stmt, page)


async def visible_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> SectorStandard:
    standard = await session.get(SectorStandard, (principal.tenant_id, standard_id))
    if standard is None:
        raise not_found()
    await visible_sector(session, principal, standard.sector_id, READ)
    return standard


async def _led_draft(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> tuple[SectorStandard, Sector]:
    standard = await session.get(SectorStandard, (principal.tenant_id, standard_id))
    if standard is None:
        raise not_found()
    sector, _department_node = await led_sector(session, principal, standard.sector_id)
    if standard.status != "draft":
        raise Conflict(
            _(
                "Version {version} is no longer a draft: a published or retired standard cannot be changed; write a new version."
            ),
            code="not_a_draft",
            version=standard.version,
        )
    _require_active(sector)
    return standard, sector


def _new_items(standard: SectorStandard, items: Sequence[ItemIn]) -> list[SectorStandardItem]:
    built = []
    for position, item in enumerate(items, start=1):
        text = _clean(item.text)
        if not text:
            raise invalid_field(
                f"items[{position - 1}].text", _("This field cannot be blank."), code="missing"
            )
        built.append(
            SectorStandardItem(
                standard_id=standard.id,
                position=position,
                text=text,
                weight=item.weight,
                guidance=_clean_optional(item.guidance),
            )
        )
    return built


def _item_snapshot(items: Sequence[ItemIn] | Sequence[SectorStandardItem]) -> list[Any]:
    return [[i.text, i.weight] for i in items]


async def create_standard(
    session: AsyncSession, principal: Principal, sector_id: uuid.UUID, data: StandardIn
) -> SectorStandard:
    """Write the next version of the sector's standard, as a draft (one draft at a time)."""
    sector, department = await led_sector(session, principal, sector_id)
    _require_active(sector)
    draft = (
        await session.scalars(
            select(SectorStandard).where(
                SectorStandard.sector_id == sector.id, SectorStandard.status == "draft"
            )
        )
    ).first()
    if draft is not None:
        raise Conflict(
            _("Version {version} of this sector's standard is still a draft; publish or edit it first."),
            code="draft_exists",
            version=draft.version,
        )
    latest = await session.scalar(
        select(func.max(SectorStandard.version)).where(SectorStandard.sector_id == sector.id)
    )
    standard = SectorStandard(
        sector_id=sector.id,
        org_node_id=department.id,
        title=_required("title", data.title),
        version=int(latest or 0) + 1,
        status="draft",
        pass_mark=data.pass_mark,
    )
    session.add(standard)
    await session.flush()
    session.add_all(_new_items(standard, data.items))
    await session.flush()
    await audit(
        session,
        "sector_guidance.standard_create",
        object_type="sector_standard",
        object_id=standard.id,
        org_node_id=department.id,
        changes=audit_diff(
            {},
            {
                "sector_id": sector.id,
                "title": standard.title,
                "version": standard.version,
                "pass_mark": standard.pass_mark,
                "items": _item_snapshot(data.items),
            },
        ),
    )
    return standard


async def update_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID, data: StandardUpdate
) -> SectorStandard:
    standard, _sector = await _led_draft(session, principal, standard_id)
    before = {"title": standard.title, "pass_mark": standard.pass_mark}
    if data.title is not msgspec.UNSET:
        standard.title = _required("title", data.title)
    if data.pass_mark is not msgspec.UNSET:
        standard.pass_mark = data.pass_mark
    await session.flush()
    await audit(
        session,
        "sector_guidance.standard_update",
        object_type="sector_standard",
        object_id=standard.id,
        org_node_id=standard.org_node_id,
        changes=audit_diff(before, {"title": standard.title, "pass_mark": standard.pass_mark}),
    )
    return standard


async def replace_items(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID, items: Sequence[ItemIn]
) -> SectorStandard:
    """Replace a draft's checklist with ``items``, numbered in the order given."""
    standard, _sector = await _led_draft(session, principal, standard_id)
    before = (await _items(session, [standard.id]))[standard.id]
    snapshot_before = _item_snapshot(before)
    new_items = _new_items(standard, items)
    # A bulk delete first: the unit of work would insert the new positions before deleting the old.
    await session.execute(delete(SectorStandardItem).where(SectorStandardItem.standard_id == standard.id))
    for old in before:
        session.expunge(old)
    session.add_all(new_items)
    await session.flush()
    await audit(
        session,
        "sector_guidance.standard_items",
        object_type="sector_standard",
        object_id=standard.id,
        org_node_id=standard.org_node_id,
        changes=audit_diff({"items": snapshot_before}, {"items": _item_snapshot(items)}),
    )
    return standard


async def publish_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> SectorStandard:
    """Publish a draft: it becomes the sector's standard and the version published before it retires."""
    standard, sector = await _led_draft(session, principal, standard_id)
    items = (await _items(session, [standard.id]))[standard.id]
    if not items:
        raise invalid_field(
            "items", _("A standard needs at least one checklist item before it is published."), code="empty"
        )
    previous = (
        await session.scalars(
            select(SectorStandard).where(
                SectorStandard.sector_id == sector.id, SectorStandard.status == "published"
            )
        )
    ).first()
    if previous is not None:
        previous.status = "retired"
        # Retire first: at most one published version per sector (a unique index).
        await session.flush()
        await audit(
            session,
            "sector_guidance.standard_retire",
            object_type="sector_standard",
            object_id=previous.id,
            org_node_id=previous.org_node_id,
            changes=audit_diff({"status": "published"}, {"status": "retired"}),
        )
    standard.status = "published"
    standard.published_at = utcnow()
    await session.flush()
    await audit(
        session,
        "sector_guidance.standard_publish",
        object_type="sector_standard",
        object_id=standard.id,
        org_node_id=standard.org_node_id,
        changes=audit_diff(
            {"status": "draft"},
            {"status": "published", "retired_version": previous.version if previous is not None else None},
        ),
    )
    return standard


# --- assessments -----------------------------------------------------------------------------------


@dataclass
class AssessmentInReach:
    assessment: SectorAssessment
    sector: Sector
    department: OrgNode
    organisation: OrgNode


async def assessment_in_reach(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, permission: str
) -> AssessmentInReach:
    """The assessment if its sector's department or its organisation is in the caller's scope; else 404."""
    assessment = await session.get(SectorAssessment, (principal.tenant_id, assessment_id))
    if assessment is None:
        raise not_found()
    sector = await session.get(Sector, (principal.tenant_id, assessment.sector_id))
    assert sector is not None
    department = await _department(session, sector)
    organisation = await _organisation(session, principal, assessment.org_node_id)
    if not _within_reach(principal, permission, department, organisation):
        raise not_found()
    return AssessmentInReach(assessment, sector, department, organisation)


async def assessment_record(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, permission: str
) -> SectorAssessment:
    """The assessment as a record that takes evidence files (佐证材料): reached like any assessment."""
    return (await assessment_in_reach(session, principal, assessment_id, permission)).assessment


async def assessment_outs(session: AsyncSession, rows: Sequence[SectorAssessment]) -> list[AssessmentOut]:
    if not rows:
        return []
    sectors = {
        s.id: s
        for s in await session.scalars(select(Sector).where(Sector.id.in_({a.sector_id for a in rows})))
    }
    standards = {
        s.id: s
        for s in await session.scalars(
            select(SectorStandard).where(SectorStandard.id.in_({a.standard_id for a in rows}))
        )
    }
    nodes = await _names(session, (a.org_node_id for a in rows))
    item_counts: dict[uuid.UUID, int] = {
        standard_id: count
        for standard_id, count in await session.execute(
            select(SectorStandardItem.standard_id, func.count())
            .where(SectorStandardItem.standard_id.in_(standards))
            .group_by(SectorStandardItem.standard_id)
        )
    }
    answered: dict[uuid.UUID, int] = {
        assessment_id: count
        for assessment_id, count in await session.execute(
            select(SectorAssessmentResult.assessment_id, func.count())
            .where(SectorAssessmentResult.assessment_id.in_({a.id for a in rows}))
            .group_by(SectorAssessmentResult.assessment_id)
        )
    }
    return [
        AssessmentOut(
            id=a.id,
            sector_id=a.sector_id,
            sector_name=sectors[a.sector_id].name,
            standard_id=a.standard_id,
            standard_version=standards[a.standard_id].version,
            org_node_id=a.org_node_id,
            org_name=nodes[a.org_node_id].name,
            cycle=a.cycle,
            status=a.status,
            score=a.score,
            passed=a.passed,
            pass_mark=a.pass_mark,
            assessor_id=a.assessor_id,
            started_at=a.started_at,
            submitted_at=a.submitted_at,
            answered=int(answered.get(a.id, 0)),
            item_count=int(item_counts.get(a.standard_id, 0)),
        )
        for a in rows
    ]


async def assessment_detail(session: AsyncSession, found: AssessmentInReach) -> AssessmentDetailOut:
    """The assessment with its standard's checklist and the answers recorded so far."""
    assessment = found.assessment
    (summary,) = await assessment_outs(session, [assessment])
    standard = await session.get(SectorStandard, (assessment.tenant_id, assessment.standard_id))
    assert standard is not None
    items = (await _items(session, [standard.id]))[standard.id]
    results = {
        r.item_id: r
        for r in await session.scalars(
            select(SectorAssessmentResult).where(SectorAssessmentResult.assessment_id == assessment.id)
        )
    }
    return AssessmentDetailOut(
        **msgspec.structs.asdict(summary),
        standard_title=standard.title,
        items=[
            AnsweredItemOut(
                item_id=i.id,
                position=i.position,
                text=i.text,
                weight=i.weight,
                guidance=i.guidance,
                met=results[i.id].met if i.id in results else None,
                evidence=results[i.id].evidence if i.id in results else None,
            )
            for i in items
        ],
    )


async def assessments_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    sector_id: uuid.UUID | None = None,
    cycle: str | None = None,
    status: str | None = None,
    node_id: uuid.UUID | None = None,
) -> tuple[list[SectorAssessment], int]:
    department = aliased(OrgNode, name="department")
    organisation = aliased(OrgNode, name="assessed_org")
    stmt = (
        select(SectorAssessment)
        .join(
            Sector,
            (Sector.tenant_id == SectorAssessment.tenant_id) & (Sector.id == SectorAssessment.sector_id),
        )
        .join(department, (department.tenant_id == Sector.tenant_id) & (department.id == Sector.org_node_id))
        .join(
            organisation,
            (organisation.tenant_id == SectorAssessment.tenant_id)
            & (organisation.id == SectorAssessment.org_node_id),
        )
        .where(_reach_predicate(principal, READ, department.path, organisation.path))
    )
    if sector_id is not None:
        stmt = stmt.where(SectorAssessment.sector_id == sector_id)
    if cycle is not None:
        stmt = stmt.where(SectorAssessment.cycle == cycle)
    if status is not None:
        stmt = stmt.where(SectorAssessment.status == status)
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(in_subtree(organisation.path, node.path))
    stmt = stmt.order_by(SectorAssessment.cycle.desc(), Sector.code, organisation.name, SectorAssessment.id)
    return await paginate(session, stmt, page)


async def _published_standard(session: AsyncSession, sector: Sector) -> SectorStandard:
    standard = (await _published(session, [sector.id])).get(sector.id)
    if standard is None:
        raise Conflict(
            _("The sector {name} has no published standard to assess against yet."),
            code="no_published_standard",
            name=sector.name,
        )
    return standard


async def create_assessment(
    session: AsyncSession, principal: Principal, data: AssessmentIn
) -> SectorAssessment:
    """Start assessing a member organisation against its sector's published standard for a cycle
    (the current one unless named)."""
    sector = await visible_sector(session, principal, data.sector_id, ASSESS)
    department = await _department(session, sector)
    organisation = await _organisation(session, principal, data.org_node_id)
    if not _within_reach(principal, ASSESS, department, organisation):
        raise not_found()
    _require_active(sector)
    await _require_member(session, sector, organisation)
    if organisation.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    standard = await _published_standard(session, sector)
    config = await config_of(session)
    today = district_today()
    cycle = parse_cycle(data.cycle, config.cycle) if data.cycle else cycle_containing(today, config.cycle)
    if cycle.starts_on > today:
        raise invalid_field(
            "cycle", _("The cycle {cycle} has not begun yet."), code="not_begun", cycle=cycle.label
        )
    existing = (
        await session.scalars(
            select(SectorAssessment).where(
                SectorAssessment.sector_id == sector.id,
                SectorAssessment.org_node_id == organisation.id,
                SectorAssessment.cycle == cycle.label,
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            _("{org} already has an assessment for cycle {cycle}."),
            code="already_assessed",
            org=organisation.name,
            cycle=cycle.label,
        )
    assessment = SectorAssessment(
        standard_id=standard.id,
        sector_id=sector.id,
        org_node_id=organisation.id,
        cycle=cycle.label,
        status="in_progress",
        assessor_id=principal.user_id,
        started_at=utcnow(),
    )
    session.add(assessment)
    await session.flush()
    await audit(
        session,
        "sector_guidance.assessment_create",
        object_type="sector_assessment",
        object_id=assessment.id,
        org_node_id=organisation.id,
        changes=audit_diff(
            {},
            {
                "sector_id": sector.id,
                "standard_id": standard.id,
                "cycle": cycle.label,
                "status": "in_progress",
            },
        ),
    )
    return assessment


def _wrong_status(assessment: SectorAssessment, action: str) -> Conflict:
    messages = {
        "due": _("The assessment has not been started yet; start it first."),
        "in_progress": _("The assessment is already in progress."),
        "submitted": _("The assessment was submitted; it can no longer be changed."),
    }
    return Conflict(messages[assessment.status], code="wrong_status", action=action)


async def start_assessment(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID
) -> AssessmentInReach:
    """``due`` → ``in_progress``, against the sector's standard as published now."""
    found = await assessment_in_reach(session, principal, assessment_id, ASSESS)
    assessment = found.assessment
    if assessment.status != "due":
        raise _wrong_status(assessment, "start")
    _require_active(found.sector)
    # Nothing is answered yet, so a version published since the cycle opened is the one to use.
    standard = await _published_standard(session, found.sector)
    before = {"status": assessment.status, "standard_id": assessment.standard_id}
    assessment.standard_id = standard.id
    assessment.status = "in_progress"
    assessment.assessor_id = principal.user_id
    assessment.started_at = utcnow()
    await session.flush()
    await audit(
        session,
        "sector_guidance.assessment_start",
        object_type="sector_assessment",
        object_id=assessment.id,
        org_node_id=assessment.org_node_id,
        changes=audit_diff(before, {"status": assessment.status, "standard_id": assessment.standard_id}),
    )
    return found


async def record_results(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, data: ResultsIn
) -> AssessmentInReach:
    """Record (or correct) answers to checklist items; evidence is required for every item met."""
    found = await assessment_in_reach(session, principal, assessment_id, ASSESS)
    assessment = found.assessment
    if assessment.status != "in_progress":
        raise _wrong_status(assessment, "record")
    items = {i.id: i for i in (await _items(session, [assessment.standard_id]))[assessment.standard_id]}
    problems: list[FieldProblem] = []
    seen: set[uuid.UUID] = set()
    for index, result in enumerate(data.results):
        where = f"results[{index}]"
        if result.item_id not in items:
            problems.append(
                FieldProblem(
                    f"{where}.item_id", "unknown_item", _("This item is not in the assessment's standard.")
                )
            )
        elif result.item_id in seen:
            problems.append(FieldProblem(f"{where}.item_id", "duplicate", _("This item is answered twice.")))
        seen.add(result.item_id)
        if result.met and not _clean_optional(result.evidence):
            problems.append(
                FieldProblem(f"{where}.evidence", "missing", _("An item that is met needs its evidence."))
            )
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    existing = {
        r.item_id: r
        for r in await session.scalars(
            select(SectorAssessmentResult).where(SectorAssessmentResult.assessment_id == assessment.id)
        )
    }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for result in data.results:
        position = str(items[result.item_id].position)
        evidence = _clean_optional(result.evidence)
        row = existing.get(result.item_id)
        if row is None:
            session.add(
                SectorAssessmentResult(
                    assessment_id=assessment.id, item_id=result.item_id, met=result.met, evidence=evidence
                )
            )
        else:
            before[position] = row.met
            row.met = result.met
            row.evidence = evidence
        after[position] = result.met
    assessment.updated_at = utcnow()
    await session.flush()
    await audit(
        session,
        "sector_guidance.assessment_results",
        object_type="sector_assessment",
        object_id=assessment.id,
        org_node_id=assessment.org_node_id,
        changes=audit_diff(before, after),
    )
    return found


async def submit_assessment(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID
) -> AssessmentInReach:
    """``in_progress`` → ``submitted`` once every item is answered: the score and the pass are fixed."""
    found = await assessment_in_reach(session, principal, assessment_id, ASSESS)
    assessment = found.assessment
    if assessment.status != "in_progress":
        raise _wrong_status(assessment, "submit")
    items = (await _items(session, [assessment.standard_id]))[assessment.standard_id]
    results = {
        r.item_id: r
        for r in await session.scalars(
            select(SectorAssessmentResult).where(SectorAssessmentResult.assessment_id == assessment.id)
        )
    }
    unanswered = [i for i in items if i.id not in results]
    if unanswered:
        raise Invalid(
            _("Answer every item of the standard before submitting."),
            code="unanswered_items",
            errors=[
                FieldProblem(
                    "results",
                    "unanswered",
                    _("Item {position} has no answer: {text}"),
                    {"position": i.position, "text": i.text},
                )
                for i in unanswered
            ],
        )
    standard = await session.get(SectorStandard, (assessment.tenant_id, assessment.standard_id))
    assert standard is not None
    pass_mark = standard.pass_mark if standard.pass_mark is not None else (await config_of(session)).pass_mark
    score = compute_score((i.weight, results[i.id].met) for i in items)
    assessment.score = score
    assessment.pass_mark = pass_mark
    assessment.passed = score >= pass_mark
    assessment.status = "submitted"
    assessment.submitted_at = utcnow()
    if assessment.assessor_id is None:
        assessment.assessor_id = principal.user_id
    await session.flush()
    await audit(
        session,
        "sector_guidance.assessment_submit",
        object_type="sector_assessment",
        object_id=assessment.id,
        org_node_id=assessment.org_node_id,
        changes=audit_diff(
            {"status": "in_progress"},
            {"status": "submitted", "score": score, "pass_mark": pass_mark, "passed": assessment.passed},
        ),
    )
    return found


# --- guidance visits -------------------------------------------------------------------------------


async def visit_outs(session: AsyncSession, visits: Sequence[SectorGuidanceVisit]) -> list[VisitOut]:
    if not visits:
        return []
    sectors = {
        s.id: s
        for s in await session.scalars(select(Sector).where(Sector.id.in_({v.sector_id for v in visits})))
    }
    nodes = await _names(session, (v.org_node_id for v in visits))
    return [
        VisitOut(
            id=v.id,
            sector_id=v.sector_id,
            sector_name=sectors[v.sector_id].name,
            org_node_id=v.org_node_id,
            org_name=nodes[v.org_node_id].name,
            visited_on=v.visited_on,
            visitor=v.visitor,
            topics=v.topics,
            findings=v.findings,
            follow_up=v.follow_up,
            created_at=v.created_at,
        )
        for v in visits
    ]


async def visit_in_reach(
    session: AsyncSession, principal: Principal, visit_id: uuid.UUID, permission: str = READ
) -> SectorGuidanceVisit:
    visit = await session.get(SectorGuidanceVisit, (principal.tenant_id, visit_id))
    if visit is None:
        raise not_found()
    sector = await session.get(Sector, (principal.tenant_id, visit.sector_id))
    assert sector is not None
    department = await _department(session, sector)
    organisation = await _organisation(session, principal, visit.org_node_id)
    if not _within_reach(principal, permission, department, organisation):
        raise not_found()
    return visit


async def visits_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    sector_id: uuid.UUID | None = None,
    node_id: uuid.UUID | None = None,
    year: int | None = None,
) -> tuple[list[SectorGuidanceVisit], int]:
    department = aliased(OrgNode, name="department")
    organisation = aliased(OrgNode, name="visited_org")
    stmt = (
        select(SectorGuidanceVisit)
        .join(
            Sector,
            (Sector.tenant_id == SectorGuidanceVisit.tenant_id)
            & (Sector.id == SectorGuidanceVisit.sector_id),
        )
        .join(department, (department.tenant_id == Sector.tenant_id) & (department.id == Sector.org_node_id))
        .join(
            organisation,
            (organisation.tenant_id == SectorGuidanceVisit.tenant_id)
            & (organisation.id == SectorGuidanceVisit.org_node_id),
        )
        .where(_reach_predicate(principal, READ, department.path, organisation.path))
    )
    if sector_id is not None:
        stmt = stmt.where(SectorGuidanceVisit.sector_id == sector_id)
    if year is not None:
        stmt = stmt.where(
            SectorGuidanceVisit.visited_on >= dt.date(year, 1, 1),
            SectorGuidanceVisit.visited_on <= dt.date(year, 12, 31),
        )
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(in_subtree(organisation.path, node.path))
    stmt = stmt.order_by(SectorGuidanceVisit.visited_on.desc(), SectorGuidanceVisit.id)
    return await paginate(session, stmt, page)


async def record_visit(session: AsyncSession, principal: Principal, data: VisitIn) -> SectorGuidanceVisit:
    """Record a guidance visit (指导走访) to one of the sector's organisations."""
    sector = await visible_sector(session, principal, data.sector_id, ASSESS)
    department = await _department(session, sector)
    organisation = await _organisation(session, principal, data.org_node_id)
    if not _within_reach(principal, ASSESS, department, organisation):
        raise not_found()
    _require_active(sector)
    await _require_member(session, sector, organisation)
    if data.visited_on > district_today():
        raise invalid_field("visited_on", _("The date cannot be in the future."), code="in_future")
    visit = SectorGuidanceVisit(
        sector_id=sector.id,
        org_node_id=organisation.id,
        visited_on=data.visited_on,
        visitor=_required("visitor", data.visitor),
        topics=_required_text("topics", data.topics),
        findings=_clean_optional(data.findings),
        follow_up=_clean_optional(data.follow_up),
    )
    session.add(visit)
    await session.flush()
    await audit(
        session,
        "sector_guidance.visit_record",
        object_type="sector_guidance_visit",
        object_id=visit.id,
        org_node_id=organisation.id,
        changes=audit_diff(
            {},
            {
                "sector_id": sector.id,
                "visited_on": visit.visited_on,
                "visitor": visit.visitor,
                "topics": visit.topics,
            },
        ),
    )
    return visit


# --- the assessment cycle (jobs) -------------------------------------------------------------------


def _insert(session: AsyncSession) -> Any:
    return postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def open_cycle(session: AsyncSession, tenant_id: uuid.UUID, cycle: Cycle) -> dict[uuid.UUID, int]:
    """Open ``cycle``: a ``due`` assessment for every organisation of every active sector with a
    published standard that has none for the cycle. Safe to run twice, even at once (the unique key
    decides). Notifies each department's secretaries once per cycle. Returns new assessments per sector.
    """
    rows = (
        await session.execute(
            select(Sector, SectorStandard)
            .join(
                SectorStandard,
                (SectorStandard.tenant_id == Sector.tenant_id)
                & (SectorStandard.sector_id == Sector.id)
                & (SectorStandard.status == "published"),
            )
            .where(Sector.status == "active")
            .order_by(Sector.code)
        )
    ).tuples()
    table: Table = SectorAssessment.__table__  # type: ignore[assignment]
    insert = _insert(session)
    opened: dict[uuid.UUID, int] = {}
    for sector, standard in rows:
        assessed = select(SectorAssessment.org_node_id).where(
            SectorAssessment.sector_id == sector.id, SectorAssessment.cycle == cycle.label
        )
        organisations = list(
            await session.scalars(
                select(SectorMember.org_node_id)
                .join(
                    OrgNode,
                    (OrgNode.tenant_id == SectorMember.tenant_id) & (OrgNode.id == SectorMember.org_node_id),
                )
                .where(
                    SectorMember.sector_id == sector.id,
                    OrgNode.archived_at.is_(None),
                    SectorMember.org_node_id.not_in(assessed),
                )
                .order_by(SectorMember.org_node_id)
            )
        )
        if not organisations:
            continue
        now = utcnow()
        values = [
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "standard_id": standard.id,
                "sector_id": sector.id,
                "org_node_id": org_node_id,
                "cycle": cycle.label,
                "status": "due",
                "score": None,
                "passed": None,
                "pass_mark": None,
                "assessor_id": None,
                "started_at": None,
                "submitted_at": None,
                "created_at": now,
                "updated_at": now,
            }
            for org_node_id in organisations
        ]
        stmt = (
            insert(table)
            .values(values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "sector_id", "org_node_id", "cycle"])
            .returning(table.c.id)
        )
        created = len((await session.execute(stmt)).all())
        if not created:
            continue
        opened[sector.id] = created
        await audit(
            session,
            "sector_guidance.cycle_open",
            object_type="sector",
            object_id=sector.id,
            org_node_id=sector.org_node_id,
            changes={"cycle": cycle.label, "due_assessments": created},
        )
        await notify(
            session,
            title=f"{sector.name}{cycle.label}周期党建达标评估已开启，{created}家组织待评估",
            kind="assessment_cycle_opened",
            source=SLUG,
            role="secretary",
            at_node=sector.org_node_id,
            org_node_id=sector.org_node_id,
            link=f"/api/v1/m/{SLUG}/assessments?sector_id={sector.id}&cycle={cycle.label}",
            dedupe_key=f"{SLUG}.cycle_opened:{sector.id}:{cycle.label}",
        )
    return opened


def opens_a_cycle(day: dt.date, kind: str) -> bool:
    """Whether ``day`` is the first day of a cycle of ``kind``."""
    return cycle_containing(day, kind).starts_on == day


async def remind_unfinished(session: AsyncSession, day: dt.date, config: SectorGuidanceConfig) -> int:
    """Near the end of the cycle (``remind_days_before_cycle_end``), remind each department's
    secretaries of its unsubmitted assessments and each assessor of the ones they started; once per
    cycle each. Returns how many notifications were created."""
    cycle = cycle_containing(day, config.cycle)
    if (cycle.ends_on - day).days > config.remind_days_before_cycle_end:
        return 0
    counts: dict[uuid.UUID, int] = {
        sector_id: count
        for sector_id, count in await session.execute(
            select(SectorAssessment.sector_id, func.count())
            .where(SectorAssessment.cycle == cycle.label, SectorAssessment.status != "submitted")
            .group_by(SectorAssessment.sector_id)
        )
    }
    sectors = list(
        await session.scalars(
            select(Sector).where(Sector.id.in_(counts), Sector.status == "active").order_by(Sector.code)
        )
    )
    sent = 0
    for sector in sectors:
        count = counts[sector.id]
        sent += await notify(
            session,
            title=f"{sector.name}{cycle.label}周期尚有{count}家组织未提交党建达标评估，周期于{cycle.ends_on.isoformat()}结束",
            kind="assessment_reminder",
            source=SLUG,
            role="secretary",
            at_node=sector.org_node_id,
            org_node_id=sector.org_node_id,
            link=f"/api/v1/m/{SLUG}/assessments?sector_id={sector.id}&cycle={cycle.label}",
            dedupe_key=f"{SLUG}.reminder:{sector.id}:{cycle.label}",
        )
    started = (
        await session.execute(
            select(SectorAssessment, OrgNode.name)
            .join(
                OrgNode,
                (OrgNode.tenant_id == SectorAssessment.tenant_id)
                & (OrgNode.id == SectorAssessment.org_node_id),
            )
            .where(
                SectorAssessment.cycle == cycle.label,
                SectorAssessment.status == "in_progress",
                SectorAssessment.assessor_id.is_not(None),
            )
        )
    ).tuples()
    for assessment, org_name in started:
        assert assessment.assessor_id is not None
        sent += await notify(
            session,
            title=f"{org_name}的党建达标评估尚未提交，{cycle.label}周期于{cycle.ends_on.isoformat()}结束",
            kind="assessment_reminder",
            source=SLUG,
            users=[assessment.assessor_id],
            org_node_id=assessment.org_node_id,
            link=f"/api/v1/m/{SLUG}/assessments/{assessment.id}",
            dedupe_key=f"{SLUG}.reminder:{assessment.id}",
        )
    return sent


# --- dashboard figures -----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


async def figures(
    session: AsyncSession, node: OrgNode, day: dt.date, config: SectorGuidanceConfig
) -> list[Figure]:
    """The mechanism's figures for the subtree at ``node``: sectors, organisations they guide, the share
    assessed and meeting the standard in the current cycle (overall and per sector), visits this year."""
    cycle = cycle_containing(day, config.cycle)
    organisation = aliased(OrgNode, name="member_org")
    in_area = in_subtree(organisation.path, node.path)
    memberships = list(
        (
            await session.execute(
                select(Sector.id, Sector.code, Sector.name, SectorMember.org_node_id)
                .join(
                    SectorMember,
                    (SectorMember.tenant_id == Sector.tenant_id) & (SectorMember.sector_id == Sector.id),
                )
                .join(
                    organisation,
                    (organisation.tenant_id == SectorMember.tenant_id)
                    & (organisation.id == SectorMember.org_node_id),
                )
                .where(Sector.status == "active", organisation.archived_at.is_(None), in_area)
            )
        ).tuples()
    )
    submitted = {
        (sector_id, org_node_id): bool(passed)
        for sector_id, org_node_id, passed in (
            await session.execute(
                select(SectorAssessment.sector_id, SectorAssessment.org_node_id, SectorAssessment.passed)
                .join(
                    organisation,
                    (organisation.tenant_id == SectorAssessment.tenant_id)
                    & (organisation.id == SectorAssessment.org_node_id),
                )
                .where(SectorAssessment.cycle == cycle.label, SectorAssessment.status == "submitted", in_area)
            )
        ).tuples()
    }
    department = aliased(OrgNode, name="department")
    led_here = set(
        await session.scalars(
            select(Sector.id)
            .join(
                department, (department.tenant_id == Sector.tenant_id) & (department.id == Sector.org_node_id)
            )
            .where(Sector.status == "active", in_subtree(department.path, node.path))
        )
    )
    visits = await session.scalar(
        select(func.count())
        .select_from(SectorGuidanceVisit)
        .join(
            organisation,
            (organisation.tenant_id == SectorGuidanceVisit.tenant_id)
            & (organisation.id == SectorGuidanceVisit.org_node_id),
        )
        .where(
            in_area,
            SectorGuidanceVisit.visited_on >= dt.date(day.year, 1, 1),
            SectorGuidanceVisit.visited_on <= dt.date(day.year, 12, 31),
        )
    )
    assessed = [key for key in ((m[0], m[3]) for m in memberships) if key in submitted]
    met = [key for key in assessed if submitted[key]]
    result = [
        Figure(
            key="sectors",
            name_zh="行业",
            name_en="Sectors",
            value=len(led_here | {m[0] for m in memberships}),
            unit_zh="个",
        ),
        Figure(
            key="organisations",
            name_zh="行业覆盖组织",
            name_en="Organisations guided by sectors",
            value=len({m[3] for m in memberships}),
            unit_zh="家",
        ),
        Figure(
            key="assessed_rate",
            name_zh=f"{cycle.label}周期评估完成率",
            name_en=f"Assessed in cycle {cycle.label}",
            value=_rate(len(assessed), len(memberships)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="met_rate",
            name_zh=f"{cycle.label}周期行业党建达标率",
            name_en=f"Meeting the sector standard in cycle {cycle.label}",
            value=_rate(len(met), len(memberships)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="visits_this_year",
            name_zh=f"{day.year}年指导走访",
            name_en=f"Guidance visits in {day.year}",
            value=int(visits or 0),
            unit_zh="次",
        ),
    ]
    per_sector: dict[uuid.UUID, tuple[str, str, list[uuid.UUID]]] = {}
    for sector_id, code, name, org_node_id in memberships:
        per_sector.setdefault(sector_id, (code, name, []))[2].append(org_node_id)
    for sector_id, (code, name, organisations) in sorted(per_sector.items(), key=lambda kv: kv[1][0]):
        done = [o for o in organisations if (sector_id, o) in submitted]
        result.append(
            Figure(
                key=f"assessed_rate.{code}",
                name_zh=f"{name}评估完成率",
                name_en=f"{code}: assessed",
                value=_rate(len(done), len(organisations)),
                unit_zh="%",
                unit_en="%",
            )
        )
        result.append(
            Figure(
                key=f"met_rate.{code}",
                name_zh=f"{name}达标率",
                name_en=f"{code}: meeting the standard",
                value=_rate(sum(1 for o in done if submitted[(sector_id, o)]), len(organisations)),
                unit_zh="%",
                unit_en="%",
            )
        )
    return result
