"""``/api/v1/audit``: the audit log, for audit administrators, filtered by scope."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import FromQuery, Parameter
from sqlalchemy import and_, or_, select

from core.audit.models import AuditRecord
from core.auth.scope import Principal, scope_predicate
from core.errors import invalid_field
from core.i18n import _
from core.orgs.models import OrgNode
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Output, Page, QueryDateTime, paginate, parse_query_datetime


class AuditOut(Output):
    id: uuid.UUID
    at: dt.datetime
    user_id: uuid.UUID | None
    username: str | None
    org_node_id: uuid.UUID | None
    action: str
    object_type: str | None
    object_id: str | None
    changes: dict[str, Any]
    address: str | None
    request_id: str | None
    success: bool
    detail: str | None


def audit_out(r: AuditRecord) -> AuditOut:
    return AuditOut(
        id=r.id,
        at=r.at,
        user_id=r.user_id,
        username=r.username,
        org_node_id=r.org_node_id,
        action=r.action,
        object_type=r.object_type,
        object_id=r.object_id,
        changes=r.changes or {},
        address=r.address,
        request_id=r.request_id,
        success=r.success,
        detail=r.detail,
    )


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]

    @get(
        "/",
        opt={"permission": "audit.read"},
        summary="Audit records, newest first; records without a node are visible from the district level",
    )
    async def list_records(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        action: Annotated[
            str | None, Parameter(max_length=80, description="Exact action or a prefix ending in '.'")
        ] = None,
        user_id: FromQuery[uuid.UUID | None] = None,
        username: Annotated[str | None, Parameter(max_length=64)] = None,
        object_id: Annotated[str | None, Parameter(max_length=64)] = None,
        success: FromQuery[bool | None] = None,
        since: QueryDateTime = None,
        until: QueryDateTime = None,
    ) -> Page[AuditOut]:
        stmt = records_select(
            principal,
            action=action,
            user_id=user_id,
            username=username,
            object_id=object_id,
            success=success,
            since=parse_query_datetime("since", since),
            until=parse_query_datetime("until", until),
        )
        rows, total = await paginate(db, stmt, page)
        return Page(items=[audit_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


def records_select(
    principal: Principal,
    *,
    action: str | None = None,
    user_id: uuid.UUID | None = None,
    username: str | None = None,
    object_id: str | None = None,
    success: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Any:
    """Audit records the caller may read (their audit scope; district-wide records at the district), filtered,
    newest first. Shared by the API and the console."""
    if since and until and since > until:
        raise invalid_field("since", _("The start must not be after the end."), code="range")
    node = OrgNode.__table__.alias("audit_node")
    at_district = any(g.path.count("/") == 1 for g in principal.grants if "audit.read" in g.permissions)
    visible = scope_predicate(principal, "audit.read", node.c.path)
    if at_district:
        visible = or_(visible, AuditRecord.org_node_id.is_(None))
    stmt = (
        select(AuditRecord)
        .outerjoin(
            node, and_(node.c.tenant_id == AuditRecord.tenant_id, node.c.id == AuditRecord.org_node_id)
        )
        .where(visible)
    )
    if action:
        stmt = stmt.where(
            AuditRecord.action.startswith(action, autoescape=True)
            if action.endswith(".")
            else AuditRecord.action == action
        )
    if user_id:
        stmt = stmt.where(AuditRecord.user_id == user_id)
    if username:
        stmt = stmt.where(AuditRecord.username == username)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if success is not None:
        stmt = stmt.where(AuditRecord.success == success)
    if since:
        stmt = stmt.where(AuditRecord.at >= since)
    if until:
        stmt = stmt.where(AuditRecord.at < until)
    return stmt.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
