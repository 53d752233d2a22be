"""Console pages of action branches (行动支部联组): branches (filterable by kind), one branch with its
members and actions, one action with its participants, hours and files (photos, notes).

The console's page pattern: lists with filters, detail pages whose writes are CSRF forms that post,
then redirect back (post/redirect/get), or come back with the reason beside the form. The rules are
the services'; these handlers parse forms and shape pages.
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
from sqlalchemy import select

from core.api import (
    DB,
    ConsoleNav,
    ConsolePages,
    OrgNode,
    PageParams,
    Person,
    Principal,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    district_today,
    in_subtree,
    not_found,
    scope_predicate,
    translate,
)
from plugins.action_branches import services
from plugins.action_branches.schemas import ActionIn, LeaveIn, MemberIn, ParticipantIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.action_branches"
PAGE_SIZE = 50
CHOICES = 300
KIND_OR_EMPTY = r"^(cause|interest|trade|place)?$"
STATUS_OR_EMPTY = r"^(active|dissolved)?$"

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


def detail_of(exc: ProblemError) -> str:
    """The refusal in the caller's language: its field messages when it names fields, else its detail."""
    rendered = exc.to_problem(current_locale())
    messages = [str(e["message"]) for e in rendered.get("errors", [])]
    return "；".join(messages) if messages else str(rendered["detail"])


def _invalid() -> str:
    return translate(_("The input is not valid."))


