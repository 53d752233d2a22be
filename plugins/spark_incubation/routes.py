"""The spark plan's API, mounted by the core under ``/api/v1/m/spark_incubation/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules of ``services``),
call a service, shape the answer. The core's gate answers 404 to a district that has not enabled
the plugin, and ``db`` commits when a handler returns.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.spark_incubation import services
from plugins.spark_incubation.schemas import (
    CandidateDetailOut,
    CandidateIn,
    CandidateOut,
    FieldIn,
    FieldOut,
    FieldStatus,
    FieldUpdate,
    MentorIn,
    MilestoneIn,
    MilestoneUpdate,
    PlanIn,
    PlanOut,
    Stage,
    StandardIn,
    StandardOut,
    TransitionIn,
)
from plugins.spark_incubation.services import CULTIVATE, MANAGE, READ


class FieldController(Controller):
    """Emerging fields (新兴领域) and their standards."""

    path = "/fields"
    tags = ["spark_incubation"]

    @get("/", opt={"permission": READ}, summary="Emerging fields of the caller's district and area")
    async def list_fields(
        self, db: DB, principal: CurrentPrincipal, page: Paging, status: FromQuery[FieldStatus | None] = None
    ) -> Page[FieldOut]:
        rows, total = await services.fields_page(db, principal, page, status)
        return Page(
            items=await services.field_outs(db, principal, rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/", opt={"permission": MANAGE}, summary="Add an emerging field")
    async def create_field(self, db: DB, principal: CurrentPrincipal, data: JSONBody[FieldIn]) -> FieldOut:
        field = await services.create_field(db, principal, data)
        return (await services.field_outs(db, principal, [field]))[0]

    @get("/{field_id:uuid}", opt={"permission": READ}, summary="One field with its candidates per stage")
    async def read_field(
        self, db: DB, principal: CurrentPrincipal, field_id: FromPath[uuid.UUID]
    ) -> FieldOut:
        found = await services.visible_field(db, principal, field_id)
        return (await services.field_outs(db, principal, [found.field]))[0]

    @patch(
        "/{field_id:uuid}", opt={"permission": MANAGE}, summary="Rename, describe, reorder or archive a field"
    )
    async def update_field(
        self, db: DB, principal: CurrentPrincipal, field_id: FromPath[uuid.UUID], data: JSONBody[FieldUpdate]
    ) -> FieldOut:
        field = await services.update_field(db, principal, field_id, data)
        return (await services.field_outs(db, principal, [field]))[0]

    @get("/{field_id:uuid}/standards", opt={"permission": READ}, summary="The field's standards")
    async def list_standards(
        self, db: DB, principal: CurrentPrincipal, field_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[StandardOut]:
        rows, total = await services.standards_page(db, principal, field_id, page)
        return Page(
            items=await services.standard_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{field_id:uuid}/standards",
        opt={"permission": MANAGE},
        summary="Write a draft standard of the field, citing its benchmarks",
    )
    async def create_standard(
        self, db: DB, principal: CurrentPrincipal, field_id: FromPath[uuid.UUID], data: JSONBody[StandardIn]
    ) -> StandardOut:
        standard = await services.create_standard(db, principal, field_id, data)
        return (await services.standard_outs(db, [standard]))[0]


class StandardController(Controller):
    """Standards (党建工作标准) drawn from a field's benchmarks."""

    path = "/standards"
    tags = ["spark_incubation"]

    @get("/{standard_id:uuid}", opt={"permission": READ}, summary="One standard with its sources")
    async def read_standard(
        self, db: DB, principal: CurrentPrincipal, standard_id: FromPath[uuid.UUID]
    ) -> StandardOut:
        standard = await services.visible_standard(db, principal, standard_id)
        return (await services.standard_outs(db, [standard]))[0]

    @put("/{standard_id:uuid}", opt={"permission": MANAGE}, summary="Rewrite a draft standard")
    async def replace_standard(
        self,
        db: DB,
        principal: CurrentPrincipal,
        standard_id: FromPath[uuid.UUID],
        data: JSONBody[StandardIn],
    ) -> StandardOut:
        standard = await services.replace_standard(db, principal, standard_id, data)
        return (await services.standard_outs(db, [standard]))[0]

    @post(
        "/{standard_id:uuid}/publish",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Publish a draft standard (it needs items and cited benchmarks)",
    )
    async def publish_standard(
        self, db: DB, principal: CurrentPrincipal, standard_id: FromPath[uuid.UUID]
    ) -> StandardOut:
        standard = await services.publish_standard(db, principal, standard_id)
        return (await services.standard_outs(db, [standard]))[0]


