"""The tables of projects for the people (为民项目联认): tenant-scoped, keys include ``tenant_id``.

A resident need (民生需求) arises at an organisation of the tree (a community, a grid's branch...);
residents back it (supporters, each person once). A project (为民项目) answers a need, or is raised
directly, and belongs to an organisation: its scope. Organisations and members claim (认领) it
with commitments; the project's capacity (how many may claim, how much money it needs) is kept by
counters on the project row, changed only by one conditional ``UPDATE`` per claim, so concurrent
claims can never exceed it (the database decides, not a check before an insert).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk

TITLE_MAX = 200
LONG_TEXT_MAX = 4000
CODE_MAX = 40
NOTE_MAX = 500
PLACE_MAX = 200
KEY_MAX = 100
# A project's money is counted in fen (分); ten billion yuan is more than any district project.
MONEY_MAX = 1_000_000_000_000
LABOUR_MAX = 1_000_000

NEED_SOURCES = ("door_to_door", "hotline", "grid_worker", "online", "meeting", "other")
NEED_STATUSES = ("open", "converted", "closed")
PROJECT_STATUSES = ("draft", "published", "claimed", "in_progress", "completed", "evaluated", "cancelled")
COMMITMENTS = ("money", "labour", "material")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Need(TenantScoped, Timestamped, Base):
    """A residents' need (民生需求) collected at an organisation: by a door-to-door visit, the hotline,
    a grid worker, online or at a meeting."""

    __tablename__ = "people_need"
    __table_args__ = (
        Index("ix_people_need_tenant_id_status", "tenant_id", "status"),
        CheckConstraint(_in("source", NEED_SOURCES), name="source"),
        CheckConstraint(_in("status", NEED_STATUSES), name="status"),
    )

    # Where the need arose: the need's scope.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    source: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(CODE_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text)
    # The resident who raised it, when on the roll.
    raised_by_person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True, index=False)
    # The account that recorded it: told when the need becomes a project.
    created_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    status: Mapped[str] = mapped_column(String(20), default="open")
    supporter_count: Mapped[int] = mapped_column(default=0)


class NeedSupporter(TenantScoped, Timestamped, Base):
    """A resident or member backing a need (附议): each person once per need."""

    __tablename__ = "people_need_supporter"
    __table_args__ = (UniqueConstraint("tenant_id", "need_id", "person_id"),)

    need_id: Mapped[uuid.UUID] = tenant_fk("people_need", index=False)
    person_id: Mapped[uuid.UUID] = tenant_fk("person")


class Project(TenantScoped, Timestamped, Base):
    """A project for the people (为民项目): draft → published → claimed → in progress → completed →
    evaluated (or cancelled before work starts).

    ``max_claimants`` (e.g. 1: one lead claimant) and ``target_fen`` (money needed) bound the claims;
    ``claim_count`` and ``committed_fen`` count them and are changed only by the claim's conditional
    update, which the check constraints back.
    """

    __tablename__ = "people_project"
    __table_args__ = (
        UniqueConstraint("tenant_id", "need_id"),
        Index("ix_people_project_tenant_id_status", "tenant_id", "status"),
        Index("ix_people_project_tenant_id_published_on", "tenant_id", "published_on"),
        CheckConstraint(_in("status", PROJECT_STATUSES), name="status"),
        CheckConstraint("max_claimants IS NULL OR max_claimants >= 1", name="max_claimants"),
        CheckConstraint("target_fen IS NULL OR target_fen >= 1", name="target_fen"),
        CheckConstraint(
            "claim_count >= 0 AND (max_claimants IS NULL OR claim_count <= max_claimants)", name="claim_count"
        ),
        CheckConstraint(
            "committed_fen >= 0 AND (target_fen IS NULL OR committed_fen <= target_fen)", name="committed_fen"
        ),
        CheckConstraint("delivered_fen >= 0 AND delivered_fen <= committed_fen", name="delivered_fen"),
        CheckConstraint("progress_percent >= 0 AND progress_percent <= 100", name="progress_percent"),
    )

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    need_id: Mapped[uuid.UUID | None] = tenant_fk("people_need", nullable=True, index=False)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(CODE_MAX))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    max_claimants: Mapped[int | None] = mapped_column(default=None)
    target_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    claim_count: Mapped[int] = mapped_column(default=0)
    committed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_percent: Mapped[int] = mapped_column(default=0)
    last_progress_on: Mapped[dt.date | None] = mapped_column(default=None)
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX), default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    # District dates of the steps (the year of ``published_on`` is the project's year in the figures).
    published_on: Mapped[dt.date | None] = mapped_column(default=None)
    started_on: Mapped[dt.date | None] = mapped_column(default=None)
    completed_on: Mapped[dt.date | None] = mapped_column(default=None)
    # The day the stale-progress job last flagged the project (once per quiet spell).
    stale_flagged_on: Mapped[dt.date | None] = mapped_column(default=None)
    created_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)


class ProjectTransition(TenantScoped, Base):
    """One step of a project's life: from which status to which, who made it and when."""

    __tablename__ = "people_project_transition"
    __table_args__ = (
        Index("ix_people_project_transition_tenant_id_project_id_at", "tenant_id", "project_id", "at"),
    )

    project_id: Mapped[uuid.UUID] = tenant_fk("people_project", index=False)
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX), default=None)


