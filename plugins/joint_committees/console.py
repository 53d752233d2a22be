"""Console pages of three-level linkage: committees and decisions, in the console's page pattern
(a list with filters; detail and forms follow the same shape)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from core.api import DB, ConsoleNav, ConsolePages, PageParams, console_page, current_principal, paginate
from plugins.joint_committees import services

HERE = Path(__file__).resolve().parent
ACTIVE = "m.joint_committees"


class LinkagePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/committees")
    async def committees(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        level: Annotated[Literal["district", "street", "community"] | None, QueryParameter()] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        principal = current_principal()
        if principal is None or not principal.has(services.READ):
            from core.api import not_found

            raise not_found()
        rows, total = await paginate(
            db, services.committees_select(principal, level=level), PageParams(50, offset)
        )
        return await console_page(
            request,
            db,
            "joint_committees/committees.html",
            active=ACTIVE,
            committees=await services.committee_outs(db, rows),
            total=total,
            level=level,
            offset=offset,
        )

    @get("/decisions")
    async def decisions(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        status: Annotated[
            Literal["open", "in_progress", "done", "cancelled"] | None, QueryParameter()
        ] = None,
        overdue: Annotated[bool | None, QueryParameter()] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        principal = current_principal()
        if principal is None or not principal.has(services.READ):
            from core.api import not_found

            raise not_found()
        stmt = services.decisions_select(principal, status=status, overdue=overdue)
        rows, total = await paginate(db, stmt, PageParams(50, offset))
        return await console_page(
            request,
            db,
            "joint_committees/decisions.html",
            active=ACTIVE,
            decisions=[await services.decision_out(db, d) for d in rows],
            total=total,
            status=status,
            overdue=overdue,
            offset=offset,
        )


PAGES = ConsolePages(
    handlers=[LinkagePages],
    nav=[ConsoleNav("/committees", "三级联动", "Linkage committees", permission=services.READ)],
    templates=HERE / "templates",
)
