"""What the demonstration-zone API reads and writes (msgspec structs), and the plugin's configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.model_zones.models import LONG_TEXT_MAX, NAME_MAX, PLACE_MAX, REVIEWER_MAX, TITLE_MAX

ZoneStatus = Literal["active", "suspended", "dissolved"]
Rating = Literal["excellent", "good", "fair", "poor"]

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
Note = Annotated[str, Meta(max_length=TITLE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
RequiredText = Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
NodeIds = Annotated[list[uuid.UUID], Meta(max_length=200)]


class ModelZonesConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings for demonstration zones (defaults for a newly enabled district)."""

    # How often each zone is reviewed (片区评估), in months.
    review_interval_months: Annotated[int, Meta(ge=1, le=36)] = 6
    # Remind the zone's leads of a review from this many days before it is due.
    remind_days_before_review: Annotated[int, Meta(ge=0, le=90)] = 14
    # What the joint committee (非建制联合党委) node is called after the zone's name.
    committee_suffix: Annotated[str, Meta(min_length=1, max_length=20)] = "联合党委"


# --- zones -----------------------------------------------------------------------------------------


class ZoneIn(Input):
    name: Name
    lead_node_id: uuid.UUID
    lead_person_id: uuid.UUID
    established_on: dt.date | None = None
    description: LongText | None = None


class ZoneUpdate(Input):
    name: Name | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    lead_person_id: uuid.UUID | UnsetType = UNSET


class ZoneTransition(Input):
    status: ZoneStatus
    on: dt.date | None = None


class ZoneOut(Output):
    id: uuid.UUID
    name: str
    committee_node_id: uuid.UUID
    committee_name: str
    lead_node_id: uuid.UUID
    lead_name: str
    lead_person_id: uuid.UUID
    lead_person_name: str
    description: str | None
    established_on: dt.date
    status: str
    dissolved_on: dt.date | None
    members: int
    activities: int
    experiences: int
    last_reviewed_on: dt.date | None
    next_review_due: dt.date | None


# --- members ---------------------------------------------------------------------------------------


class MemberIn(Input):
    org_node_id: uuid.UUID
    joined_on: dt.date | None = None
    note: Note | None = None


class MemberOut(Output):
    id: uuid.UUID
    zone_id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    org_kind: str
    joined_on: dt.date
    note: str | None


# --- activities ------------------------------------------------------------------------------------


class ActivityIn(Input):
    title: Title
    held_on: dt.date
    place: Annotated[str, Meta(min_length=1, max_length=PLACE_MAX)]
    participants: Annotated[int, Meta(ge=0, le=100_000)]
    organisations: NodeIds = msgspec.field(default_factory=list)
    longitude: Longitude | None = None
    latitude: Latitude | None = None
    description: LongText | None = None


class ActivityOrgOut(Output):
    org_node_id: uuid.UUID
    org_name: str


class ActivityOut(Output):
    id: uuid.UUID
    zone_id: uuid.UUID
    title: str
    held_on: dt.date
    place: str
    longitude: float | None
    latitude: float | None
    participants: int
    description: str | None
    organisations: list[ActivityOrgOut]


# --- experiences -----------------------------------------------------------------------------------


class ExperienceIn(Input):
    title: Title
    summary: RequiredText
    exported_on: dt.date | None = None


class AdoptionIn(Input):
    org_node_id: uuid.UUID
    adopted_on: dt.date | None = None
    note: Note | None = None


class AdoptionOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    adopted_on: dt.date
    note: str | None


class ExperienceOut(Output):
    id: uuid.UUID
    zone_id: uuid.UUID
    title: str
    summary: str
    exported_on: dt.date
    adoptions: list[AdoptionOut]


# --- reviews ---------------------------------------------------------------------------------------


class ReviewIn(Input):
    reviewed_on: dt.date
    rating: Rating
    findings: RequiredText
    reviewer: Annotated[str, Meta(min_length=1, max_length=REVIEWER_MAX)]


class ReviewOut(Output):
    id: uuid.UUID
    zone_id: uuid.UUID
    reviewed_on: dt.date
    reviewer: str
    rating: str
    findings: str
