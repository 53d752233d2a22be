"""The tables of three-level responsibility linkage (三级责任联动).

Every row carries the organisation that scopes it in ``org_node_id``: a
committee's own organisation for the committee, its seats and meetings; the
organisation a decision is assigned to for the decision (so the community it
was handed down to sees it, and so does every level above).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 120
TITLE_MAX = 200
PLACE_MAX = 200

LEVELS = ("district", "street", "community")
# The organisation kinds a committee may be attached to, and the level each gives it.
LEVEL_OF_KIND = {"district": "district", "street": "street", "community": "community", "village": "community"}

SEAT_ROLES = ("secretary", "deputy_secretary", "member", "part_time_member")
PART_TIME = "part_time_member"

COMMITTEE_ACTIVE = "active"
COMMITTEE_DISSOLVED = "dissolved"

MEETING_SCHEDULED = "scheduled"
MEETING_HELD = "held"
MEETING_CANCELLED = "cancelled"
MEETING_KINDS = ("regular", "special")

DECISION_OPEN = "open"
DECISION_IN_PROGRESS = "in_progress"
DECISION_DONE = "done"
DECISION_CANCELLED = "cancelled"
DECISION_STATUSES = (DECISION_OPEN, DECISION_IN_PROGRESS, DECISION_DONE, DECISION_CANCELLED)
DECISION_UNFINISHED = (DECISION_OPEN, DECISION_IN_PROGRESS)


class Committee(TenantScoped, Timestamped, Base):
    """A linkage committee (联席委员会) of one level: the district guidance committee
    (区城市基层党建工作指导委员会), a street's 大工委 or a community's 大党委."""

    __tablename__ = "linkage_committee"
    __table_args__ = (UniqueConstraint("tenant_id", "org_node_id"),)

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    level: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    meetings_per_year: Mapped[int]
    established_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default=COMMITTEE_ACTIVE)


class Seat(TenantScoped, Timestamped, Base):
    """A seat on a committee (委员席位): who, from which unit, in which role, for which term.

    A part-time member (兼职委员) usually comes from a resident unit, an owners'
    committee or a property company: ``home_unit_node_id`` when that unit is in
    the tree, else ``home_unit_name``.
    """

    __tablename__ = "linkage_seat"

    committee_id: Mapped[uuid.UUID] = tenant_fk("linkage_committee")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    home_unit_node_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)
    home_unit_name: Mapped[str | None] = mapped_column(String(NAME_MAX), default=None)
    term_start: Mapped[dt.date]
    term_end: Mapped[dt.date | None] = mapped_column(default=None)


class Meeting(TenantScoped, Timestamped, Base):
    """A work meeting (工作例会 or 专题会议) with agenda, attendance and minutes."""

    __tablename__ = "linkage_meeting"

    committee_id: Mapped[uuid.UUID] = tenant_fk("linkage_committee")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    kind: Mapped[str] = mapped_column(String(20), default="regular")
    scheduled_at: Mapped[dt.datetime]
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX), default=None)
    agenda: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default=MEETING_SCHEDULED)
    held_on: Mapped[dt.date | None] = mapped_column(default=None)
    minutes: Mapped[str | None] = mapped_column(Text, default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)


class Attendance(TenantScoped, Base):
    """Whether a seat's holder attended a held meeting (出席情况)."""

    __tablename__ = "linkage_attendance"
    __table_args__ = (UniqueConstraint("tenant_id", "meeting_id", "seat_id"),)

    meeting_id: Mapped[uuid.UUID] = tenant_fk("linkage_meeting")
    seat_id: Mapped[uuid.UUID] = tenant_fk("linkage_seat")
    present: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)


class Decision(TenantScoped, Timestamped, Base):
    """A decision (议定事项) of a committee, assigned to an organisation in its subtree
    with an owner and a deadline; overdue ones climb one level at a time."""

    __tablename__ = "linkage_decision"

    committee_id: Mapped[uuid.UUID] = tenant_fk("linkage_committee")
    meeting_id: Mapped[uuid.UUID | None] = tenant_fk("linkage_meeting", nullable=True)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    owner_name: Mapped[str] = mapped_column(String(50))
    owner_person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True)
    due_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default=DECISION_OPEN)
    progress_note: Mapped[str | None] = mapped_column(Text, default=None)
    completed_on: Mapped[dt.date | None] = mapped_column(default=None)
    escalation_level: Mapped[int] = mapped_column(default=0)
    escalated_to_node_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)
    escalated_on: Mapped[dt.date | None] = mapped_column(default=None)


class Escalation(TenantScoped, Timestamped, Base):
    """One step of an overdue decision up the levels (逾期督办): to which organisation, when.

    Unique per (decision, level), so a scheduled run repeated or raced never escalates twice.
    """

    __tablename__ = "linkage_escalation"
    __table_args__ = (UniqueConstraint("tenant_id", "decision_id", "level"),)

    decision_id: Mapped[uuid.UUID] = tenant_fk("linkage_decision")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    from_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    level: Mapped[int]
    days_overdue: Mapped[int]