class Claim(TenantScoped, Timestamped, Base):
    """A claim (认领) of a project by an organisation or a member, with its commitment: money (fen),
    labour (person-hours) or material (description and estimated value in fen)."""

    __tablename__ = "people_project_claim"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "project_id", "claimant_org_node_id", name="uq_people_project_claim_org_claimant"
        ),
        UniqueConstraint(
            "tenant_id", "project_id", "claimant_person_id", name="uq_people_project_claim_person_claimant"
        ),
        UniqueConstraint("tenant_id", "project_id", "idempotency_key"),
        Index("ix_people_project_claim_tenant_id_claimed_on", "tenant_id", "claimed_on"),
        CheckConstraint(
            "(claimant_org_node_id IS NULL) <> (claimant_person_id IS NULL)", name="one_claimant"
        ),
        CheckConstraint(_in("commitment", COMMITMENTS), name="commitment"),
        CheckConstraint(
            "(commitment = 'money' AND money_fen >= 1)"
            " OR (commitment = 'labour' AND labour_hours >= 1)"
            " OR (commitment = 'material' AND material_value_fen >= 0)",
            name="amount",
        ),
        CheckConstraint("money_fen >= 0 AND delivered_fen >= 0 AND delivered_fen <= money_fen", name="money"),
    )

    project_id: Mapped[uuid.UUID] = tenant_fk("people_project", index=False)
    claimant_org_node_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)
    claimant_person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True)
    commitment: Mapped[str] = mapped_column(String(20))
    money_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    labour_hours: Mapped[int] = mapped_column(default=0)
    material_description: Mapped[str | None] = mapped_column(String(NOTE_MAX), default=None)
    material_value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    claimed_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(KEY_MAX), default=None)
    created_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)


class ProgressUpdate(TenantScoped, Timestamped, Base):
    """A progress report (进展) of a project in progress: the percent never goes down."""

    __tablename__ = "people_project_progress"
    __table_args__ = (
        Index(
            "ix_people_project_progress_tenant_id_project_id_reported_on",
            "tenant_id",
            "project_id",
            "reported_on",
        ),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent"),
    )

    project_id: Mapped[uuid.UUID] = tenant_fk("people_project", index=False)
    # The project's organisation, copied for scoping (the update's photos are reached like the project).
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    reported_on: Mapped[dt.date]
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int]
    created_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)


class Evaluation(TenantScoped, Timestamped, Base):
    """A resident's evaluation (群众评议) of a completed project: 1–5 stars, once per person."""

    __tablename__ = "people_project_evaluation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "project_id", "person_id"),
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars"),
    )

    project_id: Mapped[uuid.UUID] = tenant_fk("people_project", index=False)
    person_id: Mapped[uuid.UUID] = tenant_fk("person")
    stars: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    evaluated_on: Mapped[dt.date]
    created_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)


TABLES = frozenset(
    {
        Need.__tablename__,
        NeedSupporter.__tablename__,
        Project.__tablename__,
        ProjectTransition.__tablename__,
        Claim.__tablename__,
        ProgressUpdate.__tablename__,
        Evaluation.__tablename__,
    }
)
