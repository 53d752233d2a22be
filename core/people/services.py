"""Rules for people: identity checks, encrypted sensitive fields, masking, relation history, affiliations.

ID card numbers and phones are stored encrypted (per-tenant keys) with a
keyed blind index for exact lookup and uniqueness; every response masks
them except the unmask route, which requires ``person.unmask`` in scope and
is audited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.auth.scope import Principal, load_in_scope, node_in_scope
from core.errors import Conflict, FieldProblem, Invalid, ProblemError, invalid_field
from core.i18n import _, current_locale
from core.jobs.service import publish
from core.orgs import kinds
from core.orgs.models import OrgNode
from core.people.models import MEMBER_STATUSES, Affiliation, Person, PersonRelation
from core.people.schemas import (
    AffiliationIn,
    AffiliationKindOut,
    AffiliationOut,
    PersonCreate,
    PersonMove,
    PersonOut,
    PersonSensitiveOut,
    PersonUpdate,
    RelationOut,
)
from core.people.validation import IdCard, check_id_card, mask_id_card, mask_phone, normalise_phone
from core.web.schemas import PageParams

MIN_JOINING_AGE = 18


class AffiliationKind(msgspec.Struct, frozen=True):
    """A kind of non-formal tie of a person to a node; plugins add theirs."""

    key: str
    name_zh: str
    name_en: str
    node_kinds: frozenset[str]


_affiliation_kinds: dict[str, AffiliationKind] = {}


def register_affiliation_kind(kind: AffiliationKind) -> None:
    _affiliation_kinds[kind.key] = kind


for _kind in (
    AffiliationKind(
        "check_in",
        "在职党员社区报到",
        "Checked in at the home community",
        frozenset({"community", "village"}),
    ),
    AffiliationKind(
        "committee_member",
        "兼职委员",
        "Part-time committee member",
        frozenset({"street", "community", "village", "joint_committee"}),
    ),
    AffiliationKind(
        "unit_liaison",
        "单位联络人",
        "Unit liaison",
        frozenset({"unit", "sector_department", "enterprise", "social_org"}),
    ),
    AffiliationKind(
        "volunteer", "志愿者", "Volunteer", frozenset({"street", "community", "village", "social_org"})
    ),
):
    register_affiliation_kind(_kind)


def affiliation_kind_outs() -> list[AffiliationKindOut]:
    en = current_locale() == "en"
    return [
        AffiliationKindOut(
            key=k.key,
            name=k.name_en if en else k.name_zh,
            name_zh=k.name_zh,
            name_en=k.name_en,
            node_kinds=sorted(k.node_kinds),
        )
        for k in sorted(_affiliation_kinds.values(), key=lambda k: k.key)
    ]


def id_card_index(tenant_id: uuid.UUID, number: str) -> str:
    return crypto.blind_index(tenant_id, "id_card", number)


def phone_index(tenant_id: uuid.UUID, phone: str) -> str:
    return crypto.blind_index(tenant_id, "phone", phone)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


async def contact_cutoff(session: AsyncSession, tenant_id: uuid.UUID) -> dt.date:
    """Members last contacted before this day count as out of contact (失联), per the district's setting."""
    from core.tenancy.models import Tenant
    from core.tenancy.settings import parse_tenant_settings

    kept = session.info.get("tenant")
    tenant = (
        kept
        if isinstance(kept, Tenant) and kept.id == tenant_id
        else await session.get_one(Tenant, tenant_id)
    )
    return months_before(dt.date.today(), parse_tenant_settings(tenant.settings).security.lost_contact_months)


def person_out(
    person: Person | Row[Any],
    node_name: str | None = None,
    *,
    today: dt.date | None = None,
    contact_cutoff: dt.date | None = None,
) -> PersonOut:
    return PersonOut(
        id=person.id,
        name=person.name,
        gender=person.gender,
        ethnicity=person.ethnicity,
        age=age_on(person.birth_date, today or dt.date.today()),
        id_card_masked=person.id_card_masked,
        phone_masked=person.phone_masked,
        education=person.education,
        party_status=person.party_status,
        joined_on=person.joined_on,
        full_member_on=person.full_member_on,
        category=person.category,
        work_unit=person.work_unit,
        address=person.address,
        lost_contact=person.lost_contact,
        last_contact_on=person.last_contact_on,
        contact_overdue=bool(
            contact_cutoff is not None
            and person.party_status in MEMBER_STATUSES
            and person.last_contact_on is not None
            and person.last_contact_on < contact_cutoff
        ),
        org_node_id=person.org_node_id,
        org_node_name=node_name,
        archived_at=person.archived_at,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )


# Free text that locates a person: the audit log records that it changed, never what it says (PIPL; the
# log outlives an erasure request).
UNRECORDED_IN_AUDIT = ("address", "work_unit")


def snapshot(person: Person) -> dict[str, Any]:
    """What the audit log may record of a person: sensitive fields only as their blind index."""
    return {
        "name": person.name,
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "id_card": person.id_card_index[:12],
        "phone": person.phone_index[:12] if person.phone_index else None,
        "education": person.education,
        "party_status": person.party_status,
        "joined_on": person.joined_on,
        "full_member_on": person.full_member_on,
        "category": person.category,
        "work_unit": person.work_unit,
        "address": person.address,
        "lost_contact": person.lost_contact,
        "last_contact_on": person.last_contact_on,
        "org_node_id": person.org_node_id,
    }


def check_membership(
    *,
    party_status: str,
    joined_on: dt.date | None,
    full_member_on: dt.date | None,
    birth_date: dt.date,
    node_kind: str | None,
    today: dt.date | None = None,
    prefix: str = "",
) -> list[FieldProblem]:
    """The rules linking party status, dates and placement; every broken rule is named."""
    today = today or dt.date.today()
    problems: list[FieldProblem] = []
    member = party_status in MEMBER_STATUSES
    if member:
        if joined_on is None:
            problems.append(
                FieldProblem(prefix + "joined_on", "missing", _("A party member needs the date of joining."))
            )
        else:
            if joined_on > today:
                problems.append(
                    FieldProblem(prefix + "joined_on", "future", _("The date cannot be in the future."))
                )
            if age_on(birth_date, joined_on) < MIN_JOINING_AGE:
                problems.append(
                    FieldProblem(
                        prefix + "joined_on",
                        "too_young",
                        _("Members join at {age} or older."),
                        {"age": MIN_JOINING_AGE},
                    )
                )
        if party_status == "probationary" and full_member_on is not None:
            problems.append(
                FieldProblem(
                    prefix + "full_member_on",
                    "not_full",
                    _("A probationary member has no full-membership date."),
                )
            )
        if full_member_on is not None and joined_on is not None and full_member_on < joined_on:
            problems.append(
                FieldProblem(
                    prefix + "full_member_on", "before_joining", _("Full membership comes after joining.")
                )
            )
        if node_kind is not None and not kinds.get_kind(node_kind).holds_members:
            problems.append(
                FieldProblem(
                    prefix + "org_node_id",
                    "not_member_node",
                    _(
                        "A party member's relation is held by a branch (or a committee that holds members), not a {kind}."
                    ),
                    {"kind": node_kind},
                )
            )
    else:
        for field, value in (("joined_on", joined_on), ("full_member_on", full_member_on)):
            if value is not None:
                problems.append(
                    FieldProblem(prefix + field, "not_member", _("Only party members have this date."))
                )
    return problems


async def _check_unique_id_card(session: AsyncSession, index: str, exclude: uuid.UUID | None) -> None:
    stmt = select(Person.id).where(Person.id_card_index == index)
    if exclude is not None:
        stmt = stmt.where(Person.id != exclude)
    if (await session.scalars(stmt)).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "id_card", "duplicate", _("A person with this ID card number is already registered.")
                )
            ],
        )


async def create_person(session: AsyncSession, principal: Principal, data: PersonCreate) -> Person:
    node = await node_in_scope(session, principal, data.org_node_id, "person.write")
    if node.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    return await insert_person(session, principal.tenant_id, node, data)


