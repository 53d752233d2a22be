"""Attachments: blobs stored once per district by content hash, and files attached to records

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-27 03:46:28.604371
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_blob",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_attachment_blob_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_attachment_blob")),
        sa.UniqueConstraint("tenant_id", "sha256", name=op.f("uq_attachment_blob_tenant_id_sha256")),
    )
    op.create_table(
        "attachment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("blob_id", sa.Uuid(), nullable=False),
        sa.Column("owner_type", sa.String(length=80), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "blob_id"],
            ["attachment_blob.tenant_id", "attachment_blob.id"],
            name=op.f("fk_attachment_tenant_id_blob_id_attachment_blob"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_attachment_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "uploaded_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_attachment_tenant_id_uploaded_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_attachment_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_attachment")),
    )
    op.create_index("ix_attachment_tenant_id_blob_id", "attachment", ["tenant_id", "blob_id"])
    op.create_index("ix_attachment_tenant_id_org_node_id", "attachment", ["tenant_id", "org_node_id"])
    op.create_index("ix_attachment_tenant_id_owner", "attachment", ["tenant_id", "owner_type", "owner_id"])
    op.create_index("ix_attachment_tenant_id_uploaded_by", "attachment", ["tenant_id", "uploaded_by"])
    enable_tenant_rls(op, "attachment_blob")
    enable_tenant_rls(op, "attachment")


def downgrade() -> None:
    disable_tenant_rls(op, "attachment")
    disable_tenant_rls(op, "attachment_blob")
    op.drop_index("ix_attachment_tenant_id_uploaded_by", table_name="attachment")
    op.drop_index("ix_attachment_tenant_id_owner", table_name="attachment")
    op.drop_index("ix_attachment_tenant_id_org_node_id", table_name="attachment")
    op.drop_index("ix_attachment_tenant_id_blob_id", table_name="attachment")

    op.drop_table("attachment")
    op.drop_table("attachment_blob")
