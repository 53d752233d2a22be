"""model zones tables

Revision ID: model_zones_0001
Revises:
Create Date: 2026-11-27 07:47:52.996624
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "model_zones_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "model_zone",
    "model_zone_member",
    "model_zone_activity",
    "model_zone_activity_org",
    "model_zone_experience",
    "model_zone_adoption",
    "model_zone_review",
)


def upgrade() -> None:
    op.create_table(
        "model_zone",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("lead_node_id", sa.Uuid(), nullable=False),
        sa.Column("lead_person_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dissolved_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'dissolved')", name=op.f("ck_model_zone_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_tenant_id_lead_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "lead_person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_model_zone_tenant_id_lead_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_model_zone_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_model_zone_tenant_id_name")),
        sa.UniqueConstraint("tenant_id", "org_node_id", name=op.f("uq_model_zone_tenant_id_org_node_id")),
    )
    op.create_index(
        "ix_model_zone_tenant_id_lead_node_id", "model_zone", ["tenant_id", "lead_node_id"], unique=False
    )
    op.create_index(
        "ix_model_zone_tenant_id_lead_person_id", "model_zone", ["tenant_id", "lead_person_id"], unique=False
    )

    op.create_table(
        "model_zone_activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("participants >= 0", name=op.f("ck_model_zone_activity_participants")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_activity_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"],
            ["model_zone.tenant_id", "model_zone.id"],
            name=op.f("fk_model_zone_activity_tenant_id_zone_id_model_zone"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_activity_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_activity")),
    )
    op.create_index(
        "ix_model_zone_activity_tenant_id_org_node_id",
        "model_zone_activity",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_model_zone_activity_tenant_id_zone_id_held_on",
        "model_zone_activity",
        ["tenant_id", "zone_id", "held_on"],
        unique=False,
    )

    op.create_table(
        "model_zone_experience",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("exported_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_experience_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"],
            ["model_zone.tenant_id", "model_zone.id"],
            name=op.f("fk_model_zone_experience_tenant_id_zone_id_model_zone"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_experience_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_experience")),
    )
    op.create_index(
        "ix_model_zone_experience_tenant_id_org_node_id",
        "model_zone_experience",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_model_zone_experience_tenant_id_zone_id",
        "model_zone_experience",
        ["tenant_id", "zone_id"],
        unique=False,
    )

    op.create_table(
        "model_zone_member",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("member_node_id", sa.Uuid(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_member_tenant_id_member_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_member_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"],
            ["model_zone.tenant_id", "model_zone.id"],
            name=op.f("fk_model_zone_member_tenant_id_zone_id_model_zone"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_member_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_member")),
        sa.UniqueConstraint(
            "tenant_id",
            "zone_id",
            "member_node_id",
            name=op.f("uq_model_zone_member_tenant_id_zone_id_member_node_id"),
        ),
    )
    op.create_index(
        "ix_model_zone_member_tenant_id_member_node_id",
        "model_zone_member",
        ["tenant_id", "member_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_model_zone_member_tenant_id_org_node_id",
        "model_zone_member",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "model_zone_review",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("zone_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewer", sa.String(length=50), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating IN ('excellent', 'good', 'fair', 'poor')", name=op.f("ck_model_zone_review_rating")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_review_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"],
            ["model_zone.tenant_id", "model_zone.id"],
            name=op.f("fk_model_zone_review_tenant_id_zone_id_model_zone"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_review_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_review")),
        sa.UniqueConstraint(
            "tenant_id",
            "zone_id",
            "reviewed_on",
            name=op.f("uq_model_zone_review_tenant_id_zone_id_reviewed_on"),
        ),
    )
    op.create_index(
        "ix_model_zone_review_tenant_id_org_node_id",
        "model_zone_review",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "model_zone_activity_org",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("activity_id", sa.Uuid(), nullable=False),
        sa.Column("member_node_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "activity_id"],
            ["model_zone_activity.tenant_id", "model_zone_activity.id"],
            name=op.f("fk_model_zone_activity_org_tenant_id_activity_id_model_zone_activity"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "member_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_activity_org_tenant_id_member_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_activity_org_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_activity_org")),
        sa.UniqueConstraint(
            "tenant_id",
            "activity_id",
            "member_node_id",
            name=op.f("uq_model_zone_activity_org_tenant_id_activity_id_member_node_id"),
        ),
    )
    op.create_index(
        "ix_model_zone_activity_org_tenant_id_member_node_id",
        "model_zone_activity_org",
        ["tenant_id", "member_node_id"],
        unique=False,
    )

    op.create_table(
        "model_zone_adoption",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("experience_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("adopter_node_id", sa.Uuid(), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "adopter_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_adoption_tenant_id_adopter_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "experience_id"],
            ["model_zone_experience.tenant_id", "model_zone_experience.id"],
            name=op.f("fk_model_zone_adoption_tenant_id_experience_id_model_zone_experience"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_model_zone_adoption_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_model_zone_adoption_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_model_zone_adoption")),
        sa.UniqueConstraint(
            "tenant_id",
            "experience_id",
            "adopter_node_id",
            name=op.f("uq_model_zone_adoption_tenant_id_experience_id_adopter_node_id"),
        ),
    )
    op.create_index(
        "ix_model_zone_adoption_tenant_id_adopter_node_id",
        "model_zone_adoption",
        ["tenant_id", "adopter_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_model_zone_adoption_tenant_id_org_node_id",
        "model_zone_adoption",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_model_zone_adoption_tenant_id_org_node_id", table_name="model_zone_adoption")
    op.drop_index("ix_model_zone_adoption_tenant_id_adopter_node_id", table_name="model_zone_adoption")

    op.drop_table("model_zone_adoption")
    op.drop_index("ix_model_zone_activity_org_tenant_id_member_node_id", table_name="model_zone_activity_org")

    op.drop_table("model_zone_activity_org")
    op.drop_index("ix_model_zone_review_tenant_id_org_node_id", table_name="model_zone_review")

    op.drop_table("model_zone_review")
    op.drop_index("ix_model_zone_member_tenant_id_org_node_id", table_name="model_zone_member")
    op.drop_index("ix_model_zone_member_tenant_id_member_node_id", table_name="model_zone_member")

    op.drop_table("model_zone_member")
    op.drop_index("ix_model_zone_experience_tenant_id_zone_id", table_name="model_zone_experience")
    op.drop_index("ix_model_zone_experience_tenant_id_org_node_id", table_name="model_zone_experience")

    op.drop_table("model_zone_experience")
    op.drop_index("ix_model_zone_activity_tenant_id_zone_id_held_on", table_name="model_zone_activity")
    op.drop_index("ix_model_zone_activity_tenant_id_org_node_id", table_name="model_zone_activity")

    op.drop_table("model_zone_activity")
    op.drop_index("ix_model_zone_tenant_id_lead_person_id", table_name="model_zone")
    op.drop_index("ix_model_zone_tenant_id_lead_node_id", table_name="model_zone")

    op.drop_table("model_zone")
