"""The audit chain: each district's records linked by a keyed hash, so a changed, removed or inserted
record is found by ``quanyu audit verify``.

Writing. ``record`` does not insert: it queues the record on the session, and the session's commit
chains what was queued (``before_commit``): it locks the district's ``audit_chain_head`` row
(``SELECT ... FOR UPDATE``), gives each record the next ``seq``, the previous record's hash as
``prev_hash`` and its own ``hash``, moves the head and lets the commit's flush insert them. The
head lock is thus the last lock the transaction takes and is held only for the commit: a request
that audits first and then locks other rows cannot deadlock with one that locks them and then
audits, and districts (one head each) never wait for each other. SQLite serialises writers anyway
(``BEGIN IMMEDIATE``). Queued records follow their savepoint: a rolled-back ``begin_nested``
drops the records queued inside it, as it would have dropped added objects. The cost: a record is
not visible to queries of its own transaction before commit (nothing reads one back there).

Hashing. ``hash = HMAC-SHA256(key, canonical JSON of every column but hash)`` (``seq`` and
``prev_hash`` included), the key derived per district from the master secret
(``crypto.audit_keys``). Records signed under a secret since retired still verify while it is in
``QUANYU_OLD_SECRET_KEYS``; ``reseal`` verifies a chain and signs it again under the current one
(run it after ``quanyu keys rotate``, before dropping the old secret).

Purging (``purge``) deletes the oldest records beyond the retention (verifying them first) and
writes a MAC'd ``audit_checkpoint`` (the last deleted ``seq`` and ``hash``) in the same transaction,
from which verification continues. A chain cannot prove that its newest records were not cut off
by someone who also moved the head back: the head check catches a cut that left the head alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from core import crypto
from core.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from core.db.base import utcnow
from core.db.ids import new_id
from core.db.session import Database, TenantSession

GENESIS = "0" * 64
"""The ``prev_hash`` of a district's first record."""
BATCH = 1000
_QUEUE = "quanyu.audit.queue"
# Every column of audit_record but ``hash`` (a test fails when a column is added and not listed here).
HASHED_FIELDS = (
    "tenant_id",
    "id",
    "seq",
    "prev_hash",
    "at",
    "user_id",
    "username",
    "org_node_id",
    "action",
    "object_type",
    "object_id",
    "changes",
    "address",
    "request_id",
    "success",
    "detail",
)
records = cast(Table, AuditRecord.__table__)
heads = cast(Table, AuditChainHead.__table__)
checkpoints = cast(Table, AuditCheckpoint.__table__)


# --- hashing ---------------------------------------------------------------------------------------


def _canonical_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSONB may give a whole float back as an integer
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    return value


def _canonical(values: Mapping[str, Any], fields: Sequence[str]) -> bytes:
    document = {name: _canonical_value(values[name]) for name in fields}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def record_hash(key: bytes, values: Mapping[str, Any]) -> str:
    """The keyed hash of one record (a mapping of its columns, ``seq`` and ``prev_hash`` set)."""
    return _mac(key, _canonical(values, HASHED_FIELDS))


def checkpoint_mac(key: bytes, tenant_id: uuid.UUID, seq: int, last_hash: str, at: dt.datetime) -> str:
    return _mac(
        key,
        _canonical(
            {"tenant_id": tenant_id, "seq": seq, "hash": last_hash, "at": at},
            ("tenant_id", "seq", "hash", "at"),
        ),
    )


def _matching_key(keys: Sequence[bytes], expected: str, compute: Callable[[bytes], str]) -> int | None:
    """Index of the key under which ``compute`` gives ``expected`` (0: the current secret), or None."""
    for index, key in enumerate(keys):
        if hmac.compare_digest(compute(key), expected):
            return index
    return None


def _values(record: AuditRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in HASHED_FIELDS}


# --- writing: queue on record, chain at commit -----------------------------------------------------


