"""care_fund: funds, beneficiaries, disbursements, the append-only ledger and idempotency keys

Revision ID: care_fund_0001
Revises:
Create Date: 2026-11-27 07:48:37.607048
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.api import disable_tenant_rls, enable_tenant_rls

revision = "care_fund_0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "care_fund",
    "care_fund_beneficiary",
    "care_fund_disbursement",
    "care_fund_transaction",
    "care_fund_entry",
    "care_fund_idempotency_key",
)
# The append-only ledger: the database itself refuses UPDATE and DELETE of these rows.
LEDGER_TABLES = ("care_fund_transaction", "care_fund_entry")
REFUSAL = "care_fund ledger rows are append-only: correct by reversal"
# The deliberate ways ledger rows go: the district's copy of the mechanism's data is purged
# (``quanyu plugin purge care_fund``: allowed only while the district has the plugin disabled, the
# core's rule), or the district itself is erased (``quanyu tenant delete``: on PostgreSQL the core
# sets ``quanyu.erasing_tenant`` to the district's id for that transaction; a district whose tenant
# row is already gone cascades). On SQLite, which has no session settings, erasing a district whose
# care fund is still enabled is refused: disable the mechanism first (then its purge, or the erase).
MAY_DELETE = (
    "NOT EXISTS (SELECT 1 FROM tenant WHERE tenant.id = OLD.tenant_id)"
    " OR EXISTS (SELECT 1 FROM tenant_plugin WHERE tenant_plugin.tenant_id = OLD.tenant_id"
    " AND tenant_plugin.slug = 'care_fund' AND {disabled})"
)
ERASING = "coalesce(current_setting('quanyu.erasing_tenant', true), '') = OLD.tenant_id::text"
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION care_fund_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND ({ERASING} OR {MAY_DELETE.format(disabled="NOT tenant_plugin.enabled")}) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '{REFUSAL} (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$
"""


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION care_fund_ledger_append_only()"
            )
        return
    for table in LEDGER_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT ({MAY_DELETE.format(disabled='tenant_plugin.enabled = 0')}) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS care_fund_ledger_append_only()")
        return
    for table in LEDGER_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def upgrade() -> None:
    op.create_table(
        "care_fund_idempotency_key",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_care_fund_idempotency_key_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund_idempotency_key")),
        sa.UniqueConstraint(
            "tenant_id", "key", "route", name=op.f("uq_care_fund_idempotency_key_tenant_id_key_route")
        ),
    )
    op.create_index(
        "ix_care_fund_idempotency_key_created_at", "care_fund_idempotency_key", ["created_at"], unique=False
    )

    op.create_table(
        "care_fund",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'closed')", name=op.f("ck_care_fund_status")),
        sa.CheckConstraint("balance_fen >= 0", name=op.f("ck_care_fund_balance_fen")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_care_fund_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_care_fund_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund")),
        sa.UniqueConstraint(
            "tenant_id", "org_node_id", "name", name=op.f("uq_care_fund_tenant_id_org_node_id_name")
        ),
    )
    op.create_index(
        "ix_care_fund_tenant_id_org_node_id", "care_fund", ["tenant_id", "org_node_id"], unique=False
    )

    op.create_table(
        "care_fund_beneficiary",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("hardship", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "hardship IN ('elderly', 'illness', 'disability', 'low_income', 'disaster', 'other')",
            name=op.f("ck_care_fund_beneficiary_hardship"),
        ),
        sa.CheckConstraint("kind IN ('member', 'resident')", name=op.f("ck_care_fund_beneficiary_kind")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_care_fund_beneficiary_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["person.tenant_id", "person.id"],
            name=op.f("fk_care_fund_beneficiary_tenant_id_person_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_care_fund_beneficiary_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund_beneficiary")),
    )
    op.create_index(
        "ix_care_fund_beneficiary_tenant_id_org_node_id",
        "care_fund_beneficiary",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "ix_care_fund_beneficiary_tenant_id_person_id",
        "care_fund_beneficiary",
        ["tenant_id", "person_id"],
        unique=False,
    )

    op.create_table(
        "care_fund_disbursement",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("needs_second_approval", sa.Boolean(), nullable=False),
        sa.Column("applicant_id", sa.Uuid(), nullable=True),
        sa.Column("approver_id", sa.Uuid(), nullable=True),
        sa.Column("second_approver_id", sa.Uuid(), nullable=True),
        sa.Column("rejected_by_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('applied', 'first_approved', 'approved', 'rejected', 'paid', 'reversed')",
            name=op.f("ck_care_fund_disbursement_status"),
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_care_fund_disbursement_amount_fen")),
        sa.CheckConstraint(
            "approver_id IS NULL OR approver_id <> applicant_id",
            name=op.f("ck_care_fund_disbursement_approver"),
        ),
        sa.CheckConstraint(
            "second_approver_id IS NULL OR (second_approver_id <> applicant_id AND second_approver_id <> approver_id)",
            name=op.f("ck_care_fund_disbursement_second_approver"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "applicant_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_applicant_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "approver_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_approver_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "beneficiary_id"],
            ["care_fund_beneficiary.tenant_id", "care_fund_beneficiary.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_beneficiary_id_care_fund_beneficiary"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "fund_id"],
            ["care_fund.tenant_id", "care_fund.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_fund_id_care_fund"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rejected_by_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_rejected_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "second_approver_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_second_approver_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_care_fund_disbursement_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund_disbursement")),
    )
    op.create_index(
        "ix_care_fund_disbursement_tenant_id_beneficiary_id",
        "care_fund_disbursement",
        ["tenant_id", "beneficiary_id"],
        unique=False,
    )
    op.create_index(
        "ix_care_fund_disbursement_tenant_id_fund_id_status",
        "care_fund_disbursement",
        ["tenant_id", "fund_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_care_fund_disbursement_tenant_id_org_node_id",
        "care_fund_disbursement",
        ["tenant_id", "org_node_id"],
        unique=False,
    )

    op.create_table(
        "care_fund_transaction",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("org_node_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("receipt_no", sa.String(length=40), nullable=True),
        sa.Column("payer", sa.String(length=100), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("disbursement_id", sa.Uuid(), nullable=True),
        sa.Column("reverses_id", sa.Uuid(), nullable=True),
        sa.Column("memo", sa.String(length=500), nullable=True),
        sa.Column("posted_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'income') = (receipt_no IS NOT NULL)", name=op.f("ck_care_fund_transaction_receipt_no")
        ),
        sa.CheckConstraint(
            "(kind = 'income') = (source IS NOT NULL)", name=op.f("ck_care_fund_transaction_source")
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name=op.f("ck_care_fund_transaction_reverses")
        ),
        sa.CheckConstraint(
            "kind <> 'payment' OR disbursement_id IS NOT NULL",
            name=op.f("ck_care_fund_transaction_disbursement"),
        ),
        sa.CheckConstraint(
            "kind IN ('income', 'payment', 'reversal')", name=op.f("ck_care_fund_transaction_kind")
        ),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_care_fund_transaction_amount_fen")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "disbursement_id"],
            ["care_fund_disbursement.tenant_id", "care_fund_disbursement.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_disbursement_id_care_fund_disbursement"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "fund_id"],
            ["care_fund.tenant_id", "care_fund.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_fund_id_care_fund"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "org_node_id"],
            ["org_node.tenant_id", "org_node.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_org_node_id_org_node"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "posted_by_id"],
            ["app_user.tenant_id", "app_user.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_posted_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "reverses_id"],
            ["care_fund_transaction.tenant_id", "care_fund_transaction.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_reverses_id_care_fund_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_care_fund_transaction_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund_transaction")),
        sa.UniqueConstraint(
            "tenant_id", "receipt_no", name=op.f("uq_care_fund_transaction_tenant_id_receipt_no")
        ),
        sa.UniqueConstraint(
            "tenant_id", "reverses_id", name=op.f("uq_care_fund_transaction_tenant_id_reverses_id")
        ),
    )
    op.create_index(
        "ix_care_fund_transaction_tenant_id_fund_id_occurred_on",
        "care_fund_transaction",
        ["tenant_id", "fund_id", "occurred_on"],
        unique=False,
    )
    op.create_index(
        "ix_care_fund_transaction_tenant_id_org_node_id",
        "care_fund_transaction",
        ["tenant_id", "org_node_id"],
        unique=False,
    )
    op.create_index(
        "uq_care_fund_transaction_tenant_id_disbursement_id_payment",
        "care_fund_transaction",
        ["tenant_id", "disbursement_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'payment'"),
        postgresql_where=sa.text("kind = 'payment'"),
    )

    op.create_table(
        "care_fund_entry",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "account IN ('cash', 'income.party_dues', 'income.unit_donation', 'income.member_donation', 'income.social_donation', 'expense.relief')",
            name=op.f("ck_care_fund_entry_account"),
        ),
        sa.CheckConstraint("direction IN ('debit', 'credit')", name=op.f("ck_care_fund_entry_direction")),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_care_fund_entry_amount_fen")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "fund_id"],
            ["care_fund.tenant_id", "care_fund.id"],
            name=op.f("fk_care_fund_entry_tenant_id_fund_id_care_fund"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "transaction_id"],
            ["care_fund_transaction.tenant_id", "care_fund_transaction.id"],
            name=op.f("fk_care_fund_entry_tenant_id_transaction_id_care_fund_transaction"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_care_fund_entry_tenant_id_tenant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_care_fund_entry")),
    )
    op.create_index(
        "ix_care_fund_entry_tenant_id_fund_id_account",
        "care_fund_entry",
        ["tenant_id", "fund_id", "account"],
        unique=False,
    )
    op.create_index(
        "ix_care_fund_entry_tenant_id_transaction_id",
        "care_fund_entry",
        ["tenant_id", "transaction_id"],
        unique=False,
    )

    for table in TABLES:
        enable_tenant_rls(op, table)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    for table in TABLES:
        disable_tenant_rls(op, table)
    op.drop_index("ix_care_fund_entry_tenant_id_transaction_id", table_name="care_fund_entry")
    op.drop_index("ix_care_fund_entry_tenant_id_fund_id_account", table_name="care_fund_entry")

    op.drop_table("care_fund_entry")
    op.drop_index(
        "uq_care_fund_transaction_tenant_id_disbursement_id_payment",
        table_name="care_fund_transaction",
        sqlite_where=sa.text("kind = 'payment'"),
        postgresql_where=sa.text("kind = 'payment'"),
    )
    op.drop_index("ix_care_fund_transaction_tenant_id_org_node_id", table_name="care_fund_transaction")
    op.drop_index(
        "ix_care_fund_transaction_tenant_id_fund_id_occurred_on", table_name="care_fund_transaction"
    )

    op.drop_table("care_fund_transaction")
    op.drop_index("ix_care_fund_disbursement_tenant_id_org_node_id", table_name="care_fund_disbursement")
    op.drop_index("ix_care_fund_disbursement_tenant_id_fund_id_status", table_name="care_fund_disbursement")
    op.drop_index("ix_care_fund_disbursement_tenant_id_beneficiary_id", table_name="care_fund_disbursement")

    op.drop_table("care_fund_disbursement")
    op.drop_index("ix_care_fund_beneficiary_tenant_id_person_id", table_name="care_fund_beneficiary")
    op.drop_index("ix_care_fund_beneficiary_tenant_id_org_node_id", table_name="care_fund_beneficiary")

    op.drop_table("care_fund_beneficiary")
    op.drop_index("ix_care_fund_tenant_id_org_node_id", table_name="care_fund")

    op.drop_table("care_fund")
    op.drop_index("ix_care_fund_idempotency_key_created_at", table_name="care_fund_idempotency_key")

    op.drop_table("care_fund_idempotency_key")
