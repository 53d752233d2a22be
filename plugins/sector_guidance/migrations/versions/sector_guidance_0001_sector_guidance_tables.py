"""sector_guidance: sectors, members, standards and their items, assessments and results, visits

Revision ID: sector_guidance_0001
Revises:
Create Date: 2026-11-27 03:34:22.893462
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "sector_guidance_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "sector",
    "sector_member",
    "sector_standard",
    "sector_standard_item",
    "sector_assessment",
    "sector_assessment_result",
    "sector_guidance_visit",
)


def upgrade() -> None:
    op.create_table(
        "sector",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'archived')", name=op.f("ck_sector_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_sector_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_sector_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_sector_tenant_id_code")),
    )
    op.create_index("ix_sector_tenant_id_org_node_id", "sector", ["tenant_id", "org_node_id"], unique=False)

    op.create_table(
        "sector_guidance_visit",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sector_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("visitor", sa.String(length=100), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_sector_guidance_visit_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sector_id"],
            ["sector.tenant_id", "sector.id"],
            name=op.f("fk_sector_guidance_visit_tenant_id_sector_id_sector"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_sector_guidance_visit_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_guidance_visit")),
    )
    op.create_index(
        "ix_sector_guidance_visit_tenant_id_org_node_id",
        "sector_guidance_visit",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_sector_guidance_visit_tenant_id_sector_id_visited_on",
        "sector_guidance_visit",
        ["tenant_id", "sector_id", "visited_on"],
        unique=False,
    )

    op.create_table(
        "sector_member",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sector_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_sector_member_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sector_id"],
            ["sector.tenant_id", "sector.id"],
            name=op.f("fk_sector_member_tenant_id_sector_id_sector"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_sector_member_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_member")),
        sa.UniqueConstraint(
            "tenant_id",
            "sector_id",
            "org_node_id",
            name=op.f("uq_sector_member_tenant_id_sector_id_org_node_id"),
        ),
    )
    op.create_index(
        "ix_sector_member_tenant_id_org_node_id", "sector_member", ["tenant_id", "org_node_id"], unique=False
    )

    op.create_table(
        "sector_standard",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sector_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')", name=op.f("ck_sector_standard_status")
        ),
        sa.CheckConstraint(
            "pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)",
            name=op.f("ck_sector_standard_pass_mark"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_sector_standard_version")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_sector_standard_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sector_id"],
            ["sector.tenant_id", "sector.id"],
            name=op.f("fk_sector_standard_tenant_id_sector_id_sector"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_sector_standard_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_standard")),
        sa.UniqueConstraint(
            "tenant_id", "sector_id", "version", name=op.f("uq_sector_standard_tenant_id_sector_id_version")
        ),
    )
    op.create_index(
        "ix_sector_standard_tenant_id_org_node_id",
        "sector_standard",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "uq_sector_standard_tenant_id_sector_id_draft",
        "sector_standard",
        ["tenant_id", "sector_id"],
        unique=True,
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    )
    op.create_index(
        "uq_sector_standard_tenant_id_sector_id_published",
        "sector_standard",
        ["tenant_id", "sector_id"],
        unique=True,
        sqlite_where=sa.text("status = 'published'"),
        postgresql_where=sa.text("status = 'published'"),
    )

    op.create_table(
        "sector_assessment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("sector_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("cycle", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("assessor_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('due', 'in_progress', 'submitted')", name=op.f("ck_sector_assessment_status")
        ),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_sector_assessment_score")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "assessor_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_sector_assessment_tenant_id_assessor_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_sector_assessment_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "sector_id"],
            ["sector.tenant_id", "sector.id"],
            name=op.f("fk_sector_assessment_tenant_id_sector_id_sector"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "standard_id"],
            ["sector_standard.tenant_id", "sector_standard.id"],
            name=op.f("fk_sector_assessment_tenant_id_standard_id_sector_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_sector_assessment_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_assessment")),
        sa.UniqueConstraint(
            "tenant_id",
            "sector_id",
            "org_node_id",
            "cycle",
            name=op.f("uq_sector_assessment_tenant_id_sector_id_org_node_id_cycle"),
        ),
    )
    op.create_index(
        "ix_sector_assessment_tenant_id_cycle_status",
        "sector_assessment",
        ["tenant_id", "cycle", "status"],
        unique=False,
    )
    op.create_index(
        "ix_sector_assessment_tenant_id_org_node_id",
        "sector_assessment",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_sector_assessment_tenant_id_standard_id",
        "sector_assessment",
        ["tenant_id", "standard_id"],
        unique=False,
    )

    op.create_table(
        "sector_standard_item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("weight >= 1 AND weight <= 100", name=op.f("ck_sector_standard_item_weight")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "standard_id"],
            ["sector_standard.tenant_id", "sector_standard.id"],
            name=op.f("fk_sector_standard_item_tenant_id_standard_id_sector_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_sector_standard_item_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_standard_item")),
        sa.UniqueConstraint(
            "tenant_id",
            "standard_id",
            "position",
            name=op.f("uq_sector_standard_item_tenant_id_standard_id_position"),
        ),
    )
    op.create_table(
        "sector_assessment_result",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "assessment_id"],
            ["sector_assessment.tenant_id", "sector_assessment.id"],
            name=op.f("fk_sector_assessment_result_tenant_id_assessment_id_sector_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["sector_standard_item.tenant_id", "sector_standard_item.id"],
            name=op.f("fk_sector_assessment_result_tenant_id_item_id_sector_standard_item"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_sector_assessment_result_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_sector_assessment_result")),
        sa.UniqueConstraint(
            "tenant_id",
            "assessment_id",
            "item_id",
            name=op.f("uq_sector_assessment_result_tenant_id_assessment_id_item_id"),
        ),
    )
    op.create_index(
        "ix_sector_assessment_result_tenant_id_item_id",
        "sector_assessment_result",
        ["tenant_id", "item_id"],
        unique=False,
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_sector_assessment_result_tenant_id_item_id", table_name="sector_assessment_result")

    op.drop_table("sector_assessment_result")
    op.drop_table("sector_standard_item")
    op.drop_index("ix_sector_assessment_tenant_id_standard_id", table_name="sector_assessment")
    op.drop_index("ix_sector_assessment_tenant_id_org_node_id", table_name="sector_assessment")
    op.drop_index("ix_sector_assessment_tenant_id_cycle_status", table_name="sector_assessment")

    op.drop_table("sector_assessment")
    op.drop_index(
        "uq_sector_standard_tenant_id_sector_id_published",
        table_name="sector_standard",
        sqlite_where=sa.text("status = 'published'"),
        postgresql_where=sa.text("status = 'published'"),
    )
    op.drop_index(
        "uq_sector_standard_tenant_id_sector_id_draft",
        table_name="sector_standard",
        sqlite_where=sa.text("status = 'draft'"),
        postgresql_where=sa.text("status = 'draft'"),
    )
    op.drop_index("ix_sector_standard_tenant_id_org_node_id", table_name="sector_standard")

    op.drop_table("sector_standard")
    op.drop_index("ix_sector_member_tenant_id_org_node_id", table_name="sector_member")

    op.drop_table("sector_member")
    op.drop_index(
        "ix_sector_guidance_visit_tenant_id_sector_id_visited_on", table_name="sector_guidance_visit"
    )
    op.drop_index("ix_sector_guidance_visit_tenant_id_org_node_id", table_name="sector_guidance_visit")

    op.drop_table("sector_guidance_visit")
    op.drop_index("ix_sector_tenant_id_org_node_id", table_name="sector")

    op.drop_table("sector")
