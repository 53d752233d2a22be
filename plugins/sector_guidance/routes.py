"""Sector–area collaboration's API, mounted by the core under ``/api/v1/m/sector_guidance/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules
of ``services``), call a service, shape the answer. The core's gate answers
404 to a district that has not enabled the plugin, and ``db`` commits when a
handler returns.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.sector_guidance import services
from plugins.sector_guidance.schemas import (
    CYCLE_PATTERN,
    AssessmentDetailOut,
    AssessmentIn,
    AssessmentOut,
    AssessmentStatus,
    ItemsIn,
    MemberIn,
    MemberOut,
    ResultsIn,
    SectorIn,
    SectorOut,
    SectorStatus,
    SectorUpdate,
    StandardIn,
    StandardOut,
    StandardUpdate,
    VisitIn,
    VisitOut,
)
from plugins.sector_guidance.services import ASSESS, MANAGE, READ


class SectorController(Controller):
    """Sectors (行业), their member organisations and their standards' versions."""

    path = "/sectors"
    tags = ["sector_guidance"]

    @get("/", opt={"permission": READ}, summary="Sectors led or guided within the caller's scope")
    async def list_sectors(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        status: FromQuery[SectorStatus | None] = None,
    ) -> Page[SectorOut]:
        rows, total = await services.sectors_page(db, principal, page, status)
        return Page(
            items=await services.sector_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Create a sector led by a sector department")
    async def create_sector(self, db: DB, principal: CurrentPrincipal, data: JSONBody[SectorIn]) -> SectorOut:
        sector = await services.create_sector(db, principal, data)
        return (await services.sector_outs(db, [sector]))[0]

    @get("/{sector_id:uuid}", opt={"permission": READ}, summary="One sector")
    async def read_sector(
        self, db: DB, principal: CurrentPrincipal, sector_id: FromPath[uuid.UUID]
    ) -> SectorOut:
        sector = await services.visible_sector(db, principal, sector_id, READ)
        return (await services.sector_outs(db, [sector]))[0]

    @patch(
        "/{sector_id:uuid}",
        opt={"permission": MANAGE},
        summary="Rename, recode, describe or archive a sector",
    )
    async def update_sector(
        self,
        db: DB,
        principal: CurrentPrincipal,
        sector_id: FromPath[uuid.UUID],
        data: JSONBody[SectorUpdate],
    ) -> SectorOut:
        sector = await services.update_sector(db, principal, sector_id, data)
        return (await services.sector_outs(db, [sector]))[0]

    @get("/{sector_id:uuid}/members", opt={"permission": READ}, summary="Organisations the sector guides")
    async def list_members(
        self, db: DB, principal: CurrentPrincipal, sector_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[MemberOut]:
        rows, total = await services.members_page(db, principal, sector_id, page)
        return Page(
            items=await services.member_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{sector_id:uuid}/members",
        opt={"permission": MANAGE},
        summary="Put an organisation under the sector",
    )
    async def add_member(
        self,
        db: DB,
        principal: CurrentPrincipal,
        sector_id: FromPath[uuid.UUID],
        data: JSONBody[MemberIn],
    ) -> MemberOut:
        member = await services.add_member(db, principal, sector_id, data)
        return (await services.member_outs(db, [member]))[0]

    @delete(
        "/{sector_id:uuid}/members/{member_id:uuid}",
        opt={"permission": MANAGE},
        summary="Take an organisation out of the sector (its submitted assessments stay)",
    )
    async def remove_member(
        self,
        db: DB,
        principal: CurrentPrincipal,
        sector_id: FromPath[uuid.UUID],
        member_id: FromPath[uuid.UUID],
    ) -> None:
        await services.remove_member(db, principal, sector_id, member_id)

    @get(
        "/{sector_id:uuid}/standards",
        opt={"permission": READ},
        summary="The versions of the sector's standard",
    )
    async def list_standards(
        self, db: DB, principal: CurrentPrincipal, sector_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[StandardOut]:
        rows, total = await services.standards_page(db, principal, sector_id, page)
        return Page(
            items=await services.standard_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{sector_id:uuid}/standards",
        opt={"permission": MANAGE},
        summary="Write the next version of the sector's standard (a draft)",
    )
    async def create_standard(
        self,
        db: DB,
        principal: CurrentPrincipal,
        sector_id: FromPath[uuid.UUID],
        data: JSONBody[StandardIn],
    ) -> StandardOut:
        standard = await services.create_standard(db, principal, sector_id, data)
        return (await services.standard_outs(db, [standard]))[0]


class StandardController(Controller):
    """One version of a sector standard (行业党建标准): read, edit while a draft, publish."""

    path = "/standards"
    tags = ["sector_guidance"]

    @get("/{standard_id:uuid}", opt={"permission": READ}, summary="One version of a standard with its items")
    async def read_standard(
        self, db: DB, principal: CurrentPrincipal, standard_id: FromPath[uuid.UUID]
    ) -> StandardOut:
        standard = await services.visible_standard(db, principal, standard_id)
        return (await services.standard_outs(db, [standard]))[0]

    @patch("/{standard_id:uuid}", opt={"permission": MANAGE}, summary="Change a draft's title or pass mark")
    async def update_standard(
        self,
        db: DB,
        principal: CurrentPrincipal,
        standard_id: FromPath[uuid.UUID],
        data: JSONBody[StandardUpdate],
    ) -> StandardOut:
        standard = await services.update_standard(db, principal, standard_id, data)
        return (await services.standard_outs(db, [standard]))[0]

    @put("/{standard_id:uuid}/items", opt={"permission": MANAGE}, summary="Replace a draft's checklist")
    async def replace_items(
        self,
        db: DB,
        principal: CurrentPrincipal,
        standard_id: FromPath[uuid.UUID],
        data: JSONBody[ItemsIn],
    ) -> StandardOut:
        standard = await services.replace_items(db, principal, standard_id, data.items)
        return (await services.standard_outs(db, [standard]))[0]

    @post(
        "/{standard_id:uuid}/publish",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Publish a draft; the version published before it retires",
    )
    async def publish_standard(
        self, db: DB, principal: CurrentPrincipal, standard_id: FromPath[uuid.UUID]
    ) -> StandardOut:
        standard = await services.publish_standard(db, principal, standard_id)
        return (await services.standard_outs(db, [standard]))[0]


class AssessmentController(Controller):
    """Assessments (达标评估) of member organisations against their sector's standard."""

    path = "/assessments"
    tags = ["sector_guidance"]

    @get("/", opt={"permission": READ}, summary="Assessments within the caller's reach, newest cycle first")
    async def list_assessments(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        sector_id: FromQuery[uuid.UUID | None] = None,
        cycle: Annotated[
            str | None, Parameter(pattern=CYCLE_PATTERN, description="A cycle such as 2026 or 2026H1")
        ] = None,
        status: FromQuery[AssessmentStatus | None] = None,
        node_id: Annotated[
            uuid.UUID | None, Parameter(description="Only organisations in this subtree")
        ] = None,
    ) -> Page[AssessmentOut]:
        rows, total = await services.assessments_page(
            db, principal, page, sector_id=sector_id, cycle=cycle, status=status, node_id=node_id
        )
        return Page(
            items=await services.assessment_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": ASSESS}, summary="Start assessing an organisation for a cycle")
    async def create_assessment(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[AssessmentIn]
    ) -> AssessmentDetailOut:
        assessment = await services.create_assessment(db, principal, data)
        found = await services.assessment_in_reach(db, principal, assessment.id, ASSESS)
        return await services.assessment_detail(db, found)

    @get(
        "/{assessment_id:uuid}",
        opt={"permission": READ},
        summary="One assessment with its checklist and answers",
    )
    async def read_assessment(
        self, db: DB, principal: CurrentPrincipal, assessment_id: FromPath[uuid.UUID]
    ) -> AssessmentDetailOut:
        found = await services.assessment_in_reach(db, principal, assessment_id, READ)
        return await services.assessment_detail(db, found)

    @post(
        "/{assessment_id:uuid}/start",
        opt={"permission": ASSESS},
        status_code=200,
        summary="Start a due assessment",
    )
    async def start_assessment(
        self, db: DB, principal: CurrentPrincipal, assessment_id: FromPath[uuid.UUID]
    ) -> AssessmentDetailOut:
        found = await services.start_assessment(db, principal, assessment_id)
        return await services.assessment_detail(db, found)

    @put(
        "/{assessment_id:uuid}/results",
        opt={"permission": ASSESS},
        summary="Record answers to checklist items (evidence required when met)",
    )
    async def record_results(
        self,
        db: DB,
        principal: CurrentPrincipal,
        assessment_id: FromPath[uuid.UUID],
        data: JSONBody[ResultsIn],
    ) -> AssessmentDetailOut:
        found = await services.record_results(db, principal, assessment_id, data)
        return await services.assessment_detail(db, found)

    @post(
        "/{assessment_id:uuid}/submit",
        opt={"permission": ASSESS},
        status_code=200,
        summary="Submit an assessment whose every item is answered; fixes its score and pass",
    )
    async def submit_assessment(
        self, db: DB, principal: CurrentPrincipal, assessment_id: FromPath[uuid.UUID]
    ) -> AssessmentDetailOut:
        found = await services.submit_assessment(db, principal, assessment_id)
        return await services.assessment_detail(db, found)


class VisitController(Controller):
    """Guidance visits (指导走访) of sector departments to their organisations."""

    path = "/visits"
    tags = ["sector_guidance"]

    @get("/", opt={"permission": READ}, summary="Guidance visits within the caller's reach, newest first")
    async def list_visits(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        sector_id: FromQuery[uuid.UUID | None] = None,
        node_id: Annotated[
            uuid.UUID | None, Parameter(description="Only organisations in this subtree")
        ] = None,
        year: Annotated[
            int | None, Parameter(ge=2000, le=2100, description="Only visits of this year")
        ] = None,
    ) -> Page[VisitOut]:
        rows, total = await services.visits_page(
            db, principal, page, sector_id=sector_id, node_id=node_id, year=year
        )
        return Page(
            items=await services.visit_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": ASSESS}, summary="Record a guidance visit to an organisation of a sector")
    async def record_visit(self, db: DB, principal: CurrentPrincipal, data: JSONBody[VisitIn]) -> VisitOut:
        visit = await services.record_visit(db, principal, data)
        return (await services.visit_outs(db, [visit]))[0]

    @get("/{visit_id:uuid}", opt={"permission": READ}, summary="One guidance visit")
    async def read_visit(
        self, db: DB, principal: CurrentPrincipal, visit_id: FromPath[uuid.UUID]
    ) -> VisitOut:
        visit = await services.visit_in_reach(db, principal, visit_id)
        return (await services.visit_outs(db, [visit]))[0]


CONTROLLERS = [SectorController, StandardController, AssessmentController, VisitController]
