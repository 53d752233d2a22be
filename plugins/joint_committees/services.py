"""The rules of three-level responsibility linkage (三级责任联动): committees, seats, meetings,
decisions handed down the levels, and overdue decisions climbing back up.

Routes parse and authorise; these functions decide and write, in the caller's
transaction, and audit every change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import (
    DISTRICT_TIMEZONE,
    Conflict,
    Figure,
    Forbidden,
    NotificationTemplate,
    OrgNode,
    Person,
    Principal,
    _,
    ancestors,
    audit,
    audit_diff,
    district_today,
    in_subtree,
    invalid_field,
    notify,
    plugin_config,
    publish_event,
    register_template,
    scoped_select,
)
from plugins.joint_committees.models import (
    COMMITTEE_ACTIVE,
    DECISION_CANCELLED,
    DECISION_DONE,
    DECISION_IN_PROGRESS,
    DECISION_OPEN,
    DECISION_UNFINISHED,
    LEVEL_OF_KIND,
    MEETING_CANCELLED,
    MEETING_HELD,
    MEETING_SCHEDULED,
    PART_TIME,
    Attendance,
    Committee,
    Decision,
    Escalation,
    Meeting,
    Seat,
)
from plugins.joint_committees.schemas import (
    AttendanceOut,
    CommitteeIn,
    CommitteeOut,
    CommitteeUpdate,
    DecisionIn,
    DecisionOut,
    DecisionProgress,
    EscalationOut,
    LinkageConfig,
    MeetingIn,
    MeetingOut,
    MeetingRecord,
    SeatIn,
    SeatOut,
)

SLUG = "joint_committees"
READ = f"{SLUG}.read"
MANAGE = f"{SLUG}.manage"
REPORT = f"{SLUG}.report"

# A committee's default name, after its organisation's: 区指导委员会, 街道大工委, 社区大党委.
DEFAULT_NAME_SUFFIX = {"district": "城市基层党建工作指导委员会", "street": "大工委", "community": "大党委"}

# What each notification says, in each recipient's language.
for _template in (
    NotificationTemplate(
        f"{SLUG}.decision_assigned",
        title={
            "zh_CN": "新的议定事项：{title}（{due_on} 前完成）",
            "en": "New decision for you: {title} (due {due_on})",
        },
    ),
    NotificationTemplate(
        f"{SLUG}.decision_escalated",
        title={
            "zh_CN": "逾期督办：{title}（已逾期 {days} 天，责任人 {owner}）",
            "en": "Overdue decision escalated: {title} ({days} days late, owner {owner})",
        },
    ),
    NotificationTemplate(
        f"{SLUG}.meeting_reminder",
        title={
            "zh_CN": "会议提醒：{title}，{when}，{place}",
            "en": "Meeting reminder: {title}, {when}, {place}",
        },
        body={"zh_CN": "议程：{agenda}", "en": "Agenda: {agenda}"},
    ),
):
    register_template(_template)

# Which status a decision may move to from which; "done" and "cancelled" are final.
DECISION_TRANSITIONS: dict[str, frozenset[str]] = {
    DECISION_OPEN: frozenset({DECISION_IN_PROGRESS, DECISION_DONE, DECISION_CANCELLED}),
    DECISION_IN_PROGRESS: frozenset({DECISION_DONE, DECISION_CANCELLED}),
    DECISION_DONE: frozenset(),
    DECISION_CANCELLED: frozenset(),
}


async def config(session: AsyncSession) -> LinkageConfig:
    found: LinkageConfig = await plugin_config(session, SLUG)
    return found


def required_meetings(cfg: LinkageConfig, level: str) -> int:
    return {
        "district": cfg.district_meetings_per_year,
        "street": cfg.street_meetings_per_year,
        "community": cfg.community_meetings_per_year,
    }[level]


def seat_is_active(seat: Seat, on: dt.date) -> bool:
    return seat.term_start <= on and (seat.term_end is None or seat.term_end >= on)


def _active_seat_clause(on: dt.date) -> Any:
    return and_(Seat.term_start <= on, or_(Seat.term_end.is_(None), Seat.term_end >= on))


# --- committees ----------------------------------------------------------------------------------


async def create_committee(session: AsyncSession, node: OrgNode, data: CommitteeIn) -> Committee:
    """Set up the committee of ``node`` (a district, street, community or village): one per organisation."""
    level = LEVEL_OF_KIND.get(node.kind)
    if level is None:
        raise invalid_field(
            "org_node_id",
            _("A linkage committee belongs to a district, street, community or village, not to a {kind}."),
            code="wrong_kind",
            kind=node.kind,
        )
    existing = (await session.scalars(select(Committee.id).where(Committee.org_node_id == node.id))).first()
    if existing is not None:
        raise Conflict(
            _("{name} already has a linkage committee."),
            code="committee_exists",
            name=node.name,
            id=str(existing),
        )
    cfg = await config(session)
    committee = Committee(
        org_node_id=node.id,
        level=level,
        name=" ".join((data.name or f"{node.name}{DEFAULT_NAME_SUFFIX[level]}").split()),
        meetings_per_year=data.meetings_per_year or required_meetings(cfg, level),
        established_on=data.established_on or district_today(),
        status=COMMITTEE_ACTIVE,
    )
    session.add(committee)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.committee_create",
        object_type=Committee.__tablename__,
        object_id=committee.id,
        org_node_id=node.id,
        changes=audit_diff({}, _committee_snapshot(committee)),
    )
    return committee


def _committee_snapshot(committee: Committee) -> dict[str, Any]:
    return {
        "name": committee.name,
        "level": committee.level,
        "meetings_per_year": committee.meetings_per_year,
        "status": committee.status,
    }


async def update_committee(session: AsyncSession, committee: Committee, data: CommitteeUpdate) -> Committee:
    before = _committee_snapshot(committee)
    for field in ("name", "meetings_per_year", "status"):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            setattr(committee, field, " ".join(value.split()) if field == "name" else value)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.committee_update",
        object_type=Committee.__tablename__,
        object_id=committee.id,
        org_node_id=committee.org_node_id,
        changes=audit_diff(before, _committee_snapshot(committee)),
    )
    return committee


def committees_select(
    principal: Principal, *, within: OrgNode | None = None, level: str | None = None
) -> Select[tuple[Committee]]:
    stmt = scoped_select(Committee, principal, READ)
    if within is not None:
        node = OrgNode.__table__.alias("within_node")
        stmt = stmt.join(
            node, and_(node.c.tenant_id == Committee.tenant_id, node.c.id == Committee.org_node_id)
        )
        stmt = stmt.where(in_subtree(node.c.path, within.path))
    if level is not None:
        stmt = stmt.where(Committee.level == level)
    return stmt.order_by(Committee.level, Committee.name, Committee.id)


async def committee_outs(session: AsyncSession, committees: Sequence[Committee]) -> list[CommitteeOut]:
    """Committees with their current seat counts (one query for the page)."""
    today = district_today()
    counts: dict[uuid.UUID, tuple[int, int]] = {}
    if committees:
        rows = await session.execute(
            select(
                Seat.committee_id,
                func.count(),
                func.count().filter(Seat.role == PART_TIME),
            )
            .where(Seat.committee_id.in_([c.id for c in committees]), _active_seat_clause(today))
            .group_by(Seat.committee_id)
        )
        counts = {committee_id: (int(total), int(part_time)) for committee_id, total, part_time in rows}
    return [
        CommitteeOut(
            id=c.id,
            org_node_id=c.org_node_id,
            level=c.level,
            name=c.name,
            meetings_per_year=c.meetings_per_year,
            established_on=c.established_on,
            status=c.status,
            active_seats=counts.get(c.id, (0, 0))[0],
            part_time_members=counts.get(c.id, (0, 0))[1],
        )
        for c in committees
    ]


def _require_active(committee: Committee) -> None:
    if committee.status != COMMITTEE_ACTIVE:
        raise Conflict(_("{name} is dissolved."), code="committee_dissolved", name=committee.name)


# --- seats ---------------------------------------------------------------------------------------


async def _person(session: AsyncSession, person_id: uuid.UUID, field: str) -> Person:
    person = (await session.scalars(select(Person).where(Person.id == person_id))).first()
    if person is None:
        raise invalid_field(field, _("No such person in this district."), code="unknown_person")
    return person


async def _node(session: AsyncSession, node_id: uuid.UUID, field: str) -> OrgNode:
    node = (await session.scalars(select(OrgNode).where(OrgNode.id == node_id))).first()
    if node is None:
        raise invalid_field(field, _("No such organisation in this district."), code="unknown_organisation")
    return node


async def add_seat(session: AsyncSession, committee: Committee, data: SeatIn) -> Seat:
    """Seat someone on the committee: a member from the roster (``person_id``) or named (``name``)."""
    _require_active(committee)
    if data.term_end is not None and data.term_end < data.term_start:
        raise invalid_field("term_end", _("The term cannot end before it starts."), code="before_start")
    name = data.name
    if data.person_id is not None:
        person = await _person(session, data.person_id, "person_id")
        name = name or person.name
    if not name or not name.strip():
        raise invalid_field("name", _("Give the member's name or choose a person."), code="missing")
    if data.home_unit_node_id is not None:
        await _node(session, data.home_unit_node_id, "home_unit_node_id")
    if data.role == PART_TIME and data.home_unit_node_id is None and not data.home_unit_name:
        raise invalid_field(
            "home_unit_name",
            _("A part-time member comes from a unit: choose it or name it."),
            code="missing",
        )
    seats = list(await session.scalars(select(Seat).where(Seat.committee_id == committee.id)))
    start = data.term_start

    def overlaps(seat: Seat) -> bool:
        return (seat.term_end is None or seat.term_end >= start) and (
            data.term_end is None or seat.term_start <= data.term_end
        )

    if data.role == "secretary" and any(s.role == "secretary" and overlaps(s) for s in seats):
        raise Conflict(
            _("The committee already has a secretary for this term; end that seat first."),
            code="secretary_taken",
        )
    if data.person_id is not None and any(s.person_id == data.person_id and overlaps(s) for s in seats):
        raise Conflict(_("{name} already holds a seat for this term."), code="already_seated", name=name)
    seat = Seat(
        committee_id=committee.id,
        org_node_id=committee.org_node_id,
        person_id=data.person_id,
        name=" ".join(name.split()),
        role=data.role,
        home_unit_node_id=data.home_unit_node_id,
        home_unit_name=data.home_unit_name,
        term_start=data.term_start,
        term_end=data.term_end,
    )
    session.add(seat)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.seat_add",
        object_type=Seat.__tablename__,
        object_id=seat.id,
        org_node_id=committee.org_node_id,
        changes=audit_diff({}, {"name": seat.name, "role": seat.role, "term_start": str(seat.term_start)}),
    )
    return seat


async def end_seat(session: AsyncSession, seat: Seat, ended_on: dt.date) -> Seat:
    if ended_on < seat.term_start:
        raise invalid_field("ended_on", _("The term cannot end before it starts."), code="before_start")
    if seat.term_end is not None and seat.term_end < ended_on:
        raise Conflict(_("This seat's term has already ended."), code="seat_ended")
    before = {"term_end": str(seat.term_end) if seat.term_end else None}
    seat.term_end = ended_on
    await session.flush()
    await audit(
        session,
        f"{SLUG}.seat_end",
        object_type=Seat.__tablename__,
        object_id=seat.id,
        org_node_id=seat.org_node_id,
        changes=audit_diff(before, {"term_end": str(ended_on)}),
    )
    return seat


def seat_out(seat: Seat, on: dt.date | None = None) -> SeatOut:
    return SeatOut(
        id=seat.id,
        committee_id=seat.committee_id,
        person_id=seat.person_id,
        name=seat.name,
        role=seat.role,
        home_unit_node_id=seat.home_unit_node_id,
        home_unit_name=seat.home_unit_name,
        term_start=seat.term_start,
        term_end=seat.term_end,
        active=seat_is_active(seat, on or district_today()),
    )


def seats_select(committee: Committee, *, active_on: dt.date | None = None) -> Select[tuple[Seat]]:
    stmt = select(Seat).where(Seat.committee_id == committee.id)
    if active_on is not None:
        stmt = stmt.where(_active_seat_clause(active_on))
    return stmt.order_by(Seat.role, Seat.name, Seat.id)


# --- meetings ------------------------------------------------------------------------------------


async def schedule_meeting(session: AsyncSession, committee: Committee, data: MeetingIn) -> Meeting:
    _require_active(committee)
    if data.scheduled_at.tzinfo is None:
        raise invalid_field(
            "scheduled_at",
            _("Give the time with its time zone, e.g. 2026-03-01T09:00:00+08:00."),
            code="naive_datetime",
        )
    meeting = Meeting(
        committee_id=committee.id,
        org_node_id=committee.org_node_id,
        title=" ".join(data.title.split()),
        kind=data.kind,
        scheduled_at=data.scheduled_at.astimezone(dt.UTC),
        place=data.place,
        agenda=data.agenda,
        status=MEETING_SCHEDULED,
    )
    session.add(meeting)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.meeting_schedule",
        object_type=Meeting.__tablename__,
        object_id=meeting.id,
        org_node_id=committee.org_node_id,
        changes=audit_diff({}, {"title": meeting.title, "scheduled_at": meeting.scheduled_at.isoformat()}),
    )
    return meeting


def _require_scheduled(meeting: Meeting) -> None:
    if meeting.status != MEETING_SCHEDULED:
        raise Conflict(
            _("This meeting is {state}; only a scheduled meeting can change."),
            code="meeting_not_scheduled",
            state=meeting.status,
        )


async def record_meeting(session: AsyncSession, meeting: Meeting, data: MeetingRecord) -> Meeting:
    """Record that the meeting was held: its date, minutes (会议纪要) and who attended."""
    _require_scheduled(meeting)
    if data.held_on > district_today():
        raise invalid_field(
            "held_on", _("A meeting cannot be recorded as held in the future."), code="future"
        )
    if not data.minutes.strip():
        raise invalid_field("minutes", _("Write the minutes of the meeting."), code="missing")
    seats = {
        seat.id: seat
        for seat in await session.scalars(select(Seat).where(Seat.committee_id == meeting.committee_id))
    }
    seen: set[uuid.UUID] = set()
    for index, entry in enumerate(data.attendance):
        field = f"attendance[{index}].seat_id"
        seat = seats.get(entry.seat_id)
        if seat is None:
            raise invalid_field(field, _("This seat is not on the meeting's committee."), code="unknown_seat")
        if not seat_is_active(seat, data.held_on):
            raise invalid_field(
                field, _("{name} did not hold a seat on that day."), code="seat_inactive", name=seat.name
            )
        if entry.seat_id in seen:
            raise invalid_field(field, _("Each seat is listed once."), code="duplicate")
        seen.add(entry.seat_id)
    meeting.status = MEETING_HELD
    meeting.held_on = data.held_on
    meeting.minutes = data.minutes
    for entry in data.attendance:
        session.add(
            Attendance(meeting_id=meeting.id, seat_id=entry.seat_id, present=entry.present, note=entry.note)
        )
    await session.flush()
    await audit(
        session,
        f"{SLUG}.meeting_record",
        object_type=Meeting.__tablename__,
        object_id=meeting.id,
        org_node_id=meeting.org_node_id,
        changes=audit_diff(
            {"status": MEETING_SCHEDULED},
            {
                "status": MEETING_HELD,
                "held_on": str(data.held_on),
                "present": sum(1 for e in data.attendance if e.present),
            },
        ),
    )
    return meeting


async def cancel_meeting(session: AsyncSession, meeting: Meeting, reason: str) -> Meeting:
    _require_scheduled(meeting)
    meeting.status = MEETING_CANCELLED
    meeting.cancel_reason = " ".join(reason.split())
    await session.flush()
    await audit(
        session,
        f"{SLUG}.meeting_cancel",
        object_type=Meeting.__tablename__,
        object_id=meeting.id,
        org_node_id=meeting.org_node_id,
        changes=audit_diff({"status": MEETING_SCHEDULED}, {"status": MEETING_CANCELLED, "reason": reason}),
    )
    return meeting


async def meeting_out(
    session: AsyncSession, meeting: Meeting, *, with_attendance: bool = False
) -> MeetingOut:
    attendance: list[AttendanceOut] = []
    if with_attendance:
        rows = await session.execute(
            select(Attendance, Seat)
            .join(Seat, and_(Seat.tenant_id == Attendance.tenant_id, Seat.id == Attendance.seat_id))
            .where(Attendance.meeting_id == meeting.id)
            .order_by(Seat.role, Seat.name)
        )
        attendance = [
            AttendanceOut(seat_id=seat.id, name=seat.name, role=seat.role, present=a.present, note=a.note)
            for a, seat in rows.tuples()
        ]
    return MeetingOut(
        id=meeting.id,
        committee_id=meeting.committee_id,
        title=meeting.title,
        kind=meeting.kind,
        scheduled_at=meeting.scheduled_at,
        place=meeting.place,
        agenda=meeting.agenda,
        status=meeting.status,
        held_on=meeting.held_on,
        minutes=meeting.minutes,
        cancel_reason=meeting.cancel_reason,
        attendance=attendance,
    )


# --- decisions -----------------------------------------------------------------------------------


async def create_decision(session: AsyncSession, committee: Committee, data: DecisionIn) -> Decision:
    """Hand a decision down to an organisation of the committee's subtree (itself included)."""
    _require_active(committee)
    home = await session.get_one(OrgNode, (committee.tenant_id, committee.org_node_id))
    assignee = await _node(session, data.assigned_to, "assigned_to")
    if not assignee.path.startswith(home.path):
        raise invalid_field(
            "assigned_to",
            _("A decision is handed down to {name} or an organisation under it."),
            code="outside_committee",
            name=home.name,
        )
    if data.due_on < district_today():
        raise invalid_field("due_on", _("The deadline cannot be in the past."), code="past")
    if data.meeting_id is not None:
        meeting = (
            await session.scalars(
                select(Meeting).where(Meeting.id == data.meeting_id, Meeting.committee_id == committee.id)
            )
        ).first()
        if meeting is None:
            raise invalid_field(
                "meeting_id", _("This meeting is not the committee's."), code="unknown_meeting"
            )
    owner_name = data.owner_name
    if data.owner_person_id is not None:
        owner_name = owner_name or (await _person(session, data.owner_person_id, "owner_person_id")).name
    if not owner_name or not owner_name.strip():
        raise invalid_field("owner_name", _("Name who is responsible or choose a person."), code="missing")
    decision = Decision(
        committee_id=committee.id,
        meeting_id=data.meeting_id,
        org_node_id=assignee.id,
        title=" ".join(data.title.split()),
        detail=data.detail,
        owner_name=" ".join(owner_name.split()),
        owner_person_id=data.owner_person_id,
        due_on=data.due_on,
        status=DECISION_OPEN,
    )
    session.add(decision)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.decision_create",
        object_type=Decision.__tablename__,
        object_id=decision.id,
        org_node_id=assignee.id,
        changes=audit_diff({}, {"title": decision.title, "due_on": str(decision.due_on)}),
    )
    await notify(
        session,
        template=f"{SLUG}.decision_assigned",
        params={"title": decision.title, "due_on": decision.due_on.isoformat()},
        kind="decision_assigned",
        source=SLUG,
        role="secretary",
        at_node=assignee.id,
        person_id=decision.owner_person_id,
        org_node_id=assignee.id,
        link=f"/api/v1/m/{SLUG}/decisions/{decision.id}",
        dedupe_key=f"{SLUG}.decision.{decision.id}.assigned",
    )
    return decision


