"""Notification channels: users' contact details, channel preferences and deliveries

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-11-27 03:54:11.121474
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_preference",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("channels", sa_types.JSONDocument(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_notification_preference_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_notification_preference_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", "kind", name=op.f("uq_notification_preference_tenant_id_user_id_kind")
        ),
    )
    op.create_table(
        "notification_delivery",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("sent_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "notification_id"],
            ["notification.tenant_id", "notification.id"],
            name=op.f("fk_notification_delivery_tenant_id_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_notification_delivery_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint(
            "tenant_id",
            "notification_id",
            "channel",
            name=op.f("uq_notification_delivery_tenant_id_notification_id_channel"),
        ),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("wechat_openid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=10), server_default="zh_CN", nullable=False))
    enable_tenant_rls(op, "notification_preference")
    enable_tenant_rls(op, "notification_delivery")


def downgrade() -> None:
    disable_tenant_rls(op, "notification_delivery")
    disable_tenant_rls(op, "notification_preference")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("locale")
        batch_op.drop_column("wechat_openid")
        batch_op.drop_column("email_encrypted")

    op.drop_table("notification_delivery")
    op.drop_table("notification_preference")
