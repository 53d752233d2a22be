"""Console pages of projects for the people (为民项目联认): needs, the projects board, one project.

The console's page pattern (``plugins/joint_committees/console.py``): a list with filters and a form
to record a need, a board of projects by status, and a project's page with its facts, claims,
progress, evaluations, history and files, whose workflow actions (move the project, claim it, report
progress) are forms that post, then redirect back (post/redirect/get), or come back with the errors
beside their fields and what was typed kept. The rules are the services' (``services.py``).
"""

from __future__ import annotations

import re
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
    Principal,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    invalid_field,
    not_found,
    public_district,
    public_page,
    scope_predicate,
    translate,
)
from plugins.people_projects import services
from plugins.people_projects.models import NEED_SOURCES, PROJECT_STATUSES, Project
from plugins.people_projects.schemas import ClaimIn, NeedIn, ProgressIn, TransitionIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.people_projects"
PAGE_SIZE = 50
BOARD_SIZE = 200
CLAIMANT_KINDS = (
    "unit",
    "sector_department",
    "enterprise",
    "social_org",
    "property_company",
    "owners_committee",
)
AREA_KINDS = ("district", "street", "community", "village", "branch")

# A filter form sends its empty choices as ``?status=`` (meaning "all").
NEED_STATUS_OR_EMPTY = r"^(open|converted|closed)?$"
SOURCE_OR_EMPTY = "^(" + "|".join(NEED_SOURCES) + ")?$"
FIELD_AT = re.compile(r"at `\$\.(\w+)`")
MISSING = re.compile(r"required field `(\w+)`")

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


def problem_errors(exc: ProblemError, fallback: str) -> dict[str, str]:
    """The service's refusal as errors beside the form's fields (the whole form under ``fallback``)."""
    problem = exc.to_problem(current_locale())
    errors = {str(e["field"]): str(e["message"]) for e in problem.get("errors", [])}
    errors.setdefault(fallback, str(problem["detail"]))
    return errors


def validation_errors(exc: msgspec.ValidationError, fallback: str) -> dict[str, str]:
    """What the form got wrong before the service saw it, beside the field it names."""
    message = translate(_("The input is not valid."))
    errors = {fallback: message}
    missing = MISSING.search(str(exc))
    if missing:
        errors[missing.group(1)] = translate(_("This field cannot be blank."))
    match = FIELD_AT.search(str(exc))
    if match:
        errors[match.group(1)] = translate(_("Check this value."))
    return errors


def _filled(data: dict[str, str], *names: str) -> dict[str, Any]:
    """The form's non-empty fields among ``names`` (an empty field is a field not given)."""
    return {name: data[name].strip() for name in names if data.get(name, "").strip()}


async def _nodes_for(db: Any, principal: Principal, permission: str, kinds: tuple[str, ...]) -> list[OrgNode]:
    return list(
        await db.scalars(
            select(OrgNode)
            .where(
                OrgNode.kind.in_(kinds),
                OrgNode.archived_at.is_(None),
                scope_predicate(principal, permission, OrgNode.path),
            )
            .order_by(OrgNode.path)
            .limit(500)
        )
    )