async def progress_decision(session: AsyncSession, decision: Decision, data: DecisionProgress) -> Decision:
    """Move a decision along open → in progress → done (or cancelled); done and cancelled are final."""
    allowed = DECISION_TRANSITIONS[decision.status]
    if data.status not in allowed:
        raise Conflict(
            _("A decision that is {current} cannot become {wanted}."),
            code="transition_not_allowed",
            current=decision.status,
            wanted=data.status,
        )
    if data.status in (DECISION_DONE, DECISION_CANCELLED) and not (data.note and data.note.strip()):
        raise invalid_field("note", _("Say what was done, or why it was cancelled."), code="missing")
    before = {"status": decision.status}
    decision.status = data.status
    if data.note:
        decision.progress_note = data.note
    if data.status == DECISION_DONE:
        decision.completed_on = district_today()
    await session.flush()
    await audit(
        session,
        f"{SLUG}.decision_progress",
        object_type=Decision.__tablename__,
        object_id=decision.id,
        org_node_id=decision.org_node_id,
        changes=audit_diff(before, {"status": decision.status}),
    )
    return decision


async def require_deciding_committee(session: AsyncSession, principal: Principal, decision: Decision) -> None:
    """Only whoever manages the committee that made a decision may call it off."""
    committee = await session.get_one(Committee, (decision.tenant_id, decision.committee_id))
    node = await session.get_one(OrgNode, (decision.tenant_id, committee.org_node_id))
    if not principal.can_at(MANAGE, node.path):
        raise Forbidden(
            _("Only {name} can cancel this decision; report progress instead."),
            code="not_deciding_committee",
            name=committee.name,
        )