def new_person(tenant_id: uuid.UUID, node: OrgNode, data: PersonCreate, *, prefix: str = "") -> Person:
    """Validate one person at ``node`` and build the row, without touching the database.

    Every broken rule is raised at once, so an importer can report all of a
    row's problems; uniqueness is left to the caller (one query per batch).
    """
    problems: list[FieldProblem] = []
    try:
        card: IdCard | None = check_id_card(data.id_card, prefix + "id_card")
    except ProblemError as exc:
        card = None
        problems += exc.errors
    phone = None
    if data.phone:
        try:
            phone = normalise_phone(data.phone, prefix + "phone")
        except ProblemError as exc:
            problems += exc.errors
    name = " ".join(data.name.split())
    if not name:
        problems.append(FieldProblem(prefix + "name", "missing", _("This field is required.")))
    if card is not None:
        if data.gender is not None and data.gender != card.gender:
            problems.append(
                FieldProblem(
                    prefix + "gender", "id_card_mismatch", _("The gender does not match the ID card number.")
                )
            )
        problems += check_membership(
            party_status=data.party_status,
            joined_on=data.joined_on,
            full_member_on=data.full_member_on,
            birth_date=card.birth_date,
            node_kind=node.kind,
            prefix=prefix,
        )
    if problems or card is None:
        raise Invalid(_("The input is not valid."), errors=problems)
    return Person(
        tenant_id=tenant_id,
        name=name,
        gender=card.gender,
        ethnicity=data.ethnicity,
        birth_date=card.birth_date,
        id_card_encrypted=crypto.encrypt(tenant_id, card.number),
        id_card_index=id_card_index(tenant_id, card.number),
        id_card_masked=mask_id_card(card.number),
        phone_encrypted=crypto.encrypt(tenant_id, phone) if phone else None,
        phone_index=phone_index(tenant_id, phone) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
        education=data.education,
        party_status=data.party_status,
        joined_on=data.joined_on,
        full_member_on=data.full_member_on,
        category=data.category,
        work_unit=data.work_unit,
        address=data.address,
        last_contact_on=data.last_contact_on,
        org_node_id=node.id,
    )


def opening_relation(person: Person, *, reason: str = "registered") -> PersonRelation | None:
    """The open relation period a newly registered member starts with (none for a non-member)."""
    if person.party_status not in MEMBER_STATUSES:
        return None
    return PersonRelation(
        tenant_id=person.tenant_id,
        person_id=person.id,
        org_node_id=person.org_node_id,
        started_on=dt.date.today(),
        reason=reason,
    )


async def insert_person(
    session: AsyncSession, tenant_id: uuid.UUID, node: OrgNode, data: PersonCreate, *, prefix: str = ""
) -> Person:
    """Validate and write one person at ``node`` (shared by the API and the importers)."""
    person = new_person(tenant_id, node, data, prefix=prefix)
    await _check_unique_id_card(session, person.id_card_index, None)
    session.add(person)
    relation = opening_relation(person)
    if relation is not None:
        session.add(relation)
    await session.flush()
    await audit.record(
        session,
        "person.create",
        object_type="person",
        object_id=person.id,
        org_node_id=node.id,
        changes=audit.diff({}, snapshot(person), sensitive=UNRECORDED_IN_AUDIT),
    )
    return person


async def person_in_scope(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, permission: str
) -> Person:
    return await load_in_scope(session, principal, Person, person_id, permission)


async def update_person(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    data: PersonUpdate,
    *,
    audit_values: bool = True,
    audit_detail: str | None = None,
) -> Person:
    """Change a person; with ``audit_values`` false the audit record names the changed fields only
    (a data-subject request's changes: core/people/data_requests.py)."""
    person = await person_in_scope(session, principal, person_id, "person.write")
    if person.archived_at is not None:
        raise Conflict(_("The person is archived; restore the record before changing it."), code="archived")
    before = snapshot(person)
    if data.id_card is not msgspec.UNSET:
        card = check_id_card(data.id_card)
        index = id_card_index(person.tenant_id, card.number)
        await _check_unique_id_card(session, index, person.id)
        person.id_card_encrypted = crypto.encrypt(person.tenant_id, card.number)
        person.id_card_index = index
        person.id_card_masked = mask_id_card(card.number)
        person.birth_date = card.birth_date
        person.gender = card.gender
    if data.gender is not msgspec.UNSET and data.gender != person.gender:
        raise invalid_field(
            "gender", _("The gender does not match the ID card number."), code="id_card_mismatch"
        )
    if data.phone is not msgspec.UNSET:
        phone = normalise_phone(data.phone) if data.phone else None
        person.phone_encrypted = crypto.encrypt(person.tenant_id, phone) if phone else None
        person.phone_index = phone_index(person.tenant_id, phone) if phone else None
        person.phone_masked = mask_phone(phone) if phone else None
    if data.name is not msgspec.UNSET:
        name = " ".join(data.name.split())
        if not name:
            raise invalid_field("name", _("This field is required."), code="missing")
        person.name = name
    for field in (
        "ethnicity",
        "education",
        "party_status",
        "joined_on",
        "full_member_on",
        "category",
        "work_unit",
        "address",
        "lost_contact",
        "last_contact_on",
    ):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            setattr(person, field, value)
    node = await session.get_one(OrgNode, (person.tenant_id, person.org_node_id))
    problems = check_membership(
        party_status=person.party_status,
        joined_on=person.joined_on,
        full_member_on=person.full_member_on,
        birth_date=person.birth_date,
        node_kind=node.kind,
    )
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    was_member = before["party_status"] in MEMBER_STATUSES
    if person.party_status in MEMBER_STATUSES and not was_member:
        session.add(
            PersonRelation(
                person_id=person.id, org_node_id=node.id, started_on=dt.date.today(), reason="joined"
            )
        )
    elif was_member and person.party_status not in MEMBER_STATUSES:
        await _close_relation(session, person.id, dt.date.today())
    changes = audit.diff(
        before, snapshot(person), sensitive=UNRECORDED_IN_AUDIT if audit_values else before.keys()
    )
    if changes:
        await session.flush()
        await audit.record(
            session,
            "person.update",
            object_type="person",
            object_id=person.id,
            org_node_id=person.org_node_id,
            changes=changes,
            detail=audit_detail,
        )
    return person


