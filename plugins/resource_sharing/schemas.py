"""What the shared-resources API reads and writes (msgspec structs), and its configuration."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.resource_sharing.models import ADDRESS_MAX, LONG_TEXT_MAX, NAME_MAX, PURPOSE_MAX

ResourceKind = Literal["venue", "room", "equipment", "service", "information"]
Visibility = Literal["own", "subtree", "district"]
ResourceStatus = Literal["open", "closed"]
ReservationStatus = Literal["requested", "approved", "rejected", "cancelled", "completed"]

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
LongText = Annotated[str, Meta(max_length=LONG_TEXT_MAX)]
Address = Annotated[str, Meta(max_length=ADDRESS_MAX)]
Note = Annotated[str, Meta(max_length=PURPOSE_MAX)]
# "08:30"; "24:00" closes at midnight.
ClockTime = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
SlotMinutes = Annotated[int, Meta(ge=5, le=1440)]


class ResourceSharingConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's rules for reserving shared resources (the providers' approval rules)."""

    # The length of one bookable slot of a new resource, in minutes (a resource keeps the length it
    # was created with). Must divide a day.
    slot_minutes: SlotMinutes = 30
    # How far ahead a reservation may start, in days.
    max_advance_days: Annotated[int, Meta(ge=1, le=366)] = 30
    # The most slots one reservation may hold (with 30-minute slots, 8 = four hours).
    max_slots_per_reservation: Annotated[int, Meta(ge=1, le=96)] = 8
    # Requests from organisations inside the provider's own subtree are approved at once.
    auto_approve_own_subtree: bool = True
    # Remind the requester this many hours before an approved reservation starts.
    remind_hours_before: Annotated[int, Meta(ge=1, le=168)] = 24


# --- resources ---------------------------------------------------------------------------------


class HoursIn(Input):
    """An opening interval: weekday 1 (Monday) … 7 (Sunday), opening and closing time (district clock)."""

    weekday: Annotated[int, Meta(ge=1, le=7)]
    opens: ClockTime
    closes: ClockTime


HoursList = Annotated[list[HoursIn], Meta(max_length=28)]


class ResourceIn(Input):
    provider_id: uuid.UUID
    kind: ResourceKind
    name: Name
    description: LongText | None = None
    capacity: Annotated[int, Meta(ge=1, le=100_000)] | None = None
    address: Address | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    visibility: Visibility = "district"
    # Defaults to the district's configured slot length.
    slot_minutes: SlotMinutes | None = None
    opening_hours: HoursList = msgspec.field(default_factory=list)


class ResourceUpdate(Input):
    name: Name | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    capacity: Annotated[int, Meta(ge=1, le=100_000)] | UnsetType | None = UNSET
    address: Address | UnsetType | None = UNSET
    longitude: Annotated[float, Meta(ge=-180, le=180)] | UnsetType | None = UNSET
    latitude: Annotated[float, Meta(ge=-90, le=90)] | UnsetType | None = UNSET
    visibility: Visibility | UnsetType = UNSET
    status: ResourceStatus | UnsetType = UNSET
    opening_hours: HoursList | UnsetType = UNSET


class HoursOut(Output):
    weekday: int
    opens: str
    closes: str


class ResourceOut(Output):
    id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str
    provider_kind: str
    kind: str
    name: str
    description: str | None
    capacity: int | None
    address: str | None
    longitude: float | None
    latitude: float | None
    visibility: str
    status: str
    slot_minutes: int
    opening_hours: list[HoursOut]
    can_manage: bool
    created_at: dt.datetime


class SlotOut(Output):
    starts_at: dt.datetime
    ends_at: dt.datetime
    free: bool
    # The reservation holding the slot, when the caller may see it.
    reservation_id: uuid.UUID | None = None


class DayOut(Output):
    day: dt.date
    weekday: int
    slots: list[SlotOut]


class WeekOut(Output):
    resource_id: uuid.UUID
    slot_minutes: int
    days: list[DayOut]


# --- reservations ------------------------------------------------------------------------------


class ReservationIn(Input):
    resource_id: uuid.UUID
    # The organisation reserving (in the caller's scope).
    org_node_id: uuid.UUID
    # With a time zone; a time without one is read on the district's clock.
    starts_at: dt.datetime
    ends_at: dt.datetime
    purpose: Annotated[str, Meta(min_length=1, max_length=PURPOSE_MAX)]
    attendees: Annotated[int, Meta(ge=1, le=100_000)] | None = None


class DecisionIn(Input):
    note: Note | None = None


class ReservationOut(Output):
    id: uuid.UUID
    resource_id: uuid.UUID
    resource_name: str
    provider_id: uuid.UUID
    provider_name: str
    org_node_id: uuid.UUID
    org_name: str
    requester_id: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    slot_count: int
    purpose: str
    attendees: int | None
    status: str
    auto_approved: bool
    decided_by: uuid.UUID | None
    decided_at: dt.datetime | None
    decision_note: str | None
    created_at: dt.datetime


# --- catalogues --------------------------------------------------------------------------------


class CatalogueIn(Input):
    # The organisation whose area the catalogue lists (the caller must provide there).
    org_node_id: uuid.UUID
    title: Name | None = None


class CatalogueItemOut(Output):
    resource_id: uuid.UUID
    position: int
    kind: str
    name: str
    provider_name: str
    provider_kind: str
    capacity: int | None
    address: str | None
    visibility: str
    hours: str


class CatalogueOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    version: int
    title: str
    published_at: dt.datetime
    published_by: uuid.UUID
    resource_count: int


class CatalogueDetailOut(CatalogueOut):
    items: list[CatalogueItemOut]