def decisions_select(
    principal: Principal,
    *,
    within: OrgNode | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    committee_id: uuid.UUID | None = None,
) -> Select[tuple[Decision]]:
    stmt = scoped_select(Decision, principal, READ)
    if within is not None:
        node = OrgNode.__table__.alias("within_node")
        stmt = stmt.join(
            node, and_(node.c.tenant_id == Decision.tenant_id, node.c.id == Decision.org_node_id)
        )
        stmt = stmt.where(in_subtree(node.c.path, within.path))
    if status is not None:
        stmt = stmt.where(Decision.status == status)
    if committee_id is not None:
        stmt = stmt.where(Decision.committee_id == committee_id)
    if overdue is not None:
        late = and_(Decision.status.in_(DECISION_UNFINISHED), Decision.due_on < district_today())
        stmt = stmt.where(late if overdue else ~late)
    return stmt.order_by(Decision.due_on, Decision.id)


def is_overdue(decision: Decision, today: dt.date) -> bool:
    return decision.status in DECISION_UNFINISHED and decision.due_on < today


async def decision_out(
    session: AsyncSession, decision: Decision, *, with_escalations: bool = False
) -> DecisionOut:
    escalations: list[EscalationOut] = []
    if with_escalations:
        rows = await session.scalars(
            select(Escalation).where(Escalation.decision_id == decision.id).order_by(Escalation.level)
        )
        escalations = [
            EscalationOut(
                level=e.level,
                org_node_id=e.org_node_id,
                from_node_id=e.from_node_id,
                days_overdue=e.days_overdue,
                created_at=e.created_at,
            )
            for e in rows
        ]
    return DecisionOut(
        id=decision.id,
        committee_id=decision.committee_id,
        meeting_id=decision.meeting_id,
        assigned_to=decision.org_node_id,
        title=decision.title,
        detail=decision.detail,
        owner_name=decision.owner_name,
        owner_person_id=decision.owner_person_id,
        due_on=decision.due_on,
        status=decision.status,
        progress_note=decision.progress_note,
        completed_on=decision.completed_on,
        overdue=is_overdue(decision, district_today()),
        escalation_level=decision.escalation_level,
        escalated_to=decision.escalated_to_node_id,
        escalations=escalations,
    )