def queue(session: AsyncSession | Session, record: AuditRecord) -> None:
    """Queue ``record`` to be chained and inserted when ``session`` commits (``core.audit.service`` calls it)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    sync.info.setdefault(_QUEUE, []).append((transaction, record))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _is_nested(session: Session) -> bool:
    return session.in_nested_transaction()


@dataclass
class _Head:
    seq: int
    hash: str


def _lock_head(session: Session, tenant_id: uuid.UUID) -> _Head:
    """The district's chain head, locked until the transaction ends (created on a district's first record)."""
    locked = select(heads.c.seq, heads.c.hash).where(heads.c.tenant_id == tenant_id).with_for_update()
    row = session.execute(locked).first()
    if row is None:
        last = session.execute(
            select(records.c.seq, records.c.hash)
            .where(records.c.tenant_id == tenant_id)
            .order_by(records.c.seq.desc())
            .limit(1)
        ).first()
        start = {
            "tenant_id": tenant_id,
            "id": new_id(),
            "seq": last[0] if last else 0,
            "hash": last[1] if last else GENESIS,
        }
        session.execute(_insert_ignoring_conflict(session, start))
        row = session.execute(locked).one()
    return _Head(row[0], row[1])


def _insert_ignoring_conflict(session: Session, values: dict[str, Any]) -> Any:
    # Two first records of one district at once: one inserts the head, the other waits and then finds it.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(heads).values(values).on_conflict_do_nothing(index_elements=["tenant_id"])
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(heads).values(values).on_conflict_do_nothing(index_elements=["tenant_id"])


def chain(head: _Head, key: bytes, pending: Iterable[AuditRecord]) -> _Head:
    """Number, link and sign ``pending`` after ``head``; returns the new head."""
    seq, last = head.seq, head.hash
    for record in pending:
        if record.at is None:
            record.at = utcnow()
        if record.changes is None:
            record.changes = {}
        if record.success is None:
            record.success = True
        seq += 1
        record.seq, record.prev_hash = seq, last
        record.hash = last = record_hash(key, _values(record))
    return _Head(seq, last)


def _chain_queued(session: Session) -> None:
    if _is_nested(session):
        return  # a savepoint's release: its records wait for the real commit
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    # Everything else first: the rows those changes lock are locked before the head, never after it
    # (a Core statement below would not autoflush them).
    session.flush()
    by_tenant: dict[uuid.UUID, list[AuditRecord]] = {}
    for _transaction, record in queued:
        by_tenant.setdefault(record.tenant_id, []).append(record)
    # One order for every transaction: two that audit in the same districts lock their heads alike.
    for tenant_id in sorted(by_tenant):
        pending = by_tenant[tenant_id]
        head = _lock_head(session, tenant_id)
        new_head = chain(head, crypto.audit_keys(tenant_id)[0], pending)
        session.add_all(pending)
        session.execute(
            update(heads).where(heads.c.tenant_id == tenant_id).values(seq=new_head.seq, hash=new_head.hash)
        )


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queued = session.info.get(_QUEUE)
    if not queued:
        return
    if not previous_transaction.nested:
        session.info.pop(_QUEUE, None)
        return
    session.info[_QUEUE] = [(t, r) for t, r in queued if not _within(t, previous_transaction)]


def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a closed session or a finished outer transaction keeps nothing queued
        session.info.pop(_QUEUE, None)


def _refuse_unchained(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, AuditRecord) and obj.hash is None:
            raise RuntimeError("audit records are written with core.audit.service.record, which chains them")


def install() -> None:
    """Listen on the platform's sessions (idempotent; done when this module is imported)."""
    from sqlalchemy import event

    for name, handler in (
        ("before_commit", _chain_queued),
        ("after_soft_rollback", _drop_rolled_back),
        ("after_transaction_end", _forget_at_end),
        ("before_flush", _refuse_unchained),
    ):
        if not event.contains(TenantSession, name, handler):
            event.listen(TenantSession, name, handler)


install()


# --- verifying -------------------------------------------------------------------------------------


@dataclass
class Break:
    """The first broken link of a chain."""

    seq: int
    kind: str  # "hash", "prev_hash", "gap", "checkpoint", "head"
    message: str


