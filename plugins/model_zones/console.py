"""Console pages of demonstration zones (示范片区联建): the zones, and one zone with its members,
activities, experiences, reviews and files.

The console's page pattern (``plugins/joint_committees/console.py``): a list with filters, a detail
page whose actions are forms that post, then redirect back to the detail (post/redirect/get), or
come back with the errors beside their fields and what was typed kept. The rules are the
services'; these handlers parse forms and shape pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select

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
    scope_predicate,
    translate,
)
from plugins.model_zones import services
from plugins.model_zones.schemas import ActivityIn, ExperienceIn, MemberIn, ReviewIn, ZoneTransition

HERE = Path(__file__).resolve().parent
ACTIVE = "m.model_zones"
PAGE_SIZE = 50
DETAIL_ROWS = 200
# Kinds of organisations a zone may take in as members (the form's choices).
MEMBER_KINDS = (
    "community",
    "village",
    "branch",
    "general_branch",
    "party_committee",
    "unit",
    "enterprise",
    "social_org",
    "owners_committee",
    "property_company",
)
FORM_FIELDS = {
    "member": ("org_node_id", "joined_on", "note"),
    "activity": ("title", "held_on", "place", "participants", "longitude", "latitude", "description"),
    "experience": ("title", "summary", "exported_on"),
    "review": ("reviewed_on", "rating", "reviewer", "findings"),
    "status": ("status", "on"),
}


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


class ZonesPage(Controller):
    path = "/"
    include_in_schema = False

    @get("/zones")
    async def zones(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        status: Annotated[str | None, QueryParameter(pattern=r"^(active|suspended|dissolved)?$")] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await paginate(
            db, services.zones_select(principal, status=status or None), PageParams(PAGE_SIZE, offset)
        )
        return await console_page(
            request,
            db,
            "model_zones/zones.html",
            active=ACTIVE,
            zones=await services.zone_outs(db, rows),
            total=total,
            status=status or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )


Action = Callable[[Any, Principal, Any, Any], Awaitable[Any]]


async def _add_member(db: Any, principal: Principal, zone: Any, data: Any) -> Any:
    return await services.add_member(db, principal, zone, data)


async def _record_activity(db: Any, principal: Principal, zone: Any, data: Any) -> Any:
    return await services.record_activity(db, zone, data)


async def _export_experience(db: Any, principal: Principal, zone: Any, data: Any) -> Any:
    return await services.export_experience(db, zone, data)


async def _record_review(db: Any, principal: Principal, zone: Any, data: Any) -> Any:
    return await services.record_review(db, zone, data)


async def _transition(db: Any, principal: Principal, zone: Any, data: Any) -> Any:
    return await services.transition_zone(db, zone, data)


ACTIONS: dict[str, tuple[type[Any], str, Action]] = {
    "member": (MemberIn, services.MANAGE, _add_member),
    "activity": (ActivityIn, services.RECORD, _record_activity),
    "experience": (ExperienceIn, services.RECORD, _export_experience),
    "review": (ReviewIn, services.MANAGE, _record_review),
    "status": (ZoneTransition, services.MANAGE, _transition),
}


def _typed_body(form: str, data: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the API's body: empty fields left out, numbers as numbers."""
    body: dict[str, Any] = {}
    for field in FORM_FIELDS[form]:
        value = data.get(field, "").strip()
        if not value:
            continue
        if field == "participants":
            body[field] = int(value) if value.isdigit() else value
        elif field in ("longitude", "latitude"):
            try:
                body[field] = float(value)
            except ValueError:
                body[field] = value
        else:
            body[field] = value
    if form == "activity":
        body["organisations"] = [v for k, v in data.items() if k.startswith("org.") and v]
    return body