# --- scheduled work ------------------------------------------------------------------------------


async def escalate_overdue_decisions(session: AsyncSession, today: dt.date) -> list[Escalation]:
    """Move every overdue decision one level up (逾期督办), at most once per run.

    The first step goes to the nearest organisation above the one responsible
    that has an active committee; while the decision stays overdue, each
    further ``escalate_again_after_days`` it climbs one more level, until the
    district. The secretaries there are told. The unique (decision, level)
    key keeps a repeated or concurrent run from escalating twice.
    """
    cfg = await config(session)
    late = today - dt.timedelta(days=cfg.escalate_after_days_overdue)
    decisions = list(
        await session.scalars(
            select(Decision)
            .where(Decision.status.in_(DECISION_UNFINISHED), Decision.due_on < late)
            .order_by(Decision.due_on, Decision.id)
        )
    )
    if not decisions:
        return []
    committee_nodes = set(
        await session.scalars(select(Committee.org_node_id).where(Committee.status == COMMITTEE_ACTIVE))
    )
    done: list[Escalation] = []
    for decision in decisions:
        if (
            decision.escalated_on is not None
            and decision.escalated_on + dt.timedelta(days=cfg.escalate_again_after_days) > today
        ):
            continue
        current_id = decision.escalated_to_node_id or decision.org_node_id
        current = await session.get_one(OrgNode, (decision.tenant_id, current_id))
        target = next(
            (n for n in reversed(await ancestors(session, current)) if n.id in committee_nodes), None
        )
        if target is None:
            continue  # already at the top committee: it stays there, visible as overdue
        level = decision.escalation_level + 1
        if (
            await session.scalars(
                select(Escalation.id).where(Escalation.decision_id == decision.id, Escalation.level == level)
            )
        ).first() is not None:
            continue
        escalation = Escalation(
            decision_id=decision.id,
            org_node_id=target.id,
            from_node_id=current.id,
            level=level,
            days_overdue=(today - decision.due_on).days,
        )
        session.add(escalation)
        decision.escalation_level = level
        decision.escalated_to_node_id = target.id
        decision.escalated_on = today
        await session.flush()
        await audit(
            session,
            f"{SLUG}.decision_escalate",
            object_type=Decision.__tablename__,
            object_id=decision.id,
            org_node_id=target.id,
            changes=audit_diff(
                {"escalated_to": str(current.id)}, {"escalated_to": str(target.id), "level": level}
            ),
        )
        await notify(
            session,
            template=f"{SLUG}.decision_escalated",
            params={"title": decision.title, "days": escalation.days_overdue, "owner": decision.owner_name},
            kind="decision_escalated",
            source=SLUG,
            role="secretary",
            at_node=target.id,
            org_node_id=decision.org_node_id,
            link=f"/api/v1/m/{SLUG}/decisions/{decision.id}",
            dedupe_key=f"{SLUG}.decision.{decision.id}.escalated.{level}",
        )
        # Other mechanisms may react (a supervision board, a secretary's record) without importing this one.
        await publish_event(
            session,
            "joint_committees.decision_escalated",
            {
                "decision_id": str(decision.id),
                "org_node_id": str(decision.org_node_id),
                "escalated_to": str(target.id),
                "level": level,
                "days_overdue": escalation.days_overdue,
            },
        )
        done.append(escalation)
    return done