@dataclass
class ChainReport:
    """What verifying one district's chain found."""

    tenant_id: uuid.UUID
    checked: int = 0
    first_seq: int | None = None
    last_seq: int = 0
    checkpoint_seq: int | None = None
    retired_key: int = 0
    """Records (and checkpoints) that verified only under a retired secret: ``quanyu audit reseal``."""
    problem: Break | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class _Walk:
    """The state of a walk along a chain: what the next record must carry."""

    expected_seq: int
    expected_prev: str
    report: ChainReport
    last_hash: str = GENESIS
    keys: tuple[bytes, ...] = field(default_factory=tuple)

    def step(self, values: Mapping[str, Any]) -> bool:
        report, seq = self.report, values["seq"]
        if seq != self.expected_seq:
            missing = (
                f"{self.expected_seq}" if seq == self.expected_seq + 1 else f"{self.expected_seq}-{seq - 1}"
            )
            report.problem = Break(
                self.expected_seq if seq > self.expected_seq else seq,
                "gap",
                f"records {missing} are missing (the next record is {seq})"
                if seq > self.expected_seq
                else f"record {seq} is out of order or repeated (expected {self.expected_seq})",
            )
            return False
        if values["prev_hash"] != self.expected_prev:
            report.problem = Break(seq, "prev_hash", f"record {seq} does not link to the record before it")
            return False
        found = _matching_key(self.keys, values["hash"], lambda key: record_hash(key, values))
        if found is None:
            report.problem = Break(
                seq, "hash", f"record {seq} was changed after it was written (hash mismatch)"
            )
            return False
        if found > 0:
            report.retired_key += 1
        if report.first_seq is None:
            report.first_seq = seq
        report.checked += 1
        report.last_seq = seq
        self.expected_seq, self.expected_prev = seq + 1, values["hash"]
        return True


async def _latest_checkpoint(session: AsyncSession, tenant_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            select(checkpoints)
            .where(checkpoints.c.tenant_id == tenant_id)
            .order_by(checkpoints.c.seq.desc())
            .limit(1)
        )
    ).first()


async def _start(session: AsyncSession, tenant_id: uuid.UUID, report: ChainReport) -> _Walk | None:
    keys = crypto.audit_keys(tenant_id)
    checkpoint = await _latest_checkpoint(session, tenant_id)
    if checkpoint is None:
        return _Walk(1, GENESIS, report, keys=keys)
    found = _matching_key(
        keys,
        checkpoint.mac,
        lambda key: checkpoint_mac(key, tenant_id, checkpoint.seq, checkpoint.hash, checkpoint.at),
    )
    report.checkpoint_seq = checkpoint.seq
    if found is None:
        report.problem = Break(
            checkpoint.seq,
            "checkpoint",
            f"the checkpoint at record {checkpoint.seq} was changed (MAC mismatch)",
        )
        return None
    if found > 0:
        report.retired_key += 1
    report.last_seq = checkpoint.seq
    return _Walk(checkpoint.seq + 1, checkpoint.hash, report, keys=keys)


async def _stream(
    session: AsyncSession, tenant_id: uuid.UUID, after: int, until: int | None = None
) -> AsyncIterator[Mapping[str, Any]]:
    """The district's records with ``seq > after`` (and ``<= until``) in order, a batch at a time."""
    while True:
        query = select(records).where(records.c.tenant_id == tenant_id, records.c.seq > after)
        if until is not None:
            query = query.where(records.c.seq <= until)
        rows = (await session.execute(query.order_by(records.c.seq).limit(BATCH))).mappings().all()
        for row in rows:
            yield dict(row)
        if len(rows) < BATCH:
            return
        after = rows[-1]["seq"]


