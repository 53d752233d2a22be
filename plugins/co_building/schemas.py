"""What the co-building API reads and writes (msgspec structs), and the plugin's configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.co_building.models import LONG_TEXT_MAX, PLACE_MAX, REASON_MAX, TITLE_MAX

AgreementStatus = Literal["draft", "active", "expired", "terminated"]
NewAgreementStatus = Literal["draft", "active"]
ItemKind = Literal["need", "resource"]
ItemParty = Literal["area", "unit"]
ItemStatus = Literal["pending", "in_progress", "fulfilled", "cancelled"]
ActivityKind = Literal["activity", "meeting"]
ReviewStatus = Literal["open", "completed"]
Rating = Literal["excellent", "good", "fair", "poor"]
PartnerKind = Literal["unit", "enterprise", "social_org"]

Title = Annotated[str, Meta(min_length=1, max_length=TITLE_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
Year = Annotated[int, Meta(ge=2000, le=2100)]


class CoBuildingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the mechanism (configured through the plugins API)."""

    # Remind the area party's administrators this many days before an active agreement ends.
    remind_days_before_end: Annotated[int, Meta(ge=1, le=365)] = 30
    # Which organisations may be the unit party: resident units (驻区单位) and two-new organisations.
    partner_kinds: Annotated[list[PartnerKind], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["unit", "enterprise", "social_org"]
    )


# --- agreements -------------------------------------------------------------------------------------


class AgreementIn(Input):
    # The street, community or village party.
    org_node_id: uuid.UUID
    # The resident unit or two-new organisation party.
    unit_id: uuid.UUID
    title: Title
    starts_on: dt.date
    ends_on: dt.date
    signed_on: dt.date | None = None
    content: LongText | None = None
    status: NewAgreementStatus = "draft"


class AgreementUpdate(Input):
    title: Title | UnsetType = UNSET
    starts_on: dt.date | UnsetType = UNSET
    ends_on: dt.date | UnsetType = UNSET
    signed_on: dt.date | UnsetType | None = UNSET
    content: LongText | UnsetType | None = UNSET


class AgreementTransition(Input):
    status: AgreementStatus
    reason: Annotated[str, Meta(max_length=REASON_MAX)] | None = None


class AgreementOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    unit_id: uuid.UUID
    unit_name: str
    unit_kind: str
    title: str
    content: str | None
    starts_on: dt.date
    ends_on: dt.date
    signed_on: dt.date | None
    status: str
    # Active and within its term today (what the co-building rate counts).
    in_force: bool
    terminated_on: dt.date | None
    termination_reason: str | None
    items: int
    items_fulfilled: int
    activities: int
    created_at: dt.datetime


# --- service-list items -----------------------------------------------------------------------------


class ItemIn(Input):
    kind: ItemKind
    party: ItemParty
    title: Title
    detail: LongText | None = None
    due_on: dt.date | None = None


class FulfilmentIn(Input):
    status: ItemStatus
    fulfilled_on: dt.date | None = None
    note: LongText | None = None


class ItemOut(Output):
    id: uuid.UUID
    agreement_id: uuid.UUID
    kind: str
    party: str
    title: str
    detail: str | None
    due_on: dt.date | None
    status: str
    fulfilled_on: dt.date | None
    fulfilment_note: str | None


# --- joint activities and meetings -----------------------------------------------------------------


class ActivityIn(Input):
    kind: ActivityKind
    title: Title
    held_on: dt.date
    place: Annotated[str, Meta(min_length=1, max_length=PLACE_MAX)]
    participants: Annotated[int, Meta(ge=0, le=100_000)]
    content: Annotated[str, Meta(min_length=1, max_length=LONG_TEXT_MAX)]
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None


class ActivityOut(Output):
    id: uuid.UUID
    agreement_id: uuid.UUID
    kind: str
    title: str
    held_on: dt.date
    place: str
    longitude: float | None
    latitude: float | None
    participants: int
    content: str


# --- annual reviews ---------------------------------------------------------------------------------


class ReviewIn(Input):
    year: Year


class ReviewComplete(Input):
    rating: Rating
    note: LongText | None = None


class ReviewOut(Output):
    id: uuid.UUID
    agreement_id: uuid.UUID
    year: int
    status: str
    items_total: int | None
    items_fulfilled: int | None
    fulfilment_rate: float | None
    rating: str | None
    note: str | None
    completed_on: dt.date | None
