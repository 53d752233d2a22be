"""people_projects tables

Revision ID: people_projects_0001
Revises:
Create Date: 2026-11-27 07:49:01.153077
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "people_projects_0001"
down_revision = None
branch_labels = None
depends_on = None


TABLES = (
    "people_need",
    "people_need_supporter",
    "people_project",
    "people_project_transition",
    "people_project_claim",
    "people_project_progress",
    "people_project_evaluation",
)


def upgrade() -> None:
    op.create_table(
        "people_need",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("raised_by_person_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("supporter_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('door_to_door', 'hotline', 'grid_worker', 'online', 'meeting', 'other')",
            name=op.f("ck_people_need_source"),
        ),
        sa.CheckConstraint("status IN ('open', 'converted', 'closed')", name=op.f("ck_people_need_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_need_tenant_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_people_need_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "raised_by_person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_people_need_tenant_id_raised_by_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_people_need_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_need")),
    )
    op.create_index(
        "ix_people_need_tenant_id_org_node_id", "people_need", ["tenant_id", "org_node_id"], unique=False
    )
    op.create_index("ix_people_need_tenant_id_status", "people_need", ["tenant_id", "status"], unique=False)

    op.create_table(
        "people_need_supporter",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "need_id"],
            ["people_need.tenant_id", "people_need.id"],
            name=op.f("fk_people_need_supporter_tenant_id_need_id_people_need"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_people_need_supporter_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_people_need_supporter_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_need_supporter")),
        sa.UniqueConstraint(
            "tenant_id",
            "need_id",
            "person_id",
            name=op.f("uq_people_need_supporter_tenant_id_need_id_person_id"),
        ),
    )
    op.create_index(
        "ix_people_need_supporter_tenant_id_person_id",
        "people_need_supporter",
        ["tenant_id", "person_id"],
        unique=False,
    )

    op.create_table(
        "people_project",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("max_claimants", sa.Integer(), nullable=True),
        sa.Column("target_fen", sa.BigInteger(), nullable=True),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("committed_fen", sa.BigInteger(), nullable=False),
        sa.Column("delivered_fen", sa.BigInteger(), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("last_progress_on", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("stale_flagged_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'claimed', 'in_progress', 'completed', 'evaluated', 'cancelled')",
            name=op.f("ck_people_project_status"),
        ),
        sa.CheckConstraint(
            "claim_count >= 0 AND (max_claimants IS NULL OR claim_count <= max_claimants)",
            name=op.f("ck_people_project_claim_count"),
        ),
        sa.CheckConstraint(
            "committed_fen >= 0 AND (target_fen IS NULL OR committed_fen <= target_fen)",
            name=op.f("ck_people_project_committed_fen"),
        ),
        sa.CheckConstraint(
            "delivered_fen >= 0 AND delivered_fen <= committed_fen",
            name=op.f("ck_people_project_delivered_fen"),
        ),
        sa.CheckConstraint(
            "max_claimants IS NULL OR max_claimants >= 1", name=op.f("ck_people_project_max_claimants")
        ),
        sa.CheckConstraint(
            "progress_percent >= 0 AND progress_percent <= 100",
            name=op.f("ck_people_project_progress_percent"),
        ),
        sa.CheckConstraint(
            "target_fen IS NULL OR target_fen >= 1", name=op.f("ck_people_project_target_fen")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_project_tenant_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "need_id"],
            ["people_need.tenant_id", "people_need.id"],
            name=op.f("fk_people_project_tenant_id_need_id_people_need"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_people_project_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_people_project_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_project")),
        sa.UniqueConstraint("tenant_id", "need_id", name=op.f("uq_people_project_tenant_id_need_id")),
    )
    op.create_index(
        "ix_people_project_tenant_id_org_node_id",
        "people_project",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_people_project_tenant_id_published_on",
        "people_project",
        ["tenant_id", "published_on"],
        unique=False,
    )
    op.create_index(
        "ix_people_project_tenant_id_status", "people_project", ["tenant_id", "status"], unique=False
    )

    op.create_table(
        "people_project_claim",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("claimant_org_node_id", sa.Uuid(), nullable=True),
        sa.Column("claimant_person_id", sa.Uuid(), nullable=True),
        sa.Column("commitment", sa.String(length=20), nullable=False),
        sa.Column("money_fen", sa.BigInteger(), nullable=False),
        sa.Column("labour_hours", sa.Integer(), nullable=False),
        sa.Column("material_description", sa.String(length=500), nullable=True),
        sa.Column("material_value_fen", sa.BigInteger(), nullable=False),
        sa.Column("delivered_fen", sa.BigInteger(), nullable=False),
        sa.Column("claimed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(commitment = 'money' AND money_fen >= 1) OR (commitment = 'labour' AND labour_hours >= 1) OR (commitment = 'material' AND material_value_fen >= 0)",
            name=op.f("ck_people_project_claim_amount"),
        ),
        sa.CheckConstraint(
            "commitment IN ('money', 'labour', 'material')", name=op.f("ck_people_project_claim_commitment")
        ),
        sa.CheckConstraint(
            "(claimant_org_node_id IS NULL) <> (claimant_person_id IS NULL)",
            name=op.f("ck_people_project_claim_one_claimant"),
        ),
        sa.CheckConstraint(
            "money_fen >= 0 AND delivered_fen >= 0 AND delivered_fen <= money_fen",
            name=op.f("ck_people_project_claim_money"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "claimant_org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_people_project_claim_tenant_id_claimant_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "claimant_person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_people_project_claim_tenant_id_claimant_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_project_claim_tenant_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["people_project.tenant_id", "people_project.id"],
            name=op.f("fk_people_project_claim_tenant_id_project_id_people_project"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_people_project_claim_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_project_claim")),
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "claimant_org_node_id",
            name="uq_people_project_claim_org_claimant",
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "claimant_person_id",
            name="uq_people_project_claim_person_claimant",
        ),
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "idempotency_key",
            name=op.f("uq_people_project_claim_tenant_id_project_id_idempotency_key"),
        ),
    )
    op.create_index(
        "ix_people_project_claim_tenant_id_claimant_org_node_id",
        "people_project_claim",
        ["tenant_id", "claimant_org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_people_project_claim_tenant_id_claimant_person_id",
        "people_project_claim",
        ["tenant_id", "claimant_person_id"],
        unique=False,
    )
    op.create_index(
        "ix_people_project_claim_tenant_id_claimed_on",
        "people_project_claim",
        ["tenant_id", "claimed_on"],
        unique=False,
    )

    op.create_table(
        "people_project_evaluation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name=op.f("ck_people_project_evaluation_stars")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_project_evaluation_tenant_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_people_project_evaluation_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["people_project.tenant_id", "people_project.id"],
            name=op.f("fk_people_project_evaluation_tenant_id_project_id_people_project"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_people_project_evaluation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_project_evaluation")),
        sa.UniqueConstraint(
            "tenant_id",
            "project_id",
            "person_id",
            name=op.f("uq_people_project_evaluation_tenant_id_project_id_person_id"),
        ),
    )
    op.create_index(
        "ix_people_project_evaluation_tenant_id_person_id",
        "people_project_evaluation",
        ["tenant_id", "person_id"],
        unique=False,
    )

    op.create_table(
        "people_project_progress",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent >= 0 AND percent <= 100", name=op.f("ck_people_project_progress_percent")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_project_progress_tenant_id_created_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_people_project_progress_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["people_project.tenant_id", "people_project.id"],
            name=op.f("fk_people_project_progress_tenant_id_project_id_people_project"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_people_project_progress_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_project_progress")),
    )
    op.create_index(
        "ix_people_project_progress_tenant_id_org_node_id",
        "people_project_progress",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_people_project_progress_tenant_id_project_id_reported_on",
        "people_project_progress",
        ["tenant_id", "project_id", "reported_on"],
        unique=False,
    )

    op.create_table(
        "people_project_transition",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_people_project_transition_tenant_id_actor_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["people_project.tenant_id", "people_project.id"],
            name=op.f("fk_people_project_transition_tenant_id_project_id_people_project"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_people_project_transition_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_people_project_transition")),
    )
    op.create_index(
        "ix_people_project_transition_tenant_id_project_id_at",
        "people_project_transition",
        ["tenant_id", "project_id", "at"],
        unique=False,
    )
    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index(
        "ix_people_project_transition_tenant_id_project_id_at", table_name="people_project_transition"
    )

    op.drop_table("people_project_transition")
    op.drop_index("ix_people_project_progress_tenant_id_org_node_id", table_name="people_project_progress")
    op.drop_index(
        "ix_people_project_progress_tenant_id_project_id_reported_on", table_name="people_project_progress"
    )

    op.drop_table("people_project_progress")
    op.drop_index("ix_people_project_evaluation_tenant_id_person_id", table_name="people_project_evaluation")

    op.drop_table("people_project_evaluation")
    op.drop_index("ix_people_project_claim_tenant_id_claimed_on", table_name="people_project_claim")
    op.drop_index("ix_people_project_claim_tenant_id_claimant_person_id", table_name="people_project_claim")
    op.drop_index("ix_people_project_claim_tenant_id_claimant_org_node_id", table_name="people_project_claim")

    op.drop_table("people_project_claim")
    op.drop_index("ix_people_project_tenant_id_status", table_name="people_project")
    op.drop_index("ix_people_project_tenant_id_published_on", table_name="people_project")
    op.drop_index("ix_people_project_tenant_id_org_node_id", table_name="people_project")

    op.drop_table("people_project")
    op.drop_index("ix_people_need_supporter_tenant_id_person_id", table_name="people_need_supporter")

    op.drop_table("people_need_supporter")
    op.drop_index("ix_people_need_tenant_id_status", table_name="people_need")
    op.drop_index("ix_people_need_tenant_id_org_node_id", table_name="people_need")

    op.drop_table("people_need")
