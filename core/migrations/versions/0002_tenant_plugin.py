"""Per-district plugin enablement and configuration

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-27 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_plugin",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("config", sa_types.JSONDocument(), nullable=False),
        sa.Column("enabled_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("changed_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_tenant_plugin_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "slug", name=op.f("pk_tenant_plugin")),
    )


def downgrade() -> None:
    op.drop_table("tenant_plugin")
