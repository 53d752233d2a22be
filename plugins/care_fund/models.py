"""The tables of the care fund (关爱基金联筹): tenant-scoped, keys include ``tenant_id``, money in integer fen (分).

A fund (关爱基金, "red fund") belongs to one organisation of the tree. Money moves only through an
append-only double-entry ledger: a ledger transaction (``care_fund_transaction``) and its entries
(``care_fund_entry``), each entry a debit or a credit of one account of the fund, the debits of a
transaction equal to its credits. The database refuses UPDATE and DELETE of both tables (triggers of
the migration). The fund keeps its stored balance (the cash account) beside the entries, never
below zero. Disbursements (帮扶支出) go applied → approved → paid; beneficiaries (帮扶对象) are the
members and residents in hardship they go to.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.api import Base, TenantScoped, Timestamped, tenant_fk, utcnow

NAME_MAX = 100
PERSON_NAME_MAX = 50
RECEIPT_MAX = 40
PAYER_MAX = 100
PURPOSE_MAX = 200
MEMO_MAX = 500
KEY_MAX = 255
ROUTE_MAX = 300

FUND_STATUSES = ("active", "closed")
# How money comes in: 党费划转, 单位捐助, 党员捐款, 社会捐赠.
SOURCES = ("party_dues", "unit_donation", "member_donation", "social_donation")
TRANSACTION_KINDS = ("income", "payment", "reversal")
CASH = "cash"
RELIEF = "expense.relief"
ACCOUNTS = (CASH, *(f"income.{s}" for s in SOURCES), RELIEF)
DIRECTIONS = ("debit", "credit")
BENEFICIARY_KINDS = ("member", "resident")
HARDSHIPS = ("elderly", "illness", "disability", "low_income", "disaster", "other")
DISBURSEMENT_STATUSES = ("applied", "first_approved", "approved", "rejected", "paid", "reversed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CareFund(TenantScoped, Timestamped, Base):
    """A care fund (关爱基金) of one organisation, with its stored balance in fen (the cash account)."""

    __tablename__ = "care_fund"
    __table_args__ = (
        UniqueConstraint("tenant_id", "org_node_id", "name"),
        CheckConstraint(_in("status", FUND_STATUSES), name="status"),
        CheckConstraint("balance_fen >= 0", name="balance_fen"),
    )

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Kept by the ledger's one code path in the same transaction as the entries.
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class CareFundBeneficiary(TenantScoped, Timestamped, Base):
    """A member or resident in hardship (帮扶对象). Personal data kept minimal: a name, the kind of
    hardship, the community; a party member may be linked to the district's person record."""

    __tablename__ = "care_fund_beneficiary"
    __table_args__ = (
        CheckConstraint(_in("kind", BENEFICIARY_KINDS), name="kind"),
        CheckConstraint(_in("hardship", HARDSHIPS), name="hardship"),
    )

    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True)
    name: Mapped[str] = mapped_column(String(PERSON_NAME_MAX))
    hardship: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(MEMO_MAX), default=None)


