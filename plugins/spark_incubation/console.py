"""Console pages of the spark plan (星火计划联育): the fields with their candidates per stage, one field
(its candidates by stage, a nomination form, its standards), and one candidate (stage moves, plan,
milestones, mentors, history and files).

The console's page pattern (``plugins/sector_guidance/console.py``): forms post, then redirect back
(post/redirect/get), or come back with the errors beside their fields and what was typed kept. The
rules are the services'; these handlers parse forms and shape pages.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
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
    in_subtree,
    not_found,
    scope_predicate,
    translate,
)
from plugins.spark_incubation import services
from plugins.spark_incubation.schemas import CandidateIn, MilestoneIn, MilestoneUpdate, PlanIn, TransitionIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.spark_incubation"
PAGE_SIZE = 200
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


def _errors(exc: ProblemError, form: str) -> dict[str, str]:
    """The service's refusal as errors beside the form's fields, and for the whole form."""
    rendered = exc.to_problem(current_locale())
    errors: dict[str, str] = {form: str(rendered["detail"])}
    for shown in rendered.get("errors", []):
        errors[f"{form}.{shown['field']}"] = str(shown["message"])
        errors[form] = str(shown["message"])
    return errors


def _invalid(exc: msgspec.ValidationError, form: str) -> dict[str, str]:
    text = str(exc)
    errors = {form: translate(_("The input is not valid.")) + f" ({text})"}
    if "$." in text:
        errors[f"{form}.{text.rsplit('$.', 1)[1].split('`')[0].split('[')[0]}"] = text
    return errors


def _clean(data: dict[str, str]) -> dict[str, Any]:
    return {k: v.strip() for k, v in data.items() if k != "_csrf_token" and v.strip() != ""}


class SparkPages(Controller):
    """The fields and one field's candidates."""

    path = "/"
    include_in_schema = False

    @get("/fields")
    async def fields(self, request: Request[Any, Any, Any], db: DB) -> Template:
        principal = reader()
        rows, total = await services.fields_page(db, principal, PageParams(PAGE_SIZE, 0))
        return await console_page(
            request,
            db,
            "spark_incubation/fields.html",
            active=ACTIVE,
            fields=await services.field_outs(db, principal, rows),
            stages=list(services.TRANSITIONS),
            total=total,
        )

    @get("/fields/{field_id:uuid}")
    async def field(self, request: Request[Any, Any, Any], db: DB, field_id: FromPath[uuid.UUID]) -> Template:
        return await field_page(request, db, field_id)

    @post("/fields/{field_id:uuid}/nominate", status_code=200, media_type="text/html")
    async def nominate(
        self, request: Request[Any, Any, Any], db: DB, field_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        principal = reader()
        typed = _clean(data)
        try:
            wanted = msgspec.convert({**typed, "field_id": str(field_id)}, CandidateIn, strict=False)
            async with db.begin_nested():
                candidate = await services.nominate(db, principal, wanted)
        except msgspec.ValidationError as exc:
            return await field_page(request, db, field_id, errors=_invalid(exc, "nominate"), typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await field_page(request, db, field_id, errors=_errors(exc, "nominate"), typed=typed)
        return Redirect(path=f"{console_root(request)}/candidates/{candidate.id}", status_code=303)


class CandidatePage(Controller):
    """One candidate: its stage and allowed moves, plan, milestones, mentors, history and files."""

    path = "/candidates/{candidate_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, candidate_id: FromPath[uuid.UUID]
    ) -> Template:
        return await candidate_page(request, db, candidate_id)

    @post("/move", status_code=200, media_type="text/html")
    async def move(
        self, request: Request[Any, Any, Any], db: DB, candidate_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        return await _write(
            request,
            db,
            candidate_id,
            data,
            "move",
            TransitionIn,
            lambda principal, body: services.transition(db, principal, candidate_id, body),
        )

    @post("/plan", status_code=200, media_type="text/html")
    async def plan(
        self, request: Request[Any, Any, Any], db: DB, candidate_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        return await _write(
            request,
            db,
            candidate_id,
            data,
            "plan",
            PlanIn,
            lambda principal, body: services.put_plan(db, principal, candidate_id, body),
        )

    @post("/milestones", status_code=200, media_type="text/html")
    async def milestone(
        self, request: Request[Any, Any, Any], db: DB, candidate_id: FromPath[uuid.UUID], data: Form
    ) -> Any:
        return await _write(
            request,
            db,
            candidate_id,
            data,
            "milestone",
            MilestoneIn,
            lambda principal, body: services.add_milestone(db, principal, candidate_id, body),
        )

    @post("/milestones/{milestone_id:uuid}/done", status_code=200, media_type="text/html")
    async def done(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        candidate_id: FromPath[uuid.UUID],
        milestone_id: FromPath[uuid.UUID],
        data: Form,
    ) -> Any:
        return await _write(
            request,
            db,
            candidate_id,
            data,
            "done",
            MilestoneUpdate,
            lambda principal, body: services.update_milestone(db, principal, milestone_id, body),
        )


async def _write(
    request: Request[Any, Any, Any],
    db: Any,
    candidate_id: uuid.UUID,
    data: dict[str, str],
    form: str,
    schema: type[Any],
    action: Any,
) -> Any:
    principal = reader()
    typed = _clean(data)
    try:
        body = msgspec.convert(typed, schema, strict=False)
        async with db.begin_nested():
            await action(principal, body)
    except msgspec.ValidationError as exc:
        return await candidate_page(
            request, db, candidate_id, errors=_invalid(exc, form), typed={form: typed}
        )
    except ProblemError as exc:
        if exc.status == 404:
            raise
        return await candidate_page(request, db, candidate_id, errors=_errors(exc, form), typed={form: typed})
    return Redirect(path=f"{console_root(request)}/candidates/{candidate_id}", status_code=303)


def console_root(request: Request[Any, Any, Any]) -> str:
    """``/t/<tenant>/console/m/spark_incubation`` from any of the plugin's page paths."""
    path = request.url.path
    marker = "/m/spark_incubation"
    return path[: path.index(marker) + len(marker)]


async def field_page(
    request: Request[Any, Any, Any],
    db: Any,
    field_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
) -> Template:
    principal = reader()
    found = await services.visible_field(db, principal, field_id)
    rows, _total = await services.candidates_page(db, principal, PageParams(500, 0), field_id=field_id)
    candidates = await services.candidate_outs(db, rows)
    by_stage = {stage: [c for c in candidates if c.stage == stage] for stage in services.TRANSITIONS}
    standards, _count = await services.standards_page(db, principal, field_id, PageParams(100, 0))
    choices: list[OrgNode] = []
    if principal.has(services.CULTIVATE):
        config = await services.config_of(db)
        choices = list(
            await db.scalars(
                select(OrgNode)
                .where(
                    OrgNode.kind.in_(config.candidate_kinds),
                    OrgNode.archived_at.is_(None),
                    in_subtree(OrgNode.path, found.host.path),
                    scope_predicate(principal, services.CULTIVATE, OrgNode.path),
                )
                .order_by(OrgNode.name)
                .limit(500)
            )
        )
    return await console_page(
        request,
        db,
        "spark_incubation/field.html",
        active=ACTIVE,
        field=(await services.field_outs(db, principal, [found.field]))[0],
        by_stage=by_stage,
        standards=await services.standard_outs(db, standards),
        choices=choices,
        errors=errors or {},
        typed=typed or {},
    )


async def candidate_page(
    request: Request[Any, Any, Any],
    db: Any,
    candidate_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, dict[str, Any]] | None = None,
) -> Template:
    principal = reader()
    found = await services.candidate_in_reach(db, principal, candidate_id)
    can_cultivate = principal.can_at(services.CULTIVATE, found.organisation.path)
    return await console_page(
        request,
        db,
        "spark_incubation/candidate.html",
        active=ACTIVE,
        candidate=await services.candidate_detail(db, found),
        can_cultivate=can_cultivate,
        errors=errors or {},
        typed=typed or {},
    )


PAGES = ConsolePages(
    handlers=[SparkPages, CandidatePage],
    nav=[ConsoleNav("/fields", "星火计划", "Spark plan", permission=services.READ)],
    templates=HERE / "templates",
)
