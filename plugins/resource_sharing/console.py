"""Console pages of shared resources (区域载体联享): the catalogue, one resource with a week of its
slots and a reservation form, my reservations, and the approvals inbox.

The console's page pattern (``plugins/sector_guidance/console.py``): forms post, then redirect
(post/redirect/get), or come back with the error beside the field and what was typed kept. The
rules are the services'; these handlers parse forms and shape pages.
"""

from __future__ import annotations

import datetime as dt
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
    DISTRICT_TIMEZONE,
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
    district_today,
    not_found,
    translate,
)
from plugins.resource_sharing import services
from plugins.resource_sharing.models import SharedResource
from plugins.resource_sharing.schemas import ReservationIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.resource_sharing"
PAGE_SIZE = 50
KIND_OR_EMPTY = r"^(venue|room|equipment|service|information)?$"
DATE_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


def detail_of(exc: ProblemError) -> str:
    return str(exc.to_problem(current_locale())["detail"])


def field_errors(exc: ProblemError, form: str) -> dict[str, str]:
    rendered = exc.to_problem(current_locale())
    errors = {form: str(rendered["detail"])}
    for problem, shown in zip(exc.errors, rendered.get("errors", []), strict=False):
        errors[problem.field] = shown["message"]
    return errors


class CataloguePages(Controller):
    """The catalogue, my reservations and the approvals inbox."""

    path = "/"
    include_in_schema = False

    @get("/resources")
    async def resources(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        kind: Annotated[str | None, QueryParameter(pattern=KIND_OR_EMPTY)] = None,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await services.resources_page(
            db, principal, PageParams(PAGE_SIZE, offset), kind=kind or None, q=q or None
        )
        return await console_page(
            request,
            db,
            "resource_sharing/resources.html",
            active=ACTIVE,
            resources=await services.resource_outs(db, principal, rows),
            total=total,
            kind=kind or "",
            q=q or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )

    @get("/reservations")
    async def my_reservations(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        return await reservations_page(request, db, inbox=False, offset=offset)

    @get("/inbox")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        return await reservations_page(request, db, inbox=True, offset=offset)


async def reservations_page(
    request: Request[Any, Any, Any],
    db: Any,
    *,
    inbox: bool,
    offset: int = 0,
    errors: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    rows, total = await services.reservations_page(
        db, principal, PageParams(PAGE_SIZE, offset), mine=not inbox, inbox=inbox
    )
    return await console_page(
        request,
        db,
        "resource_sharing/reservations.html",
        active=ACTIVE,
        reservations=await services.reservation_outs(db, rows),
        inbox=inbox,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        errors=errors or {},
        now=dt.datetime.now(dt.UTC),
        local=services.local,
    )


class ResourcePage(Controller):
    """One resource: its facts, a week of slots, the reservations in reach that week, a reservation form."""

    path = "/resources/{resource_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        resource_id: FromPath[uuid.UUID],
        start: Annotated[str | None, QueryParameter(pattern=DATE_OR_EMPTY)] = None,
    ) -> Template:
        first = dt.date.fromisoformat(start) if start else None
        return await resource_page(request, db, resource_id, first)

    @post("/reserve", status_code=200, media_type="text/html")
    async def reserve(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        resource_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        principal = reader()
        typed = {k: data.get(k, "") for k in ("org_node_id", "day", "starts", "ends", "purpose", "attendees")}
        try:
            day = dt.date.fromisoformat(typed["day"])
        except ValueError:
            errors = {
                "reserve": translate(_("The input is not valid.")),
                "day": translate(_("Choose a day.")),
            }
            return await resource_page(request, db, resource_id, None, errors=errors, typed=typed)
        try:
            wanted = msgspec.convert(
                {
                    "resource_id": str(resource_id),
                    "org_node_id": typed["org_node_id"],
                    "starts_at": f"{day.isoformat()}T{typed['starts']}:00",
                    "ends_at": f"{day.isoformat()}T{typed['ends']}:00",
                    "purpose": typed["purpose"],
                    "attendees": int(typed["attendees"]) if typed["attendees"].strip().isdigit() else None,
                },
                ReservationIn,
            )
            async with db.begin_nested():
                reservation, _created = await services.request_reservation(db, principal, wanted)
        except msgspec.ValidationError as exc:
            errors = {"reserve": translate(_("The input is not valid.")) + f" ({exc})"}
            return await resource_page(request, db, resource_id, day, errors=errors, typed=typed)
        except ProblemError as exc:
            if exc.status == 404 and not exc.errors:
                raise
            return await resource_page(
                request, db, resource_id, day, errors=field_errors(exc, "reserve"), typed=typed
            )
        base = request.url.path.rstrip("/").rsplit("/resources/", 1)[0]
        return Redirect(path=f"{base}/reservations/{reservation.id}", status_code=303)


async def resource_page(
    request: Request[Any, Any, Any],
    db: Any,
    resource_id: uuid.UUID,
    first: dt.date | None,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    resource = await services.visible_resource(db, principal, resource_id)
    shown = (await services.resource_outs(db, principal, [resource]))[0]
    first = first or district_today()
    week = await services.week(db, principal, resource_id, first)
    rows, _total = await services.reservations_page(
        db, principal, PageParams(200, 0), resource_id=resource_id
    )
    week_end = dt.datetime.combine(first + dt.timedelta(days=7), dt.time(), DISTRICT_TIMEZONE)
    week_start = dt.datetime.combine(first, dt.time(), DISTRICT_TIMEZONE)
    in_week = [r for r in rows if r.starts_at < week_end and r.ends_at > week_start]
    organisations = []
    if principal.has(services.RESERVE):
        nodes = await services.reserving_organisations(db, principal, resource)
        organisations = [{"id": str(n.id), "name": n.name} for n in nodes]
    return await console_page(
        request,
        db,
        "resource_sharing/resource.html",
        active=ACTIVE,
        resource=shown,
        week=week,
        reservations=await services.reservation_outs(db, in_week),
        organisations=organisations,
        previous=(first - dt.timedelta(days=7)).isoformat(),
        following=(first + dt.timedelta(days=7)).isoformat(),
        first=first,
        errors=errors or {},
        typed=typed or {},
        local=services.local,
    )


class ReservationPage(Controller):
    """One reservation, and its actions: approve, reject (the provider), cancel."""

    path = "/reservations/{reservation_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, reservation_id: FromPath[uuid.UUID]
    ) -> Template:
        return await reservation_page(request, db, reservation_id)

    @post("/approve", status_code=200, media_type="text/html")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        reservation_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await act(request, db, reservation_id, "approve", data)

    @post("/reject", status_code=200, media_type="text/html")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        reservation_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await act(request, db, reservation_id, "reject", data)

    @post("/cancel", status_code=200, media_type="text/html")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        reservation_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await act(request, db, reservation_id, "cancel", data)


async def act(
    request: Request[Any, Any, Any], db: Any, reservation_id: uuid.UUID, action: str, data: dict[str, str]
) -> Any:
    principal = reader()
    note = (data.get("note") or "")[:500] or None
    try:
        async with db.begin_nested():
            if action == "cancel":
                await services.cancel(db, principal, reservation_id, note)
            else:
                await services.decide(db, principal, reservation_id, action == "approve", note)
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await reservation_page(request, db, reservation_id, errors=field_errors(exc, action))
    detail = request.url.path.rstrip("/").rsplit("/", 1)[0]
    back = data.get("back")
    if back in ("inbox", "reservations"):
        return Redirect(path=detail.rsplit("/reservations/", 1)[0] + f"/{back}", status_code=303)
    return Redirect(path=detail, status_code=303)


async def reservation_page(
    request: Request[Any, Any, Any],
    db: Any,
    reservation_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    reservation = await services.reservation_in_reach(db, principal, reservation_id)
    shown = (await services.reservation_outs(db, [reservation]))[0]
    resource = await db.get(SharedResource, (reservation.tenant_id, reservation.resource_id))
    provider = await db.get(OrgNode, (reservation.tenant_id, resource.org_node_id))
    return await console_page(
        request,
        db,
        "resource_sharing/reservation.html",
        active=ACTIVE,
        reservation=shown,
        can_decide=principal.can_at(services.PROVIDE, provider.path),
        errors=errors or {},
        local=services.local,
    )


PAGES = ConsolePages(
    handlers=[CataloguePages, ResourcePage, ReservationPage],
    nav=[ConsoleNav("/resources", "载体联享", "Shared resources", permission=services.READ)],
    templates=HERE / "templates",
)
