"""The tables of co-building agreements (组织共建联席): tenant-scoped, keys include ``tenant_id``.

An agreement (共建协议) binds an area party, a street, community or village
(``org_node_id``, which also scopes every record of the agreement) to a unit
(``unit_node_id``): a resident unit (驻区单位) or a "two new" organisation
(两新组织). Its service-list items (双向服务清单), joint activities and
meetings, and annual reviews copy the area party into their own
``org_node_id`` so they are scoped like the agreement.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

TITLE_MAX = 200
PLACE_MAX = 200
REASON_MAX = 500
LONG_TEXT_MAX = 4000

DRAFT = "draft"
ACTIVE = "active"
EXPIRED = "expired"
TERMINATED = "terminated"
AGREEMENT_STATUSES = (DRAFT, ACTIVE, EXPIRED, TERMINATED)

ITEM_KINDS = ("need", "resource")
ITEM_PARTIES = ("area", "unit")
PENDING = "pending"
IN_PROGRESS = "in_progress"
FULFILLED = "fulfilled"
CANCELLED = "cancelled"
ITEM_STATUSES = (PENDING, IN_PROGRESS, FULFILLED, CANCELLED)

ACTIVITY_KINDS = ("activity", "meeting")

REVIEW_OPEN = "open"
REVIEW_COMPLETED = "completed"
RATINGS = ("excellent", "good", "fair", "poor")


class Agreement(TenantScoped, Timestamped, Base):
    """A co-building agreement (共建协议) between a street or community and a unit, for a term.

    ``draft`` → ``active`` → ``expired`` (its end date passed) or ``terminated`` (ended early);
    a draft may also be dropped (``terminated``). At most one active agreement per pair of parties.
    """

    __tablename__ = "co_building_agreement"
    __table_args__ = (
        Index(
            "uq_co_building_agreement_active_pair",
            "tenant_id",
            "org_node_id",
            "unit_node_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_co_building_agreement_tenant_id_status_ends_on", "tenant_id", "status", "ends_on"),
        CheckConstraint("status IN ('draft', 'active', 'expired', 'terminated')", name="status"),
        CheckConstraint("ends_on >= starts_on", name="term"),
    )

    # The street, community or village party (the agreement's scope).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    # The resident unit or two-new organisation party.
    unit_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    content: Mapped[str | None] = mapped_column(Text, default=None)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    signed_on: Mapped[dt.date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    terminated_on: Mapped[dt.date | None] = mapped_column(default=None)
    termination_reason: Mapped[str | None] = mapped_column(String(REASON_MAX), default=None)


class ServiceItem(TenantScoped, Timestamped, Base):
    """One item of the two-way service list (双向服务清单): a need (需求) or a resource (资源),
    stated by either party (``area`` or ``unit``), with its fulfilment (履约)."""

    __tablename__ = "co_building_service_item"
    __table_args__ = (
        CheckConstraint("kind IN ('need', 'resource')", name="kind"),
        CheckConstraint("party IN ('area', 'unit')", name="party"),
        CheckConstraint("status IN ('pending', 'in_progress', 'fulfilled', 'cancelled')", name="status"),
    )

    agreement_id: Mapped[uuid.UUID] = tenant_fk("co_building_agreement")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    detail: Mapped[str | None] = mapped_column(Text, default=None)
    due_on: Mapped[dt.date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    fulfilled_on: Mapped[dt.date | None] = mapped_column(default=None)
    fulfilment_note: Mapped[str | None] = mapped_column(Text, default=None)


class Activity(TenantScoped, Timestamped, Base):
    """A joint activity (共建活动) or joint meeting (联席会议) held under an agreement."""

    __tablename__ = "co_building_activity"
    __table_args__ = (
        Index(
            "ix_co_building_activity_tenant_id_agreement_id_held_on", "tenant_id", "agreement_id", "held_on"
        ),
        CheckConstraint("kind IN ('activity', 'meeting')", name="kind"),
        CheckConstraint("participants >= 0", name="participants"),
    )

    agreement_id: Mapped[uuid.UUID] = tenant_fk("co_building_agreement", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    held_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(String(PLACE_MAX))
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    participants: Mapped[int]
    content: Mapped[str] = mapped_column(Text)


class Review(TenantScoped, Timestamped, Base):
    """The annual fulfilment review (年度履约评议) of one agreement for one year."""

    __tablename__ = "co_building_review"
    __table_args__ = (
        UniqueConstraint("tenant_id", "agreement_id", "year"),
        CheckConstraint("status IN ('open', 'completed')", name="status"),
        CheckConstraint("rating IS NULL OR rating IN ('excellent', 'good', 'fair', 'poor')", name="rating"),
    )

    agreement_id: Mapped[uuid.UUID] = tenant_fk("co_building_agreement", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    year: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=REVIEW_OPEN)
    items_total: Mapped[int | None] = mapped_column(default=None)
    items_fulfilled: Mapped[int | None] = mapped_column(default=None)
    fulfilment_rate: Mapped[float | None] = mapped_column(Float, default=None)
    rating: Mapped[str | None] = mapped_column(String(20), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    completed_on: Mapped[dt.date | None] = mapped_column(default=None)


TABLES = frozenset(
    {
        Agreement.__tablename__,
        ServiceItem.__tablename__,
        Activity.__tablename__,
        Review.__tablename__,
    }
)
