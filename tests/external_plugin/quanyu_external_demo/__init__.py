"""A plugin packaged on its own: a table, a route, a job and a dashboard figure (test fixture)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from litestar import Controller, get
from litestar.params import FromQuery
from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.api import (
    DB,
    Base,
    CurrentPrincipal,
    Figure,
    Manifest,
    MigrationLocation,
    OrgNode,
    TenantScoped,
    Timestamped,
    hookimpl,
    in_subtree,
    node_in_scope,
    tenant_fk,
)


class Visit(TenantScoped, Timestamped, Base):
    """A guidance visit (走访) to an organisation."""

    __tablename__ = "external_visit"

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    note: Mapped[str] = mapped_column(String(200))


async def visits_under(session: Any, node: OrgNode) -> int:
    stmt = (
        select(func.count())
        .select_from(Visit)
        .join(OrgNode, (OrgNode.tenant_id == Visit.tenant_id) & (OrgNode.id == Visit.org_node_id))
        .where(in_subtree(OrgNode.path, node.path))
    )
    return int(await session.scalar(stmt) or 0)


class VisitController(Controller):
    path = "/visits"

    @get("/", opt={"permission": "org.read"})
    async def count(self, db: DB, principal: CurrentPrincipal, node: FromQuery[uuid.UUID]) -> dict[str, int]:
        root = await node_in_scope(db, principal, node, "org.read")
        return {"visits": await visits_under(db, root)}


async def record_visit(ctx: Any) -> None:
    ctx.session.add(Visit(org_node_id=uuid.UUID(ctx.payload["org_node_id"]), note=f"job {ctx.job_id}"))


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="external_demo", name_zh="走访", name_en="Visits", version="0.3.0", pillar="team")


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(
        "external_demo", Path(__file__).resolve().parent / "migrations", frozenset({"external_visit"})
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return [VisitController]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return {"record_visit": record_visit}


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: Any, session: Any) -> list[Figure]:
    return [Figure(key="visits", name_zh="走访", name_en="Visits", value=await visits_under(session, node))]