async def verify_chain(session: AsyncSession, tenant_id: uuid.UUID) -> ChainReport:
    """Walk one district's chain (system session) from its latest checkpoint; stops at the first break."""
    report = ChainReport(tenant_id)
    walk = await _start(session, tenant_id, report)
    if walk is None:
        return report
    async for row in _stream(session, tenant_id, walk.expected_seq - 1):
        if not walk.step(row):
            return report
    head = (
        await session.execute(select(heads.c.seq, heads.c.hash).where(heads.c.tenant_id == tenant_id))
    ).first()
    head_seq, head_hash = (head[0], head[1]) if head else (0, GENESIS)
    if (head_seq, head_hash) != (walk.expected_seq - 1, walk.expected_prev) and not (
        head is None and report.checked == 0
    ):
        report.problem = Break(
            walk.expected_seq,
            "head",
            f"the chain ends at record {walk.expected_seq - 1} but its head says {head_seq}"
            + ("" if head_seq != walk.expected_seq - 1 else " with another hash")
            + " (records at the end were removed, or the head was changed)",
        )
    return report


def verify_rows(
    tenant_id: uuid.UUID,
    rows: Sequence[Mapping[str, Any]],
    checkpoint: Mapping[str, Any] | None,
    head: Mapping[str, Any] | None,
) -> ChainReport:
    """Verify a chain held in memory (an archive's rows, decoded) as ``verify_chain`` does a stored one."""
    report = ChainReport(tenant_id)
    keys = crypto.audit_keys(tenant_id)
    walk = _Walk(1, GENESIS, report, keys=keys)
    if checkpoint is not None:
        found = _matching_key(
            keys,
            checkpoint["mac"],
            lambda key: checkpoint_mac(
                key, tenant_id, checkpoint["seq"], checkpoint["hash"], checkpoint["at"]
            ),
        )
        report.checkpoint_seq = checkpoint["seq"]
        if found is None:
            report.problem = Break(
                checkpoint["seq"],
                "checkpoint",
                f"the checkpoint at record {checkpoint['seq']} was changed (MAC mismatch)",
            )
            return report
        walk = _Walk(checkpoint["seq"] + 1, checkpoint["hash"], report, keys=keys)
    for row in sorted((r for r in rows if r["seq"] >= walk.expected_seq), key=lambda r: r["seq"]):
        if not walk.step(row):
            return report
    if head is not None and (head["seq"], head["hash"]) != (walk.expected_seq - 1, walk.expected_prev):
        report.problem = Break(
            walk.expected_seq,
            "head",
            f"the chain ends at record {walk.expected_seq - 1} but its head says {head['seq']}",
        )
    return report


# --- re-signing: a copy under a new district id, a chain after a key rotation ----------------------


def rechain_rows(
    tenant_id: uuid.UUID, rows: Sequence[Mapping[str, Any]], checkpoint: Mapping[str, Any] | None, key: bytes
) -> tuple[list[dict[str, Any]], _Head]:
    """Sign ``rows`` (one district's verified records) again for ``tenant_id`` under ``key``, keeping their
    ``seq`` and starting from ``checkpoint`` (its ``seq`` and ``hash`` kept). Returns the rows and the head."""
    last = checkpoint["hash"] if checkpoint is not None else GENESIS
    seq = checkpoint["seq"] if checkpoint is not None else 0
    signed = []
    for row in sorted(rows, key=lambda r: r["seq"]):
        resigned = {**row, "tenant_id": tenant_id, "prev_hash": last}
        resigned["hash"] = last = record_hash(key, resigned)
        seq = resigned["seq"]
        signed.append(resigned)
    return signed, _Head(seq, last)


async def reseal(database: Database, tenant_id: uuid.UUID) -> ChainReport:
    """Verify a district's chain under any configured secret, then sign it again under the current one
    (one transaction, the head locked: writers of the district wait). Refused (nothing written) when the
    chain is broken: the report says where."""
    async with database.system_transaction() as session:
        await session.execute(select(heads.c.seq).where(heads.c.tenant_id == tenant_id).with_for_update())
        report = await verify_chain(session, tenant_id)
        if not report.ok:
            return report
        checkpoint = await _latest_checkpoint(session, tenant_id)
        key = crypto.audit_keys(tenant_id)[0]
        last = checkpoint.hash if checkpoint is not None else GENESIS
        if checkpoint is not None:
            await session.execute(
                update(checkpoints)
                .where(checkpoints.c.tenant_id == tenant_id, checkpoints.c.id == checkpoint.id)
                .values(mac=checkpoint_mac(key, tenant_id, checkpoint.seq, checkpoint.hash, checkpoint.at))
            )
        after = checkpoint.seq if checkpoint is not None else 0
        while True:
            rows = [
                dict(r)
                for r in (
                    await session.execute(
                        select(records)
                        .where(records.c.tenant_id == tenant_id, records.c.seq > after)
                        .order_by(records.c.seq)
                        .limit(BATCH)
                    )
                ).mappings()
            ]
            for row in rows:
                row["prev_hash"] = last
                row["hash"] = last = record_hash(key, row)
                await session.execute(
                    update(records)
                    .where(records.c.tenant_id == tenant_id, records.c.id == row["id"])
                    .values(prev_hash=row["prev_hash"], hash=row["hash"])
                )
            if len(rows) < BATCH:
                break
            after = rows[-1]["seq"]
        await session.execute(update(heads).where(heads.c.tenant_id == tenant_id).values(hash=last))
    report.retired_key = 0
    return report


