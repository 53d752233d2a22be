"""Password history (no reuse of a district's last N passwords); every password gets a change date

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-11-27 12:30:00.000000

Accounts that have a password but no change date (set before the maximum age existed) are dated
now, so the 90-day clock starts at the upgrade instead of expiring every old password at once.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0008"
down_revision = "core_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_history",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_password_history_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_password_history_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_password_history")),
    )
    op.create_index(
        "ix_password_history_tenant_id_user_id", "password_history", ["tenant_id", "user_id"], unique=False
    )
    enable_tenant_rls(op, "password_history")
    app_user = sa.table(
        "app_user",
        sa.column("password_hash", sa.String()),
        sa.column("password_changed_at", sa_types.DateTimeUTC(timezone=True)),
    )
    op.execute(
        sa.update(app_user)
        .where(app_user.c.password_changed_at.is_(None), app_user.c.password_hash.is_not(None))
        .values(password_changed_at=dt.datetime.now(dt.UTC))
    )


def downgrade() -> None:
    disable_tenant_rls(op, "password_history")
    op.drop_index("ix_password_history_tenant_id_user_id", table_name="password_history")
    op.drop_table("password_history")
