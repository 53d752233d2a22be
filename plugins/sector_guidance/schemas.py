"""What sector–area collaboration's API reads and writes (msgspec structs), and its configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.sector_guidance.models import (
    CODE_MAX,
    ITEM_TEXT_MAX,
    ITEMS_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    TITLE_MAX,
    VISITOR_MAX,
    WEIGHT_MAX,
)

CycleKind = Literal["annual", "half_year"]
SectorStatus = Literal["active", "archived"]
StandardStatus = Literal["draft", "published", "retired"]
AssessmentStatus = Literal["due", "in_progress", "submitted"]

# "2026" for an annual cycle, "2026H1" / "2026H2" for half-year cycles.
CYCLE_PATTERN = r"^\d{4}(H[12])?$"

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Code = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1, max_length=CODE_MAX)]
Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
PassMark = Annotated[int, Meta(ge=0, le=100)]
CycleLabel = Annotated[str, Meta(pattern=CYCLE_PATTERN)]


class SectorGuidanceConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the mechanism (configured through the plugins API)."""

    # The score (0–100) an organisation needs to meet its sector's standard, unless the standard sets one.
    pass_mark: PassMark = 80
    # How often every member organisation is assessed: once a year, or every half year.
    cycle: CycleKind = "annual"
    # Remind assessors of unsubmitted assessments from this many days before the cycle ends.
    remind_days_before_cycle_end: Annotated[int, Meta(ge=1, le=180)] = 30


# --- sectors and members ---------------------------------------------------------------------------


class SectorIn(Input):
    department_id: uuid.UUID
    name: Name
    code: Code
    description: LongText | None = None


class SectorUpdate(Input):
    name: Name | UnsetType = UNSET
    code: Code | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    status: SectorStatus | UnsetType = UNSET


class SectorOut(Output):
    id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    name: str
    code: str
    description: str | None
    status: str
    published_standard_id: uuid.UUID | None
    created_at: dt.datetime


class MemberIn(Input):
    org_node_id: uuid.UUID
    joined_on: dt.date | None = None


class MemberOut(Output):
    id: uuid.UUID
    sector_id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    org_kind: str
    joined_on: dt.date


# --- standards -------------------------------------------------------------------------------------


class ItemIn(Input):
    text: Annotated[str, Meta(min_length=1, max_length=ITEM_TEXT_MAX)]
    weight: Annotated[int, Meta(ge=1, le=WEIGHT_MAX)]
    guidance: LongText | None = None


Items = Annotated[list[ItemIn], Meta(max_length=ITEMS_MAX)]


class StandardIn(Input):
    title: Title
    pass_mark: PassMark | None = None
    items: Items = msgspec.field(default_factory=list)


class StandardUpdate(Input):
    title: Title | UnsetType = UNSET
    pass_mark: PassMark | UnsetType | None = UNSET


class ItemsIn(Input):
    items: Items


class ItemOut(Output):
    id: uuid.UUID
    position: int
    text: str
    weight: int
    guidance: str | None


class StandardOut(Output):
    id: uuid.UUID
    sector_id: uuid.UUID
    title: str
    version: int
    status: str
    pass_mark: int | None
    published_at: dt.datetime | None
    total_weight: int
    items: list[ItemOut]


# --- assessments -----------------------------------------------------------------------------------


class AssessmentIn(Input):
    sector_id: uuid.UUID
    org_node_id: uuid.UUID
    # Defaults to the current cycle.
    cycle: CycleLabel | None = None


class ResultIn(Input):
    item_id: uuid.UUID
    met: bool
    evidence: LongText | None = None


class ResultsIn(Input):
    results: Annotated[list[ResultIn], Meta(min_length=1, max_length=ITEMS_MAX)]


class AssessmentOut(Output):
    id: uuid.UUID
    sector_id: uuid.UUID
    sector_name: str
    standard_id: uuid.UUID
    standard_version: int
    org_node_id: uuid.UUID
    org_name: str
    cycle: str
    status: str
    score: float | None
    passed: bool | None
    pass_mark: int | None
    assessor_id: uuid.UUID | None
    started_at: dt.datetime | None
    submitted_at: dt.datetime | None
    answered: int
    item_count: int


class AnsweredItemOut(Output):
    item_id: uuid.UUID
    position: int
    text: str
    weight: int
    guidance: str | None
    met: bool | None
    evidence: str | None


class AssessmentDetailOut(AssessmentOut):
    standard_title: str
    items: list[AnsweredItemOut]


# --- guidance visits -------------------------------------------------------------------------------


class VisitIn(Input):
    sector_id: uuid.UUID
    org_node_id: uuid.UUID
    visited_on: dt.date
    visitor: Annotated[str, Meta(min_length=1, max_length=VISITOR_MAX)]
    topics: Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
    findings: LongText | None = None
    follow_up: LongText | None = None


class VisitOut(Output):
    id: uuid.UUID
    sector_id: uuid.UUID
    sector_name: str
    org_node_id: uuid.UUID
    org_name: str
    visited_on: dt.date
    visitor: str
    topics: str
    findings: str | None
    follow_up: str | None
    created_at: dt.datetime
