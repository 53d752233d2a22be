"""The tables of demonstration zones (示范片区联建, the "1+X" wild-goose formation 雁阵工作法).

A zone (示范片区) has one lead organisation (the "1", 领头雁: a renowned community or the
organisation of a renowned secretary) and a lead secretary, a non-establishment joint committee
(非建制联合党委) that is a node of kind ``joint_committee`` in the organisation tree, and member
organisations (the "X"). Every row carries the joint committee's node in ``org_node_id``: that
node scopes the zone and everything recorded about it (so the lead community, its street and the
district see it).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 100
TITLE_MAX = 200
PLACE_MAX = 200
REVIEWER_MAX = 50
LONG_TEXT_MAX = 4000

ZONE_ACTIVE = "active"
ZONE_SUSPENDED = "suspended"
ZONE_DISSOLVED = "dissolved"
ZONE_STATUSES = (ZONE_ACTIVE, ZONE_SUSPENDED, ZONE_DISSOLVED)
RATINGS = ("excellent", "good", "fair", "poor")


class Zone(TenantScoped, Timestamped, Base):
    """A demonstration zone (示范片区): "1" lead organisation radiating to "X" member organisations.

    ``active`` ⇄ ``suspended`` (整改), either → ``dissolved`` (final). Its joint committee node
    (``org_node_id``) stays in the tree whatever becomes of the zone or the plugin.
    """

    __tablename__ = "model_zone"
    __table_args__ = (
        UniqueConstraint("tenant_id", "org_node_id"),
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("status IN ('active', 'suspended', 'dissolved')", name="status"),
    )

    # The joint committee (非建制联合党委, kind ``joint_committee``): the zone's place in the tree.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node", index=False)
    # The lead organisation (领头雁), the "1".
    lead_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    # The lead secretary (名书记), a person of the district.
    lead_person_id: Mapped[uuid.UUID] = tenant_fk("person")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    established_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default=ZONE_ACTIVE)
    dissolved_on: Mapped[dt.date | None] = mapped_column(default=None)


class ZoneMember(TenantScoped, Timestamped, Base):
    """A member organisation (the "X") of a zone: a community, resident unit, two-new organisation..."""

    __tablename__ = "model_zone_member"
    __table_args__ = (UniqueConstraint("tenant_id", "zone_id", "member_node_id"),)

    zone_id: Mapped[uuid.UUID] = tenant_fk("model_zone", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    member_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    joined_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)


class ZoneActivity(TenantScoped, Timestamped, Base):
    """A shared activity (活动联办) of a zone: when, where, which organisations, how many took part."""

    __tablename__ = "model_zone_activity"
    __table_args__ = (
        Index("ix_model_zone_activity_tenant_id_zone_id_held_on", "tenant_id", "zone_id", "held_on"),
        CheckConstraint("participants >= 0", name="participants"),
    )

    zone_id: Mapped[uuid.UUID] = tenant_fk("model_zone", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    held_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(String(PLACE_MAX))
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    participants: Mapped[int]
    description: Mapped[str | None] = mapped_column(Text, default=None)


class ZoneActivityOrganisation(TenantScoped, Base):
    """An organisation taking part in a shared activity (the lead organisation or a member)."""

    __tablename__ = "model_zone_activity_org"
    __table_args__ = (UniqueConstraint("tenant_id", "activity_id", "member_node_id"),)

    activity_id: Mapped[uuid.UUID] = tenant_fk("model_zone_activity", index=False)
    member_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")


class ZoneExperience(TenantScoped, Timestamped, Base):
    """An experience (经验做法) the zone exported: title, summary, its document (an attachment)."""

    __tablename__ = "model_zone_experience"

    zone_id: Mapped[uuid.UUID] = tenant_fk("model_zone")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(Text)
    exported_on: Mapped[dt.date]


class ZoneAdoption(TenantScoped, Timestamped, Base):
    """An organisation that adopted an exported experience (经验输出: where it was taken up)."""

    __tablename__ = "model_zone_adoption"
    __table_args__ = (UniqueConstraint("tenant_id", "experience_id", "adopter_node_id"),)

    experience_id: Mapped[uuid.UUID] = tenant_fk("model_zone_experience", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    adopter_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    adopted_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)


class ZoneReview(TenantScoped, Timestamped, Base):
    """A periodic review (片区评估) of a zone: rating and findings."""

    __tablename__ = "model_zone_review"
    __table_args__ = (
        UniqueConstraint("tenant_id", "zone_id", "reviewed_on"),
        CheckConstraint("rating IN ('excellent', 'good', 'fair', 'poor')", name="rating"),
    )

    zone_id: Mapped[uuid.UUID] = tenant_fk("model_zone", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    reviewed_on: Mapped[dt.date]
    reviewer: Mapped[str] = mapped_column(String(REVIEWER_MAX))
    rating: Mapped[str] = mapped_column(String(20))
    findings: Mapped[str] = mapped_column(Text)


TABLES = frozenset(
    {
        Zone.__tablename__,
        ZoneMember.__tablename__,
        ZoneActivity.__tablename__,
        ZoneActivityOrganisation.__tablename__,
        ZoneExperience.__tablename__,
        ZoneAdoption.__tablename__,
        ZoneReview.__tablename__,
    }
)
