"""The demonstration-zone API, mounted by the core under ``/api/v1/m/model_zones/``.

Thin controllers: the permission in ``opt`` says what the caller must hold somewhere; loading the
zone (or record) through the one scope guard says whether they hold it *here* (404 otherwise).
Rules live in ``services``.
"""

from __future__ import annotations

import uuid
from typing import Literal

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from core.api import DB, CurrentPrincipal, Page, Paging, load_in_scope, node_in_scope, paginate
from plugins.model_zones import services
from plugins.model_zones.models import ZoneActivity, ZoneExperience, ZoneMember
from plugins.model_zones.schemas import (
    ActivityIn,
    ActivityOut,
    AdoptionIn,
    AdoptionOut,
    ExperienceIn,
    ExperienceOut,
    MemberIn,
    MemberOut,
    ReviewIn,
    ReviewOut,
    ZoneIn,
    ZoneOut,
    ZoneTransition,
    ZoneUpdate,
)
from plugins.model_zones.services import MANAGE, READ, RECORD

Status = Literal["active", "suspended", "dissolved"]
TAGS = ["model_zones"]


class ZoneController(Controller):
    path = "/zones"
    tags = TAGS

    @get("/", opt={"permission": READ}, summary="Demonstration zones in the caller's scope")
    async def list_zones(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[Status | None] = None,
    ) -> Page[ZoneOut]:
        within = await node_in_scope(db, principal, node, READ) if node is not None else None
        rows, total = await paginate(db, services.zones_select(principal, within=within, status=status), page)
        return Page(
            items=await services.zone_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Set up a zone and its joint committee under its lead")
    async def create_zone(self, db: DB, principal: CurrentPrincipal, data: JSONBody[ZoneIn]) -> ZoneOut:
        lead = await node_in_scope(db, principal, data.lead_node_id, MANAGE)
        zone = await services.create_zone(db, principal, lead, data)
        return (await services.zone_outs(db, [zone]))[0]

    @get("/{zone_id:uuid}", opt={"permission": READ}, summary="One zone with its counts and next review")
    async def read_zone(self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID]) -> ZoneOut:
        zone = await services.zone_of(db, principal, zone_id, READ)
        return (await services.zone_outs(db, [zone]))[0]

    @patch(
        "/{zone_id:uuid}", opt={"permission": MANAGE}, summary="Rename, describe, change the lead secretary"
    )
    async def update_zone(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], data: JSONBody[ZoneUpdate]
    ) -> ZoneOut:
        zone = await services.zone_of(db, principal, zone_id, MANAGE)
        await services.update_zone(db, zone, data)
        return (await services.zone_outs(db, [zone]))[0]

    @post(
        "/{zone_id:uuid}/status",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Suspend, resume or dissolve a zone (its joint committee node stays in the tree)",
    )
    async def transition_zone(
        self,
        db: DB,
        principal: CurrentPrincipal,
        zone_id: FromPath[uuid.UUID],
        data: JSONBody[ZoneTransition],
    ) -> ZoneOut:
        zone = await services.zone_of(db, principal, zone_id, MANAGE)
        await services.transition_zone(db, zone, data)
        return (await services.zone_outs(db, [zone]))[0]

    @get("/{zone_id:uuid}/members", opt={"permission": READ}, summary="Member organisations (the X)")
    async def list_members(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[MemberOut]:
        zone = await services.zone_of(db, principal, zone_id, READ)
        rows, total = await paginate(db, services.members_select(zone), page)
        return Page(
            items=await services.member_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/{zone_id:uuid}/members", opt={"permission": MANAGE}, summary="An organisation joins the zone")
    async def add_member(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], data: JSONBody[MemberIn]
    ) -> MemberOut:
        zone = await services.zone_of(db, principal, zone_id, MANAGE)
        member = await services.add_member(db, principal, zone, data)
        return (await services.member_outs(db, [member]))[0]

    @get("/{zone_id:uuid}/activities", opt={"permission": READ}, summary="Shared activities, latest first")
    async def list_activities(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ActivityOut]:
        zone = await services.zone_of(db, principal, zone_id, READ)
        rows, total = await paginate(db, services.activities_select(zone), page)
        return Page(
            items=await services.activity_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/{zone_id:uuid}/activities", opt={"permission": RECORD}, summary="Record a shared activity")
    async def record_activity(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], data: JSONBody[ActivityIn]
    ) -> ActivityOut:
        zone = await services.zone_of(db, principal, zone_id, RECORD)
        activity = await services.record_activity(db, zone, data)
        return (await services.activity_outs(db, [activity]))[0]

    @get("/{zone_id:uuid}/experiences", opt={"permission": READ}, summary="Experiences the zone exported")
    async def list_experiences(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ExperienceOut]:
        zone = await services.zone_of(db, principal, zone_id, READ)
        rows, total = await paginate(db, services.experiences_select(zone), page)
        return Page(
            items=await services.experience_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{zone_id:uuid}/experiences", opt={"permission": RECORD}, summary="Export an experience (经验做法)"
    )
    async def export_experience(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], data: JSONBody[ExperienceIn]
    ) -> ExperienceOut:
        zone = await services.zone_of(db, principal, zone_id, RECORD)
        experience = await services.export_experience(db, zone, data)
        return (await services.experience_outs(db, [experience]))[0]

    @get("/{zone_id:uuid}/reviews", opt={"permission": READ}, summary="The zone's reviews, latest first")
    async def list_reviews(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ReviewOut]:
        zone = await services.zone_of(db, principal, zone_id, READ)
        rows, total = await paginate(db, services.reviews_select(zone), page)
        return Page(
            items=[services.review_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
        )

    @post("/{zone_id:uuid}/reviews", opt={"permission": MANAGE}, summary="Record a periodic review")
    async def record_review(
        self, db: DB, principal: CurrentPrincipal, zone_id: FromPath[uuid.UUID], data: JSONBody[ReviewIn]
    ) -> ReviewOut:
        zone = await services.zone_of(db, principal, zone_id, MANAGE)
        return services.review_out(await services.record_review(db, zone, data))


class MemberController(Controller):
    path = "/members"
    tags = TAGS

    @delete("/{member_id:uuid}", opt={"permission": MANAGE}, summary="An organisation leaves the zone")
    async def remove_member(
        self, db: DB, principal: CurrentPrincipal, member_id: FromPath[uuid.UUID]
    ) -> None:
        member = await load_in_scope(db, principal, ZoneMember, member_id, MANAGE)
        await services.remove_member(db, member)


class ActivityController(Controller):
    path = "/activities"
    tags = TAGS

    @get("/{activity_id:uuid}", opt={"permission": READ}, summary="One shared activity")
    async def read_activity(
        self, db: DB, principal: CurrentPrincipal, activity_id: FromPath[uuid.UUID]
    ) -> ActivityOut:
        activity = await load_in_scope(db, principal, ZoneActivity, activity_id, READ)
        return (await services.activity_outs(db, [activity]))[0]


class ExperienceController(Controller):
    path = "/experiences"
    tags = TAGS

    @get("/{experience_id:uuid}", opt={"permission": READ}, summary="One experience and who adopted it")
    async def read_experience(
        self, db: DB, principal: CurrentPrincipal, experience_id: FromPath[uuid.UUID]
    ) -> ExperienceOut:
        experience = await load_in_scope(db, principal, ZoneExperience, experience_id, READ)
        return (await services.experience_outs(db, [experience]))[0]

    @post(
        "/{experience_id:uuid}/adoptions",
        opt={"permission": RECORD},
        summary="Record an organisation that adopted the experience",
    )
    async def add_adoption(
        self,
        db: DB,
        principal: CurrentPrincipal,
        experience_id: FromPath[uuid.UUID],
        data: JSONBody[AdoptionIn],
    ) -> AdoptionOut:
        experience = await load_in_scope(db, principal, ZoneExperience, experience_id, RECORD)
        adoption = await services.add_adoption(db, principal, experience, data)
        shown = await services.experience_outs(db, [experience])
        return next(a for a in shown[0].adoptions if a.id == adoption.id)


ROUTE_HANDLERS = [ZoneController, MemberController, ActivityController, ExperienceController]
