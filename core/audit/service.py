"""The one audit call: ``record`` (in the caller's transaction) and ``record_detached``.

``record`` writes in the same transaction as the change, so a rolled-back
change leaves no record of having happened. ``record_detached`` commits on
its own, for events whose request fails (a failed login, a refused access).
Sensitive values never reach the log: ``diff`` masks them. Records are chained
(numbered, linked and signed) when the transaction commits: ``core.audit.chain``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.chain import queue
from core.audit.models import AuditRecord
from core.context import current_context
from core.db.session import Database, get_database

MASK = "***"


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID | dt.date | dt.datetime):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], *, sensitive: Iterable[str] = ()
) -> dict[str, Any]:
    """Changed fields as ``{field: [old, new]}``; sensitive fields show only that they changed."""
    hidden = set(sensitive)
    changes: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        changes[key] = [MASK, MASK] if key in hidden else [_jsonable(old), _jsonable(new)]
    return changes


def _build(
    tenant_id: uuid.UUID,
    action: str,
    *,
    object_type: str | None,
    object_id: Any,
    org_node_id: uuid.UUID | None,
    changes: Mapping[str, Any] | None,
    success: bool,
    detail: str | None,
    user_id: uuid.UUID | None,
    username: str | None,
) -> AuditRecord:
    ctx = current_context()
    principal = ctx.principal
    return AuditRecord(
        tenant_id=tenant_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        org_node_id=org_node_id,
        changes=_jsonable(dict(changes or {})),
        success=success,
        detail=detail[:300] if detail else None,
        user_id=user_id or (principal.user_id if principal else None),
        username=username or (principal.username if principal else None),
        address=ctx.address,
        request_id=ctx.request_id,
    )


async def record(
    session: AsyncSession,
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    org_node_id: uuid.UUID | None = None,
    changes: Mapping[str, Any] | None = None,
    success: bool = True,
    detail: str | None = None,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
) -> None:
    """Record an action in the current transaction of ``session`` (its tenant)."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("audit.record needs a session bound to a tenant")
    queue(
        session,
        _build(
            tenant_id,
            action,
            object_type=object_type,
            object_id=object_id,
            org_node_id=org_node_id,
            changes=changes,
            success=success,
            detail=detail,
            user_id=user_id,
            username=username,
        ),
    )


async def record_detached(
    tenant_id: uuid.UUID,
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    org_node_id: uuid.UUID | None = None,
    changes: Mapping[str, Any] | None = None,
    success: bool = False,
    detail: str | None = None,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
    database: Database | None = None,
) -> None:
    """Record an action in a transaction of its own (survives the request's rollback).

    ``database`` is the process's by default; the web layer passes its app's.
    """
    async with (database or get_database()).transaction(tenant_id) as session:
        queue(
            session,
            _build(
                tenant_id,
                action,
                object_type=object_type,
                object_id=object_id,
                org_node_id=org_node_id,
                changes=changes,
                success=success,
                detail=detail,
                user_id=user_id,
                username=username,
            ),
        )


OPERATOR = "operator"


async def record_operator(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    action: str,
    *,
    detail: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Record an operator's command (run on a system session) in the district's own audit log."""
    import getpass

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    queue(
        session,
        _build(
            tenant_id,
            action,
            object_type="tenant",
            object_id=tenant_id,
            org_node_id=None,
            changes=changes,
            success=True,
            detail=f"{detail + '; ' if detail else ''}by {OPERATOR} {who}",
            user_id=None,
            username=OPERATOR,
        ),
    )