class BranchListPage(Controller):
    path = "/"
    include_in_schema = False

    @get("/branches")
    async def branches(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        kind: Annotated[str | None, QueryParameter(pattern=KIND_OR_EMPTY)] = None,
        status: Annotated[str | None, QueryParameter(pattern=STATUS_OR_EMPTY)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await services.branches_page(
            db, principal, PageParams(PAGE_SIZE, offset), kind=kind or None, status=status or None
        )
        return await console_page(
            request,
            db,
            "action_branches/branches.html",
            active=ACTIVE,
            branches=await services.branch_outs(db, rows),
            total=total,
            kind=kind or "",
            status=status or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )


class BranchPage(Controller):
    """One branch: facts, members (add, leave), actions (record one)."""

    path = "/branches/{branch_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any], db: DB, branch_id: FromPath[uuid.UUID]) -> Template:
        return await branch_page(request, db, branch_id)

    @post("/members", status_code=200, media_type="text/html")
    async def join(
        self, request: Request[Any, Any, Any], db: DB, branch_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        try:
            wanted = msgspec.convert(
                {"person_id": data.get("person_id", ""), "role": data.get("role", "").strip() or None},
                MemberIn,
                strict=False,
            )
            async with db.begin_nested():
                await services.join(db, principal, branch_id, wanted)
        except msgspec.ValidationError:
            return await branch_page(request, db, branch_id, errors={"join": _invalid()})
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await branch_page(request, db, branch_id, errors={"join": detail_of(exc)})
        return Redirect(path=_up(request), status_code=303)

    @post("/leave", status_code=200, media_type="text/html")
    async def leave(
        self, request: Request[Any, Any, Any], db: DB, branch_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        try:
            wanted = msgspec.convert({"person_id": data.get("person_id", "")}, LeaveIn, strict=False)
            async with db.begin_nested():
                await services.leave(db, principal, branch_id, wanted)
        except msgspec.ValidationError:
            return await branch_page(request, db, branch_id, errors={"leave": _invalid()})
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await branch_page(request, db, branch_id, errors={"leave": detail_of(exc)})
        return Redirect(path=_up(request), status_code=303)

    @post("/actions", status_code=200, media_type="text/html")
    async def record(
        self, request: Request[Any, Any, Any], db: DB, branch_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        typed = {k: data.get(k, "") for k in ("held_on", "title", "place", "description")}
        try:
            wanted = msgspec.convert(
                {
                    "held_on": typed["held_on"],
                    "title": typed["title"],
                    "place": typed["place"] or None,
                    "description": typed["description"] or None,
                },
                ActionIn,
                strict=False,
            )
            async with db.begin_nested():
                action = await services.record_action(db, principal, branch_id, wanted)
        except msgspec.ValidationError:
            return await branch_page(request, db, branch_id, errors={"action": _invalid()}, typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await branch_page(request, db, branch_id, errors={"action": detail_of(exc)}, typed=typed)
        tenant = request.path_params.get("tenant", "")
        return Redirect(path=f"/t/{tenant}/console/m/{services.SLUG}/actions/{action.id}", status_code=303)


class ActionPage(Controller):
    """One action: participants and hours (a form over the branch's members), and its files."""

    path = "/actions/{action_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any], db: DB, action_id: FromPath[uuid.UUID]) -> Template:
        return await action_page(request, db, action_id)

    @post("/participants", status_code=200, media_type="text/html")
    async def participants(
        self, request: Request[Any, Any, Any], db: DB, action_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        """Hours per person: a blank box means the person did not take part."""
        principal = reader()
        typed = {k: v for k, v in data.items() if k.startswith("hours.")}
        try:
            wanted = [
                msgspec.convert(
                    {"person_id": key.removeprefix("hours."), "hours": value}, ParticipantIn, strict=False
                )
                for key, value in sorted(typed.items())
                if value.strip()
            ]
            async with db.begin_nested():
                await services.replace_participants(db, principal, action_id, wanted)
        except msgspec.ValidationError:
            return await action_page(request, db, action_id, errors={"participants": _invalid()}, typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await action_page(
                request, db, action_id, errors={"participants": detail_of(exc)}, typed=typed
            )
        return Redirect(path=_up(request), status_code=303)


def _up(request: Request[Any, Any, Any]) -> str:
    """The detail page, from the path of one of its actions (``…/<id>/<action>``)."""
    return request.url.path.rstrip("/").rsplit("/", 1)[0]


async def _can(db: Any, principal: Principal, branch_id: uuid.UUID, permission: str) -> bool:
    if not principal.has(permission):
        return False
    try:
        await services.branch_in_scope(db, principal, branch_id, permission)
    except ProblemError:
        return False
    return True


async def branch_page(
    request: Request[Any, Any, Any],
    db: Any,
    branch_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    branch = await services.branch_in_scope(db, principal, branch_id, services.READ)
    [shown] = await services.branch_outs(db, [branch])
    rows, _total = await services.members_page(db, branch, PageParams(500, 0), include_left=True)
    members = await services.member_outs(db, branch, rows)
    actions, action_total = await services.actions_page(db, branch, PageParams(PAGE_SIZE, 0))
    can_manage = await _can(db, principal, branch_id, services.MANAGE)
    candidates: list[Person] = []
    if can_manage and branch.status == "active":
        # People of the host organisation's area the caller manages, not yet members.
        host = await db.get(OrgNode, (branch.tenant_id, branch.host_node_id))
        owner = OrgNode.__table__.alias("person_node")
        current = {m.person_id for m in members if m.left_on is None}
        candidates = [
            p
            for p in await db.scalars(
                select(Person)
                .join(owner, (owner.c.tenant_id == Person.tenant_id) & (owner.c.id == Person.org_node_id))
                .where(
                    in_subtree(owner.c.path, host.path),
                    Person.archived_at.is_(None),
                    scope_predicate(principal, services.MANAGE, owner.c.path),
                )
                .order_by(Person.name, Person.id)
                .limit(CHOICES)
            )
            if p.id not in current
        ]
    return await console_page(
        request,
        db,
        "action_branches/branch.html",
        active=ACTIVE,
        branch=shown,
        members=members,
        actions=await services.action_outs(db, actions),
        action_total=action_total,
        candidates=candidates,
        can_manage=can_manage,
        can_record=await _can(db, principal, branch_id, services.RECORD),
        errors=errors or {},
        typed=typed or {},
        today=district_today().isoformat(),
    )


async def action_page(
    request: Request[Any, Any, Any],
    db: Any,
    action_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    action = await services.action_in_scope(db, principal, action_id, services.READ)
    detail = await services.action_detail(db, action)
    branch = await services.branch_in_scope(db, principal, action.branch_id, services.READ)
    rows, _total = await services.members_page(db, branch, PageParams(500, 0), include_left=False)
    members = await services.member_outs(db, branch, rows)
    hours = {str(p.person_id): p.hours for p in detail.participants}
    # Everyone who can be credited here: the branch's members, and anyone already credited.
    people = [(str(m.person_id), m.person_name, True) for m in members]
    listed = {pid for pid, _n, _m in people}
    people += [
        (str(p.person_id), p.person_name, p.member)
        for p in detail.participants
        if str(p.person_id) not in listed
    ]
    return await console_page(
        request,
        db,
        "action_branches/action.html",
        active=ACTIVE,
        action=detail,
        branch_status=branch.status,
        people=people,
        hours=hours,
        can_record=await _can(db, principal, branch.id, services.RECORD),
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[BranchListPage, BranchPage, ActionPage],
    nav=[ConsoleNav("/branches", "行动支部", "Action branches", permission=services.READ)],
    templates=HERE / "templates",
)
