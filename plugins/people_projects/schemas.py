"""What projects for the people's API reads and writes (msgspec structs), and its configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.people_projects.models import (
    CODE_MAX,
    LABOUR_MAX,
    LONG_TEXT_MAX,
    MONEY_MAX,
    NOTE_MAX,
    PLACE_MAX,
    TITLE_MAX,
)

NeedSource = Literal["door_to_door", "hotline", "grid_worker", "online", "meeting", "other"]
NeedStatus = Literal["open", "converted", "closed"]
ProjectStatus = Literal["draft", "published", "claimed", "in_progress", "completed", "evaluated", "cancelled"]
# The statuses a caller may ask for; "claimed" follows the first claim, "evaluated" the first evaluation.
TargetStatus = Literal["published", "in_progress", "completed", "cancelled"]
Commitment = Literal["money", "labour", "material"]

Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
Category = Annotated[str, Meta(pattern=r"^[a-z0-9_]+$", min_length=1, max_length=CODE_MAX)]
Note = Annotated[str, Meta(max_length=NOTE_MAX)]
Fen = Annotated[int, Meta(ge=1, le=MONEY_MAX)]
FenOrZero = Annotated[int, Meta(ge=0, le=MONEY_MAX)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]


class PeopleProjectsConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the mechanism (configured through the plugins API)."""

    # Flag a project in progress that has had no progress update for this many days.
    stale_after_days: Annotated[int, Meta(ge=1, le=365)] = 30
    # The categories of needs and projects the district uses (codes; the console shows them).
    categories: list[str] = msgspec.field(
        default_factory=lambda: [
            "elderly_care",
            "childcare",
            "environment",
            "infrastructure",
            "culture",
            "health",
            "employment",
            "safety",
            "other",
        ]
    )


# --- needs -----------------------------------------------------------------------------------------


class NeedIn(Input):
    org_node_id: uuid.UUID
    source: NeedSource
    category: Category
    title: Title
    description: Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
    raised_by_person_id: uuid.UUID | None = None


class SupporterIn(Input):
    person_id: uuid.UUID


class NeedOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    source: str
    category: str
    title: str
    description: str
    raised_by_person_id: uuid.UUID | None
    status: str
    supporters: int
    project_id: uuid.UUID | None
    created_at: dt.datetime


# --- projects --------------------------------------------------------------------------------------


class ProjectIn(Input):
    org_node_id: uuid.UUID
    title: Title
    description: Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
    category: Category
    max_claimants: Annotated[int, Meta(ge=1, le=1000)] | None = None
    target_fen: Fen | None = None
    place: Annotated[str, Meta(max_length=PLACE_MAX)] | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None


class FromNeedIn(Input):
    """Turn a need into a draft project: its title, description and category unless given."""

    title: Title | None = None
    description: LongText | None = None
    max_claimants: Annotated[int, Meta(ge=1, le=1000)] | None = None
    target_fen: Fen | None = None
    place: Annotated[str, Meta(max_length=PLACE_MAX)] | None = None
    longitude: Longitude | None = None
    latitude: Latitude | None = None


class ProjectUpdate(Input):
    title: Title | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    category: Category | UnsetType = UNSET
    max_claimants: Annotated[int, Meta(ge=1, le=1000)] | UnsetType | None = UNSET
    target_fen: Fen | UnsetType | None = UNSET
    place: Annotated[str, Meta(max_length=PLACE_MAX)] | UnsetType | None = UNSET
    longitude: Longitude | UnsetType | None = UNSET
    latitude: Latitude | UnsetType | None = UNSET


class TransitionIn(Input):
    to: TargetStatus
    note: Note | None = None


class TransitionOut(Output):
    from_status: str | None
    to_status: str
    actor_id: uuid.UUID | None
    at: dt.datetime
    note: str | None


class ProjectOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    need_id: uuid.UUID | None
    title: str
    description: str
    category: str
    status: str
    max_claimants: int | None
    target_fen: int | None
    claim_count: int
    committed_fen: int
    delivered_fen: int
    progress_percent: int
    last_progress_on: dt.date | None
    place: str | None
    longitude: float | None
    latitude: float | None
    published_on: dt.date | None
    started_on: dt.date | None
    completed_on: dt.date | None
    satisfaction: float | None
    evaluations: int
    created_at: dt.datetime


# --- claims, progress, evaluations -----------------------------------------------------------------


class ClaimIn(Input):
    """Exactly one claimant: an organisation (``org_node_id``) or a member (``person_id``)."""

    commitment: Commitment
    org_node_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    money_fen: Fen | None = None
    labour_hours: Annotated[int, Meta(ge=1, le=LABOUR_MAX)] | None = None
    material_description: Note | None = None
    material_value_fen: FenOrZero | None = None
    note: Note | None = None


class DeliveryIn(Input):
    # The money delivered so far on the claim (a running total that never goes down).
    delivered_fen: FenOrZero


class ClaimOut(Output):
    id: uuid.UUID
    project_id: uuid.UUID
    claimant_org_node_id: uuid.UUID | None
    claimant_person_id: uuid.UUID | None
    claimant_name: str
    commitment: str
    money_fen: int
    labour_hours: int
    material_description: str | None
    material_value_fen: int
    delivered_fen: int
    claimed_on: dt.date
    note: str | None


class ProgressIn(Input):
    reported_on: dt.date
    text: Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
    percent: Annotated[int, Meta(ge=0, le=100)]


class ProgressOut(Output):
    id: uuid.UUID
    project_id: uuid.UUID
    reported_on: dt.date
    text: str
    percent: int


class EvaluationIn(Input):
    person_id: uuid.UUID
    stars: Annotated[int, Meta(ge=1, le=5)]
    comment: LongText | None = None


class EvaluationOut(Output):
    id: uuid.UUID
    project_id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    stars: int
    comment: str | None
    evaluated_on: dt.date


class ProjectDetailOut(ProjectOut):
    claims: list[ClaimOut]
    progress: list[ProgressOut]
    evaluation_list: list[EvaluationOut]
    transitions: list[TransitionOut]
