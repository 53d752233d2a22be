"""Second factor: users' TOTP secret and state, their one-time recovery codes

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0010"
down_revision = "core_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa_types.DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_counter", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("totp_challenge_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_challenge_expires_at", sa_types.DateTimeUTC(timezone=True), nullable=True)
        )
    op.create_table(
        "recovery_code",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_recovery_code_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_recovery_code_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "code_hash", name=op.f("uq_recovery_code_tenant_id_user_id_code_hash")
        ),
    )
    enable_tenant_rls(op, "recovery_code")


def downgrade() -> None:
    disable_tenant_rls(op, "recovery_code")
    op.drop_table("recovery_code")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("totp_challenge_expires_at")
        batch_op.drop_column("totp_challenge_hash")
        batch_op.drop_column("totp_last_counter")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret_encrypted")
