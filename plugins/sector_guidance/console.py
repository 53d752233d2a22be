"""Console pages of sector–area collaboration (条块横向联手): sectors, assessments, one assessment.

The console's page pattern (``plugins/joint_committees/console.py``): lists with filters, a detail page
whose workflow actions are forms (start, record answers, submit) that post, then redirect back to the
detail (post/redirect/get), or come back with the errors beside their fields and what was typed kept.
The rules are the services' (``services.py``); these handlers parse forms and shape pages.
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

from core.api import (
    DB,
    ConsoleNav,
    ConsolePages,
    PageParams,
    Principal,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    not_found,
    translate,
)
from plugins.sector_guidance import services
from plugins.sector_guidance.models import LONG_TEXT_MAX
from plugins.sector_guidance.schemas import AnsweredItemOut, ResultsIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.sector_guidance"
PAGE_SIZE = 50

# A filter form sends its empty choices as ``?status=`` (meaning "all"): the patterns accept the empty
# value, which a UUID or Literal query parameter would refuse with a 400.
UUID_OR_EMPTY = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
CYCLE_OR_EMPTY = r"^(\d{4}(H[12])?)?$"
STATUS_OR_EMPTY = r"^(due|in_progress|submitted)?$"
RESULT_FIELD = re.compile(r"results\[(\d+)\]\.(\w+)")


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


class SectorGuidancePages(Controller):
    """The lists: sectors in reach, and assessments with filters."""

    path = "/"
    include_in_schema = False

    @get("/sectors")
    async def sectors(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        status: Annotated[str | None, QueryParameter(pattern=r"^(active|archived)?$")] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await services.sectors_page(
            db, principal, PageParams(PAGE_SIZE, offset), status or None
        )
        shown = []
        for sector in await services.sector_outs(db, rows):
            # The organisations of the sector the caller sees (all of them from the department's side);
            # a page of none: only the count is wanted.
            _none, members = await services.members_page(db, principal, sector.id, PageParams(0, 0))
            version = None
            if sector.published_standard_id is not None:
                standard = await services.visible_standard(db, principal, sector.published_standard_id)
                version = standard.version
            shown.append({"sector": sector, "members": members, "standard_version": version})
        return await console_page(
            request,
            db,
            "sector_guidance/sectors.html",
            active=ACTIVE,
            sectors=shown,
            total=total,
            status=status or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )

    @get("/assessments")
    async def assessments(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        sector: Annotated[str | None, QueryParameter(pattern=UUID_OR_EMPTY)] = None,
        cycle: Annotated[str | None, QueryParameter(pattern=CYCLE_OR_EMPTY)] = None,
        status: Annotated[str | None, QueryParameter(pattern=STATUS_OR_EMPTY)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await services.assessments_page(
            db,
            principal,
            PageParams(PAGE_SIZE, offset),
            sector_id=uuid.UUID(sector) if sector else None,
            cycle=cycle or None,
            status=status or None,
        )
        # The sectors to filter by: those the caller sees (the page size of the API's largest page).
        choices, _count = await services.sectors_page(db, principal, PageParams(500, 0), None)
        return await console_page(
            request,
            db,
            "sector_guidance/assessments.html",
            active=ACTIVE,
            assessments=await services.assessment_outs(db, rows),
            sectors=await services.sector_outs(db, choices),
            total=total,
            sector=sector or "",
            cycle=cycle or "",
            status=status or "",
            offset=offset,
            page_size=PAGE_SIZE,
        )


class AssessmentPage(Controller):
    """One assessment: its standard's checklist, the answers, the score once submitted, its evidence
    files, and the workflow actions as forms (start, record answers, submit)."""

    path = "/assessments/{assessment_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], db: DB, assessment_id: FromPath[uuid.UUID]
    ) -> Template:
        return await assessment_page(request, db, assessment_id)

    @post("/start", status_code=200, media_type="text/html")
    async def start(self, request: Request[Any, Any, Any], db: DB, assessment_id: FromPath[uuid.UUID]) -> Any:
        principal = reader()
        try:
            async with db.begin_nested():
                await services.start_assessment(db, principal, assessment_id)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await assessment_page(request, db, assessment_id, errors={"start": detail_of(exc)})
        return Redirect(path=detail_path(request), status_code=303)

    @post("/results", status_code=200, media_type="text/html")
    async def record(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        assessment_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        """Answer every item of the checklist: ticked is met (with its evidence), not ticked is not met."""
        principal = reader()
        found = await services.assessment_in_reach(db, principal, assessment_id, services.READ)
        items = (await services.assessment_detail(db, found)).items
        typed: dict[str, Any] = {}
        results = []
        for item in items:
            key = str(item.item_id)
            met = data.get(f"met.{key}") == "1"
            evidence = data.get(f"evidence.{key}", "")
            typed[f"met.{key}"] = met
            typed[f"evidence.{key}"] = evidence
            results.append({"item_id": key, "met": met, "evidence": evidence.strip() or None})
        try:
            wanted = msgspec.convert({"results": results}, ResultsIn)
            async with db.begin_nested():
                await services.record_results(db, principal, assessment_id, wanted)
        except msgspec.ValidationError as exc:
            errors = validation_errors(exc, items)
            return await assessment_page(request, db, assessment_id, errors=errors, typed=typed)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            errors = problem_errors(exc, items, "results")
            return await assessment_page(request, db, assessment_id, errors=errors, typed=typed)
        # Post/redirect/get: reloading the page does not record the answers again.
        return Redirect(path=detail_path(request), status_code=303)

    @post("/submit", status_code=200, media_type="text/html")
    async def submit(
        self, request: Request[Any, Any, Any], db: DB, assessment_id: FromPath[uuid.UUID]
    ) -> Any:
        principal = reader()
        found = await services.assessment_in_reach(db, principal, assessment_id, services.READ)
        try:
            async with db.begin_nested():
                await services.submit_assessment(db, principal, assessment_id)
        except ProblemError as exc:
            if exc.status == 404:
                raise
            items = (await services.assessment_detail(db, found)).items
            errors = problem_errors(exc, items, "submit")
            return await assessment_page(request, db, assessment_id, errors=errors)
        return Redirect(path=detail_path(request), status_code=303)


def detail_path(request: Request[Any, Any, Any]) -> str:
    """The assessment's page, from the path of one of its actions (``…/assessments/<id>/<action>``)."""
    return request.url.path.rstrip("/").rsplit("/", 1)[0]