async def remind_upcoming_meetings(session: AsyncSession, now: dt.datetime) -> int:
    """Tell every seated member with an account, and the committee's secretaries, of meetings
    due within the configured hours; each meeting is announced once (dedupe key)."""
    cfg = await config(session)
    horizon = now + dt.timedelta(hours=cfg.remind_hours_before_meeting)
    meetings = list(
        await session.scalars(
            select(Meeting)
            .where(
                Meeting.status == MEETING_SCHEDULED,
                Meeting.scheduled_at > now,
                Meeting.scheduled_at <= horizon,
            )
            .order_by(Meeting.scheduled_at)
        )
    )
    sent = 0
    for meeting in meetings:
        local = meeting.scheduled_at.astimezone(DISTRICT_TIMEZONE)
        common: dict[str, Any] = {
            "template": f"{SLUG}.meeting_reminder",
            "params": {
                "title": meeting.title,
                "when": f"{local:%Y-%m-%d %H:%M}",
                "place": meeting.place or "-",
                "agenda": meeting.agenda or "-",
            },
            "kind": "meeting_reminder",
            "source": SLUG,
            "org_node_id": meeting.org_node_id,
            "link": f"/api/v1/m/{SLUG}/meetings/{meeting.id}",
            "dedupe_key": f"{SLUG}.meeting.{meeting.id}.reminder",
        }
        sent += await notify(session, role="secretary", at_node=meeting.org_node_id, **common)
        people = await session.scalars(
            select(Seat.person_id).where(
                Seat.committee_id == meeting.committee_id,
                Seat.person_id.is_not(None),
                _active_seat_clause(local.date()),
            )
        )
        for person_id in people:
            sent += await notify(session, person_id=person_id, **common)
    return sent


