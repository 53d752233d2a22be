"""What the action branches API reads and writes (msgspec structs), and its configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.action_branches.models import LONG_TEXT_MAX, NAME_MAX, PLACE_MAX, TITLE_MAX

BranchKind = Literal["cause", "interest", "trade", "place"]
BranchStatus = Literal["active", "dissolved"]

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
Place = Annotated[str, Meta(max_length=PLACE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
# Hours are checked by the service against the district's limit (a reason beside the field, not a
# bare schema error); the schema only refuses what no limit could allow.
Hours = Annotated[float, Meta(ge=-1000, le=1000)]
Role = Annotated[str, Meta(min_length=1, max_length=60)]


class ActionBranchesConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the mechanism (configured through the plugins API)."""

    # Participation counts members who took part in an action within this many days.
    participation_window_days: Annotated[int, Meta(ge=7, le=365)] = 90
    # The most hours one person can be credited for one action (never more than a day).
    max_hours_per_action: Annotated[float, Meta(gt=0, le=24)] = 24.0
    # Remind leaders of branches that recorded no action in the last calendar month (monthly job).
    remind_idle_branches: bool = True
    # Actions shown on the red map: those of the last this many days.
    map_action_days: Annotated[int, Meta(ge=1, le=3650)] = 365


# --- branches --------------------------------------------------------------------------------------


class BranchIn(Input):
    host_node_id: uuid.UUID
    kind: BranchKind
    name: Name
    leader_person_id: uuid.UUID
    description: LongText | None = None
    place: Place | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    founded_on: dt.date | None = None


class BranchUpdate(Input):
    name: Name | UnsetType = UNSET
    kind: BranchKind | UnsetType = UNSET
    leader_person_id: uuid.UUID | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    place: Place | UnsetType | None = UNSET
    longitude: Longitude | UnsetType | None = UNSET
    latitude: Latitude | UnsetType | None = UNSET
    # "dissolved" ends every open membership; a dissolved branch stays dissolved.
    status: BranchStatus | UnsetType = UNSET


class BranchOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    host_node_id: uuid.UUID
    host_name: str
    kind: str
    name: str
    leader_person_id: uuid.UUID
    leader_name: str
    description: str | None
    place: str | None
    longitude: float | None
    latitude: float | None
    founded_on: dt.date
    status: str
    dissolved_on: dt.date | None
    members: int
    created_at: dt.datetime


# --- members ---------------------------------------------------------------------------------------


class MemberIn(Input):
    person_id: uuid.UUID
    role: Role | None = None
    joined_on: dt.date | None = None


class LeaveIn(Input):
    person_id: uuid.UUID
    left_on: dt.date | None = None


class MemberOut(Output):
    id: uuid.UUID
    branch_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    role: str | None
    joined_on: dt.date
    left_on: dt.date | None


# --- actions ---------------------------------------------------------------------------------------


class ParticipantIn(Input):
    person_id: uuid.UUID
    hours: Hours


Participants = Annotated[list[ParticipantIn], Meta(max_length=500)]


class ActionIn(Input):
    held_on: dt.date
    title: Title
    place: Place | None = None
    description: LongText | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    participants: Participants = msgspec.field(default_factory=list)


class ParticipantsIn(Input):
    participants: Participants


class ParticipantOut(Output):
    person_id: uuid.UUID
    person_name: str
    hours: float
    member: bool


class ActionOut(Output):
    id: uuid.UUID
    branch_id: uuid.UUID
    branch_name: str
    held_on: dt.date
    title: str
    place: str | None
    description: str | None
    longitude: float | None
    latitude: float | None
    participant_count: int
    hours: float
    created_at: dt.datetime


class ActionDetailOut(ActionOut):
    participants: list[ParticipantOut]