async def _close_relation(session: AsyncSession, person_id: uuid.UUID, on: dt.date) -> PersonRelation | None:
    open_row = (
        await session.scalars(
            select(PersonRelation).where(
                PersonRelation.person_id == person_id, PersonRelation.ended_on.is_(None)
            )
        )
    ).first()
    if open_row is not None:
        open_row.ended_on = max(on, open_row.started_on)
        await session.flush()
    return open_row


async def move_person(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: PersonMove
) -> Person:
    """Move a person to another node; for a member this ends one relation period and opens the next."""
    person = await person_in_scope(session, principal, person_id, "person.write")
    if person.archived_at is not None:
        raise Conflict(_("The person is archived; restore the record before changing it."), code="archived")
    target = await node_in_scope(session, principal, data.org_node_id, "person.write")
    if target.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    if target.id == person.org_node_id:
        raise invalid_field("org_node_id", _("The person already belongs there."), code="unchanged")
    moved_on = data.moved_on or dt.date.today()
    if moved_on > dt.date.today():
        raise invalid_field("moved_on", _("The date cannot be in the future."), code="future")
    if person.party_status in MEMBER_STATUSES:
        problems = check_membership(
            party_status=person.party_status,
            joined_on=person.joined_on,
            full_member_on=person.full_member_on,
            birth_date=person.birth_date,
            node_kind=target.kind,
        )
        if problems:
            raise Invalid(_("The input is not valid."), errors=problems)
        closed = await _close_relation(session, person.id, moved_on)
        if closed is not None and moved_on < closed.started_on:
            raise invalid_field(
                "moved_on",
                _("The move cannot precede the current relation ({date})."),
                code="before_current",
                date=closed.started_on.isoformat(),
            )
        session.add(
            PersonRelation(
                person_id=person.id,
                org_node_id=target.id,
                started_on=moved_on,
                reason=data.reason,
                note=data.note,
            )
        )
    old_node = person.org_node_id
    person.org_node_id = target.id
    await session.flush()
    await audit.record(
        session,
        "person.move",
        object_type="person",
        object_id=person.id,
        org_node_id=target.id,
        changes={"org_node_id": [str(old_node), str(target.id)]},
        detail=data.reason,
    )
    await publish(
        session, "person.moved", {"person_id": str(person.id), "from": str(old_node), "to": str(target.id)}
    )
    return person


async def archive_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    person = await person_in_scope(session, principal, person_id, "person.write")
    if person.archived_at is None:
        person.archived_at = dt.datetime.now(dt.UTC)
        await _close_relation(session, person.id, dt.date.today())
        await session.flush()
        await audit.record(
            session,
            "person.archive",
            object_type="person",
            object_id=person.id,
            org_node_id=person.org_node_id,
        )
    return person


