"""What the care fund's API reads and writes (msgspec structs), and its configuration.

Amounts are integers in fen (分): 100 fen = 1 yuan. The amount fields of requests accept any JSON
value so that the services can refuse a float or a string by name (``amount_fen``) instead of
letting a lenient decoder round or convert it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.api import Input, Output
from plugins.care_fund.models import MEMO_MAX, NAME_MAX, PAYER_MAX, PERSON_NAME_MAX, PURPOSE_MAX, RECEIPT_MAX

Source = Literal["party_dues", "unit_donation", "member_donation", "social_donation"]
FundStatus = Literal["active", "closed"]
BeneficiaryKind = Literal["member", "resident"]
Hardship = Literal["elderly", "illness", "disability", "low_income", "disaster", "other"]
DisbursementStatus = Literal["applied", "first_approved", "approved", "rejected", "paid", "reversed"]

Name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
Memo = Annotated[str, Meta(max_length=MEMO_MAX)]
Receipt = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_\-/]+$", min_length=1, max_length=RECEIPT_MAX)]
# Integer fen, checked by the services (a float or a string is refused naming the field).
Amount = Any


class CareFundConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A district's settings of the mechanism (configured through the plugins API)."""

    # A disbursement above this amount (fen) needs a second approval, by a third person.
    second_approval_above_fen: Annotated[int, Meta(ge=0)] = 500_000
    # The largest amount (fen) one income or disbursement may move.
    max_amount_fen: Annotated[int, Meta(ge=1, le=10_000_000_000)] = 100_000_000
    # How long an Idempotency-Key is remembered (hours; at least a day).
    idempotency_retention_hours: Annotated[int, Meta(ge=24, le=24 * 365)] = 48


# --- funds -----------------------------------------------------------------------------------------


class FundIn(Input):
    org_node_id: uuid.UUID
    name: Name
    description: Memo | None = None


class FundUpdate(Input):
    name: Name | UnsetType = UNSET
    description: Memo | UnsetType | None = UNSET
    status: FundStatus | UnsetType = UNSET


class FundOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    name: str
    description: str | None
    status: str
    balance_fen: int
    created_at: dt.datetime


# --- the ledger ------------------------------------------------------------------------------------


class IncomeIn(Input):
    source: Source
    amount_fen: Amount
    receipt_no: Receipt
    payer: Annotated[str, Meta(max_length=PAYER_MAX)] | None = None
    received_on: dt.date | None = None
    memo: Memo | None = None


class ReversalIn(Input):
    reason: Annotated[str, Meta(min_length=1, max_length=MEMO_MAX)]


class EntryOut(Output):
    account: str
    direction: str
    amount_fen: int


class TransactionOut(Output):
    id: uuid.UUID
    fund_id: uuid.UUID
    kind: str
    source: str | None
    amount_fen: int
    receipt_no: str | None
    payer: str | None
    occurred_on: dt.date
    disbursement_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reversed_by_id: uuid.UUID | None
    memo: str | None
    posted_by_id: uuid.UUID | None
    created_at: dt.datetime
    entries: list[EntryOut]
    balance_after_fen: int | None = None


# --- beneficiaries ---------------------------------------------------------------------------------


class BeneficiaryIn(Input):
    org_node_id: uuid.UUID
    kind: BeneficiaryKind
    name: Annotated[str, Meta(min_length=1, max_length=PERSON_NAME_MAX)]
    hardship: Hardship
    person_id: uuid.UUID | None = None
    note: Memo | None = None


class BeneficiaryUpdate(Input):
    name: Annotated[str, Meta(min_length=1, max_length=PERSON_NAME_MAX)] | UnsetType = UNSET
    hardship: Hardship | UnsetType = UNSET
    note: Memo | UnsetType | None = UNSET


class BeneficiaryOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_name: str
    kind: str
    name: str
    hardship: str
    person_id: uuid.UUID | None
    note: str | None
    created_at: dt.datetime


# --- disbursements ---------------------------------------------------------------------------------


class DisbursementIn(Input):
    fund_id: uuid.UUID
    beneficiary_id: uuid.UUID
    amount_fen: Amount
    purpose: Annotated[str, Meta(min_length=1, max_length=PURPOSE_MAX)]


class RejectionIn(Input):
    reason: Annotated[str, Meta(min_length=1, max_length=MEMO_MAX)]


class DisbursementOut(Output):
    id: uuid.UUID
    fund_id: uuid.UUID
    fund_name: str
    org_node_id: uuid.UUID
    beneficiary_id: uuid.UUID
    beneficiary_name: str
    amount_fen: int
    purpose: str
    status: str
    needs_second_approval: bool
    applicant_id: uuid.UUID | None
    approver_id: uuid.UUID | None
    second_approver_id: uuid.UUID | None
    rejected_by_id: uuid.UUID | None
    reason: str | None
    applied_on: dt.date
    approved_at: dt.datetime | None
    paid_at: dt.datetime | None
    payment_id: uuid.UUID | None


# --- disclosure (公示) -----------------------------------------------------------------------------


class SourceTotal(Output):
    source: str
    amount_fen: int


class DisclosedPayment(Output):
    paid_on: dt.date
    beneficiary: str
    hardship: str
    purpose: str
    amount_fen: int


class DisclosureOut(Output):
    fund_id: uuid.UUID
    fund_name: str
    org_name: str
    start: dt.date
    end: dt.date
    opening_balance_fen: int
    income: list[SourceTotal]
    income_total_fen: int
    disbursements: list[DisclosedPayment]
    disbursed_total_fen: int
    closing_balance_fen: int
