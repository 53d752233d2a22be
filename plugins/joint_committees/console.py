"""Console pages of three-level linkage: committees and decisions, in the console's page pattern
(a list with filters; detail and forms follow the same shape)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template

from core.api import (
    DB,
    ConsoleNav,
    ConsolePages,
    PageParams,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    load_in_scope,
    not_found,
    paginate,
    translate,
)
from plugins.joint_committees import services
from plugins.joint_committees.models import Decision
from plugins.joint_committees.schemas import DecisionProgress

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
        level: Annotated[str | None, QueryParameter(pattern="^(|district|street|community)$")] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        principal = current_principal()
        if principal is None or not principal.has(services.READ):
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


class DecisionPage(Controller):
    """One decision: its facts, its escalations, its files, and the progress form (the workflow actions)."""

    path = "/decisions/{decision_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, decision_id: FromPath[uuid.UUID]
    ) -> Template:
        return await decision_page(request, db, decision_id)

    @post("/", status_code=200, media_type="text/html")
    async def progress(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        decision_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        principal = current_principal()
        if principal is None:
            raise not_found()
        decision = await load_in_scope(db, principal, Decision, decision_id, services.REPORT)
        typed = {"status": data.get("status", ""), "note": data.get("note", "")}
        try:
            wanted = msgspec.convert(typed, DecisionProgress)
            async with db.begin_nested():
                if wanted.status == "cancelled":
                    await services.require_deciding_committee(db, principal, decision)
                await services.progress_decision(db, decision, wanted)
        except msgspec.ValidationError:
            return await decision_page(
                request, db, decision_id, errors={"status": translate(_("Choose a status."))}, typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            problem = exc.to_problem(current_locale())
            errors = {e["field"]: e["message"] for e in problem.get("errors", [])} or {
                "status": problem["detail"]
            }
            return await decision_page(request, db, decision_id, errors=errors, typed=typed)
        # Post/redirect/get: reloading the page does not report the progress again.
        return Redirect(path=request.url.path, status_code=303)


async def decision_page(
    request: Request[Any, Any, Any],
    db: Any,
    decision_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    decision = await load_in_scope(db, principal, Decision, decision_id, services.READ)
    shown = await services.decision_out(db, decision, with_escalations=True)
    allowed = sorted(services.DECISION_TRANSITIONS[decision.status])
    return await console_page(
        request,
        db,
        "joint_committees/decision.html",
        active=ACTIVE,
        decision=shown,
        allowed=allowed if principal.has(services.REPORT) else [],
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[LinkagePages, DecisionPage],
    nav=[ConsoleNav("/committees", "三级联动", "Linkage committees", permission=services.READ)],
    templates=HERE / "templates",
)