async def restore_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> Person:
    """Bring an archived person back; a member's relation reopens at the same organisation."""
    person = await person_in_scope(session, principal, person_id, "person.write")
    if person.archived_at is None:
        return person
    node = await session.get_one(OrgNode, (person.tenant_id, person.org_node_id))
    if node.archived_at is not None:
        raise Conflict(
            _("The person's organisation is archived; restore it or move the person first."), code="archived"
        )
    person.archived_at = None
    if person.party_status in MEMBER_STATUSES:
        session.add(
            PersonRelation(
                person_id=person.id, org_node_id=node.id, started_on=dt.date.today(), reason="restored"
            )
        )
    await session.flush()
    await audit.record(
        session, "person.restore", object_type="person", object_id=person.id, org_node_id=person.org_node_id
    )
    return person


async def unmask(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> PersonSensitiveOut:
    person = await person_in_scope(session, principal, person_id, "person.unmask")
    await audit.record(
        session, "person.unmask", object_type="person", object_id=person.id, org_node_id=person.org_node_id
    )
    return PersonSensitiveOut(
        id=person.id,
        id_card=crypto.decrypt(person.tenant_id, person.id_card_encrypted),
        birth_date=person.birth_date,
        phone=crypto.decrypt(person.tenant_id, person.phone_encrypted) if person.phone_encrypted else None,
    )


async def node_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return {n.id: n.name for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}


async def relations(session: AsyncSession, person: Person) -> list[RelationOut]:
    rows = list(
        await session.scalars(
            select(PersonRelation)
            .where(PersonRelation.person_id == person.id)
            .order_by(PersonRelation.started_on, PersonRelation.recorded_at)
        )
    )
    names = await node_names(session, {r.org_node_id for r in rows})
    return [
        RelationOut(
            id=r.id,
            org_node_id=r.org_node_id,
            org_node_name=names.get(r.org_node_id),
            started_on=r.started_on,
            ended_on=r.ended_on,
            reason=r.reason,
            note=r.note,
        )
        for r in rows
    ]


def affiliation_out(row: Affiliation, names: dict[uuid.UUID, str]) -> AffiliationOut:
    return AffiliationOut(
        id=row.id,
        person_id=row.person_id,
        org_node_id=row.org_node_id,
        org_node_name=names.get(row.org_node_id),
        kind=row.kind,
        role=row.role,
        started_on=row.started_on,
        ended_on=row.ended_on,
    )


async def affiliations(session: AsyncSession, person: Person) -> list[AffiliationOut]:
    rows = list(
        await session.scalars(
            select(Affiliation)
            .where(Affiliation.person_id == person.id)
            .order_by(Affiliation.started_on, Affiliation.id)
        )
    )
    names = await node_names(session, {r.org_node_id for r in rows})
    return [affiliation_out(r, names) for r in rows]


async def add_affiliation(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: AffiliationIn
) -> Affiliation:
    person = await person_in_scope(session, principal, person_id, "person.write")
    node = await node_in_scope(session, principal, data.org_node_id, "person.write")
    kind = _affiliation_kinds.get(data.kind)
    if kind is None:
        raise invalid_field(
            "kind", _("Unknown affiliation kind {kind}."), code="unknown_kind", kind=data.kind
        )
    if node.kind not in kind.node_kinds:
        raise invalid_field(
            "org_node_id", _("This tie cannot be made to a {kind}."), code="kind_not_allowed", kind=node.kind
        )
    started_on = data.started_on or dt.date.today()
    if started_on > dt.date.today():
        raise invalid_field("started_on", _("The date cannot be in the future."), code="future")
    existing = (
        await session.scalars(
            select(Affiliation).where(
                Affiliation.person_id == person.id,
                Affiliation.org_node_id == node.id,
                Affiliation.kind == kind.key,
                Affiliation.ended_on.is_(None),
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(_("The person already has this tie there."), code="duplicate")
    row = Affiliation(
        person_id=person.id, org_node_id=node.id, kind=kind.key, role=data.role, started_on=started_on
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        "person.affiliation_add",
        object_type="person",
        object_id=person.id,
        org_node_id=node.id,
        changes={"kind": [None, kind.key], "org_node_id": [None, str(node.id)]},
    )
    return row


async def end_affiliation(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    affiliation_id: uuid.UUID,
    ended_on: dt.date | None,
) -> Affiliation:
    person = await person_in_scope(session, principal, person_id, "person.write")
    row = (
        await session.scalars(
            select(Affiliation).where(Affiliation.id == affiliation_id, Affiliation.person_id == person.id)
        )
    ).first()
    if row is None:
        from core.errors import not_found

        raise not_found()
    if row.ended_on is not None:
        raise Conflict(_("The tie has already ended."), code="ended")
    ended = ended_on or dt.date.today()
    if ended < row.started_on:
        raise invalid_field(
            "ended_on",
            _("The end cannot precede the start ({date})."),
            code="before_start",
            date=row.started_on.isoformat(),
        )
    row.ended_on = ended
    await session.flush()
    await audit.record(
        session,
        "person.affiliation_end",
        object_type="person",
        object_id=person.id,
        org_node_id=row.org_node_id,
        changes={"kind": [row.kind, None]},
    )
    return row


# What ``person_out`` reads of a person; lists select these columns only (and the organisation's name).
LISTED_COLUMNS = (
    Person.id,
    Person.name,
    Person.gender,
    Person.ethnicity,
    Person.birth_date,
    Person.id_card_masked,
    Person.phone_masked,
    Person.education,
    Person.party_status,
    Person.joined_on,
    Person.full_member_on,
    Person.category,
    Person.work_unit,
    Person.address,
    Person.lost_contact,
    Person.last_contact_on,
    Person.org_node_id,
    Person.archived_at,
    Person.created_at,
    Person.updated_at,
)


async def people_page(
    session: AsyncSession, stmt: Any, cutoff: dt.date, page: PageParams
) -> tuple[list[PersonOut], int]:
    """One page of a ``people_select`` statement as the API shows it, and the total."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.execute(stmt.limit(page.limit).offset(page.offset))).all()
    today = dt.date.today()
    return [person_out(row, row.org_node_name, today=today, contact_cutoff=cutoff) for row in rows], int(
        total or 0
    )


async def people_select(
    session: AsyncSession,
    principal: Principal,
    *,
    node_id: uuid.UUID | None = None,
    q: str | None = None,
    id_card: str | None = None,
    phone: str | None = None,
    party_status: str | None = None,
    category: str | None = None,
    lost_contact: bool | None = None,
    include_archived: bool = False,
) -> tuple[Any, dt.date]:
    """The people the caller may read, filtered (ordered by name), and the district's contact cutoff.

    The statement selects the columns a list shows (``LISTED_COLUMNS``) and the name of each person's
    organisation from the node the scope check joins anyway, not ``Person`` entities: a page of rows is
    read without building ORM objects or a second query for the names (docs/performance.md).
    """
    from sqlalchemy import and_, not_, or_

    from core.auth.scope import node_in_scope, scope_predicate
    from core.orgs.models import in_subtree
    from core.people.models import MEMBER_STATUSES
    from core.people.validation import check_id_card, normalise_phone

    owner = OrgNode.__table__.alias("person_node")
    stmt = (
        select(*LISTED_COLUMNS, owner.c.name.label("org_node_name"))
        .select_from(Person)
        .join(owner, (owner.c.tenant_id == Person.tenant_id) & (owner.c.id == Person.org_node_id))
    )
    if node_id is None:
        stmt = stmt.where(scope_predicate(principal, "person.read", owner.c.path))
    else:
        # The node is in scope, so its whole subtree is: one range on the subtree is the only filter.
        node = await node_in_scope(session, principal, node_id, "person.read")
        stmt = stmt.where(in_subtree(owner.c.path, node.path))
    if q:
        stmt = stmt.where(Person.name.contains(q.strip(), autoescape=True))
    if id_card:
        number = check_id_card(id_card).number
        stmt = stmt.where(Person.id_card_index == id_card_index(principal.tenant_id, number))
    if phone:
        stmt = stmt.where(Person.phone_index == phone_index(principal.tenant_id, normalise_phone(phone)))
    if party_status:
        stmt = stmt.where(Person.party_status == party_status)
    if category:
        stmt = stmt.where(Person.category == category)
    cutoff = await contact_cutoff(session, principal.tenant_id)
    if lost_contact is not None:
        # Flagged by hand, or a member not contacted within the district's limit.
        out_of_contact = or_(
            Person.lost_contact.is_(True),
            and_(
                Person.party_status.in_(MEMBER_STATUSES),
                Person.last_contact_on.is_not(None),
                Person.last_contact_on < cutoff,
            ),
        )
        stmt = stmt.where(out_of_contact if lost_contact else not_(out_of_contact))
    if not include_archived:
        stmt = stmt.where(Person.archived_at.is_(None))
    return stmt.order_by(Person.name, Person.id), cutoff
