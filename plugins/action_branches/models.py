"""The tables of action branches (行动支部联组): tenant-scoped, keys include ``tenant_id``.

An action branch (行动支部) is a functional branch formed by shared cause, interest, trade or place
(志缘/趣缘/业缘/地缘). Each branch is a node of kind ``action_branch`` in the organisation tree, placed
under its host organisation, so it is scoped like everything else (a grant on the host covers it).
Its members are core affiliations (``Affiliation`` of kind ``action_branch`` to the branch's node):
membership never touches anyone's formal organisational relation (组织关系). Actions (活动) and the
hours each participant gave are this plugin's own rows.
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
LONG_TEXT_MAX = 4000

BRANCH_KINDS = ("cause", "interest", "trade", "place")
BRANCH_STATUSES = ("active", "dissolved")


class ActionBranch(TenantScoped, Timestamped, Base):
    """An action branch: its kind, leader, place and status. Its node (``org_node_id``, kind
    ``action_branch``) sits under the host organisation and carries the branch's scope."""

    __tablename__ = "action_branch"
    __table_args__ = (
        UniqueConstraint("tenant_id", "org_node_id"),
        Index("ix_action_branch_tenant_id_kind_status", "tenant_id", "kind", "status"),
        CheckConstraint("kind IN ('cause', 'interest', 'trade', 'place')", name="kind"),
        CheckConstraint("status IN ('active', 'dissolved')", name="status"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude"),
    )

    # The branch's own node (kind ``action_branch``), a child of the host organisation.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node", index=False)
    host_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    leader_person_id: Mapped[uuid.UUID] = tenant_fk("person")
    description: Mapped[str | None] = mapped_column(Text, default=None)
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX), default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    founded_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20), default="active")
    dissolved_on: Mapped[dt.date | None] = mapped_column(default=None)


class ActionBranchAction(TenantScoped, Timestamped, Base):
    """An action (活动) of a branch: date, title, place, description."""

    __tablename__ = "action_branch_action"
    __table_args__ = (
        Index("ix_action_branch_action_tenant_id_branch_id_held_on", "tenant_id", "branch_id", "held_on"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude"),
    )

    branch_id: Mapped[uuid.UUID] = tenant_fk("action_branch", index=False)
    # The branch's node, copied for scoping.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    held_on: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    place: Mapped[str | None] = mapped_column(String(PLACE_MAX), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)


class ActionBranchParticipation(TenantScoped, Timestamped, Base):
    """One person's part in an action, with the hours given (志愿服务时长)."""

    __tablename__ = "action_branch_participation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "action_id", "person_id"),
        CheckConstraint("hours >= 0 AND hours <= 24", name="hours"),
    )

    action_id: Mapped[uuid.UUID] = tenant_fk("action_branch_action", index=False)
    person_id: Mapped[uuid.UUID] = tenant_fk("person")
    hours: Mapped[float] = mapped_column(Float)
    # Whether the person was a member of the branch when the hours were recorded.
    member: Mapped[bool] = mapped_column(default=True)


TABLES = frozenset(
    {
        ActionBranch.__tablename__,
        ActionBranchAction.__tablename__,
        ActionBranchParticipation.__tablename__,
    }
)
