"""Enqueue jobs in the caller's transaction; run them with their tenant, once each, retried on failure.

A job is a plain function (sync or async) taking a ``JobContext``: core jobs
are registered with ``register_job``; a plugin hands its functions over with
the ``quanyu_jobs`` hook and they are named ``<slug>.<name>``. The job's
session is bound to its tenant and the outbox row is marked done in that
same transaction, so an effect and its "done" commit together: a job runs
at least once and its effect lands once when the job is written against
``ctx.job_id`` (idempotent).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import RequestContext, acting_as_job
from core.db.base import utcnow
from core.db.session import Database
from core.jobs.models import JOB_DONE, JOB_FAILED, JOB_PENDING, JOB_RUNNING, OutboxEntry
from core.tenancy.context import tenant_context
from core.web.metrics import job_finished

log = logging.getLogger("quanyu.jobs")
RETRY_BASE_SECONDS = 10
_outbox = cast(Table, OutboxEntry.__table__)


@dataclass
class JobContext:
    """What a job receives: its id (for idempotency), tenant, payload and tenant-bound session."""

    job_id: uuid.UUID
    name: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    session: AsyncSession
    attempt: int


JobFunction = Callable[[JobContext], Any | Awaitable[Any]]
_core_jobs: dict[str, JobFunction] = {}
_registrations = 0


def register_job(name: str, function: JobFunction) -> None:
    """Register a core job (plugins use the ``quanyu_jobs`` hook instead)."""
    global _registrations
    _core_jobs[name] = function
    _registrations += 1


def registrations() -> int:
    """How many times ``register_job`` was called: a cache of ``job_functions`` is stale when it changed."""
    return _registrations


# Core modules that register jobs when imported (a worker may not import them otherwise).
CORE_JOB_MODULES = (
    "core.attachments.service",
    "core.notifications.delivery",
    "core.auth.emails",
    "core.audit.purge",
    "core.auth.session_purge",
)


def job_functions(host: Any) -> dict[str, tuple[str | None, JobFunction]]:
    """Every known job name → (plugin slug or None for the core, function)."""
    import importlib

    for module in CORE_JOB_MODULES:
        importlib.import_module(module)
    found: dict[str, tuple[str | None, JobFunction]] = {name: (None, fn) for name, fn in _core_jobs.items()}
    for slug, jobs in host.call_sync("quanyu_jobs"):
        for name, function in dict(jobs).items():
            found[f"{slug}.{name}"] = (slug, function)
    for name, (slug, handler) in event_handlers(host).items():
        found[name] = (slug, handler)
    return found


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
    delay: dt.timedelta | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
) -> OutboxEntry:
    """Write a job into the caller's transaction: it exists only if that transaction commits.

    ``tenant_id`` defaults to the session's tenant.
    """
    entry = OutboxEntry(
        tenant_id=tenant_id if tenant_id is not None else session.info.get("tenant_id"),
        name=name,
        payload=payload or {},
        available_at=utcnow() + (delay or dt.timedelta()),
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    session.add(entry)
    await session.flush()
    return entry


def lease() -> dt.timedelta:
    """How long a taken job stays with its worker (``QUANYU_JOB_LEASE_SECONDS``)."""
    from core.settings import get_settings

    return dt.timedelta(seconds=get_settings().job_lease_seconds)


def _due(now: dt.datetime) -> ColumnElement[bool]:
    """Pending and available, or running with an expired lease (its worker died)."""
    return or_(
        (OutboxEntry.status == JOB_PENDING) & (OutboxEntry.available_at <= now),
        (OutboxEntry.status == JOB_RUNNING) & (OutboxEntry.lease_until < now),
    )


async def claim(database: Database, limit: int = 20) -> list[OutboxEntry]:
    """Take up to ``limit`` due jobs (pending, or running with an expired lease) for this worker."""
    now = utcnow()
    lease_until = now + lease()
    async with database.system_transaction() as session:
        stmt = (
            select(OutboxEntry)
            .where(_due(now))
            .order_by(OutboxEntry.available_at, OutboxEntry.id)
            .limit(limit)
        )
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        entries = list(await session.scalars(stmt))
        for entry in entries:
            entry.status = JOB_RUNNING
            entry.lease_until = lease_until
            entry.attempts += 1
    return entries


@dataclass(frozen=True)
class Claimed:
    """A job the relay took: what its message carries."""

    id: uuid.UUID
    tenant_id: uuid.UUID | None


async def claim_for_relay(database: Database, limit: int = 100) -> list[Claimed]:
    """``claim`` for the relay, which needs only ids and tenants: one ``UPDATE ... WHERE id IN (SELECT
    ... FOR UPDATE SKIP LOCKED) RETURNING id, tenant_id`` instead of loading the rows as ORM entities
    and flushing an update of each."""
    now = utcnow()
    chosen = select(_outbox.c.id).where(_due(now)).order_by(_outbox.c.available_at, _outbox.c.id).limit(limit)
    async with database.system_transaction() as session:
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        rows = await connection.execute(
            update(_outbox)
            .where(_outbox.c.id.in_(chosen.scalar_subquery()))
            .values(status=JOB_RUNNING, lease_until=now + lease(), attempts=_outbox.c.attempts + 1)
            .returning(_outbox.c.id, _outbox.c.tenant_id, _outbox.c.available_at)
        )
        # RETURNING keeps no order; the oldest first, as ``claim`` hands them out.
        return [
            Claimed(row.id, row.tenant_id) for row in sorted(rows, key=lambda row: (row.available_at, row.id))
        ]


async def release(database: Database, entry_ids: list[uuid.UUID]) -> None:
    """Give back jobs this worker took but could not hand on (the broker was down): due again at once,
    and the attempt not counted, instead of waiting out the lease."""
    if not entry_ids:
        return
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id.in_(entry_ids), OutboxEntry.status == JOB_RUNNING)
            .values(status=JOB_PENDING, lease_until=None, attempts=OutboxEntry.attempts - 1)
        )


async def _enabled(session: AsyncSession, tenant_id: uuid.UUID, slug: str) -> bool:
    from core.plugins.models import TenantPlugin

    row = (
        await session.scalars(
            select(TenantPlugin.enabled).where(TenantPlugin.tenant_id == tenant_id, TenantPlugin.slug == slug)
        )
    ).first()
    return bool(row)


async def run_one(
    database: Database, entry: OutboxEntry, functions: dict[str, tuple[str | None, JobFunction]]
) -> str:
    """Run one claimed job; returns its new status."""
    attempt = _Attempt(entry.id, entry.name, entry.attempts, entry.max_attempts)
    known = functions.get(entry.name)
    with acting_as_job(entry.name, known[0] if known else None), tenant_context(entry.tenant_id):
        if known is None:
            return await _fail(database, attempt, f"no job named {entry.name!r} is registered", final=True)
        try:
            with tenant_context(entry.tenant_id):
                async with database.transaction(entry.tenant_id) as session:
                    outcome, seconds = await _execute(session, entry, *known)
        except Exception as exc:
            return await _failed(database, attempt, exc)
    job_finished(attempt.name, outcome, seconds)
    return JOB_DONE


async def run_relayed(
    database: Database,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    functions: dict[str, tuple[str | None, JobFunction]],
) -> str:
    """Run a job a broker delivered, in one tenant transaction: its first statement takes the outbox row
    (``UPDATE ... SET status = 'done' WHERE id = ? AND status = 'running' RETURNING ...``, which locks,
    checks and marks it at once), then the job runs in the same transaction, so its effect and its
    "done" commit together or not at all. A duplicate delivery finds the row done, or waits on the
    lock and then finds it done, and does nothing. (One statement instead of an ORM read and an ORM
    update: docs/performance.md, figure 6.)"""
    with acting_as_job(None, None) as acting, tenant_context(tenant_id):
        return await _run_relayed(database, entry_id, tenant_id, functions, acting)


# Core, not ORM: no entity to build or track, and a statement compiled once per process.
_TAKE_RELAYED = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("entry_id"), _outbox.c.status == JOB_RUNNING)
    .values(status=JOB_DONE, done_at=bindparam("now"), lease_until=None, last_error=None)
    .returning(
        _outbox.c.tenant_id, _outbox.c.name, _outbox.c.payload, _outbox.c.attempts, _outbox.c.max_attempts
    )
)
_NOTE_OUTCOME = (
    update(_outbox).where(_outbox.c.id == bindparam("entry_id")).values(last_error=bindparam("note"))
)


async def _run_relayed(
    database: Database,
    entry_id: uuid.UUID,
    tenant_id: uuid.UUID | None,
    functions: dict[str, tuple[str | None, JobFunction]],
    acting: RequestContext,
) -> str:
    attempt: _Attempt | None = None
    try:
        with tenant_context(tenant_id):
            async with database.transaction(tenant_id) as session:
                connection = await session.connection()
                row = (
                    await connection.execute(_TAKE_RELAYED, {"entry_id": entry_id, "now": utcnow()})
                ).first()
                if row is None:
                    return "skipped"  # done already (a duplicate delivery) or gone with its tenant
                if row.tenant_id != tenant_id:
                    raise RuntimeError("the message names another district than its outbox row")
                job = _Job(entry_id, row.name, row.tenant_id, row.payload, row.attempts)
                attempt = _Attempt(entry_id, row.name, row.attempts, row.max_attempts)
                known = functions.get(row.name)
                acting.job, acting.plugin = row.name, known[0] if known else None
                if known is None:
                    raise _Unknown(f"no job named {row.name!r} is registered")
                started = time.perf_counter()
                note = await _run_function(session, job, *known)
                if note:
                    await connection.execute(_NOTE_OUTCOME, {"entry_id": entry_id, "note": note})
                outcome, seconds = ("skipped" if note else "done"), time.perf_counter() - started
    except _Unknown as exc:
        assert attempt is not None
        return await _fail(database, attempt, str(exc), final=True)
    except Exception as exc:
        if attempt is None:
            raise
        return await _failed(database, attempt, exc)
    job_finished(attempt.name, outcome, seconds)
    return JOB_DONE


@dataclass(frozen=True)
class _Attempt:
    """What failure handling needs of an entry, kept apart from the ORM row (expired on rollback)."""

    id: uuid.UUID
    name: str
    attempts: int
    max_attempts: int


@dataclass(frozen=True)
class _Job:
    """What running a job needs of its outbox row (an ORM entry or a row the relayed path returned)."""

    id: uuid.UUID
    name: str
    tenant_id: uuid.UUID | None
    payload: dict[str, Any]
    attempts: int


class _Unknown(Exception):
    pass


async def _execute(
    session: AsyncSession, entry: OutboxEntry, slug: str | None, function: JobFunction
) -> tuple[str, float]:
    """Run the job's function in its tenant session and mark its row done in the same transaction;
    returns the outcome and the seconds it took, for the metrics once the transaction has committed."""
    started = time.perf_counter()
    job = _Job(entry.id, entry.name, entry.tenant_id, entry.payload, entry.attempts)
    outcome = await _run_function(session, job, slug, function)
    await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id == entry.id)
        .values(status=JOB_DONE, done_at=utcnow(), lease_until=None, last_error=outcome)
    )
    return ("skipped" if outcome else "done"), time.perf_counter() - started


async def _run_function(
    session: AsyncSession, entry: _Job, slug: str | None, function: JobFunction
) -> str | None:
    if (
        slug is not None
        and entry.tenant_id is not None
        and not await _enabled(session, entry.tenant_id, slug)
    ):
        outcome: str | None = "skipped: plugin disabled for the tenant"
    else:
        ctx = JobContext(entry.id, entry.name, entry.tenant_id, dict(entry.payload), session, entry.attempts)
        result = function(ctx)
        if inspect.isawaitable(result):
            await result
        outcome = None
    return outcome


async def _failed(database: Database, attempt: _Attempt, exc: Exception) -> str:
    log.exception(
        "job %s (%s) failed on attempt %d", attempt.name, attempt.id, attempt.attempts, exc_info=exc
    )
    return await _fail(
        database, attempt, f"{type(exc).__name__}: {exc}", final=attempt.attempts >= attempt.max_attempts
    )


async def _fail(database: Database, attempt: _Attempt, error: str, *, final: bool) -> str:
    status = JOB_FAILED if final else JOB_PENDING
    job_finished(attempt.name, "failed" if final else "retry", 0.0)
    retry_at = utcnow() + dt.timedelta(seconds=RETRY_BASE_SECONDS * 2 ** max(0, attempt.attempts - 1))
    async with database.system_transaction() as session:
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == attempt.id)
            .values(status=status, last_error=error[:2000], lease_until=None, available_at=retry_at)
        )
    return status


async def run_due(database: Database, host: Any, limit: int = 20) -> int:
    """Claim and run the jobs that are due; returns how many ran (the embedded worker's step)."""
    functions = job_functions(host)
    entries = await claim(database, limit)
    for entry in entries:
        await run_one(database, entry, functions)
    return len(entries)


EVENT_JOB_PREFIX = "event"


def event_job_name(slug: str, event: str) -> str:
    return f"{slug}.{EVENT_JOB_PREFIX}.{event}"


def event_handlers(host: Any) -> dict[str, tuple[str, JobFunction]]:
    """Job name → (plugin, handler) for every plugin's domain-event subscriptions."""
    found: dict[str, tuple[str, JobFunction]] = {}
    for slug, handlers in host.call_sync("quanyu_event_handlers"):
        for event, handler in dict(handlers).items():
            found[event_job_name(slug, event)] = (slug, handler)
    return found


async def publish(session: AsyncSession, event: str, payload: dict[str, Any], *, host: Any = None) -> int:
    """Publish a domain event (``org.created``, ``person.moved`` ...) in the caller's transaction.

    Each subscribing plugin gets one outbox job, run like any job (after commit,
    with the tenant, skipped where the plugin is disabled). Returns how many.
    """
    if host is None:
        from core.plugins.host import get_host

        host = get_host()
    subscribers = [name for name in event_handlers(host) if name.endswith(f".{EVENT_JOB_PREFIX}.{event}")]
    for name in subscribers:
        await enqueue(session, name, {"event": event, **payload})
    return len(subscribers)
