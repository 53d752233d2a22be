"""Projects for the people's API, mounted by the core under ``/api/v1/m/people_projects/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules of ``services``),
call a service, shape the answer. ``db`` commits when a handler returns and rolls back when it
raises, so a refused request writes nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging, _, invalid_field
from plugins.people_projects import services
from plugins.people_projects.schemas import (
    ClaimIn,
    ClaimOut,
    DeliveryIn,
    EvaluationIn,
    EvaluationOut,
    FromNeedIn,
    NeedIn,
    NeedOut,
    NeedSource,
    NeedStatus,
    ProgressIn,
    ProgressOut,
    ProjectDetailOut,
    ProjectIn,
    ProjectOut,
    ProjectStatus,
    ProjectUpdate,
    SupporterIn,
    TransitionIn,
)
from plugins.people_projects.services import CLAIM, EVALUATE, MANAGE, READ

KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class NeedController(Controller):
    """Residents' needs (民生需求), their supporters, and turning one into a project."""

    path = "/needs"
    tags = ["people_projects"]

    @get("/", opt={"permission": READ}, summary="Needs within the caller's scope, newest first")
    async def list_needs(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        status: FromQuery[NeedStatus | None] = None,
        source: FromQuery[NeedSource | None] = None,
        node_id: Annotated[uuid.UUID | None, Parameter(description="Only needs of this subtree")] = None,
    ) -> Page[NeedOut]:
        rows, total = await services.needs_page(
            db, principal, page, status=status, source=source, node_id=node_id
        )
        return Page(
            items=await services.need_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Record a residents' need where it arose")
    async def create_need(self, db: DB, principal: CurrentPrincipal, data: JSONBody[NeedIn]) -> NeedOut:
        need = await services.create_need(db, principal, data)
        return (await services.need_outs(db, [need]))[0]

    @get("/{need_id:uuid}", opt={"permission": READ}, summary="One need")
    async def read_need(self, db: DB, principal: CurrentPrincipal, need_id: FromPath[uuid.UUID]) -> NeedOut:
        need = await services.need_in_scope(db, principal, need_id)
        return (await services.need_outs(db, [need]))[0]

    @post(
        "/{need_id:uuid}/supporters",
        opt={"permission": MANAGE},
        summary="A resident backs the need (each person once)",
    )
    async def add_supporter(
        self, db: DB, principal: CurrentPrincipal, need_id: FromPath[uuid.UUID], data: JSONBody[SupporterIn]
    ) -> NeedOut:
        need = await services.add_supporter(db, principal, need_id, data)
        return (await services.need_outs(db, [need]))[0]

    @post(
        "/{need_id:uuid}/project",
        opt={"permission": MANAGE},
        summary="Turn an open need into a draft project; whoever recorded the need is told",
    )
    async def project_from_need(
        self, db: DB, principal: CurrentPrincipal, need_id: FromPath[uuid.UUID], data: JSONBody[FromNeedIn]
    ) -> ProjectOut:
        project = await services.project_from_need(db, principal, need_id, data)
        return (await services.project_outs(db, [project]))[0]


class ProjectController(Controller):
    """Projects for the people (为民项目): their life, claims, progress and residents' evaluations."""

    path = "/projects"
    tags = ["people_projects"]

    @get("/", opt={"permission": READ}, summary="Projects within the caller's scope, newest first")
    async def list_projects(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        status: FromQuery[ProjectStatus | None] = None,
        node_id: Annotated[uuid.UUID | None, Parameter(description="Only projects of this subtree")] = None,
        year: Annotated[
            int | None, Parameter(ge=2000, le=2100, description="Only projects published this year")
        ] = None,
    ) -> Page[ProjectOut]:
        rows, total = await services.projects_page(
            db, principal, page, status=status, node_id=node_id, year=year
        )
        return Page(
            items=await services.project_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Draft a project of an organisation")
    async def create_project(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[ProjectIn]
    ) -> ProjectOut:
        project = await services.create_project(db, principal, data)
        return (await services.project_outs(db, [project]))[0]

    @get(
        "/{project_id:uuid}",
        opt={"permission": READ},
        summary="One project with its claims, progress, evaluations and history",
    )
    async def read_project(
        self, db: DB, principal: CurrentPrincipal, project_id: FromPath[uuid.UUID]
    ) -> ProjectDetailOut:
        project = await services.project_in_scope(db, principal, project_id)
        return await services.project_detail(db, project)

    @patch("/{project_id:uuid}", opt={"permission": MANAGE}, summary="Edit a draft project")
    async def update_project(
        self,
        db: DB,
        principal: CurrentPrincipal,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectUpdate],
    ) -> ProjectOut:
        project = await services.update_project(db, principal, project_id, data)
        return (await services.project_outs(db, [project]))[0]

    @post(
        "/{project_id:uuid}/transitions",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Publish, start, complete or cancel a project (only allowed steps)",
    )
    async def transition(
        self,
        db: DB,
        principal: CurrentPrincipal,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> ProjectDetailOut:
        project = await services.transition_project(db, principal, project_id, data)
        return await services.project_detail(db, project)

    @post(
        "/{project_id:uuid}/claims",
        opt={"permission": CLAIM},
        summary="Claim a project for an organisation or a member, with a commitment",
        description=(
            "Send an `Idempotency-Key` header to make a retry safe: the same key on the same project "
            "returns the first claim (200) instead of a second one."
        ),
    )
    async def create_claim(
        self,
        db: DB,
        principal: CurrentPrincipal,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ClaimIn],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[ClaimOut]:
        if idempotency_key is not None and not _valid_key(idempotency_key):
            raise invalid_field(
                "Idempotency-Key", _("Use up to 100 letters, digits and . _ : - as the key."), code="bad_key"
            )
        claim, created = await services.create_claim(db, principal, project_id, data, idempotency_key)
        out = (await services.claim_outs(db, [claim]))[0]
        return Response(out, status_code=201 if created else 200)

    @post(
        "/{project_id:uuid}/progress",
        opt={"permission": MANAGE},
        summary="Report progress on a project in progress (the percent never goes down)",
    )
    async def add_progress(
        self, db: DB, principal: CurrentPrincipal, project_id: FromPath[uuid.UUID], data: JSONBody[ProgressIn]
    ) -> ProgressOut:
        row = await services.add_progress(db, principal, project_id, data)
        return ProgressOut(
            id=row.id,
            project_id=row.project_id,
            reported_on=row.reported_on,
            text=row.text,
            percent=row.percent,
        )

    @post(
        "/{project_id:uuid}/evaluations",
        opt={"permission": EVALUATE},
        summary="A resident evaluates a completed project (1–5 stars, once per person)",
    )
    async def add_evaluation(
        self,
        db: DB,
        principal: CurrentPrincipal,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[EvaluationIn],
    ) -> EvaluationOut:
        row = await services.add_evaluation(db, principal, project_id, data)
        return (await services.evaluation_outs(db, [row]))[0]


class ClaimController(Controller):
    """One claim: the money delivered on it."""

    path = "/claims"
    tags = ["people_projects"]

    @post(
        "/{claim_id:uuid}/delivery",
        opt={"permission": CLAIM},
        status_code=200,
        summary="Record the money delivered so far on a money claim",
    )
    async def record_delivery(
        self, db: DB, principal: CurrentPrincipal, claim_id: FromPath[uuid.UUID], data: JSONBody[DeliveryIn]
    ) -> ClaimOut:
        claim = await services.record_delivery(db, principal, claim_id, data)
        return (await services.claim_outs(db, [claim]))[0]


def _valid_key(key: str) -> bool:
    import re

    return re.fullmatch(KEY_PATTERN, key) is not None


CONTROLLERS = [NeedController, ProjectController, ClaimController]