class ZonePage(Controller):
    """One zone: its facts, members, activities, experiences, reviews, files, and the forms."""

    path = "/zones/{zone_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any], db: DB, zone_id: FromPath[uuid.UUID]) -> Template:
        return await zone_page(request, db, zone_id)

    @post("/{form:str}", status_code=200, media_type="text/html")
    async def act(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        zone_id: FromPath[uuid.UUID],
        form: FromPath[str],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        principal = reader()
        if form not in ACTIONS:
            raise not_found()
        schema, permission, action = ACTIONS[form]
        zone = await services.zone_of(db, principal, zone_id, permission)
        body = _typed_body(form, data)
        typed = {f"{form}.{k}": v for k, v in data.items()}
        try:
            wanted = msgspec.convert(body, schema)
            async with db.begin_nested():
                await action(db, principal, zone, wanted)
        except msgspec.ValidationError as exc:
            field = str(exc).rsplit("$.", 1)[-1].split("`")[0].split("[")[0] if "$." in str(exc) else form
            errors = {
                form: translate(_("The input is not valid.")),
                f"{form}.{field}": translate(_("Check this field.")),
            }
            return await zone_page(request, db, zone_id, errors=errors, typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            rendered = exc.to_problem(current_locale())
            errors = {form: str(rendered["detail"])}
            for problem in rendered.get("errors", []):
                errors[f"{form}.{str(problem['field']).split('[')[0]}"] = problem["message"]
            return await zone_page(request, db, zone_id, errors=errors, typed=typed)
        # Post/redirect/get: reloading the page does not post the form again.
        return Redirect(path=request.url.path.rstrip("/").rsplit("/", 1)[0], status_code=303)


async def _candidates(db: Any, principal: Principal) -> list[OrgNode]:
    """Organisations the caller may add as members (their scope, the kinds zones take in)."""
    return list(
        await db.scalars(
            select(OrgNode)
            .where(
                OrgNode.kind.in_(MEMBER_KINDS),
                OrgNode.archived_at.is_(None),
                scope_predicate(principal, services.MANAGE, OrgNode.path),
            )
            .order_by(OrgNode.path)
            .limit(500)
        )
    )


async def zone_page(
    request: Request[Any, Any, Any],
    db: Any,
    zone_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    zone = await services.zone_of(db, principal, zone_id, services.READ)
    shown = (await services.zone_outs(db, [zone]))[0]
    members = await services.member_outs(
        db, list(await db.scalars(services.members_select(zone).limit(DETAIL_ROWS)))
    )
    activities = await services.activity_outs(
        db, list(await db.scalars(services.activities_select(zone).limit(DETAIL_ROWS)))
    )
    experiences = await services.experience_outs(
        db, list(await db.scalars(services.experiences_select(zone).limit(DETAIL_ROWS)))
    )
    reviews = [
        services.review_out(r) for r in await db.scalars(services.reviews_select(zone).limit(DETAIL_ROWS))
    ]
    committee = await db.get(OrgNode, (zone.tenant_id, zone.org_node_id))
    can_manage = (
        principal.has(services.MANAGE)
        and committee is not None
        and principal.can_at(services.MANAGE, committee.path)
    )
    can_record = (
        principal.has(services.RECORD)
        and committee is not None
        and principal.can_at(services.RECORD, committee.path)
    )
    member_ids = {m.org_node_id for m in members}
    candidates = (
        [n for n in await _candidates(db, principal) if n.id not in member_ids and n.id != zone.lead_node_id]
        if can_manage
        else []
    )
    return await console_page(
        request,
        db,
        "model_zones/zone.html",
        active=ACTIVE,
        zone=shown,
        members=members,
        activities=activities,
        experiences=experiences,
        reviews=reviews,
        candidates=candidates,
        transitions=sorted(services.ZONE_TRANSITIONS[zone.status]),
        can_manage=can_manage and zone.status != "dissolved",
        can_record=can_record and zone.status != "dissolved",
        can_transition=can_manage,
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[ZonesPage, ZonePage],
    nav=[ConsoleNav("/zones", "示范片区", "Demonstration zones", permission=services.READ)],
    templates=HERE / "templates",
)