class CareFundDisbursement(TenantScoped, Timestamped, Base):
    """A disbursement (帮扶支出) from a fund to a beneficiary: applied → approved (by someone else; a
    second approver, a third person, above the district's amount) → paid, or rejected. A paid one whose
    payment is reversed is ``reversed``. The database itself refuses an approver who applied."""

    __tablename__ = "care_fund_disbursement"
    __table_args__ = (
        Index("ix_care_fund_disbursement_tenant_id_fund_id_status", "tenant_id", "fund_id", "status"),
        CheckConstraint(_in("status", DISBURSEMENT_STATUSES), name="status"),
        CheckConstraint("amount_fen > 0", name="amount_fen"),
        CheckConstraint("approver_id IS NULL OR approver_id <> applicant_id", name="approver"),
        CheckConstraint(
            "second_approver_id IS NULL OR (second_approver_id <> applicant_id"
            " AND second_approver_id <> approver_id)",
            name="second_approver",
        ),
    )

    fund_id: Mapped[uuid.UUID] = tenant_fk("care_fund", index=False)
    # The fund's organisation, copied for scoping.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    beneficiary_id: Mapped[uuid.UUID] = tenant_fk("care_fund_beneficiary")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(PURPOSE_MAX))
    status: Mapped[str] = mapped_column(String(20), default="applied")
    needs_second_approval: Mapped[bool] = mapped_column(default=False)
    applicant_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    approver_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    second_approver_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    rejected_by_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    reason: Mapped[str | None] = mapped_column(String(MEMO_MAX), default=None)
    applied_on: Mapped[dt.date]
    approved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    paid_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CareFundTransaction(TenantScoped, Base):
    """A ledger transaction (记账凭证) of one fund: income, payment of a disbursement, or the reversal
    (冲正) of an earlier transaction. Append-only: never updated, never deleted."""

    __tablename__ = "care_fund_transaction"
    __table_args__ = (
        UniqueConstraint("tenant_id", "receipt_no"),
        # A transaction is reversed at most once.
        UniqueConstraint("tenant_id", "reverses_id"),
        Index(
            "ix_care_fund_transaction_tenant_id_fund_id_occurred_on", "tenant_id", "fund_id", "occurred_on"
        ),
        # A disbursement is paid at most once.
        Index(
            "uq_care_fund_transaction_tenant_id_disbursement_id_payment",
            "tenant_id",
            "disbursement_id",
            unique=True,
            sqlite_where=text("kind = 'payment'"),
            postgresql_where=text("kind = 'payment'"),
        ),
        CheckConstraint(_in("kind", TRANSACTION_KINDS), name="kind"),
        CheckConstraint("amount_fen > 0", name="amount_fen"),
        CheckConstraint("(kind = 'income') = (source IS NOT NULL)", name="source"),
        CheckConstraint("(kind = 'income') = (receipt_no IS NOT NULL)", name="receipt_no"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reverses"),
        CheckConstraint("kind <> 'payment' OR disbursement_id IS NOT NULL", name="disbursement"),
    )

    fund_id: Mapped[uuid.UUID] = tenant_fk("care_fund", index=False)
    # The fund's organisation, copied for scoping.
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(30), default=None)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    receipt_no: Mapped[str | None] = mapped_column(String(RECEIPT_MAX), default=None)
    payer: Mapped[str | None] = mapped_column(String(PAYER_MAX), default=None)
    occurred_on: Mapped[dt.date]
    disbursement_id: Mapped[uuid.UUID | None] = tenant_fk(
        "care_fund_disbursement", nullable=True, index=False
    )
    reverses_id: Mapped[uuid.UUID | None] = tenant_fk("care_fund_transaction", nullable=True, index=False)
    memo: Mapped[str | None] = mapped_column(String(MEMO_MAX), default=None)
    posted_by_id: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True, index=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CareFundEntry(TenantScoped, Base):
    """One ledger entry (分录): a debit or a credit of one account of a fund. Append-only."""

    __tablename__ = "care_fund_entry"
    __table_args__ = (
        Index("ix_care_fund_entry_tenant_id_fund_id_account", "tenant_id", "fund_id", "account"),
        CheckConstraint(_in("account", ACCOUNTS), name="account"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint("amount_fen > 0", name="amount_fen"),
    )

    transaction_id: Mapped[uuid.UUID] = tenant_fk("care_fund_transaction")
    fund_id: Mapped[uuid.UUID] = tenant_fk("care_fund", index=False)
    account: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CareFundIdempotencyKey(TenantScoped, Base):
    """An ``Idempotency-Key`` seen on a money-moving request, with the request's hash and the first
    response (see ``idempotency.py``)."""

    __tablename__ = "care_fund_idempotency_key"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", "route"),
        Index("ix_care_fund_idempotency_key_created_at", "created_at"),
    )

    key: Mapped[str] = mapped_column(String(KEY_MAX))
    route: Mapped[str] = mapped_column(String(ROUTE_MAX))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


LEDGER_TABLES = (CareFundTransaction.__tablename__, CareFundEntry.__tablename__)
TABLES = frozenset(
    {
        CareFund.__tablename__,
        CareFundBeneficiary.__tablename__,
        CareFundDisbursement.__tablename__,
        CareFundTransaction.__tablename__,
        CareFundEntry.__tablename__,
        CareFundIdempotencyKey.__tablename__,
    }
)
