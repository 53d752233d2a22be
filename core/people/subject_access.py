"""A person's access request (PIPL art. 45, 个人信息查阅复制): everything the district holds about them,
as one file.

Nothing is listed by hand: the person's own row, every row of every table (core and every installed
plugin) whose foreign key points at the person, and the audit records of what was done with their
record. A plugin that adds a table referring to people is covered without doing anything. Encrypted
values are given in clear (the file is for the person); credentials of an account (password and
recovery-code hashes, the TOTP secret, session tokens) and blind indexes are left out, since they are
not the person's information but keys to it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import ForeignKeyConstraint, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.audit.models import AuditRecord
from core.auth.scope import Principal, require
from core.db.base import Base
from core.people.models import Person
from core.people.services import person_in_scope
from core.watermark import export_watermark

FORMAT = "quanyu.personal-data/1"
# Keys to the information, not the information: never in the file.
LEFT_OUT_SUFFIXES = ("_hash", "_index", "_challenge")
LEFT_OUT_PREFIXES = ("totp_",)


def _left_out(table: str, column: str) -> bool:
    encrypted = crypto.ENCRYPTED_COLUMNS.get(table, {})
    if column in encrypted and encrypted[column][1] == "totp_secret":
        return True
    return column.endswith(LEFT_OUT_SUFFIXES) or column.startswith(LEFT_OUT_PREFIXES)


def _row(table: Table, values: dict[str, Any], tenant_id: uuid.UUID) -> dict[str, Any]:
    encrypted = crypto.ENCRYPTED_COLUMNS.get(table.name, {})
    out: dict[str, Any] = {}
    for column, value in values.items():
        if column == "tenant_id" or _left_out(table.name, column):
            continue
        if column in encrypted:
            out[column.removesuffix("_encrypted")] = crypto.decrypt(tenant_id, value) if value else None
        else:
            out[column] = value
    return out


def tables_referring_to_people() -> list[tuple[Table, list[str]]]:
    """Every table with a foreign key to ``person``, and the columns holding the person's id."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [
            element.parent.name
            for constraint in table.constraints
            if isinstance(constraint, ForeignKeyConstraint) and constraint.referred_table.name == "person"
            for element in constraint.elements
            if element.column.name == "id"
        ]
        if columns and table.name != "person":
            found.append((table, sorted(set(columns))))
    return found


class PersonalData(msgspec.Struct, kw_only=True):
    format: str
    generated_at: dt.datetime
    watermark: str
    person: dict[str, Any]
    held_elsewhere: dict[str, list[dict[str, Any]]]
    processing: list[dict[str, Any]]


async def personal_data(session: AsyncSession, principal: Principal, person_id: uuid.UUID) -> PersonalData:
    """The file for a person's access request; needs ``person.unmask`` where the person is, and
    ``person.export`` (the file is both); audited with what it holds, never the values."""
    require(principal, "person.export")
    person = await person_in_scope(session, principal, person_id, "person.unmask")
    tenant_id = person.tenant_id
    person_table = Person.__table__
    assert isinstance(person_table, Table)
    own = (
        (
            await session.execute(
                select(person_table).where(
                    person_table.c.tenant_id == tenant_id, person_table.c.id == person.id
                )
            )
        )
        .mappings()
        .one()
    )
    held: dict[str, list[dict[str, Any]]] = {}
    for table, columns in tables_referring_to_people():
        # Core statements on tables get no automatic tenant criterion: the district is named here.
        refers = [table.c[name] == person.id for name in columns]
        query = select(table).where(table.c.tenant_id == tenant_id)
        query = query.where(or_(*refers))
        rows = [_row(table, dict(r), tenant_id) for r in (await session.execute(query)).mappings()]
        if rows:
            held[table.name] = rows
    processing = [
        {
            "at": record.at,
            "action": record.action,
            "by": record.username,
            "success": record.success,
            "detail": record.detail,
        }
        for record in await session.scalars(
            select(AuditRecord)
            .where(AuditRecord.object_type == "person", AuditRecord.object_id == str(person.id))
            .order_by(AuditRecord.at)
        )
    ]
    mark = export_watermark(principal.display_name, principal.username)
    await audit.record(
        session,
        "person.access_request",
        object_type="person",
        object_id=person.id,
        org_node_id=person.org_node_id,
        changes={
            "rows": {name: len(rows) for name, rows in held.items()},
            "processing_records": len(processing),
            "watermark": mark,
        },
    )
    return PersonalData(
        format=FORMAT,
        generated_at=dt.datetime.now(dt.UTC),
        watermark=mark,
        person=_row(person_table, dict(own), tenant_id),
        held_elsewhere=held,
        processing=processing,
    )
