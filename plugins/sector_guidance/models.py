"""The tables of sector–area collaboration (条块横向联手): tenant-scoped, keys include ``tenant_id``.

A sector (行业) is led by a sector department (行业主管部门) node of the tree;
its member organisations sit wherever they are in the tree (under streets
and communities). Records about one organisation of a sector (assessments,
visits) carry both: the department through the sector, the organisation in
``org_node_id``, so the sector (条) and the area (块) can each see them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 100
CODE_MAX = 40
TITLE_MAX = 200
ITEM_TEXT_MAX = 500
LONG_TEXT_MAX = 4000
VISITOR_MAX = 100
CYCLE_MAX = 10
WEIGHT_MAX = 100
ITEMS_MAX = 100

SECTOR_STATUSES = ("active", "archived")
STANDARD_STATUSES = ("draft", "published", "retired")
ASSESSMENT_STATUSES = ("due", "in_progress", "submitted")


class Sector(TenantScoped, Timestamped, Base):
    """A sector (行业), e.g. private schools, led by a sector department carrying "one shoulder,
    two duties" (一肩挑两责): its business and the party building of its organisations."""

    __tablename__ = "sector"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("status IN ('active', 'archived')", name="status"),
    )

    # The sector department (kind ``sector_department``) that leads the sector: the sector's scope.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")


class SectorMember(TenantScoped, Timestamped, Base):
    """An organisation under a sector's guidance (行业管理的组织): an enterprise, a social
    organisation, a private school's branch..."""

    __tablename__ = "sector_member"
    __table_args__ = (UniqueConstraint("tenant_id", "sector_id", "org_node_id"),)

    sector_id: Mapped[uuid.UUID] = tenant_fk("sector", index=False)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    joined_on: Mapped[dt.date]


class SectorStandard(TenantScoped, Timestamped, Base):
    """One version of a sector's party-building standard (行业党建标准): a weighted checklist.

    Versions count 1, 2, 3... per sector; a draft is edited, then published (retiring the
    version published before it); at most one draft and one published version per sector.
    """

    __tablename__ = "sector_standard"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sector_id", "version"),
        Index(
            "uq_sector_standard_tenant_id_sector_id_published",
            "tenant_id",
            "sector_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
        Index(
            "uq_sector_standard_tenant_id_sector_id_draft",
            "tenant_id",
            "sector_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)", name="pass_mark"),
    )

    sector_id: Mapped[uuid.UUID] = tenant_fk("sector", index=False)
    # The sector's department, copied for scoping (a standard is the sector's guidance).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    # Overrides the district's pass mark (the plugin's configuration) when set.
    pass_mark: Mapped[int | None] = mapped_column(default=None)
    published_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SectorStandardItem(TenantScoped, Timestamped, Base):
    """One checklist item (考核条目) of a standard, with its weight (分值)."""

    __tablename__ = "sector_standard_item"
    __table_args__ = (
        UniqueConstraint("tenant_id", "standard_id", "position"),
        CheckConstraint(f"weight >= 1 AND weight <= {WEIGHT_MAX}", name="weight"),
    )

    standard_id: Mapped[uuid.UUID] = tenant_fk("sector_standard", index=False)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(ITEM_TEXT_MAX))
    weight: Mapped[int]
    guidance: Mapped[str | None] = mapped_column(Text, default=None)


class SectorAssessment(TenantScoped, Timestamped, Base):
    """An assessment (达标评估) of one member organisation against its sector's standard for one cycle.

    ``due`` (opened by the cycle job) → ``in_progress`` (started by an assessor) → ``submitted``
    (score and pass fixed). One per organisation, sector and cycle, whatever the standard's
    version: publishing a new version mid-cycle does not open a second one.
    """

    __tablename__ = "sector_assessment"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sector_id", "org_node_id", "cycle"),
        Index("ix_sector_assessment_tenant_id_cycle_status", "tenant_id", "cycle", "status"),
        CheckConstraint("status IN ('due', 'in_progress', 'submitted')", name="status"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
    )

    standard_id: Mapped[uuid.UUID] = tenant_fk("sector_standard")
    sector_id: Mapped[uuid.UUID] = tenant_fk("sector", index=False)
    # The assessed organisation (a member of the sector).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    cycle: Mapped[str] = mapped_column(String(CYCLE_MAX))
    status: Mapped[str] = mapped_column(String(20), default="due")
    score: Mapped[float | None] = mapped_column(Float, default=None)
    passed: Mapped[bool | None] = mapped_column(default=None)
    # The mark the score was judged against when submitted (the district may change it later).
    pass_mark: Mapped[int | None] = mapped_column(default=None)
    assessor_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SectorAssessmentResult(TenantScoped, Timestamped, Base):
    """The answer to one checklist item in an assessment: met or not, with its evidence (佐证材料)."""

    __tablename__ = "sector_assessment_result"
    __table_args__ = (UniqueConstraint("tenant_id", "assessment_id", "item_id"),)

    assessment_id: Mapped[uuid.UUID] = tenant_fk("sector_assessment", index=False)
    item_id: Mapped[uuid.UUID] = tenant_fk("sector_standard_item")
    met: Mapped[bool]
    evidence: Mapped[str | None] = mapped_column(Text, default=None)


class SectorGuidanceVisit(TenantScoped, Timestamped, Base):
    """A guidance visit (指导走访) of a sector department to one of its organisations."""

    __tablename__ = "sector_guidance_visit"
    __table_args__ = (
        Index(
            "ix_sector_guidance_visit_tenant_id_sector_id_visited_on", "tenant_id", "sector_id", "visited_on"
        ),
    )

    sector_id: Mapped[uuid.UUID] = tenant_fk("sector", index=False)
    # The visited organisation (a member of the sector).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    visited_on: Mapped[dt.date]
    visitor: Mapped[str] = mapped_column(String(VISITOR_MAX))
    topics: Mapped[str] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text, default=None)
    follow_up: Mapped[str | None] = mapped_column(Text, default=None)


TABLES = frozenset(
    {
        Sector.__tablename__,
        SectorMember.__tablename__,
        SectorStandard.__tablename__,
        SectorStandardItem.__tablename__,
        SectorAssessment.__tablename__,
        SectorAssessmentResult.__tablename__,
        SectorGuidanceVisit.__tablename__,
    }
)
