"""co_building: agreements, service-list items, joint activities and meetings, annual reviews

Revision ID: co_building_0001
Revises:
Create Date: 2026-11-27 07:49:20.597759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "co_building_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "co_building_agreement",
    "co_building_service_item",
    "co_building_activity",
    "co_building_review",
)


def upgrade() -> None:
    op.create_table(
        "co_building_agreement",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("unit_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.Column("termination_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'expired', 'terminated')",
            name=op.f("ck_co_building_agreement_status"),
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_co_building_agreement_term")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_co_building_agreement_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unit_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_co_building_agreement_tenant_id_unit_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_co_building_agreement_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_co_building_agreement")),
    )
    op.create_index(
        "ix_co_building_agreement_tenant_id_org_node_id",
        "co_building_agreement",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_co_building_agreement_tenant_id_status_ends_on",
        "co_building_agreement",
        ["tenant_id", "status", "ends_on"],
        unique=False,
    )
    op.create_index(
        "ix_co_building_agreement_tenant_id_unit_node_id",
        "co_building_agreement",
        ["tenant_id", "unit_node_id"],
        unique=False,
    )
    op.create_index(
        "uq_co_building_agreement_active_pair",
        "co_building_agreement",
        ["tenant_id", "org_node_id", "unit_node_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "co_building_activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('activity', 'meeting')", name=op.f("ck_co_building_activity_kind")),
        sa.CheckConstraint("participants >= 0", name=op.f("ck_co_building_activity_participants")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agreement_id"],
            ["co_building_agreement.tenant_id", "co_building_agreement.id"],
            name=op.f("fk_co_building_activity_tenant_id_agreement_id_co_building_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_co_building_activity_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_co_building_activity_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_co_building_activity")),
    )
    op.create_index(
        "ix_co_building_activity_tenant_id_agreement_id_held_on",
        "co_building_activity",
        ["tenant_id", "agreement_id", "held_on"],
        unique=False,
    )
    op.create_index(
        "ix_co_building_activity_tenant_id_org_node_id",
        "co_building_activity",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "co_building_review",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=True),
        sa.Column("items_fulfilled", sa.Integer(), nullable=True),
        sa.Column("fulfilment_rate", sa.Float(), nullable=True),
        sa.Column("rating", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR rating IN ('excellent', 'good', 'fair', 'poor')",
            name=op.f("ck_co_building_review_rating"),
        ),
        sa.CheckConstraint("status IN ('open', 'completed')", name=op.f("ck_co_building_review_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agreement_id"],
            ["co_building_agreement.tenant_id", "co_building_agreement.id"],
            name=op.f("fk_co_building_review_tenant_id_agreement_id_co_building_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_co_building_review_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_co_building_review_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_co_building_review")),
        sa.UniqueConstraint(
            "tenant_id",
            "agreement_id",
            "year",
            name=op.f("uq_co_building_review_tenant_id_agreement_id_year"),
        ),
    )
    op.create_index(
        "ix_co_building_review_tenant_id_org_node_id",
        "co_building_review",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "co_building_service_item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fulfilled_on", sa.Date(), nullable=True),
        sa.Column("fulfilment_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('need', 'resource')", name=op.f("ck_co_building_service_item_kind")),
        sa.CheckConstraint("party IN ('area', 'unit')", name=op.f("ck_co_building_service_item_party")),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'fulfilled', 'cancelled')",
            name=op.f("ck_co_building_service_item_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agreement_id"],
            ["co_building_agreement.tenant_id", "co_building_agreement.id"],
            name=op.f("fk_co_building_service_item_tenant_id_agreement_id_co_building_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_co_building_service_item_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_co_building_service_item_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_co_building_service_item")),
    )
    op.create_index(
        "ix_co_building_service_item_tenant_id_agreement_id",
        "co_building_service_item",
        ["tenant_id", "agreement_id"],
        unique=False,
    )
    op.create_index(
        "ix_co_building_service_item_tenant_id_org_node_id",
        "co_building_service_item",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_co_building_service_item_tenant_id_org_node_id", table_name="co_building_service_item")
    op.drop_index("ix_co_building_service_item_tenant_id_agreement_id", table_name="co_building_service_item")

    op.drop_table("co_building_service_item")
    op.drop_index("ix_co_building_review_tenant_id_org_node_id", table_name="co_building_review")

    op.drop_table("co_building_review")
    op.drop_index("ix_co_building_activity_tenant_id_org_node_id", table_name="co_building_activity")
    op.drop_index("ix_co_building_activity_tenant_id_agreement_id_held_on", table_name="co_building_activity")

    op.drop_table("co_building_activity")
    op.drop_index(
        "uq_co_building_agreement_active_pair",
        table_name="co_building_agreement",
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_co_building_agreement_tenant_id_unit_node_id", table_name="co_building_agreement")
    op.drop_index("ix_co_building_agreement_tenant_id_status_ends_on", table_name="co_building_agreement")
    op.drop_index("ix_co_building_agreement_tenant_id_org_node_id", table_name="co_building_agreement")

    op.drop_table("co_building_agreement")