# --- figures -------------------------------------------------------------------------------------


async def figures(session: AsyncSession, node: OrgNode, today: dt.date) -> list[Figure]:
    """The mechanism's figures for the subtree at ``node``, from the records."""
    committee_node = OrgNode.__table__.alias("committee_node")
    in_tree = and_(
        committee_node.c.tenant_id == Committee.tenant_id,
        committee_node.c.id == Committee.org_node_id,
        in_subtree(committee_node.c.path, node.path),
    )
    active_committees = (
        select(Committee.id, Committee.meetings_per_year)
        .join(committee_node, in_tree)
        .where(Committee.status == COMMITTEE_ACTIVE)
        .subquery()
    )
    committees, required = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(active_committees.c.meetings_per_year), 0))
        )
    ).one()
    part_time = await session.scalar(
        select(func.count())
        .select_from(Seat)
        .where(Seat.committee_id.in_(select(active_committees.c.id)), Seat.role == PART_TIME)
        .where(_active_seat_clause(today))
    )
    held = await session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.committee_id.in_(select(active_committees.c.id)),
            Meeting.status == MEETING_HELD,
            Meeting.held_on >= dt.date(today.year, 1, 1),
            Meeting.held_on <= today,
        )
    )
    decision_node = OrgNode.__table__.alias("decision_node")
    done, counted, overdue = (
        await session.execute(
            select(
                func.count().filter(Decision.status == DECISION_DONE),
                func.count().filter(Decision.status != DECISION_CANCELLED),
                func.count().filter(Decision.status.in_(DECISION_UNFINISHED), Decision.due_on < today),
            ).join(
                decision_node,
                and_(
                    decision_node.c.tenant_id == Decision.tenant_id,
                    decision_node.c.id == Decision.org_node_id,
                    in_subtree(decision_node.c.path, node.path),
                ),
            )
        )
    ).one()
    return [
        Figure(
            key="committees",
            name_zh="联席委员会",
            name_en="Linkage committees",
            value=int(committees),
            unit_zh="个",
            unit_en="",
        ),
        Figure(
            key="part_time_members",
            name_zh="兼职委员",
            name_en="Part-time members",
            value=int(part_time or 0),
            unit_zh="人",
            unit_en="",
        ),
        Figure(
            key="meetings_held",
            name_zh="本年已开会议",
            name_en="Meetings held this year",
            value=int(held or 0),
            unit_zh="次",
            unit_en="",
        ),
        Figure(
            key="meetings_required",
            name_zh="本年应开会议",
            name_en="Meetings required this year",
            value=int(required),
            unit_zh="次",
            unit_en="",
        ),
        Figure(
            key="meeting_rate",
            name_zh="会议完成率",
            name_en="Meetings held vs required",
            value=_rate(int(held or 0), int(required)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="decision_completion_rate",
            name_zh="议定事项完成率",
            name_en="Decision completion rate",
            value=_rate(int(done), int(counted)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="overdue_decisions",
            name_zh="逾期议定事项",
            name_en="Overdue decisions",
            value=int(overdue),
            unit_zh="项",
            unit_en="",
        ),
    ]


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0
