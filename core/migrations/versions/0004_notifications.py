"""In-app notifications

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-27 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("org_node_id", sa.Uuid(), nullable=True),
        sa.Column("read_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_notification_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_notification_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_notification_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification")),
    )
    op.create_index(
        "ix_notification_tenant_id_org_node_id", "notification", ["tenant_id", "org_node_id"], unique=False
    )
    op.create_index(
        "ix_notification_tenant_id_user_id_read_at_created_at",
        "notification",
        ["tenant_id", "user_id", "read_at", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_notification_tenant_id_user_id_dedupe_key",
        "notification",
        ["tenant_id", "user_id", "dedupe_key"],
        unique=True,
        sqlite_where=sa.text("dedupe_key IS NOT NULL"),
        postgresql_where=sa.text("dedupe_key IS NOT NULL"),
    )
    enable_tenant_rls(op, "notification")


def downgrade() -> None:
    disable_tenant_rls(op, "notification")
    op.drop_table("notification")
