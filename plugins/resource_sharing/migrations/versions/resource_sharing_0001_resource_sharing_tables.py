"""resource_sharing: resources, opening hours, reservations, booked slots, published catalogues

Revision ID: resource_sharing_0001
Revises:
Create Date: 2026-11-27 07:49:21.190971
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "resource_sharing_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "shared_resource",
    "shared_resource_hours",
    "shared_resource_reservation",
    "shared_resource_slot",
    "shared_resource_catalogue",
    "shared_resource_catalogue_item",
)


def upgrade() -> None:
    op.create_table(
        "shared_resource",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('venue', 'room', 'equipment', 'service', 'information')",
            name=op.f("ck_shared_resource_kind"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_shared_resource_status")),
        sa.CheckConstraint(
            "visibility IN ('own', 'subtree', 'district')", name=op.f("ck_shared_resource_visibility")
        ),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 1", name=op.f("ck_shared_resource_capacity")),
        sa.CheckConstraint(
            "slot_minutes >= 5 AND slot_minutes <= 1440", name=op.f("ck_shared_resource_slot_minutes")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_shared_resource_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_shared_resource_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource")),
        sa.UniqueConstraint(
            "tenant_id", "org_node_id", "name", name=op.f("uq_shared_resource_tenant_id_org_node_id_name")
        ),
    )
    op.create_index(
        "ix_shared_resource_tenant_id_org_node_id",
        "shared_resource",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "shared_resource_hours",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens_minute", sa.Integer(), nullable=False),
        sa.Column("closes_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint("opens_minute < closes_minute", name=op.f("ck_shared_resource_hours_order")),
        sa.CheckConstraint(
            "opens_minute >= 0 AND closes_minute <= 1440", name=op.f("ck_shared_resource_hours_bounds")
        ),
        sa.CheckConstraint("weekday >= 1 AND weekday <= 7", name=op.f("ck_shared_resource_hours_weekday")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "resource_id"],
            ["shared_resource.tenant_id", "shared_resource.id"],
            name=op.f("fk_shared_resource_hours_tenant_id_resource_id_shared_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_shared_resource_hours_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource_hours")),
        sa.UniqueConstraint(
            "tenant_id",
            "resource_id",
            "weekday",
            "opens_minute",
            name=op.f("uq_shared_resource_hours_tenant_id_resource_id_weekday_opens_minute"),
        ),
    )
    op.create_table(
        "shared_resource_catalogue",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=False),
        sa.Column("resource_count", sa.Integer(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_shared_resource_catalogue_version")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_shared_resource_catalogue_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "published_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_shared_resource_catalogue_tenant_id_published_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_shared_resource_catalogue_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource_catalogue")),
        sa.UniqueConstraint(
            "tenant_id",
            "org_node_id",
            "version",
            name=op.f("uq_shared_resource_catalogue_tenant_id_org_node_id_version"),
        ),
    )
    op.create_index(
        "ix_shared_resource_catalogue_tenant_id_org_node_id",
        "shared_resource_catalogue",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "shared_resource_reservation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("requester_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_count", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("request_key", sa.String(length=100), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'rejected', 'cancelled', 'completed')",
            name=op.f("ck_shared_resource_reservation_status"),
        ),
        sa.CheckConstraint(
            "attendees IS NULL OR attendees >= 1", name=op.f("ck_shared_resource_reservation_attendees")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shared_resource_reservation_period")),
        sa.CheckConstraint("slot_count >= 1", name=op.f("ck_shared_resource_reservation_slot_count")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "decided_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_shared_resource_reservation_tenant_id_decided_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_shared_resource_reservation_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requester_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_shared_resource_reservation_tenant_id_requester_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "resource_id"],
            ["shared_resource.tenant_id", "shared_resource.id"],
            name=op.f("fk_shared_resource_reservation_tenant_id_resource_id_shared_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_shared_resource_reservation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource_reservation")),
    )
    op.create_index(
        "ix_shared_resource_reservation_tenant_id_org_node_id",
        "shared_resource_reservation",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_shared_resource_reservation_tenant_id_resource_id",
        "shared_resource_reservation",
        ["tenant_id", "resource_id"],
        unique=False,
    )
    op.create_index(
        "ix_shared_resource_reservation_tenant_id_status_starts_at",
        "shared_resource_reservation",
        ["tenant_id", "status", "starts_at"],
        unique=False,
    )
    op.create_index(
        "uq_shared_resource_reservation_request_key",
        "shared_resource_reservation",
        ["tenant_id", "requester_id", "request_key"],
        unique=True,
        sqlite_where=sa.text("request_key IS NOT NULL"),
        postgresql_where=sa.text("request_key IS NOT NULL"),
    )

    op.create_table(
        "shared_resource_catalogue_item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("catalogue_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("provider_name", sa.String(length=100), nullable=False),
        sa.Column("provider_kind", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("visibility", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "catalogue_id"],
            ["shared_resource_catalogue.tenant_id", "shared_resource_catalogue.id"],
            name=op.f("fk_shared_resource_catalogue_item_tenant_id_catalogue_id_shared_resource_catalogue"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "resource_id"],
            ["shared_resource.tenant_id", "shared_resource.id"],
            name=op.f("fk_shared_resource_catalogue_item_tenant_id_resource_id_shared_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_shared_resource_catalogue_item_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource_catalogue_item")),
        sa.UniqueConstraint(
            "tenant_id",
            "catalogue_id",
            "position",
            name=op.f("uq_shared_resource_catalogue_item_tenant_id_catalogue_id_position"),
        ),
    )
    op.create_index(
        "ix_shared_resource_catalogue_item_tenant_id_resource_id",
        "shared_resource_catalogue_item",
        ["tenant_id", "resource_id"],
        unique=False,
    )

    op.create_table(
        "shared_resource_slot",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reservation_id"],
            ["shared_resource_reservation.tenant_id", "shared_resource_reservation.id"],
            name=op.f("fk_shared_resource_slot_tenant_id_reservation_id_shared_resource_reservation"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "resource_id"],
            ["shared_resource.tenant_id", "shared_resource.id"],
            name=op.f("fk_shared_resource_slot_tenant_id_resource_id_shared_resource"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_shared_resource_slot_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_shared_resource_slot")),
        sa.UniqueConstraint(
            "tenant_id",
            "resource_id",
            "slot_start",
            name=op.f("uq_shared_resource_slot_tenant_id_resource_id_slot_start"),
        ),
    )
    op.create_index(
        "ix_shared_resource_slot_tenant_id_reservation_id",
        "shared_resource_slot",
        ["tenant_id", "reservation_id"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_shared_resource_slot_tenant_id_reservation_id", table_name="shared_resource_slot")

    op.drop_table("shared_resource_slot")
    op.drop_index(
        "ix_shared_resource_catalogue_item_tenant_id_resource_id", table_name="shared_resource_catalogue_item"
    )

    op.drop_table("shared_resource_catalogue_item")
    op.drop_index(
        "uq_shared_resource_reservation_request_key",
        table_name="shared_resource_reservation",
        sqlite_where=sa.text("request_key IS NOT NULL"),
        postgresql_where=sa.text("request_key IS NOT NULL"),
    )
    op.drop_index(
        "ix_shared_resource_reservation_tenant_id_status_starts_at", table_name="shared_resource_reservation"
    )
    op.drop_index(
        "ix_shared_resource_reservation_tenant_id_resource_id", table_name="shared_resource_reservation"
    )
    op.drop_index(
        "ix_shared_resource_reservation_tenant_id_org_node_id", table_name="shared_resource_reservation"
    )

    op.drop_table("shared_resource_reservation")
    op.drop_index(
        "ix_shared_resource_catalogue_tenant_id_org_node_id", table_name="shared_resource_catalogue"
    )

    op.drop_table("shared_resource_catalogue")
    op.drop_table("shared_resource_hours")
    op.drop_index("ix_shared_resource_tenant_id_org_node_id", table_name="shared_resource")

    op.drop_table("shared_resource")
