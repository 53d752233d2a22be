"""Re-encrypting stored values after the master secret changed (``quanyu keys rotate``).

Once the new secret is in ``QUANYU_SECRET_KEY`` and the old one in
``QUANYU_OLD_SECRET_KEYS``, old values still decrypt, but their blind
indexes were keyed by the old secret, so exact lookups by ID number or phone
miss them. Rotation walks every place that holds ciphertext
(``crypto.ENCRYPTED_COLUMNS`` and ``crypto.ENCRYPTED_JOB_PAYLOADS``) one
district at a time, in batches of one transaction each with the batch's rows
locked: it re-encrypts what a retired secret encrypted and recomputes the
blind index from the plaintext. The platform can stay up meanwhile, and a
run can be interrupted and repeated: a value already under the current
secret with a current index is left alone.

Only counts leave this module (output, audit record); never a value, a
plaintext or a key.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.db.session import Database
from core.settings import get_settings

BATCH_SIZE = 500
SHOWN_CONFLICTS = 10


class KeyConfigurationError(ValueError):
    """The configured secrets cannot be used for this command; the message says why (never the values)."""


@dataclass
class Tally:
    """What rotation found at one place (``table.column``): counts and row ids, never a value."""

    rotated: int = 0
    """Values re-encrypted under the current secret (with --dry-run: that would be)."""
    reindexed: int = 0
    """Values already under the current secret whose blind index was stale and was recomputed."""
    current: int = 0
    """Values with nothing to do."""
    undecryptable: int = 0
    """Values no configured secret decrypts: left as they are."""
    conflicts: list[uuid.UUID] = field(default_factory=list)
    """Rows whose recomputed blind index another row already holds under a unique constraint (the same ID
    number registered twice while lookups missed the old index): left as they are."""

    @property
    def changed(self) -> int:
        return self.rotated + self.reindexed


@dataclass
class DistrictRotation:
    """The outcome of rotating one district: a ``Tally`` per place."""

    tenant_id: uuid.UUID
    slug: str
    places: dict[str, Tally] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.places.values())

    @property
    def undecryptable(self) -> int:
        return sum(t.undecryptable for t in self.places.values())

    @property
    def conflicts(self) -> int:
        return sum(len(t.conflicts) for t in self.places.values())

    def audit_changes(self) -> dict[str, Any]:
        """Non-zero counts per place, for the district's audit record."""
        changes: dict[str, Any] = {}
        for place, tally in self.places.items():
            counts = {
                "rotated": tally.rotated,
                "reindexed": tally.reindexed,
                "undecryptable": tally.undecryptable,
                "conflicts": len(tally.conflicts),
            }
            if any(counts.values()):
                changes[place] = {k: v for k, v in counts.items() if v}
        return changes


