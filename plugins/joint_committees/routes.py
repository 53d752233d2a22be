"""The linkage API, mounted by the core under ``/api/v1/m/joint_committees/``.

Thin controllers: the permission in ``opt`` says what the caller must hold
somewhere; loading the object through the one scope guard (``load_in_scope``,
``node_in_scope``) says whether they hold it *here* (404 otherwise). Rules
live in ``services``.
"""

from __future__ import annotations

import uuid
from typing import Literal

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from core.api import (
    DB,
    CurrentPrincipal,
    Page,
    Paging,
    district_today,
    load_in_scope,
    node_in_scope,
    paginate,
)
from plugins.joint_committees import services
from plugins.joint_committees.models import Committee, Decision, Meeting, Seat
from plugins.joint_committees.schemas import (
    CommitteeIn,
    CommitteeOut,
    CommitteeUpdate,
    DecisionIn,
    DecisionOut,
    DecisionProgress,
    DecisionStatus,
    MeetingCancel,
    MeetingIn,
    MeetingOut,
    MeetingRecord,
    SeatEnd,
    SeatIn,
    SeatOut,
)
from plugins.joint_committees.services import MANAGE, READ, REPORT

Level = Literal["district", "street", "community"]


class CommitteeController(Controller):
    path = "/committees"
    tags = ["joint_committees"]

    @get("/", opt={"permission": READ}, summary="Linkage committees in the caller's scope")
    async def list_committees(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node: FromQuery[uuid.UUID | None] = None,
        level: FromQuery[Level | None] = None,
    ) -> Page[CommitteeOut]:
        within = await node_in_scope(db, principal, node, READ) if node is not None else None
        rows, total = await paginate(
            db, services.committees_select(principal, within=within, level=level), page
        )
        return Page(
            items=await services.committee_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Set up the linkage committee of an organisation")
    async def create_committee(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[CommitteeIn]
    ) -> CommitteeOut:
        node = await node_in_scope(db, principal, data.org_node_id, MANAGE)
        committee = await services.create_committee(db, node, data)
        return (await services.committee_outs(db, [committee]))[0]

    @get("/{committee_id:uuid}", opt={"permission": READ}, summary="One committee with its seat counts")
    async def read_committee(
        self, db: DB, principal: CurrentPrincipal, committee_id: FromPath[uuid.UUID]
    ) -> CommitteeOut:
        committee = await load_in_scope(db, principal, Committee, committee_id, READ)
        return (await services.committee_outs(db, [committee]))[0]

    @patch(
        "/{committee_id:uuid}",
        opt={"permission": MANAGE},
        summary="Rename, change the meeting quota, dissolve",
    )
    async def update_committee(
        self,
        db: DB,
        principal: CurrentPrincipal,
        committee_id: FromPath[uuid.UUID],
        data: JSONBody[CommitteeUpdate],
    ) -> CommitteeOut:
        committee = await load_in_scope(db, principal, Committee, committee_id, MANAGE)
        await services.update_committee(db, committee, data)
        return (await services.committee_outs(db, [committee]))[0]

    @get("/{committee_id:uuid}/seats", opt={"permission": READ}, summary="Seats of a committee")
    async def list_seats(
        self,
        db: DB,
        principal: CurrentPrincipal,
        committee_id: FromPath[uuid.UUID],
        page: Paging,
        active: FromQuery[bool] = False,
    ) -> Page[SeatOut]:
        committee = await load_in_scope(db, principal, Committee, committee_id, READ)
        today = district_today()
        stmt = services.seats_select(committee, active_on=today if active else None)
        rows, total = await paginate(db, stmt, page)
        return Page(
            items=[services.seat_out(s, today) for s in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/{committee_id:uuid}/seats", opt={"permission": MANAGE}, summary="Seat a member on a committee")
    async def add_seat(
        self, db: DB, principal: CurrentPrincipal, committee_id: FromPath[uuid.UUID], data: JSONBody[SeatIn]
    ) -> SeatOut:
        committee = await load_in_scope(db, principal, Committee, committee_id, MANAGE)
        return services.seat_out(await services.add_seat(db, committee, data))

    @get(
        "/{committee_id:uuid}/meetings",
        opt={"permission": READ},
        summary="Meetings of a committee, latest first",
    )
    async def list_meetings(
        self,
        db: DB,
        principal: CurrentPrincipal,
        committee_id: FromPath[uuid.UUID],
        page: Paging,
    ) -> Page[MeetingOut]:
        from sqlalchemy import select

        committee = await load_in_scope(db, principal, Committee, committee_id, READ)
        stmt = (
            select(Meeting)
            .where(Meeting.committee_id == committee.id)
            .order_by(Meeting.scheduled_at.desc(), Meeting.id)
        )
        rows, total = await paginate(db, stmt, page)
        return Page(
            items=[await services.meeting_out(db, m) for m in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/{committee_id:uuid}/meetings", opt={"permission": MANAGE}, summary="Schedule a meeting")
    async def schedule_meeting(
        self,
        db: DB,
        principal: CurrentPrincipal,
        committee_id: FromPath[uuid.UUID],
        data: JSONBody[MeetingIn],
    ) -> MeetingOut:
        committee = await load_in_scope(db, principal, Committee, committee_id, MANAGE)
        return await services.meeting_out(db, await services.schedule_meeting(db, committee, data))

    @post(
        "/{committee_id:uuid}/decisions",
        opt={"permission": MANAGE},
        summary="Hand a decision down to an organisation with an owner and a deadline",
    )
    async def create_decision(
        self,
        db: DB,
        principal: CurrentPrincipal,
        committee_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
    ) -> DecisionOut:
        committee = await load_in_scope(db, principal, Committee, committee_id, MANAGE)
        return await services.decision_out(db, await services.create_decision(db, committee, data))


class SeatController(Controller):
    path = "/seats"
    tags = ["joint_committees"]

    @post("/{seat_id:uuid}/end", opt={"permission": MANAGE}, status_code=200, summary="End a seat's term")
    async def end_seat(
        self, db: DB, principal: CurrentPrincipal, seat_id: FromPath[uuid.UUID], data: JSONBody[SeatEnd]
    ) -> SeatOut:
        seat = await load_in_scope(db, principal, Seat, seat_id, MANAGE)
        return services.seat_out(await services.end_seat(db, seat, data.ended_on))


class MeetingController(Controller):
    path = "/meetings"
    tags = ["joint_committees"]

    @get("/{meeting_id:uuid}", opt={"permission": READ}, summary="One meeting with its attendance")
    async def read_meeting(
        self, db: DB, principal: CurrentPrincipal, meeting_id: FromPath[uuid.UUID]
    ) -> MeetingOut:
        meeting = await load_in_scope(db, principal, Meeting, meeting_id, READ)
        return await services.meeting_out(db, meeting, with_attendance=True)

    @post(
        "/{meeting_id:uuid}/record",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Record a meeting as held: date, minutes, attendance",
    )
    async def record_meeting(
        self,
        db: DB,
        principal: CurrentPrincipal,
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[MeetingRecord],
    ) -> MeetingOut:
        meeting = await load_in_scope(db, principal, Meeting, meeting_id, MANAGE)
        await services.record_meeting(db, meeting, data)
        return await services.meeting_out(db, meeting, with_attendance=True)

    @post(
        "/{meeting_id:uuid}/cancel", opt={"permission": MANAGE}, status_code=200, summary="Cancel a meeting"
    )
    async def cancel_meeting(
        self,
        db: DB,
        principal: CurrentPrincipal,
        meeting_id: FromPath[uuid.UUID],
        data: JSONBody[MeetingCancel],
    ) -> MeetingOut:
        meeting = await load_in_scope(db, principal, Meeting, meeting_id, MANAGE)
        return await services.meeting_out(db, await services.cancel_meeting(db, meeting, data.reason))


class DecisionController(Controller):
    path = "/decisions"
    tags = ["joint_committees"]

    @get("/", opt={"permission": READ}, summary="Decisions handed to organisations in the caller's scope")
    async def list_decisions(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[DecisionStatus | None] = None,
        overdue: FromQuery[bool | None] = None,
        committee: FromQuery[uuid.UUID | None] = None,
    ) -> Page[DecisionOut]:
        within = await node_in_scope(db, principal, node, READ) if node is not None else None
        stmt = services.decisions_select(
            principal, within=within, status=status, overdue=overdue, committee_id=committee
        )
        rows, total = await paginate(db, stmt, page)
        return Page(
            items=[await services.decision_out(db, d) for d in rows],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @get("/{decision_id:uuid}", opt={"permission": READ}, summary="One decision with its escalations")
    async def read_decision(
        self, db: DB, principal: CurrentPrincipal, decision_id: FromPath[uuid.UUID]
    ) -> DecisionOut:
        decision = await load_in_scope(db, principal, Decision, decision_id, READ)
        return await services.decision_out(db, decision, with_escalations=True)

    @post(
        "/{decision_id:uuid}/progress",
        opt={"permission": REPORT},
        status_code=200,
        summary="Report progress: in progress, done or cancelled",
    )
    async def progress_decision(
        self,
        db: DB,
        principal: CurrentPrincipal,
        decision_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionProgress],
    ) -> DecisionOut:
        decision = await load_in_scope(db, principal, Decision, decision_id, REPORT)
        if data.status == "cancelled":
            await services.require_deciding_committee(db, principal, decision)
        await services.progress_decision(db, decision, data)
        return await services.decision_out(db, decision, with_escalations=True)


ROUTE_HANDLERS = [CommitteeController, SeatController, MeetingController, DecisionController]
