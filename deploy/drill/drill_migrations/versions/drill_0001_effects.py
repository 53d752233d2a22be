"""drill: one row per completed drill job

Revision ID: drill_0001
Revises:
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls
from core.db import migration_types as sa_types

revision = "drill_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_effect",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_key", sa.String(length=64), nullable=False),
        sa.Column("worker_pid", sa.Integer(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_drill_effect_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_drill_effect")),
    )
    op.create_index(
        "ix_drill_effect_tenant_id_job_key", "drill_effect", ["tenant_id", "job_key"], unique=False
    )
    enable_tenant_rls(op, "drill_effect")


def downgrade() -> None:
    disable_tenant_rls(op, "drill_effect")
    op.drop_table("drill_effect")
