"""The tables of the spark plan (星火计划联育): tenant-scoped, keys include ``tenant_id``.

An emerging field (新兴领域) belongs to an organisation node (normally the district); its
candidates (培育对象) are organisations of that node's subtree moving through the stages
nominated → cultivating → assessed → benchmark or dropped, each move kept in the history. A
candidate has at most one cultivation plan (培育计划) with milestones and mentors; standards
(党建工作标准) of a field cite the benchmark candidates they were drawn from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 100
CODE_MAX = 40
TITLE_MAX = 200
REASON_MAX = 1000
LONG_TEXT_MAX = 4000
ROLE_MAX = 50
ITEM_TEXT_MAX = 500
ITEMS_MAX = 100

STAGES = ("nominated", "cultivating", "assessed", "benchmark", "dropped")
FIELD_STATUSES = ("active", "archived")
STANDARD_STATUSES = ("draft", "published")


class SparkField(TenantScoped, Timestamped, Base):
    """An emerging field (新兴领域), e.g. the internet sector or commercial buildings."""

    __tablename__ = "spark_field"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("status IN ('active', 'archived')", name="status"),
    )

    # The organisation whose subtree the field cultivates (the district unless a street runs its own).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    code: Mapped[str] = mapped_column(String(CODE_MAX))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="active")


class SparkCandidate(TenantScoped, Timestamped, Base):
    """A candidate (培育对象): an organisation of a field being cultivated towards a benchmark (示范标杆).

    One organisation is a candidate of a field at most once while it is not dropped (a partial
    unique index); a dropped candidate may be nominated again later.
    """

    __tablename__ = "spark_candidate"
    __table_args__ = (
        Index(
            "uq_spark_candidate_tenant_id_field_id_org_node_id_active",
            "tenant_id",
            "field_id",
            "org_node_id",
            unique=True,
            sqlite_where=text("stage <> 'dropped'"),
            postgresql_where=text("stage <> 'dropped'"),
        ),
        Index("ix_spark_candidate_tenant_id_field_id_stage", "tenant_id", "field_id", "stage"),
        CheckConstraint(
            "stage IN ('nominated', 'cultivating', 'assessed', 'benchmark', 'dropped')", name="stage"
        ),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score"),
    )

    field_id: Mapped[uuid.UUID] = tenant_fk("spark_field", index=False)
    # The organisation cultivated (a two-new organisation by default): the candidate's scope.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    stage: Mapped[str] = mapped_column(String(20), default="nominated")
    nominated_on: Mapped[dt.date]
    nominated_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    # The assessment (评估) recorded when the candidate moved to ``assessed``.
    score: Mapped[float | None] = mapped_column(Float, default=None)
    assessment: Mapped[str | None] = mapped_column(Text, default=None)
    assessed_on: Mapped[dt.date | None] = mapped_column(default=None)
    stage_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SparkTransition(TenantScoped, Base):
    """One move of a candidate between stages, with who, when and why (append-only)."""

    __tablename__ = "spark_transition"
    __table_args__ = (
        Index("ix_spark_transition_tenant_id_candidate_id_at", "tenant_id", "candidate_id", "at"),
        CheckConstraint(
            "to_stage IN ('nominated', 'cultivating', 'assessed', 'benchmark', 'dropped')", name="to_stage"
        ),
    )

    candidate_id: Mapped[uuid.UUID] = tenant_fk("spark_candidate", index=False)
    from_stage: Mapped[str | None] = mapped_column(String(20), default=None)
    to_stage: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    # The actor's name as it was (a job or the demo has none).
    actor_name: Mapped[str | None] = mapped_column(String(NAME_MAX), default=None)
    at: Mapped[dt.datetime]


class SparkPlan(TenantScoped, Timestamped, Base):
    """A candidate's cultivation plan (培育计划): goals and a period; milestones and mentors hang on it."""

    __tablename__ = "spark_plan"
    __table_args__ = (
        UniqueConstraint("tenant_id", "candidate_id"),
        CheckConstraint("ends_on >= starts_on", name="period"),
    )

    candidate_id: Mapped[uuid.UUID] = tenant_fk("spark_candidate", index=False)
    # The candidate's organisation, copied for scoping.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    goals: Mapped[str | None] = mapped_column(Text, default=None)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]


class SparkMilestone(TenantScoped, Timestamped, Base):
    """A milestone (节点任务) of a plan, due on a date and done on another."""

    __tablename__ = "spark_milestone"
    __table_args__ = (Index("ix_spark_milestone_tenant_id_plan_id_due_on", "tenant_id", "plan_id", "due_on"),)

    plan_id: Mapped[uuid.UUID] = tenant_fk("spark_plan", index=False)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    due_on: Mapped[dt.date]
    done_on: Mapped[dt.date | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class SparkMentor(TenantScoped, Timestamped, Base):
    """A mentor (培育导师/联系人) of a plan: a person of the district."""

    __tablename__ = "spark_mentor"
    __table_args__ = (UniqueConstraint("tenant_id", "plan_id", "person_id"),)

    plan_id: Mapped[uuid.UUID] = tenant_fk("spark_plan", index=False)
    person_id: Mapped[uuid.UUID] = tenant_fk("person")
    role: Mapped[str | None] = mapped_column(String(ROLE_MAX), default=None)


class SparkStandard(TenantScoped, Timestamped, Base):
    """A field's party-building standard (党建工作标准) drawn from its benchmarks: text and checklist."""

    __tablename__ = "spark_standard"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="status"),)

    field_id: Mapped[uuid.UUID] = tenant_fk("spark_field")
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str | None] = mapped_column(Text, default=None)
    # The checklist: a list of item texts, in order.
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    published_on: Mapped[dt.date | None] = mapped_column(default=None)


class SparkStandardSource(TenantScoped, Base):
    """A benchmark candidate a standard cites as its source."""

    __tablename__ = "spark_standard_source"
    __table_args__ = (UniqueConstraint("tenant_id", "standard_id", "candidate_id"),)

    standard_id: Mapped[uuid.UUID] = tenant_fk("spark_standard", index=False)
    candidate_id: Mapped[uuid.UUID] = tenant_fk("spark_candidate")


TABLES = frozenset(
    {
        SparkField.__tablename__,
        SparkCandidate.__tablename__,
        SparkTransition.__tablename__,
        SparkPlan.__tablename__,
        SparkMilestone.__tablename__,
        SparkMentor.__tablename__,
        SparkStandard.__tablename__,
        SparkStandardSource.__tablename__,
    }
)
