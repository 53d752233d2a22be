"""What the spark plan's API reads and writes (msgspec structs), and its configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.spark_incubation.models import (
    CODE_MAX,
    ITEM_TEXT_MAX,
    ITEMS_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    REASON_MAX,
    ROLE_MAX,
    TITLE_MAX,
)

Stage = Literal["nominated", "cultivating", "assessed", "benchmark", "dropped"]
FieldStatus = Literal["active", "archived"]
StandardStatus = Literal["draft", "published"]

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Code = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=CODE_MAX)]
Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
Reason = Annotated[str, Meta(min_length=1, max_length=REASON_MAX)]
Kind = Annotated[str, Meta(pattern=r"^[a-z_]+$", min_length=1, max_length=40)]


class SparkConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the spark plan (configured through the plugins API)."""

    # Node kinds that are two-new organisations (两新组织): new economic and new social organisations.
    two_new_kinds: Annotated[list[Kind], Meta(min_length=1, max_length=20)] = msgspec.field(
        default_factory=lambda: ["enterprise", "social_org"]
    )
    # Node kinds that may be nominated as candidates (by default the two-new organisations).
    candidate_kinds: Annotated[list[Kind], Meta(min_length=1, max_length=20)] = msgspec.field(
        default_factory=lambda: ["enterprise", "social_org"]
    )
    # A two-new organisation "has a party organisation" when a node of one of these kinds sits directly
    # under it (a branch, general branch or party committee it set up).
    party_org_kinds: Annotated[list[Kind], Meta(min_length=1, max_length=20)] = msgspec.field(
        default_factory=lambda: ["party_committee", "general_branch", "branch"]
    )
    # The assessment score (0–100) a candidate needs before it can be named a benchmark.
    benchmark_score: Annotated[int, Meta(ge=0, le=100)] = 80
    # Every milestone of the plan must be done before the candidate is assessed.
    milestones_done_before_assessment: bool = True
    # Remind mentors of milestones this many days before they are due.
    remind_days_before: Annotated[int, Meta(ge=1, le=90)] = 7
    # When the plugin is enabled, create the seed's seven emerging fields under the district (if none).
    seed_fields: bool = True


# --- fields ----------------------------------------------------------------------------------------


class FieldIn(Input):
    code: Code
    name: Name
    description: LongText | None = None
    # Defaults to the district.
    org_node_id: uuid.UUID | None = None
    position: Annotated[int, Meta(ge=0, le=1000)] = 0


class FieldUpdate(Input):
    name: Name | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    position: Annotated[int, Meta(ge=0, le=1000)] | UnsetType = UNSET
    status: FieldStatus | UnsetType = UNSET


class FieldOut(Output):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    org_node_id: uuid.UUID
    org_name: str
    position: int
    status: str
    # Candidates per stage that the caller sees.
    stages: dict[str, int]


# --- candidates ------------------------------------------------------------------------------------


class CandidateIn(Input):
    field_id: uuid.UUID
    org_node_id: uuid.UUID
    reason: Reason
    nominated_on: dt.date | None = None


class TransitionIn(Input):
    to: Stage
    reason: Reason
    # Required when moving to ``assessed``: the assessment's score and summary.
    score: Annotated[float, Meta(ge=0, le=100)] | None = None
    assessment: LongText | None = None


class TransitionOut(Output):
    id: uuid.UUID
    from_stage: str | None
    to_stage: str
    reason: str
    actor_id: uuid.UUID | None
    actor_name: str | None
    at: dt.datetime


class CandidateOut(Output):
    id: uuid.UUID
    field_id: uuid.UUID
    field_name: str
    org_node_id: uuid.UUID
    org_name: str
    org_kind: str
    stage: str
    nominated_on: dt.date
    score: float | None
    assessment: str | None
    assessed_on: dt.date | None
    has_plan: bool
    created_at: dt.datetime


class MilestoneOut(Output):
    id: uuid.UUID
    title: str
    due_on: dt.date
    done_on: dt.date | None
    note: str | None
    overdue: bool


class MentorOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    role: str | None


class PlanOut(Output):
    id: uuid.UUID
    candidate_id: uuid.UUID
    title: str
    goals: str | None
    starts_on: dt.date
    ends_on: dt.date
    milestones: list[MilestoneOut]
    mentors: list[MentorOut]


class CandidateDetailOut(CandidateOut):
    history: list[TransitionOut]
    allowed: list[str]
    plan: PlanOut | None


# --- plans -----------------------------------------------------------------------------------------


class PlanIn(Input):
    title: Title
    starts_on: dt.date
    ends_on: dt.date
    goals: LongText | None = None


class MilestoneIn(Input):
    title: Title
    due_on: dt.date
    note: LongText | None = None


class MilestoneUpdate(Input):
    title: Title | UnsetType = UNSET
    due_on: dt.date | UnsetType = UNSET
    done_on: dt.date | UnsetType | None = UNSET
    note: LongText | UnsetType | None = UNSET


class MentorIn(Input):
    person_id: uuid.UUID
    role: Annotated[str, Meta(max_length=ROLE_MAX)] | None = None


# --- standards -------------------------------------------------------------------------------------


Items = Annotated[
    list[Annotated[str, Meta(min_length=1, max_length=ITEM_TEXT_MAX)]], Meta(max_length=ITEMS_MAX)
]


class StandardIn(Input):
    title: Title
    body: LongText | None = None
    items: Items = msgspec.field(default_factory=list)
    # Benchmark candidates of the field the standard is drawn from.
    benchmark_ids: Annotated[list[uuid.UUID], Meta(max_length=50)] = msgspec.field(default_factory=list)


class SourceOut(Output):
    candidate_id: uuid.UUID
    org_name: str


class StandardOut(Output):
    id: uuid.UUID
    field_id: uuid.UUID
    title: str
    body: str | None
    items: list[str]
    status: str
    published_on: dt.date | None
    sources: list[SourceOut]