# --- purging ---------------------------------------------------------------------------------------


class PurgeRefused(RuntimeError):
    """The records due for deletion do not verify: nothing was deleted (the message says where)."""


@dataclass
class PurgeResult:
    deleted: int
    checkpoint_seq: int | None


async def purge(
    database: Database,
    tenant_id: uuid.UUID,
    retention_days: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> PurgeResult:
    """Delete the district's records older than ``retention_days``, oldest first and without a hole: up to
    the record before the oldest one still within the retention (a younger record is never deleted, an
    older one written after it waits for the next run). The deleted records are verified first, and a
    checkpoint is written in the same transaction (system role: the app role cannot delete).
    ``retention_days`` defaults to the district's ``security.audit_retention_days``."""
    async with database.system_transaction() as session:
        if retention_days is None:
            retention_days = await _retention_days(session, tenant_id)
        cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
        report = ChainReport(tenant_id)
        walk = await _start(session, tenant_id, report)
        if walk is None:
            raise PurgeRefused(report.problem.message if report.problem else "the checkpoint does not verify")
        after = walk.expected_seq - 1
        youngest_kept = (
            await session.execute(
                select(func.min(records.c.seq)).where(
                    records.c.tenant_id == tenant_id, records.c.seq > after, records.c.at >= cutoff
                )
            )
        ).scalar()
        if youngest_kept is None:
            youngest_kept = (
                await session.execute(select(func.max(records.c.seq)).where(records.c.tenant_id == tenant_id))
            ).scalar()
            until = youngest_kept or after
        else:
            until = youngest_kept - 1
        if until <= after:
            return PurgeResult(0, None)
        async for row in _stream(session, tenant_id, after, until):
            if not walk.step(row):
                assert report.problem is not None
                raise PurgeRefused(report.problem.message)
        if walk.expected_seq - 1 != until:
            raise PurgeRefused(
                f"records up to {until} are due but the chain stops at {walk.expected_seq - 1}"
            )
        at = now or utcnow()
        key = crypto.audit_keys(tenant_id)[0]
        deleted: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
            delete(records).where(
                records.c.tenant_id == tenant_id, records.c.seq > after, records.c.seq <= until
            )
        )
        await session.execute(
            insert(checkpoints).values(
                tenant_id=tenant_id,
                id=new_id(),
                seq=until,
                hash=walk.expected_prev,
                at=at,
                mac=checkpoint_mac(key, tenant_id, until, walk.expected_prev, at),
            )
        )
        # The purge is itself audited, chained after the records it left.
        queue(
            session,
            AuditRecord(
                tenant_id=tenant_id,
                action="audit.purge",
                object_type="tenant",
                object_id=str(tenant_id),
                changes={"deleted": deleted.rowcount, "through_seq": until, "retention_days": retention_days},
                username="system",
                success=True,
            ),
        )
    return PurgeResult(deleted.rowcount, until)


async def _retention_days(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    from core.tenancy.models import Tenant
    from core.tenancy.settings import parse_tenant_settings

    settings = (await session.execute(select(Tenant.settings).where(Tenant.id == tenant_id))).scalar_one()
    return parse_tenant_settings(settings).security.audit_retention_days
