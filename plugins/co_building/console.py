"""Console pages of co-building agreements (组织共建联席): the agreements list and one agreement.

The console's page pattern (``plugins/joint_committees/console.py``): a list with filters, and a detail
page showing the service list, activities, reviews and files, whose status form posts and then
redirects back (post/redirect/get), or comes back with the error beside its field and what was typed.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template

from core.api import (
    DB,
    ConsoleNav,
    ConsolePages,
    OrgNode,
    PageParams,
    Principal,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    not_found,
    paginate,
    translate,
)
from plugins.co_building import services
from plugins.co_building.schemas import AgreementTransition

HERE = Path(__file__).resolve().parent
ACTIVE = "m.co_building"
PAGE_SIZE = 50
LIST_PAGE = PageParams(200, 0)


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


class CoBuildingPages(Controller):
    """The agreements within the caller's scope, filtered by status."""

    path = "/"
    include_in_schema = False

    @get("/agreements")
    async def agreements(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        status: Annotated[str | None, QueryParameter(pattern=r"^(draft|active|expired|terminated)?$")] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        stmt = services.agreements_select(principal, status=status or None)
        rows, total = await paginate(db, stmt, PageParams(PAGE_SIZE, offset))
        return await console_page(
            request,
            db,
            "co_building/agreements.html",
            active=ACTIVE,
            agreements=await services.agreement_outs(db, rows),
            total=total,
            status=status or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )


class AgreementPage(Controller):
    """One agreement: its facts, service list, activities, reviews, files and the status form."""

    path = "/agreements/{agreement_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, agreement_id: FromPath[uuid.UUID]
    ) -> Template:
        return await agreement_page(request, db, agreement_id)

    @post("/", status_code=200, media_type="text/html")
    async def transition(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        agreement_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        principal = reader()
        agreement = await services.agreement_in_scope(db, principal, agreement_id, services.MANAGE)
        typed = {"status": data.get("status", ""), "reason": data.get("reason", "")}
        try:
            wanted = msgspec.convert(
                {"status": typed["status"], "reason": typed["reason"] or None}, AgreementTransition
            )
            async with db.begin_nested():
                await services.apply_transition(db, agreement, wanted)
        except msgspec.ValidationError:
            return await agreement_page(
                request, db, agreement_id, errors={"status": translate(_("Choose a status."))}, typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            problem = exc.to_problem(current_locale())
            errors = {e["field"]: e["message"] for e in problem.get("errors", [])} or {
                "status": problem["detail"]
            }
            if "status" not in errors and "reason" not in errors:
                errors = {"status": " ".join(errors.values())}
            return await agreement_page(request, db, agreement_id, errors=errors, typed=typed)
        # Post/redirect/get: reloading the page does not change the status again.
        return Redirect(path=request.url.path, status_code=303)


async def agreement_page(
    request: Request[Any, Any, Any],
    db: Any,
    agreement_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    agreement = await services.agreement_in_scope(db, principal, agreement_id, services.READ)
    shown = (await services.agreement_outs(db, [agreement]))[0]
    items, _items_total = await services.items_page(db, principal, agreement_id, LIST_PAGE)
    activities, _activities_total = await services.activities_page(db, principal, agreement_id, LIST_PAGE)
    reviews, _reviews_total = await services.reviews_page(db, principal, agreement_id, LIST_PAGE)
    allowed = sorted(services.AGREEMENT_TRANSITIONS[agreement.status])
    area = await db.get(OrgNode, (agreement.tenant_id, agreement.org_node_id))
    manages = area is not None and principal.can_at(services.MANAGE, area.path)
    return await console_page(
        request,
        db,
        "co_building/agreement.html",
        active=ACTIVE,
        agreement=shown,
        items=[services.item_out(i) for i in items],
        activities=[services.activity_out(a) for a in activities],
        reviews=[services.review_out(r) for r in reviews],
        allowed=allowed if manages else [],
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[CoBuildingPages, AgreementPage],
    nav=[ConsoleNav("/agreements", "组织共建", "Co-building", permission=services.READ)],
    templates=HERE / "templates",
)