class CandidateController(Controller):
    """Candidates (培育对象), their stage moves, cultivation plans, milestones and mentors."""

    path = "/candidates"
    tags = ["spark_incubation"]

    @get("/", opt={"permission": READ}, summary="Candidates of organisations in the caller's scope")
    async def list_candidates(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        field_id: FromQuery[uuid.UUID | None] = None,
        stage: FromQuery[Stage | None] = None,
        node_id: Annotated[
            uuid.UUID | None, Parameter(description="Only organisations in this subtree")
        ] = None,
    ) -> Page[CandidateOut]:
        rows, total = await services.candidates_page(
            db, principal, page, field_id=field_id, stage=stage, node_id=node_id
        )
        return Page(
            items=await services.candidate_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": CULTIVATE}, summary="Nominate an organisation as a candidate of a field")
    async def nominate(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[CandidateIn]
    ) -> CandidateDetailOut:
        candidate = await services.nominate(db, principal, data)
        found = await services.candidate_in_reach(db, principal, candidate.id)
        return await services.candidate_detail(db, found)

    @get("/{candidate_id:uuid}", opt={"permission": READ}, summary="One candidate with history and plan")
    async def read_candidate(
        self, db: DB, principal: CurrentPrincipal, candidate_id: FromPath[uuid.UUID]
    ) -> CandidateDetailOut:
        found = await services.candidate_in_reach(db, principal, candidate_id)
        return await services.candidate_detail(db, found)

    @post(
        "/{candidate_id:uuid}/transitions",
        opt={"permission": CULTIVATE},
        status_code=200,
        summary="Move a candidate to another stage (allowed moves only), with the reason",
    )
    async def move(
        self,
        db: DB,
        principal: CurrentPrincipal,
        candidate_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
    ) -> CandidateDetailOut:
        found = await services.transition(db, principal, candidate_id, data)
        return await services.candidate_detail(db, found)

    @get("/{candidate_id:uuid}/plan", opt={"permission": READ}, summary="The candidate's cultivation plan")
    async def read_plan(
        self, db: DB, principal: CurrentPrincipal, candidate_id: FromPath[uuid.UUID]
    ) -> PlanOut:
        _found, plan = await services.plan_in_reach(db, principal, candidate_id)
        return await services.plan_out(db, plan)

    @put("/{candidate_id:uuid}/plan", opt={"permission": CULTIVATE}, summary="Write the cultivation plan")
    async def put_plan(
        self, db: DB, principal: CurrentPrincipal, candidate_id: FromPath[uuid.UUID], data: JSONBody[PlanIn]
    ) -> PlanOut:
        plan = await services.put_plan(db, principal, candidate_id, data)
        return await services.plan_out(db, plan)

    @post(
        "/{candidate_id:uuid}/plan/milestones",
        opt={"permission": CULTIVATE},
        summary="Add a milestone to the plan (due within the plan's period)",
    )
    async def add_milestone(
        self,
        db: DB,
        principal: CurrentPrincipal,
        candidate_id: FromPath[uuid.UUID],
        data: JSONBody[MilestoneIn],
    ) -> PlanOut:
        await services.add_milestone(db, principal, candidate_id, data)
        _found, plan = await services.plan_in_reach(db, principal, candidate_id)
        return await services.plan_out(db, plan)

    @post(
        "/{candidate_id:uuid}/plan/mentors",
        opt={"permission": CULTIVATE},
        summary="Make a person of the district a mentor of the plan",
    )
    async def add_mentor(
        self, db: DB, principal: CurrentPrincipal, candidate_id: FromPath[uuid.UUID], data: JSONBody[MentorIn]
    ) -> PlanOut:
        await services.add_mentor(db, principal, candidate_id, data)
        _found, plan = await services.plan_in_reach(db, principal, candidate_id)
        return await services.plan_out(db, plan)

    @delete(
        "/{candidate_id:uuid}/plan/mentors/{mentor_id:uuid}",
        opt={"permission": CULTIVATE},
        summary="Remove a mentor from the plan",
    )
    async def remove_mentor(
        self,
        db: DB,
        principal: CurrentPrincipal,
        candidate_id: FromPath[uuid.UUID],
        mentor_id: FromPath[uuid.UUID],
    ) -> None:
        await services.remove_mentor(db, principal, candidate_id, mentor_id)


class MilestoneController(Controller):
    """Milestones (培育节点) of cultivation plans."""

    path = "/milestones"
    tags = ["spark_incubation"]

    @patch(
        "/{milestone_id:uuid}",
        opt={"permission": CULTIVATE},
        summary="Change a milestone or mark it done (done_on)",
    )
    async def update_milestone(
        self,
        db: DB,
        principal: CurrentPrincipal,
        milestone_id: FromPath[uuid.UUID],
        data: JSONBody[MilestoneUpdate],
    ) -> PlanOut:
        _found, plan = await services.update_milestone(db, principal, milestone_id, data)
        return await services.plan_out(db, plan)


CONTROLLERS = [FieldController, StandardController, CandidateController, MilestoneController]