class NeedsPage(Controller):
    """Residents' needs with filters, and the form to record one."""

    path = "/needs"
    include_in_schema = False

    @get("/")
    async def list_needs(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        status: Annotated[str | None, QueryParameter(pattern=NEED_STATUS_OR_EMPTY)] = None,
        source: Annotated[str | None, QueryParameter(pattern=SOURCE_OR_EMPTY)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        return await needs_page(request, db, status=status or "", source=source or "", offset=offset)

    @post("/", status_code=200, media_type="text/html")
    async def record_need(self, request: Request[Any, Any, Any], db: DB, data: Form) -> Any:
        principal = reader()
        typed = {k: data.get(k, "") for k in ("org_node_id", "source", "category", "title", "description")}
        try:
            wanted = msgspec.convert(_filled(data, *typed), NeedIn, strict=False)
            async with db.begin_nested():
                await services.create_need(db, principal, wanted)
        except msgspec.ValidationError as exc:
            return await needs_page(request, db, errors=validation_errors(exc, "need"), typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                errors = {
                    "org_node_id": translate(_("No such organisation within your scope in this district."))
                }
                return await needs_page(request, db, errors=errors, typed=typed)
            return await needs_page(request, db, errors=problem_errors(exc, "need"), typed=typed)
        return Redirect(path=request.url.path, status_code=303)


async def needs_page(
    request: Request[Any, Any, Any],
    db: Any,
    *,
    status: str = "",
    source: str = "",
    offset: int = 0,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    rows, total = await services.needs_page(
        db, principal, PageParams(PAGE_SIZE, offset), status=status or None, source=source or None
    )
    can_manage = principal.has(services.MANAGE)
    return await console_page(
        request,
        db,
        "people_projects/needs.html",
        active=ACTIVE,
        needs=await services.need_outs(db, rows),
        total=total,
        status=status,
        source=source,
        offset=offset,
        page_size=PAGE_SIZE,
        sources=NEED_SOURCES,
        categories=(await services.config_of(db)).categories,
        places=await _nodes_for(db, principal, services.MANAGE, AREA_KINDS) if can_manage else [],
        can_manage=can_manage,
        errors=errors or {},
        typed=typed or {},
    )


class BoardPage(Controller):
    """The projects board: one column per status."""

    path = "/projects"
    include_in_schema = False

    @get("/")
    async def board(self, request: Request[Any, Any, Any], db: DB) -> Template:
        principal = reader()
        rows, total = await services.projects_page(db, principal, PageParams(BOARD_SIZE, 0))
        columns: dict[str, list[Any]] = {status: [] for status in PROJECT_STATUSES}
        for project in await services.project_outs(db, rows):
            columns[project.status].append(project)
        return await console_page(
            request,
            db,
            "people_projects/board.html",
            active=ACTIVE,
            columns=columns,
            total=total,
            shown=len(rows),
        )


class ProjectPage(Controller):
    """One project: facts, claims, progress, evaluations, history, files, and its workflow forms."""

    path = "/projects/{project_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, project_id: FromPath[uuid.UUID]
    ) -> Template:
        return await project_page(request, db, project_id)

    @post("/transitions", status_code=200, media_type="text/html")
    async def transition(
        self, request: Request[Any, Any, Any], db: DB, project_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        typed = {"to": data.get("to", ""), "note": data.get("note", "")}
        try:
            wanted = msgspec.convert(_filled(data, "to", "note"), TransitionIn, strict=False)
            async with db.begin_nested():
                await services.transition_project(db, principal, project_id, wanted)
        except msgspec.ValidationError as exc:
            return await project_page(
                request, db, project_id, errors=validation_errors(exc, "to"), typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await project_page(request, db, project_id, errors=problem_errors(exc, "to"), typed=typed)
        return Redirect(path=detail_path(request), status_code=303)

    @post("/claims", status_code=200, media_type="text/html")
    async def claim(
        self, request: Request[Any, Any, Any], db: DB, project_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        names = (
            "org_node_id",
            "commitment",
            "money_fen",
            "labour_hours",
            "material_description",
            "material_value_fen",
        )
        typed = {k: data.get(k, "") for k in (*names, "money_yuan", "material_value_yuan")}
        body = _filled(data, *names)
        try:
            # The form asks for yuan (two decimals at most); the API takes fen.
            for yuan, fen in (("money_yuan", "money_fen"), ("material_value_yuan", "material_value_fen")):
                if data.get(yuan, "").strip():
                    body[fen] = _fen(data[yuan], fen)
            wanted = msgspec.convert(body, ClaimIn, strict=False)
            async with db.begin_nested():
                await services.create_claim(db, principal, project_id, wanted)
        except msgspec.ValidationError as exc:
            return await project_page(
                request, db, project_id, errors=_yuan_fields(validation_errors(exc, "claim")), typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await project_page(
                request, db, project_id, errors=_yuan_fields(problem_errors(exc, "claim")), typed=typed
            )
        return Redirect(path=detail_path(request), status_code=303)

    @post("/progress", status_code=200, media_type="text/html")
    async def progress(
        self, request: Request[Any, Any, Any], db: DB, project_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        typed = {k: data.get(k, "") for k in ("reported_on", "text", "percent")}
        try:
            wanted = msgspec.convert(_filled(data, *typed), ProgressIn, strict=False)
            async with db.begin_nested():
                await services.add_progress(db, principal, project_id, wanted)
        except msgspec.ValidationError as exc:
            return await project_page(
                request, db, project_id, errors=validation_errors(exc, "progress"), typed=typed
            )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await project_page(
                request, db, project_id, errors=problem_errors(exc, "progress"), typed=typed
            )
        return Redirect(path=detail_path(request), status_code=303)


def _fen(text: str, field: str) -> int:
    """Yuan as typed (``1200`` or ``1200.50``) in fen; anything else is refused beside the field."""
    cleaned = text.strip().replace(",", "")
    if not re.fullmatch(r"\d{1,10}(\.\d{1,2})?", cleaned):
        raise invalid_field(field, _("Give an amount in yuan with at most two decimals."), code="bad_amount")
    whole, _dot, cents = cleaned.partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


def _yuan_fields(errors: dict[str, str]) -> dict[str, str]:
    """The API's fen fields are the form's yuan fields."""
    renamed = {"money_fen": "money_yuan", "material_value_fen": "material_value_yuan"}
    return {renamed.get(k, k): v for k, v in errors.items()}


def detail_path(request: Request[Any, Any, Any]) -> str:
    """The project's page, from the path of one of its actions (``…/projects/<id>/<action>``)."""
    return request.url.path.rstrip("/").rsplit("/", 1)[0]


async def project_page(
    request: Request[Any, Any, Any],
    db: Any,
    project_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    project = await services.project_in_scope(db, principal, project_id)
    shown = await services.project_detail(db, project)
    can = {}
    for permission in (services.MANAGE, services.CLAIM):
        try:
            await services.project_in_scope(db, principal, project_id, permission)
            can[permission] = True
        except ProblemError:
            can[permission] = False
    allowed = sorted(services.TRANSITIONS.get(project.status, frozenset())) if can[services.MANAGE] else []
    claimable = can[services.CLAIM] and project.status in services.OPEN_FOR_CLAIMS
    return await console_page(
        request,
        db,
        "people_projects/project.html",
        active=ACTIVE,
        project=shown,
        allowed=allowed,
        can_report=can[services.MANAGE] and project.status == "in_progress",
        claimable=claimable,
        claimants=await _nodes_for(db, principal, services.CLAIM, CLAIMANT_KINDS) if claimable else [],
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[NeedsPage, BoardPage, ProjectPage],
    nav=[ConsoleNav("/projects", "为民项目", "Projects for the people", permission=services.READ)],
    templates=HERE / "templates",
)


class PublicProjects(Controller):
    """The residents' side (no login): the district's projects for the people, newest first."""

    path = "/projects"
    include_in_schema = False

    @get("/")
    async def list_projects(self, request: Request[Any, Any, Any], db: DB) -> Template:
        await public_district(request, db)
        rows = list(
            await db.scalars(
                select(Project)
                .where(Project.status.in_(PUBLIC_STATUSES))
                .order_by(Project.published_on.desc(), Project.id)
                .limit(PUBLIC_SIZE)
            )
        )
        return await public_page(
            request, db, "people_projects/public.html", projects=await services.project_outs(db, rows)
        )


PUBLIC_STATUSES = ("published", "claimed", "in_progress", "completed", "evaluated")
PUBLIC_SIZE = 100
PUBLIC = ConsolePages(
    handlers=[PublicProjects],
    nav=[ConsoleNav("/projects", "为民项目", "Projects for the people")],
    templates=HERE / "templates",
)