def detail_of(exc: ProblemError) -> str:
    return str(exc.to_problem(current_locale())["detail"])


def problem_errors(exc: ProblemError, items: list[AnsweredItemOut], action: str) -> dict[str, str]:
    """The service's refusal as errors beside the checklist's fields: ``evidence.<item>`` and
    ``item.<item>`` for one item (the form sends the items in the checklist's order; an unanswered
    item is named by its position), and ``action`` for the whole form."""
    by_position = {item.position: str(item.item_id) for item in items}
    rendered = exc.to_problem(current_locale())
    errors: dict[str, str] = {action: str(rendered["detail"])}
    for problem, shown in zip(exc.errors, rendered.get("errors", []), strict=False):
        match = RESULT_FIELD.fullmatch(problem.field)
        if match and int(match.group(1)) < len(items):
            item = str(items[int(match.group(1))].item_id)
            errors["evidence." + item if match.group(2) == "evidence" else "item." + item] = shown["message"]
        elif problem.params.get("position") in by_position:
            errors["item." + by_position[problem.params["position"]]] = shown["message"]
    return errors


def validation_errors(exc: msgspec.ValidationError, items: list[AnsweredItemOut]) -> dict[str, str]:
    """What the form can get wrong before the service sees it: evidence longer than a record holds."""
    match = RESULT_FIELD.search(str(exc))
    if match and int(match.group(1)) < len(items):
        item = str(items[int(match.group(1))].item_id)
        return {
            "results": translate(_("The input is not valid.")),
            f"evidence.{item}": translate(_("At most {max} characters."), max=LONG_TEXT_MAX),
        }
    return {"results": translate(_("The input is not valid."))}


async def assessment_page(
    request: Request[Any, Any, Any],
    db: Any,
    assessment_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
) -> Template:
    principal = reader()
    found = await services.assessment_in_reach(db, principal, assessment_id, services.READ)
    shown = await services.assessment_detail(db, found)
    can_assess = False
    if principal.has(services.ASSESS):
        try:
            await services.assessment_in_reach(db, principal, assessment_id, services.ASSESS)
            can_assess = True
        except ProblemError:
            can_assess = False
    return await console_page(
        request,
        db,
        "sector_guidance/assessment.html",
        active=ACTIVE,
        assessment=shown,
        can_assess=can_assess,
        errors=errors or {},
        typed=typed or {},
        evidence_max=LONG_TEXT_MAX,
    )


PAGES = ConsolePages(
    handlers=[SectorGuidancePages, AssessmentPage],
    nav=[ConsoleNav("/sectors", "条块联手", "Sector guidance", permission=services.READ)],
    templates=HERE / "templates",
)
