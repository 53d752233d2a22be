"""spark_incubation: fields, candidates, transitions, plans, milestones, mentors, standards and sources

Revision ID: spark_incubation_0001
Revises:
Create Date: 2026-11-27 07:48:42.237713
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "spark_incubation_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "spark_field",
    "spark_candidate",
    "spark_transition",
    "spark_plan",
    "spark_milestone",
    "spark_mentor",
    "spark_standard",
    "spark_standard_source",
)


def upgrade() -> None:
    op.create_table(
        "spark_field",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'archived')", name=op.f("ck_spark_field_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_spark_field_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_field_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_field")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_spark_field_tenant_id_code")),
    )
    op.create_index(
        "ix_spark_field_tenant_id_org_node_id", "spark_field", ["tenant_id", "org_node_id"], unique=False
    )

    op.create_table(
        "spark_standard",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("field_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_spark_standard_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "field_id"],
            ["spark_field.tenant_id", "spark_field.id"],
            name=op.f("fk_spark_standard_tenant_id_field_id_spark_field"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_standard_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_standard")),
    )
    op.create_index(
        "ix_spark_standard_tenant_id_field_id", "spark_standard", ["tenant_id", "field_id"], unique=False
    )

    op.create_table(
        "spark_candidate",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("field_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("nominated_on", sa.Date(), nullable=False),
        sa.Column("nominated_by", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("assessment", sa.Text(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage IN ('nominated', 'cultivating', 'assessed', 'benchmark', 'dropped')",
            name=op.f("ck_spark_candidate_stage"),
        ),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)", name=op.f("ck_spark_candidate_score")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "field_id"],
            ["spark_field.tenant_id", "spark_field.id"],
            name=op.f("fk_spark_candidate_tenant_id_field_id_spark_field"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "nominated_by"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_spark_candidate_tenant_id_nominated_by_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_spark_candidate_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_candidate_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_candidate")),
    )
    op.create_index(
        "ix_spark_candidate_tenant_id_field_id_stage",
        "spark_candidate",
        ["tenant_id", "field_id", "stage"],
        unique=False,
    )
    op.create_index(
        "ix_spark_candidate_tenant_id_org_node_id",
        "spark_candidate",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "uq_spark_candidate_tenant_id_field_id_org_node_id_active",
        "spark_candidate",
        ["tenant_id", "field_id", "org_node_id"],
        unique=True,
        sqlite_where=sa.text("stage <> 'dropped'"),
        postgresql_where=sa.text("stage <> 'dropped'"),
    )

    op.create_table(
        "spark_plan",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("goals", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_spark_plan_period")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "candidate_id"],
            ["spark_candidate.tenant_id", "spark_candidate.id"],
            name=op.f("fk_spark_plan_tenant_id_candidate_id_spark_candidate"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_spark_plan_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_plan_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_plan")),
        sa.UniqueConstraint("tenant_id", "candidate_id", name=op.f("uq_spark_plan_tenant_id_candidate_id")),
    )
    op.create_index(
        "ix_spark_plan_tenant_id_org_node_id", "spark_plan", ["tenant_id", "org_node_id"], unique=False
    )

    op.create_table(
        "spark_standard_source",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("standard_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "candidate_id"],
            ["spark_candidate.tenant_id", "spark_candidate.id"],
            name=op.f("fk_spark_standard_source_tenant_id_candidate_id_spark_candidate"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "standard_id"],
            ["spark_standard.tenant_id", "spark_standard.id"],
            name=op.f("fk_spark_standard_source_tenant_id_standard_id_spark_standard"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_spark_standard_source_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_standard_source")),
        sa.UniqueConstraint(
            "tenant_id",
            "standard_id",
            "candidate_id",
            name=op.f("uq_spark_standard_source_tenant_id_standard_id_candidate_id"),
        ),
    )
    op.create_index(
        "ix_spark_standard_source_tenant_id_candidate_id",
        "spark_standard_source",
        ["tenant_id", "candidate_id"],
        unique=False,
    )

    op.create_table(
        "spark_transition",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=True),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "to_stage IN ('nominated', 'cultivating', 'assessed', 'benchmark', 'dropped')",
            name=op.f("ck_spark_transition_to_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_spark_transition_tenant_id_actor_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "candidate_id"],
            ["spark_candidate.tenant_id", "spark_candidate.id"],
            name=op.f("fk_spark_transition_tenant_id_candidate_id_spark_candidate"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_spark_transition_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_transition")),
    )
    op.create_index(
        "ix_spark_transition_tenant_id_candidate_id_at",
        "spark_transition",
        ["tenant_id", "candidate_id", "at"],
        unique=False,
    )

    op.create_table(
        "spark_mentor",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_spark_mentor_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["spark_plan.tenant_id", "spark_plan.id"],
            name=op.f("fk_spark_mentor_tenant_id_plan_id_spark_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_mentor_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_mentor")),
        sa.UniqueConstraint(
            "tenant_id", "plan_id", "person_id", name=op.f("uq_spark_mentor_tenant_id_plan_id_person_id")
        ),
    )
    op.create_index(
        "ix_spark_mentor_tenant_id_person_id", "spark_mentor", ["tenant_id", "person_id"], unique=False
    )

    op.create_table(
        "spark_milestone",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "plan_id"],
            ["spark_plan.tenant_id", "spark_plan.id"],
            name=op.f("fk_spark_milestone_tenant_id_plan_id_spark_plan"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_spark_milestone_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_spark_milestone")),
    )
    op.create_index(
        "ix_spark_milestone_tenant_id_plan_id_due_on",
        "spark_milestone",
        ["tenant_id", "plan_id", "due_on"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_spark_milestone_tenant_id_plan_id_due_on", table_name="spark_milestone")

    op.drop_table("spark_milestone")
    op.drop_index("ix_spark_mentor_tenant_id_person_id", table_name="spark_mentor")

    op.drop_table("spark_mentor")
    op.drop_index("ix_spark_transition_tenant_id_candidate_id_at", table_name="spark_transition")

    op.drop_table("spark_transition")
    op.drop_index("ix_spark_standard_source_tenant_id_candidate_id", table_name="spark_standard_source")

    op.drop_table("spark_standard_source")
    op.drop_index("ix_spark_plan_tenant_id_org_node_id", table_name="spark_plan")

    op.drop_table("spark_plan")
    op.drop_index(
        "uq_spark_candidate_tenant_id_field_id_org_node_id_active",
        table_name="spark_candidate",
        sqlite_where=sa.text("stage <> 'dropped'"),
        postgresql_where=sa.text("stage <> 'dropped'"),
    )
    op.drop_index("ix_spark_candidate_tenant_id_org_node_id", table_name="spark_candidate")
    op.drop_index("ix_spark_candidate_tenant_id_field_id_stage", table_name="spark_candidate")

    op.drop_table("spark_candidate")
    op.drop_index("ix_spark_standard_tenant_id_field_id", table_name="spark_standard")

    op.drop_table("spark_standard")
    op.drop_index("ix_spark_field_tenant_id_org_node_id", table_name="spark_field")

    op.drop_table("spark_field")
