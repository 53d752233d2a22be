"""People's correction and erasure requests (PIPL arts. 46-47) and how each was decided

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-11-27 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import disable_tenant_rls, enable_tenant_rls

revision = "core_0011"
down_revision = "core_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_data_request",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fields", sa_types.JSONDocument(), nullable=False),
        sa.Column("changes_encrypted", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_detail", sa_types.JSONDocument(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('correction', 'erasure')", name=op.f("ck_person_data_request_kind")),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'refused')", name=op.f("ck_person_data_request_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_person_data_request_tenant_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_person_data_request_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_person_data_request")),
    )
    op.create_index(
        "ix_person_data_request_tenant_id_person_id",
        "person_data_request",
        ["tenant_id", "person_id"],
        unique=False,
    )
    enable_tenant_rls(op, "person_data_request")


def downgrade() -> None:
    disable_tenant_rls(op, "person_data_request")
    op.drop_index("ix_person_data_request_tenant_id_person_id", table_name="person_data_request")
    op.drop_table("person_data_request")
