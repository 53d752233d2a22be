"""What the linkage API reads and writes: msgspec structs, and the plugin's configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.joint_committees.models import NAME_MAX, PLACE_MAX, TITLE_MAX

MeetingsPerYear = Annotated[int, Meta(ge=1, le=52)]
Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
PersonName = Annotated[str, Meta(min_length=1, max_length=50)]
Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
Text = Annotated[str, Meta(max_length=20_000)]
SeatRole = Literal["secretary", "deputy_secretary", "member", "part_time_member"]
DecisionStatus = Literal["open", "in_progress", "done", "cancelled"]


class LinkageConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings for three-level linkage (defaults for a newly enabled district)."""

    district_meetings_per_year: MeetingsPerYear = 4
    street_meetings_per_year: MeetingsPerYear = 4
    community_meetings_per_year: MeetingsPerYear = 12
    remind_hours_before_meeting: Annotated[int, Meta(ge=1, le=168)] = 24
    escalate_after_days_overdue: Annotated[int, Meta(ge=0, le=60)] = 0
    escalate_again_after_days: Annotated[int, Meta(ge=1, le=90)] = 7


# --- committees ----------------------------------------------------------------------------------


class CommitteeIn(Input):
    org_node_id: uuid.UUID
    name: Name | None = None
    meetings_per_year: MeetingsPerYear | None = None
    established_on: dt.date | None = None


class CommitteeUpdate(Input):
    name: Name | UnsetType = UNSET
    meetings_per_year: MeetingsPerYear | UnsetType = UNSET
    status: Literal["active", "dissolved"] | UnsetType = UNSET


class CommitteeOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    level: str
    name: str
    meetings_per_year: int
    established_on: dt.date
    status: str
    active_seats: int = 0
    part_time_members: int = 0


# --- seats ---------------------------------------------------------------------------------------


class SeatIn(Input):
    role: SeatRole
    term_start: dt.date
    person_id: uuid.UUID | None = None
    name: PersonName | None = None
    home_unit_node_id: uuid.UUID | None = None
    home_unit_name: Name | None = None
    term_end: dt.date | None = None


class SeatEnd(Input):
    ended_on: dt.date


class SeatOut(Output):
    id: uuid.UUID
    committee_id: uuid.UUID
    person_id: uuid.UUID | None
    name: str
    role: str
    home_unit_node_id: uuid.UUID | None
    home_unit_name: str | None
    term_start: dt.date
    term_end: dt.date | None
    active: bool


# --- meetings ------------------------------------------------------------------------------------


class MeetingIn(Input):
    title: Title
    scheduled_at: dt.datetime
    kind: Literal["regular", "special"] = "regular"
    place: Annotated[str, Meta(max_length=PLACE_MAX)] | None = None
    agenda: Text | None = None


class AttendanceIn(Input):
    seat_id: uuid.UUID
    present: bool
    note: Annotated[str, Meta(max_length=TITLE_MAX)] | None = None


class MeetingRecord(Input):
    held_on: dt.date
    minutes: Annotated[str, Meta(min_length=1, max_length=20_000)]
    attendance: list[AttendanceIn]


class MeetingCancel(Input):
    reason: Title


class AttendanceOut(Output):
    seat_id: uuid.UUID
    name: str
    role: str
    present: bool
    note: str | None


class MeetingOut(Output):
    id: uuid.UUID
    committee_id: uuid.UUID
    title: str
    kind: str
    scheduled_at: dt.datetime
    place: str | None
    agenda: str | None
    status: str
    held_on: dt.date | None
    minutes: str | None
    cancel_reason: str | None
    attendance: list[AttendanceOut] = msgspec.field(default_factory=list)


# --- decisions -----------------------------------------------------------------------------------


class DecisionIn(Input):
    title: Title
    assigned_to: uuid.UUID
    due_on: dt.date
    owner_name: PersonName | None = None
    owner_person_id: uuid.UUID | None = None
    meeting_id: uuid.UUID | None = None
    detail: Text | None = None


class DecisionProgress(Input):
    status: DecisionStatus
    note: Text | None = None


class EscalationOut(Output):
    level: int
    org_node_id: uuid.UUID
    from_node_id: uuid.UUID
    days_overdue: int
    created_at: dt.datetime


class DecisionOut(Output):
    id: uuid.UUID
    committee_id: uuid.UUID
    meeting_id: uuid.UUID | None
    assigned_to: uuid.UUID
    title: str
    detail: str | None
    owner_name: str
    owner_person_id: uuid.UUID | None
    due_on: dt.date
    status: str
    progress_note: str | None
    completed_on: dt.date | None
    overdue: bool
    escalation_level: int
    escalated_to: uuid.UUID | None
    escalations: list[EscalationOut] = msgspec.field(default_factory=list)
