"""Core tables: tenants, organisation tree, people, auth, sessions, audit

Revision ID: core_0001
Revises:
Create Date: 2026-11-26 20:16:42.952447
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import migration_types as sa_types
from core.db.rls import enable_tenant_rls

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("idle_seconds", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_session")),
    )
    op.create_index(
        "ix_auth_session_tenant_id_user_id", "auth_session", ["tenant_id", "user_id"], unique=False
    )

    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("settings", sa_types.JSONDocument(), nullable=False),
        sa.Column("suspended_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_tenant_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("code", name=op.f("uq_tenant_code")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
    )
    op.create_table(
        "audit_record",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("org_node_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("changes", sa_types.JSONDocument(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_audit_record_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_record")),
    )
    op.create_index("ix_audit_record_tenant_id_at", "audit_record", ["tenant_id", "at"], unique=False)
    op.create_index(
        "ix_audit_record_tenant_id_object_id", "audit_record", ["tenant_id", "object_id"], unique=False
    )
    op.create_index(
        "ix_audit_record_tenant_id_user_id_at", "audit_record", ["tenant_id", "user_id", "at"], unique=False
    )

    op.create_table(
        "org_node",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "path",
            sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("attrs", sa_types.JSONDocument(), nullable=False),
        sa.Column("archived_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_org_node_tenant_id_parent_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_org_node_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_org_node")),
    )
    op.create_index(
        "ix_org_node_tenant_id_kind_path", "org_node", ["tenant_id", "kind", "path"], unique=False
    )
    op.create_index("ix_org_node_tenant_id_parent_id", "org_node", ["tenant_id", "parent_id"], unique=False)
    op.create_index("ix_org_node_tenant_id_path", "org_node", ["tenant_id", "path"], unique=True)
    op.create_index("uq_org_node_tenant_id_code", "org_node", ["tenant_id", "code"], unique=True)
    op.create_index(
        "uq_org_node_tenant_id_parent_id_name_active",
        "org_node",
        ["tenant_id", "parent_id", "name"],
        unique=True,
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )

    op.create_table(
        "role",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("permissions", sa_types.JSONDocument(), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_role_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_role_tenant_id_key")),
    )
    op.create_table(
        "person",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("ethnicity", sa.String(length=20), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_card_encrypted", sa.Text(), nullable=False),
        sa.Column("id_card_index", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("education", sa.String(length=30), nullable=True),
        sa.Column("party_status", sa.String(length=20), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("full_member_on", sa.Date(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("work_unit", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("lost_contact", sa.Boolean(), nullable=False),
        sa.Column("last_contact_on", sa.Date(), nullable=True),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("archived_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IS NULL OR category IN ('in_service', 'retired', 'mobile', 'resident')",
            name=op.f("ck_person_category"),
        ),
        sa.CheckConstraint("gender IN ('male', 'female')", name=op.f("ck_person_gender")),
        sa.CheckConstraint(
            "party_status IN ('full', 'probationary', 'none')", name=op.f("ck_person_party_status")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_person_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_person_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_person")),
        sa.UniqueConstraint("tenant_id", "id_card_index", name=op.f("uq_person_tenant_id_id_card_index")),
    )
    op.create_index(
        "ix_person_tenant_id_org_node_id_name", "person", ["tenant_id", "org_node_id", "name"], unique=False
    )
    op.create_index("ix_person_tenant_id_phone_index", "person", ["tenant_id", "phone_index"], unique=False)

    op.create_table(
        "affiliation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_affiliation_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_affiliation_tenant_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_affiliation_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_affiliation")),
    )
    op.create_index(
        "ix_affiliation_tenant_id_org_node_id", "affiliation", ["tenant_id", "org_node_id"], unique=False
    )
    op.create_index(
        "ix_affiliation_tenant_id_person_id", "affiliation", ["tenant_id", "person_id"], unique=False
    )
    op.create_index(
        "uq_affiliation_tenant_id_person_node_kind_open",
        "affiliation",
        ["tenant_id", "person_id", "org_node_id", "kind"],
        unique=True,
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )

    op.create_table(
        "app_user",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_login_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'invited', 'disabled')", name=op.f("ck_app_user_status")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_app_user_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_app_user_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_app_user_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("tenant_id", "username", name=op.f("uq_app_user_tenant_id_username")),
    )
    op.create_index(
        "ix_app_user_tenant_id_org_node_id", "app_user", ["tenant_id", "org_node_id"], unique=False
    )
    op.create_index("ix_app_user_tenant_id_person_id", "app_user", ["tenant_id", "person_id"], unique=False)

    op.create_table(
        "person_relation",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_person_relation_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_person_relation_tenant_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_person_relation_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_person_relation")),
    )
    op.create_index(
        "ix_person_relation_tenant_id_org_node_id",
        "person_relation",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_person_relation_tenant_id_person_id", "person_relation", ["tenant_id", "person_id"], unique=False
    )
    op.create_index(
        "uq_person_relation_tenant_id_person_id_open",
        "person_relation",
        ["tenant_id", "person_id"],
        unique=True,
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )

    op.create_table(
        "role_assignment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("granted_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_role_assignment_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["role.tenant_id", "role.id"],
            name=op.f("fk_role_assignment_tenant_id_role_id_role"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_role_assignment_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_role_assignment_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role_assignment")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "role_id",
            "org_node_id",
            name=op.f("uq_role_assignment_tenant_id_user_id_role_id_org_node_id"),
        ),
    )
    op.create_index(
        "ix_role_assignment_tenant_id_org_node_id",
        "role_assignment",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_role_assignment_tenant_id_role_id", "role_assignment", ["tenant_id", "role_id"], unique=False
    )
    op.create_index(
        "ix_role_assignment_tenant_id_user_id", "role_assignment", ["tenant_id", "user_id"], unique=False
    )

    op.create_table(
        "user_token",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa_types.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", sa_types.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("purpose IN ('invitation', 'reset')", name=op.f("ck_user_token_purpose")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_user_token_tenant_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_user_token_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_user_token")),
        sa.UniqueConstraint("tenant_id", "token_hash", name=op.f("uq_user_token_tenant_id_token_hash")),
    )
    op.create_index("ix_user_token_tenant_id_user_id", "user_token", ["tenant_id", "user_id"], unique=False)

    enable_tenant_rls(op, "audit_record")
    enable_tenant_rls(op, "org_node")
    enable_tenant_rls(op, "role")
    enable_tenant_rls(op, "person")
    enable_tenant_rls(op, "affiliation")
    enable_tenant_rls(op, "app_user")
    enable_tenant_rls(op, "person_relation")
    enable_tenant_rls(op, "role_assignment")
    enable_tenant_rls(op, "user_token")


def downgrade() -> None:
    op.drop_index("ix_user_token_tenant_id_user_id", table_name="user_token")

    op.drop_table("user_token")
    op.drop_index("ix_role_assignment_tenant_id_user_id", table_name="role_assignment")
    op.drop_index("ix_role_assignment_tenant_id_role_id", table_name="role_assignment")
    op.drop_index("ix_role_assignment_tenant_id_org_node_id", table_name="role_assignment")

    op.drop_table("role_assignment")
    op.drop_index(
        "uq_person_relation_tenant_id_person_id_open",
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index("ix_person_relation_tenant_id_person_id", table_name="person_relation")
    op.drop_index("ix_person_relation_tenant_id_org_node_id", table_name="person_relation")

    op.drop_table("person_relation")
    op.drop_index("ix_app_user_tenant_id_person_id", table_name="app_user")
    op.drop_index("ix_app_user_tenant_id_org_node_id", table_name="app_user")

    op.drop_table("app_user")
    op.drop_index(
        "uq_affiliation_tenant_id_person_node_kind_open",
        sqlite_where=sa.text("ended_on IS NULL"),
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index("ix_affiliation_tenant_id_person_id", table_name="affiliation")
    op.drop_index("ix_affiliation_tenant_id_org_node_id", table_name="affiliation")

    op.drop_table("affiliation")
    op.drop_index("ix_person_tenant_id_phone_index", table_name="person")
    op.drop_index("ix_person_tenant_id_org_node_id_name", table_name="person")

    op.drop_table("person")
    op.drop_table("role")
    op.drop_index(
        "uq_org_node_tenant_id_parent_id_name_active",
        sqlite_where=sa.text("archived_at IS NULL"),
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("uq_org_node_tenant_id_code", table_name="org_node")
    op.drop_index("ix_org_node_tenant_id_path", table_name="org_node")
    op.drop_index("ix_org_node_tenant_id_parent_id", table_name="org_node")
    op.drop_index("ix_org_node_tenant_id_kind_path", table_name="org_node")

    op.drop_table("org_node")
    op.drop_index("ix_audit_record_tenant_id_user_id_at", table_name="audit_record")
    op.drop_index("ix_audit_record_tenant_id_object_id", table_name="audit_record")
    op.drop_index("ix_audit_record_tenant_id_at", table_name="audit_record")

    op.drop_table("audit_record")
    op.drop_table("tenant")
    op.drop_index("ix_auth_session_tenant_id_user_id", table_name="auth_session")

    op.drop_table("auth_session")