def generate_secret() -> str:
    """A new master secret: 32 random bytes, URL-safe base64 (the form ``QUANYU_SECRET_KEY`` takes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def check_keys(*, dry_run: bool) -> None:
    """Refuse secrets that do not parse, and a rotation with no retired secret to rotate from.

    A dry run without retired secrets is allowed: it checks that every value
    decrypts under the current secret alone (the check before dropping an old one).
    """
    try:
        keys = get_settings().master_keys()
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(
            "QUANYU_SECRET_KEY or QUANYU_OLD_SECRET_KEYS is not URL-safe base64 "
            "(generate one with `quanyu keys generate`)"
        ) from None
    if len(keys) < 2 and not dry_run:
        raise KeyConfigurationError(
            "QUANYU_OLD_SECRET_KEYS is empty: there is no retired secret to rotate from. Put the new secret in "
            "QUANYU_SECRET_KEY and the old one in QUANYU_OLD_SECRET_KEYS on every host first "
            "(docs/operating.md, 'Rotating the encryption key')"
        )


def _tables() -> Mapping[str, Table]:
    import core.models  # noqa: F401
    from core.db.base import Base
    from core.plugins.host import import_plugin_models

    import_plugin_models()
    return Base.metadata.tables


def _unique_columns(table: Table) -> set[str]:
    """Columns that are unique per district (a unique constraint or index on exactly tenant_id and it)."""
    from sqlalchemy import UniqueConstraint

    sets = [{c.name for c in con.columns} for con in table.constraints if isinstance(con, UniqueConstraint)]
    sets += [{c.name for c in ix.columns} for ix in table.indexes if ix.unique]
    return {next(iter(s - {"tenant_id"})) for s in sets if "tenant_id" in s and len(s) == 2}


async def _in_batches(
    database: Database,
    stmt: Select[Any],
    id_column: ColumnElement[Any],
    handle: Callable[[AsyncSession, Sequence[RowMapping]], Awaitable[None]],
    *,
    dry_run: bool,
    batch_size: int,
) -> None:
    """Call ``handle`` on the rows of ``stmt`` in batches ordered by id, each batch one transaction.

    Outside a dry run the batch's rows are locked (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` locks
    the database), so a request changing one of them meanwhile waits rather than being overwritten.
    """
    last_id = None
    while True:
        async with database.system_transaction() as session:
            page = stmt.order_by(id_column).limit(batch_size)
            if last_id is not None:
                page = page.where(id_column > last_id)
            if not dry_run:
                page = page.with_for_update()
            rows = (await session.execute(page)).mappings().all()
            if not rows:
                return
            last_id = rows[-1]["id"]
            await handle(session, rows)


async def _rotate_columns(
    database: Database,
    tenant_id: uuid.UUID,
    table: Table,
    columns: Mapping[str, tuple[str | None, str]],
    *,
    dry_run: bool,
    batch_size: int,
) -> dict[str, Tally]:
    tallies = {column: Tally() for column in columns}
    unique = _unique_columns(table)
    index_columns = [index for index, _field in columns.values() if index is not None]
    stmt = select(table.c.id, *(table.c[c] for c in columns), *(table.c[i] for i in index_columns)).where(
        table.c.tenant_id == tenant_id, or_(*(table.c[c].is_not(None) for c in columns))
    )

    async def handle(session: AsyncSession, rows: Sequence[RowMapping]) -> None:
        # What changes, by row id; which rows would take each new value of a unique blind index; and
        # whether each (row, column) was under a retired secret (rotated) or only lost its index (reindexed).
        changes: dict[uuid.UUID, dict[str, str]] = {}
        claims: dict[str, dict[str, list[tuple[uuid.UUID, str]]]] = {
            i: {} for i in index_columns if i in unique
        }
        rotated: dict[tuple[uuid.UUID, str], bool] = {}
        for row in rows:
            for column, (index_column, index_field) in columns.items():
                token = row[column]
                if token is None:
                    continue
                opened = crypto.decrypt_noting_key(tenant_id, token)
                if opened is None:
                    tallies[column].undecryptable += 1
                    continue
                plain, current = opened
                index = crypto.blind_index(tenant_id, index_field, plain) if index_column else None
                if current and (index_column is None or row[index_column] == index):
                    tallies[column].current += 1
                    continue
                change = changes.setdefault(row["id"], {})
                change[column] = token if current else crypto.encrypt(tenant_id, plain)
                if index_column is not None and index is not None:
                    change[index_column] = index
                    if index_column in claims:
                        claims[index_column].setdefault(index, []).append((row["id"], column))
                rotated[row["id"], column] = not current
        await _drop_conflicts(session, tenant_id, table, changes, claims, tallies)
        for (row_id, column), was_old in rotated.items():
            if column in changes.get(row_id, {}):
                if was_old:
                    tallies[column].rotated += 1
                else:
                    tallies[column].reindexed += 1
        if not dry_run:
            await _write(session, table, tenant_id, changes)

    await _in_batches(database, stmt, table.c.id, handle, dry_run=dry_run, batch_size=batch_size)
    return tallies


async def _drop_conflicts(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    table: Table,
    changes: dict[uuid.UUID, dict[str, str]],
    claims: dict[str, dict[str, list[tuple[uuid.UUID, str]]]],
    tallies: dict[str, Tally],
) -> None:
    """Leave out changes whose new unique blind index another row already holds (or claims in this batch)."""
    for index_column, wanted in claims.items():
        if not wanted:
            continue
        holders: dict[str, set[uuid.UUID]] = {}
        found = await session.execute(
            select(table.c.id, table.c[index_column]).where(
                table.c.tenant_id == tenant_id, table.c[index_column].in_(list(wanted))
            )
        )
        for holder_id, value in found:
            holders.setdefault(value, set()).add(holder_id)
        for value, claimants in wanted.items():
            others = holders.get(value, set())
            for position, (row_id, column) in enumerate(claimants):
                if others - {row_id} or position > 0:
                    change = changes[row_id]
                    change.pop(column, None)
                    change.pop(index_column, None)
                    tallies[column].conflicts.append(row_id)
    for row_id in [r for r, change in changes.items() if not change]:
        del changes[row_id]


async def _write(
    session: AsyncSession, table: Table, tenant_id: uuid.UUID, changes: dict[uuid.UUID, dict[str, str]]
) -> None:
    # One executemany per set of changed columns; updated_at kept, as no one changed the person or user.
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row_id, change in changes.items():
        groups.setdefault(frozenset(change), []).append(
            {"row_id": row_id, **{f"new_{c}": v for c, v in change.items()}}
        )
    for changed, params in groups.items():
        values: dict[str, Any] = {c: bindparam(f"new_{c}", type_=table.c[c].type) for c in changed}
        if "updated_at" in table.c:
            values["updated_at"] = table.c.updated_at
        stmt = (
            update(table)
            .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("row_id", type_=table.c.id.type))
            .values(values)
        )
        await session.execute(stmt, params)


async def _rotate_job_payloads(
    database: Database, tenant_id: uuid.UUID, *, dry_run: bool, batch_size: int
) -> dict[str, Tally]:
    outbox = _tables()["outbox"]
    tallies = {
        _payload_place(job, key): Tally()
        for job, keys in crypto.ENCRYPTED_JOB_PAYLOADS.items()
        for key in keys
    }
    stmt = select(outbox.c.id, outbox.c.name, outbox.c.payload).where(
        outbox.c.tenant_id == tenant_id, outbox.c.name.in_(list(crypto.ENCRYPTED_JOB_PAYLOADS))
    )

    async def handle(session: AsyncSession, rows: Sequence[RowMapping]) -> None:
        params = []
        for row in rows:
            payload = dict(row["payload"] or {})
            changed = False
            for key in crypto.ENCRYPTED_JOB_PAYLOADS[row["name"]]:
                token = payload.get(key)
                if not isinstance(token, str):
                    continue
                tally = tallies[_payload_place(row["name"], key)]
                opened = crypto.decrypt_noting_key(tenant_id, token)
                if opened is None:
                    tally.undecryptable += 1
                elif opened[1]:
                    tally.current += 1
                else:
                    payload[key] = crypto.encrypt(tenant_id, opened[0])
                    tally.rotated += 1
                    changed = True
            if changed:
                params.append({"row_id": row["id"], "new_payload": payload})
        if params and not dry_run:
            await session.execute(
                update(outbox)
                .where(outbox.c.id == bindparam("row_id", type_=outbox.c.id.type))
                .values(payload=bindparam("new_payload", type_=outbox.c.payload.type)),
                params,
            )

    await _in_batches(database, stmt, outbox.c.id, handle, dry_run=dry_run, batch_size=batch_size)
    return tallies


def _payload_place(job: str, key: str) -> str:
    return f"outbox.payload[{job}].{key}"


async def rotate_district(
    database: Database,
    tenant_id: uuid.UUID,
    slug: str,
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str], None] | None = None,
) -> DistrictRotation:
    """Re-encrypt every registered value of one district under the current secret (``dry_run``: count only).

    ``progress`` receives a line per place as it is done. Audited in the district's log with the counts
    (not on a dry run).
    """
    result = DistrictRotation(tenant_id, slug)
    if progress is not None:
        progress(f"district {slug}{' (dry run)' if dry_run else ''}:")
    tables = _tables()
    for table_name, columns in crypto.ENCRYPTED_COLUMNS.items():
        tallies = await _rotate_columns(
            database, tenant_id, tables[table_name], columns, dry_run=dry_run, batch_size=batch_size
        )
        for column, tally in tallies.items():
            result.places[f"{table_name}.{column}"] = tally
            if progress is not None:
                progress(describe(f"{table_name}.{column}", tally, dry_run=dry_run))
    for place, tally in (
        await _rotate_job_payloads(database, tenant_id, dry_run=dry_run, batch_size=batch_size)
    ).items():
        result.places[place] = tally
        if progress is not None:
            progress(describe(place, tally, dry_run=dry_run))
    if not dry_run:
        async with database.system_transaction() as session:
            await audit.record_operator(
                session,
                tenant_id,
                "keys.rotate",
                detail=f"{result.changed} values re-encrypted or re-indexed under the current secret",
                changes=result.audit_changes(),
            )
    return result


def describe(place: str, tally: Tally, *, dry_run: bool) -> str:
    """One output line: the counts of a place (and the ids of conflicting rows, never a value)."""
    verb = "would re-encrypt" if dry_run else "re-encrypted"
    line = f"  {place:<36} {verb} {tally.rotated}, re-indexed {tally.reindexed}, current {tally.current}"
    if tally.undecryptable:
        line += f", UNDECRYPTABLE {tally.undecryptable}"
    if tally.conflicts:
        shown = ", ".join(str(row_id) for row_id in tally.conflicts[:SHOWN_CONFLICTS])
        more = (
            f" and {len(tally.conflicts) - SHOWN_CONFLICTS} more"
            if len(tally.conflicts) > SHOWN_CONFLICTS
            else ""
        )
        line += f", CONFLICTS {len(tally.conflicts)} (rows {shown}{more})"
    return line


def summary(results: Sequence[DistrictRotation], *, dry_run: bool) -> str:
    changed = sum(r.changed for r in results)
    verb = "would change" if dry_run else "changed"
    return f"{len(results)} districts: {changed} values {verb}"


def problems_of(results: Sequence[DistrictRotation]) -> str | None:
    """The message an operator acts on when values were left as they were, or None."""
    undecryptable = sum(r.undecryptable for r in results)
    conflicts = sum(r.conflicts for r in results)
    problems = []
    if undecryptable:
        problems.append(
            f"{undecryptable} values no configured secret decrypts were left as they are (see UNDECRYPTABLE "
            "above); add the secret they were written under to QUANYU_OLD_SECRET_KEYS and run again"
        )
    if conflicts:
        problems.append(
            f"{conflicts} values kept their old blind index because another row holds the new one (the same "
            "ID number registered twice while lookups missed the old index; see CONFLICTS above): "
            "resolve the duplicates and run again"
        )
    return "; ".join(problems) or None
