"""A person's requests to correct (PIPL art. 46, 更正) or erase (art. 47, 删除) their data.

Anyone who may change a person files the request for them; a holder of ``person.rights`` where the
person is decides it: applies it or refuses it with a reason. Applying a correction goes through
``services.update_person`` (the same validation, encryption and audit as any change) in the same
transaction as the request's status. Applying an erasure erases what the district is not obliged to
keep and says precisely what it kept and why: the party's rules require a member's record (name,
identity, membership dates, the organisational relation history, dues) to be kept, for former members
too, and the audit log is kept by law; an active member's membership data is never erased.

Audit records and lists name fields, never their values: a correction's new values are stored
encrypted while the request is open and dropped once it is decided.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

import msgspec
from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.auth.scope import Principal, require
from core.errors import Conflict, Invalid, invalid_field, not_found
from core.i18n import _, translate
from core.people import services
from core.people.models import MEMBER_STATUSES, Affiliation, Person, PersonDataRequest, PersonRelation
from core.people.schemas import (
    CorrectionRequestIn,
    DataRequestDecision,
    DataRequestOut,
    ErasureItemOut,
    ErasureRequestIn,
    PersonUpdate,
)
from core.people.validation import check_id_card, mask_id_card, mask_phone, normalise_phone

log = logging.getLogger("quanyu.people")

# Contact data: how to reach the person. Nothing obliges the district to keep it once they ask.
CONTACT_FIELDS = ("phone", "address", "work_unit")
# Details the member's record (党员信息) carries; a person who never was a member has them erased too.
RECORD_FIELDS = ("ethnicity", "education", "category", "last_contact_on", "lost_contact")
MEMBERSHIP_FIELDS = ("party_status", "joined_on", "full_member_on", "org_node_id")
IDENTITY_FIELDS = ("name", "gender", "birth_date", "id_card")
SENSITIVE_FIELDS = {"id_card": mask_id_card, "phone": mask_phone}

MEMBER_RECORD_REASON = _(
    "Party rules require the member's record to be kept, for former members too (name, identity, "
    "joining and full-membership dates, organisational relations and transfers, dues paid)."
)
ACTIVE_MEMBER_REASON = _(
    "Erasure refused: the person is an active party member, whose membership data the party's rules "
    "require the organisation to keep."
)


class ErasureItem(msgspec.Struct, kw_only=True):
    """One kind of record an erasure dealt with: erased, or kept and why (returned by plugins too)."""

    what: str
    erased: bool
    reason: str | None = None
    table: str | None = None
    fields: list[str] = msgspec.field(default_factory=list)
    rows: int | None = None


def _item_out(item: dict[str, Any]) -> ErasureItemOut:
    return ErasureItemOut(
        what=translate(item["what"]),
        table=item.get("table"),
        fields=list(item.get("fields") or []),
        rows=item.get("rows"),
        reason=translate(item["reason"]) if item.get("reason") else None,
    )


def request_out(row: PersonDataRequest) -> DataRequestOut:
    detail = row.outcome_detail or {}
    requested: dict[str, Any] | None = None
    if row.changes_encrypted:
        # Shown the way a person is shown: the ID card number and phone masked, the rest as given.
        values = json.loads(crypto.decrypt(row.tenant_id, row.changes_encrypted))
        requested = {
            field: SENSITIVE_FIELDS[field](value) if field in SENSITIVE_FIELDS and value else value
            for field, value in values.items()
        }
    return DataRequestOut(
        id=row.id,
        person_id=row.person_id,
        kind=row.kind,
        status=row.status,
        fields=list(row.fields),
        requested_changes=requested,
        reason=row.reason,
        requested_by=row.requested_by,
        requested_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        outcome=row.outcome,
        erased=[_item_out(i) for i in detail.get("erased", [])],
        kept=[_item_out(i) for i in detail.get("kept", [])],
    )


def _validate_correction(person: Person, changes: PersonUpdate) -> dict[str, Any]:
    """The changes as JSON, checked field by field as an update checks them (names the field)."""
    values: dict[str, Any] = {
        field: value
        for field in changes.__struct_fields__
        if (value := getattr(changes, field)) is not msgspec.UNSET
    }
    if not values:
        raise invalid_field("changes", _("Name at least one field to correct."), code="missing")
    if "id_card" in values:
        values["id_card"] = check_id_card(values["id_card"], "changes.id_card").number
    if values.get("phone"):
        values["phone"] = normalise_phone(values["phone"], "changes.phone")
    if "name" in values and not " ".join(values["name"].split()):
        raise invalid_field("changes.name", _("This field is required."), code="missing")
    card = check_id_card(values["id_card"]) if "id_card" in values else None
    gender = card.gender if card else person.gender
    if "gender" in values and values["gender"] != gender:
        raise invalid_field(
            "changes.gender", _("The gender does not match the ID card number."), code="id_card_mismatch"
        )
    birth_date = card.birth_date if card else person.birth_date
    merged = {
        field: values.get(field, getattr(person, field))
        for field in ("party_status", "joined_on", "full_member_on")
    }
    problems = services.check_membership(
        party_status=merged["party_status"],
        joined_on=merged["joined_on"],
        full_member_on=merged["full_member_on"],
        birth_date=birth_date,
        node_kind=None,
        prefix="changes.",
    )
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    return msgspec.to_builtins(values)  # type: ignore[no-any-return]


async def _file(
    session: AsyncSession,
    principal: Principal,
    person: Person,
    kind: str,
    *,
    fields: list[str],
    reason: str | None,
    changes: dict[str, Any] | None = None,
) -> PersonDataRequest:
    row = PersonDataRequest(
        person_id=person.id,
        kind=kind,
        fields=fields,
        changes_encrypted=crypto.encrypt(person.tenant_id, json.dumps(changes)) if changes else None,
        reason=reason,
        requested_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        f"person.{kind}_request",
        object_type="person",
        object_id=person.id,
        org_node_id=person.org_node_id,
        changes={"request": str(row.id), "fields": fields},
    )
    return row


async def file_correction(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: CorrectionRequestIn
) -> PersonDataRequest:
    person = await services.person_in_scope(session, principal, person_id, "person.write")
    values = _validate_correction(person, data.changes)
    return await _file(
        session, principal, person, "correction", fields=sorted(values), reason=data.reason, changes=values
    )


async def file_erasure(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: ErasureRequestIn
) -> PersonDataRequest:
    person = await services.person_in_scope(session, principal, person_id, "person.write")
    return await _file(session, principal, person, "erasure", fields=[], reason=data.reason)


async def list_requests(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID
) -> list[PersonDataRequest]:
    person = await services.person_in_scope(session, principal, person_id, "person.read")
    return list(
        await session.scalars(
            select(PersonDataRequest)
            .where(PersonDataRequest.person_id == person.id)
            .order_by(PersonDataRequest.created_at, PersonDataRequest.id)
        )
    )


async def decide(
    session: AsyncSession,
    principal: Principal,
    person_id: uuid.UUID,
    request_id: uuid.UUID,
    data: DataRequestDecision,
    *,
    plugin_host: Any = None,
) -> PersonDataRequest:
    """Apply or refuse an open request, in one transaction with what applying changes."""
    person = await services.person_in_scope(session, principal, person_id, "person.rights")
    row = (
        await session.scalars(
            select(PersonDataRequest).where(
                PersonDataRequest.id == request_id, PersonDataRequest.person_id == person.id
            )
        )
    ).first()
    if row is None:
        raise not_found()
    if row.status != "open":
        raise Conflict(_("The request has already been decided."), code="decided")
    reason = data.reason.strip() if data.reason else None
    if data.decision == "refuse":
        if not reason:
            raise invalid_field("reason", _("Say why the request is refused."), code="missing")
        row.status = "refused"
        row.outcome = f"Refused: {reason}"
    elif row.kind == "correction":
        require(principal, "person.write")
        values = (
            json.loads(crypto.decrypt(row.tenant_id, row.changes_encrypted)) if row.changes_encrypted else {}
        )
        changes = msgspec.convert(values, PersonUpdate)
        await services.update_person(
            session, principal, person.id, changes, audit_values=False, audit_detail=f"request {row.id}"
        )
        row.status = "done"
        row.outcome = "Corrected: " + ", ".join(row.fields)
    else:
        erased, kept = await erase(session, person, plugin_host)
        row.status = "done"
        row.outcome_detail = {"erased": erased, "kept": kept}
        row.outcome = _outcome_text(erased, kept)
    row.decided_by = principal.user_id
    row.decided_at = dt.datetime.now(dt.UTC)
    row.decision_reason = reason
    # The new values were needed only to decide: applied they live in the record, refused nowhere.
    row.changes_encrypted = None
    await session.flush()
    detail = row.outcome_detail or {}
    await audit.record(
        session,
        f"person.{row.kind}_{'refuse' if row.status == 'refused' else 'apply'}",
        object_type="person",
        object_id=person.id,
        org_node_id=person.org_node_id,
        changes={
            "request": str(row.id),
            "fields": list(row.fields),
            "erased": _names(detail.get("erased", [])),
            "kept": _names(detail.get("kept", [])),
        },
    )
    return row


def _names(items: list[dict[str, Any]]) -> list[str]:
    """What an erasure dealt with, as table and field names (never values) for the audit log."""
    names: list[str] = []
    for item in items:
        table = item.get("table") or "?"
        names += [f"{table}.{field}" for field in item.get("fields") or []] or [table]
    return names


def _outcome_text(erased: list[dict[str, Any]], kept: list[dict[str, Any]]) -> str:
    lines = ["Erased:"] + [f"- {translate(i['what'], 'en')}" for i in erased]
    lines += ["Kept:"] + [f"- {translate(i['what'], 'en')}: {translate(i['reason'], 'en')}" for i in kept]
    return "\n".join(lines)


def _item(what: str, *, erased: bool, reason: str | None = None, **more: Any) -> dict[str, Any]:
    return msgspec.to_builtins(ErasureItem(what=what, erased=erased, reason=reason, **more))  # type: ignore[no-any-return]


async def _count(session: AsyncSession, table: Table, columns: list[str], person: Person) -> int:
    refers = or_(*(table.c[name] == person.id for name in columns))
    query = select(func.count()).select_from(table).where(table.c.tenant_id == person.tenant_id, refers)
    return int(await session.scalar(query) or 0)


async def erase(
    session: AsyncSession, person: Person, plugin_host: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Erase what the district need not keep about ``person``; what was erased and what was kept, why."""
    from core.people.subject_access import tables_referring_to_people

    erased: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    relations = await session.scalar(
        select(func.count()).select_from(PersonRelation).where(PersonRelation.person_id == person.id)
    )
    active = person.party_status in MEMBER_STATUSES and person.archived_at is None
    ever_member = person.party_status in MEMBER_STATUSES or person.joined_on is not None or bool(relations)
    before = services.snapshot(person)

    person.phone_encrypted = person.phone_index = person.phone_masked = None
    person.address = None
    person.work_unit = None
    erased.append(_item(_("Contact data"), erased=True, table="person", fields=list(CONTACT_FIELDS)))
    if ever_member:
        kept.append(
            _item(
                _("Details of the member's record"),
                erased=False,
                reason=ACTIVE_MEMBER_REASON if active else MEMBER_RECORD_REASON,
                table="person",
                fields=list(RECORD_FIELDS),
            )
        )
    else:
        person.ethnicity = person.education = person.category = person.last_contact_on = None
        person.lost_contact = False
        erased.append(_item(_("Personal details"), erased=True, table="person", fields=list(RECORD_FIELDS)))
    kept.append(
        _item(
            _("Name and identity"),
            erased=False,
            reason=MEMBER_RECORD_REASON
            if ever_member
            else _(
                "The record stays, so that this erasure and the audit log remain attributable to it; "
                "it holds nothing else about the person."
            ),
            table="person",
            fields=list(IDENTITY_FIELDS),
        )
    )
    if ever_member:
        kept.append(
            _item(
                _("Membership data"),
                erased=False,
                reason=ACTIVE_MEMBER_REASON if active else MEMBER_RECORD_REASON,
                table="person",
                fields=list(MEMBERSHIP_FIELDS),
            )
        )

    handled = {"person"}
    core_kept = {
        "person_relation": (
            _("Organisational relation and transfer history"),
            ACTIVE_MEMBER_REASON if active else MEMBER_RECORD_REASON,
        ),
        "person_data_request": (
            _("Requests about the person's data"),
            _("The record that the person's requests were handled and how (PIPL art. 50) is kept."),
        ),
        "app_user": (
            _("The person's user account"),
            _("An account is closed through user management (disable it), not by an erasure request."),
        ),
    }
    if ever_member:
        core_kept["affiliation"] = (
            _("Ties to organisations (community check-in, committee seats)"),
            ACTIVE_MEMBER_REASON if active else MEMBER_RECORD_REASON,
        )
    else:
        result = await session.execute(delete(Affiliation).where(Affiliation.person_id == person.id))
        erased.append(
            _item(_("Ties to organisations"), erased=True, table="affiliation", rows=result.rowcount)  # type: ignore[attr-defined]
        )
        handled.add("affiliation")

    if plugin_host is not None:
        for slug in sorted(plugin_host.plugins):
            try:
                async with session.begin_nested():
                    items = await plugin_host.call_one(
                        slug,
                        "quanyu_person_erasure",
                        raise_errors=True,
                        tenant_id=person.tenant_id,
                        person_id=person.id,
                        session=session,
                    )
            except Exception:
                log.exception(
                    "plugin %s failed to erase a person's data; its tables are reported as kept", slug
                )
                continue
            for item in items or []:
                checked = item if isinstance(item, ErasureItem) else msgspec.convert(item, ErasureItem)
                (erased if checked.erased else kept).append(msgspec.to_builtins(checked))
                if checked.table:
                    handled.add(checked.table)

    for table, columns in tables_referring_to_people():
        if table.name in handled:
            continue
        rows = await _count(session, table, columns, person)
        if not rows:
            continue
        what, reason = core_kept.get(
            table.name,
            (
                _("Records of a mechanism"),
                _("The mechanism holding them declares no erasure; an administrator reviews them by hand."),
            ),
        )
        kept.append(_item(what, erased=False, reason=reason, table=str(table.name), rows=rows))
    kept.append(
        _item(
            _("The audit log of what was done with the record"),
            erased=False,
            reason=_(
                "Operation logs are kept by law (Cybersecurity Law art. 21: at least six months) and "
                "the log is append-only and signed."
            ),
            table="audit_record",
        )
    )

    await session.flush()
    after = services.snapshot(person)
    changes = audit.diff(before, after, sensitive=before.keys())
    if changes:
        await audit.record(
            session,
            "person.update",
            object_type="person",
            object_id=person.id,
            org_node_id=person.org_node_id,
            changes=changes,
            detail="erasure",
        )
    return erased, kept
