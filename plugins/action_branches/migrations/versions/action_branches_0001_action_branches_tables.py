"""action_branches: branches, their actions and the hours of each participant

Revision ID: action_branches_0001
Revises:
Create Date: 2026-11-27 07:48:07.542648
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "action_branches_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("action_branch", "action_branch_action", "action_branch_participation")


def upgrade() -> None:
    op.create_table(
        "action_branch",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("host_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader_person_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dissolved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('cause', 'interest', 'trade', 'place')", name=op.f("ck_action_branch_kind")
        ),
        sa.CheckConstraint("status IN ('active', 'dissolved')", name=op.f("ck_action_branch_status")),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name=op.f("ck_action_branch_latitude")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name=op.f("ck_action_branch_longitude"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "host_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_action_branch_tenant_id_host_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "leader_person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_action_branch_tenant_id_leader_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_action_branch_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_action_branch_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_action_branch")),
        sa.UniqueConstraint("tenant_id", "org_node_id", name=op.f("uq_action_branch_tenant_id_org_node_id")),
    )
    op.create_index(
        "ix_action_branch_tenant_id_host_node_id",
        "action_branch",
        ["tenant_id", "host_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_action_branch_tenant_id_kind_status",
        "action_branch",
        ["tenant_id", "kind", "status"],
        unique=False,
    )
    op.create_index(
        "ix_action_branch_tenant_id_leader_person_id",
        "action_branch",
        ["tenant_id", "leader_person_id"],
        unique=False,
    )

    op.create_table(
        "action_branch_action",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
            name=op.f("ck_action_branch_action_latitude"),
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
            name=op.f("ck_action_branch_action_longitude"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "branch_id"],
            ["action_branch.tenant_id", "action_branch.id"],
            name=op.f("fk_action_branch_action_tenant_id_branch_id_action_branch"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_action_branch_action_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_action_branch_action_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_action_branch_action")),
    )
    op.create_index(
        "ix_action_branch_action_tenant_id_branch_id_held_on",
        "action_branch_action",
        ["tenant_id", "branch_id", "held_on"],
        unique=False,
    )
    op.create_index(
        "ix_action_branch_action_tenant_id_org_node_id",
        "action_branch_action",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "action_branch_participation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("member", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours >= 0 AND hours <= 24", name=op.f("ck_action_branch_participation_hours")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "action_id"],
            ["action_branch_action.tenant_id", "action_branch_action.id"],
            name=op.f("fk_action_branch_participation_tenant_id_action_id_action_branch_action"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_action_branch_participation_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_action_branch_participation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_action_branch_participation")),
        sa.UniqueConstraint(
            "tenant_id",
            "action_id",
            "person_id",
            name=op.f("uq_action_branch_participation_tenant_id_action_id_person_id"),
        ),
    )
    op.create_index(
        "ix_action_branch_participation_tenant_id_person_id",
        "action_branch_participation",
        ["tenant_id", "person_id"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index(
        "ix_action_branch_participation_tenant_id_person_id", table_name="action_branch_participation"
    )

    op.drop_table("action_branch_participation")
    op.drop_index("ix_action_branch_action_tenant_id_org_node_id", table_name="action_branch_action")
    op.drop_index("ix_action_branch_action_tenant_id_branch_id_held_on", table_name="action_branch_action")

    op.drop_table("action_branch_action")
    op.drop_index("ix_action_branch_tenant_id_leader_person_id", table_name="action_branch")
    op.drop_index("ix_action_branch_tenant_id_kind_status", table_name="action_branch")
    op.drop_index("ix_action_branch_tenant_id_host_node_id", table_name="action_branch")

    op.drop_table("action_branch")
