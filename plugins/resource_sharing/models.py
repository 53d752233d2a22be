"""The tables of shared resources (区域载体联享): tenant-scoped, keys include ``tenant_id``.

A resource (载体: a venue, room, piece of equipment, service or information source) belongs to its
provider organisation (``org_node_id``). A reservation (预约) is requested by an organisation for a
run of fixed-length slots; every slot it holds is one row of ``shared_resource_slot`` whose unique
key ``(tenant_id, resource_id, slot_start)`` is what makes a double booking impossible on SQLite
and PostgreSQL alike. Published catalogues (资源清单) are numbered snapshots.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 100
ADDRESS_MAX = 300
LONG_TEXT_MAX = 2000
PURPOSE_MAX = 500
KEY_MAX = 100

KINDS = ("venue", "room", "equipment", "service", "information")
VISIBILITIES = ("own", "subtree", "district")
RESOURCE_STATUSES = ("open", "closed")
REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"
CANCELLED = "cancelled"
COMPLETED = "completed"
RESERVATION_STATUSES = (REQUESTED, APPROVED, REJECTED, CANCELLED, COMPLETED)
# Reservations that hold their slots; rejected and cancelled ones have given them back.
HOLDING = (REQUESTED, APPROVED, COMPLETED)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SharedResource(TenantScoped, Timestamped, Base):
    """A shared resource (共享载体) offered by its provider organisation (``org_node_id``)."""

    __tablename__ = "shared_resource"
    __table_args__ = (
        UniqueConstraint("tenant_id", "org_node_id", "name"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("visibility", VISIBILITIES), name="visibility"),
        CheckConstraint(_in("status", RESOURCE_STATUSES), name="status"),
        CheckConstraint("capacity IS NULL OR capacity >= 1", name="capacity"),
        CheckConstraint("slot_minutes >= 5 AND slot_minutes <= 1440", name="slot_minutes"),
    )

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    capacity: Mapped[int | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX), default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    visibility: Mapped[str] = mapped_column(String(20), default="district")
    status: Mapped[str] = mapped_column(String(20), default="open")
    # The length of one bookable slot, fixed when the resource is created (from the configuration):
    # slot rows of different lengths could overlap without colliding on the unique key.
    slot_minutes: Mapped[int]


class SharedResourceHours(TenantScoped, Base):
    """One opening interval (开放时间) of a resource on a weekday (1 = Monday … 7 = Sunday), in minutes
    after the district's midnight."""

    __tablename__ = "shared_resource_hours"
    __table_args__ = (
        UniqueConstraint("tenant_id", "resource_id", "weekday", "opens_minute"),
        CheckConstraint("weekday >= 1 AND weekday <= 7", name="weekday"),
        CheckConstraint("opens_minute >= 0 AND closes_minute <= 1440", name="bounds"),
        CheckConstraint("opens_minute < closes_minute", name="order"),
    )

    resource_id: Mapped[uuid.UUID] = tenant_fk("shared_resource", index=False)
    weekday: Mapped[int]
    opens_minute: Mapped[int]
    closes_minute: Mapped[int]


class SharedResourceReservation(TenantScoped, Timestamped, Base):
    """A reservation (预约) of a resource by an organisation (``org_node_id``) for ``[starts_at, ends_at)``.

    ``requested`` → ``approved`` or ``rejected``; an approved one is ``completed`` once its time has
    passed; ``requested`` and ``approved`` ones may be ``cancelled``. Rejected and cancelled ones free
    their slots.
    """

    __tablename__ = "shared_resource_reservation"
    __table_args__ = (
        Index(
            "uq_shared_resource_reservation_request_key",
            "tenant_id",
            "requester_id",
            "request_key",
            unique=True,
            sqlite_where=text("request_key IS NOT NULL"),
            postgresql_where=text("request_key IS NOT NULL"),
        ),
        Index(
            "ix_shared_resource_reservation_tenant_id_status_starts_at", "tenant_id", "status", "starts_at"
        ),
        CheckConstraint(_in("status", RESERVATION_STATUSES), name="status"),
        CheckConstraint("ends_at > starts_at", name="period"),
        CheckConstraint("slot_count >= 1", name="slot_count"),
        CheckConstraint("attendees IS NULL OR attendees >= 1", name="attendees"),
    )

    resource_id: Mapped[uuid.UUID] = tenant_fk("shared_resource")
    # The requesting organisation (the scope of the requester's side).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    requester_id: Mapped[uuid.UUID] = tenant_fk("app_user", index=False)
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    slot_count: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX))
    attendees: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default=REQUESTED)
    # The client's Idempotency-Key: a retried request returns the reservation it made the first time.
    request_key: Mapped[str | None] = mapped_column(String(KEY_MAX), default=None)
    decided_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(String(PURPOSE_MAX), default=None)
    auto_approved: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    completed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SharedResourceSlot(TenantScoped, Base):
    """One booked slot of a resource: the unique key is the guarantee against double booking."""

    __tablename__ = "shared_resource_slot"
    __table_args__ = (UniqueConstraint("tenant_id", "resource_id", "slot_start"),)

    resource_id: Mapped[uuid.UUID] = tenant_fk("shared_resource", index=False)
    reservation_id: Mapped[uuid.UUID] = tenant_fk("shared_resource_reservation")
    slot_start: Mapped[dt.datetime]


class SharedResourceCatalogue(TenantScoped, Base):
    """A published version of the resource catalogue (资源清单) of an organisation's area: numbered
    1, 2, 3… per organisation, a snapshot of the open resources visible there when published."""

    __tablename__ = "shared_resource_catalogue"
    __table_args__ = (
        UniqueConstraint("tenant_id", "org_node_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(NAME_MAX))
    published_at: Mapped[dt.datetime]
    published_by: Mapped[uuid.UUID] = tenant_fk("app_user", index=False)
    resource_count: Mapped[int]


class SharedResourceCatalogueItem(TenantScoped, Base):
    """One resource as a published catalogue listed it (copied: later changes do not rewrite it)."""

    __tablename__ = "shared_resource_catalogue_item"
    __table_args__ = (UniqueConstraint("tenant_id", "catalogue_id", "position"),)

    catalogue_id: Mapped[uuid.UUID] = tenant_fk("shared_resource_catalogue", index=False)
    resource_id: Mapped[uuid.UUID] = tenant_fk("shared_resource")
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    provider_name: Mapped[str] = mapped_column(String(NAME_MAX))
    provider_kind: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX), default=None)
    visibility: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(ADDRESS_MAX))


TABLES = frozenset(
    {
        SharedResource.__tablename__,
        SharedResourceHours.__tablename__,
        SharedResourceReservation.__tablename__,
        SharedResourceSlot.__tablename__,
        SharedResourceCatalogue.__tablename__,
        SharedResourceCatalogueItem.__tablename__,
    }
)
