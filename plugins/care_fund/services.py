"""The rules of the care fund (关爱基金联筹): routes parse and authorise, services decide and write.

Money moves only through ``post`` (the ledger's one code path): it locks the fund's row, checks that
the transaction balances (debits = credits) and that the fund's cash never goes below zero, writes
the transaction and its entries and moves the stored balance, all in the caller's transaction. A
session flush refuses ledger rows that did not come through ``post`` and any change or deletion of
one (the database's triggers refuse them again below the ORM). Corrections are reversals: a new
transaction mirroring the original's entries, referring to it.

Scope: a fund, its transactions and disbursements belong to the fund's organisation; a beneficiary
to their community. A caller reaches what lies in their scope for the permission; everything else
is 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from core.api import (
    Conflict,
    FieldProblem,
    Figure,
    OrgNode,
    PageParams,
    Person,
    Principal,
    _,
    audit,
    audit_diff,
    district_today,
    in_subtree,
    invalid_field,
    load_in_scope,
    node_in_scope,
    not_found,
    paginate,
    plugin_config,
    scoped_select,
    utcnow,
)
from plugins.care_fund.models import (
    CASH,
    RELIEF,
    SOURCES,
    CareFund,
    CareFundBeneficiary,
    CareFundDisbursement,
    CareFundEntry,
    CareFundTransaction,
)
from plugins.care_fund.schemas import (
    BeneficiaryIn,
    BeneficiaryOut,
    BeneficiaryUpdate,
    CareFundConfig,
    DisbursementIn,
    DisbursementOut,
    DisclosedPayment,
    DisclosureOut,
    EntryOut,
    FundIn,
    FundOut,
    FundUpdate,
    IncomeIn,
    SourceTotal,
    TransactionOut,
)

SLUG = "care_fund"
READ = "care_fund.read"
MANAGE = "care_fund.manage"
RECORD = "care_fund.record"
APPROVE = "care_fund.approve"
PAY = "care_fund.pay"


async def config_of(session: AsyncSession) -> CareFundConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, CareFundConfig)
    return config


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _required(field: str, text: str) -> str:
    cleaned = _clean(text)
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


def amount_of(field: str, value: Any, config: CareFundConfig) -> int:
    """``value`` as a positive whole number of fen, or a 422 naming ``field`` (a float, a string, a
    boolean, zero or less, or more than the district allows are all refused)."""
    if type(value) is not int:
        raise invalid_field(
            field, _("Give the amount as a whole number of fen (1 yuan = 100 fen)."), code="not_fen"
        )
    if value <= 0:
        raise invalid_field(field, _("The amount must be more than zero."), code="not_positive")
    if value > config.max_amount_fen:
        raise invalid_field(
            field, _("The amount may be at most {max} fen."), code="too_large", max=config.max_amount_fen
        )
    return value


def yuan(fen: int) -> str:
    """``390000`` → ``"3900.00"``."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def mask_name(name: str) -> str:
    """A beneficiary's name as the public sees it (公示): ``张三`` → ``张*``, ``王小明`` → ``王*明``."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- the ledger: the one code path -----------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One side of a posting: ``account`` debited or credited with ``amount_fen``."""

    account: str
    direction: str
    amount_fen: int


class UnbalancedPosting(RuntimeError):
    """A posting whose debits and credits differ: a defect of the code, never of the input."""


# Rows written by ``post``; any other ledger row in a flush is refused.
_POSTED: weakref.WeakSet[Any] = weakref.WeakSet()


@event.listens_for(Session, "before_flush")
def _guard_ledger(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, CareFundTransaction | CareFundEntry) and obj not in _POSTED:
            raise UnbalancedPosting("care_fund ledger rows are written only by care_fund.services.post")
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, CareFundTransaction | CareFundEntry) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise UnbalancedPosting("care_fund ledger rows are append-only: correct by reversal")


async def lock_fund(session: AsyncSession, fund_id: uuid.UUID) -> CareFund:
    """The fund's row, freshly read and locked for the rest of the transaction (``FOR UPDATE`` on
    PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE``)."""
    fund = (
        await session.scalars(
            select(CareFund)
            .where(CareFund.id == fund_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if fund is None:
        raise not_found()
    return fund


def _overdrawn(fund: CareFund, needed: int) -> Conflict:
    return Conflict(
        _("The input conflicts with existing data."),
        code="overdrawn",
        errors=[
            FieldProblem(
                "amount_fen",
                "overdrawn",
                _("The fund {fund} holds {balance} yuan; {amount} yuan would overdraw it."),
                {"fund": fund.name, "balance": yuan(fund.balance_fen), "amount": yuan(needed)},
            )
        ],
    )


async def post(
    session: AsyncSession,
    fund_id: uuid.UUID,
    legs: Sequence[Leg],
    *,
    kind: str,
    occurred_on: dt.date,
    posted_by_id: uuid.UUID | None,
    source: str | None = None,
    receipt_no: str | None = None,
    payer: str | None = None,
    disbursement_id: uuid.UUID | None = None,
    reverses_id: uuid.UUID | None = None,
    memo: str | None = None,
) -> CareFundTransaction:
    """Post one balanced transaction to the fund: the only way money moves.

    Under the fund's row lock: the legs must balance (debits = credits, each a positive whole number
    of fen), the cash account must not go below zero (409 ``overdrawn`` naming ``amount_fen``), then
    the transaction, its entries and the stored balance are written together.
    """
    if not legs or any(type(leg.amount_fen) is not int or leg.amount_fen <= 0 for leg in legs):
        raise UnbalancedPosting("every leg moves a positive whole number of fen")
    debits = sum(leg.amount_fen for leg in legs if leg.direction == "debit")
    credits = sum(leg.amount_fen for leg in legs if leg.direction == "credit")
    if debits != credits or debits + credits != sum(leg.amount_fen for leg in legs):
        raise UnbalancedPosting(f"debits {debits} differ from credits {credits}")
    fund = await lock_fund(session, fund_id)
    delta = sum(
        leg.amount_fen if leg.direction == "debit" else -leg.amount_fen for leg in legs if leg.account == CASH
    )
    if fund.balance_fen + delta < 0:
        raise _overdrawn(fund, -delta)
    transaction = CareFundTransaction(
        fund_id=fund.id,
        org_node_id=fund.org_node_id,
        kind=kind,
        source=source,
        amount_fen=debits,
        receipt_no=receipt_no,
        payer=payer,
        occurred_on=occurred_on,
        disbursement_id=disbursement_id,
        reverses_id=reverses_id,
        memo=memo,
        posted_by_id=posted_by_id,
    )
    _POSTED.add(transaction)
    session.add(transaction)
    await session.flush()
    for leg in legs:
        entry = CareFundEntry(
            transaction_id=transaction.id,
            fund_id=fund.id,
            account=leg.account,
            direction=leg.direction,
            amount_fen=leg.amount_fen,
        )
        _POSTED.add(entry)
        session.add(entry)
    fund.balance_fen += delta
    await session.flush()
    return transaction


# --- funds -----------------------------------------------------------------------------------------


async def _nodes(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


async def fund_outs(session: AsyncSession, funds: Sequence[CareFund]) -> list[FundOut]:
    nodes = await _nodes(session, (f.org_node_id for f in funds))
    return [
        FundOut(
            id=f.id,
            org_node_id=f.org_node_id,
            org_name=nodes[f.org_node_id].name,
            name=f.name,
            description=f.description,
            status=f.status,
            balance_fen=f.balance_fen,
            created_at=f.created_at,
        )
        for f in funds
    ]


def _fund_snapshot(fund: CareFund) -> dict[str, Any]:
    return {
        "org_node_id": fund.org_node_id,
        "name": fund.name,
        "description": fund.description,
        "status": fund.status,
    }


async def _check_fund_name(
    session: AsyncSession, org_node_id: uuid.UUID, name: str, exclude: uuid.UUID | None
) -> None:
    stmt = select(CareFund.id).where(CareFund.org_node_id == org_node_id, CareFund.name == name)
    if exclude is not None:
        stmt = stmt.where(CareFund.id != exclude)
    if (await session.scalars(stmt)).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "name",
                    "duplicate",
                    _("The organisation already has a fund named {name}."),
                    {"name": name},
                )
            ],
        )


async def create_fund(session: AsyncSession, principal: Principal, data: FundIn) -> CareFund:
    node = await node_in_scope(session, principal, data.org_node_id, MANAGE)
    if node.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    name = _required("name", data.name)
    await _check_fund_name(session, node.id, name, None)
    fund = CareFund(
        org_node_id=node.id, name=name, description=_clean(data.description), status="active", balance_fen=0
    )
    session.add(fund)
    await session.flush()
    await audit(
        session,
        "care_fund.fund_create",
        object_type="care_fund",
        object_id=fund.id,
        org_node_id=node.id,
        changes=audit_diff({}, _fund_snapshot(fund)),
    )
    return fund


async def fund_in_scope(
    session: AsyncSession, principal: Principal, fund_id: uuid.UUID, permission: str
) -> CareFund:
    return await load_in_scope(session, principal, CareFund, fund_id, permission)


def _require_active(fund: CareFund) -> None:
    if fund.status != "active":
        raise Conflict(_("The fund {name} is closed."), code="fund_closed", name=fund.name)


async def update_fund(
    session: AsyncSession, principal: Principal, fund_id: uuid.UUID, data: FundUpdate
) -> CareFund:
    fund = await fund_in_scope(session, principal, fund_id, MANAGE)
    before = _fund_snapshot(fund)
    if data.name is not msgspec.UNSET:
        name = _required("name", data.name)
        if name != fund.name:
            await _check_fund_name(session, fund.org_node_id, name, fund.id)
        fund.name = name
    if data.description is not msgspec.UNSET:
        fund.description = _clean(data.description)
    if data.status is not msgspec.UNSET and data.status != fund.status:
        if data.status == "closed":
            fund = await lock_fund(session, fund.id)
            if fund.balance_fen != 0:
                raise invalid_field(
                    "status",
                    _("A fund is closed only once its balance is zero; it holds {balance} yuan."),
                    code="balance_not_zero",
                    balance=yuan(fund.balance_fen),
                )
            pending = await session.scalar(
                select(func.count())
                .select_from(CareFundDisbursement)
                .where(
                    CareFundDisbursement.fund_id == fund.id,
                    CareFundDisbursement.status.in_(("applied", "first_approved", "approved")),
                )
            )
            if pending:
                raise invalid_field(
                    "status", _("The fund has disbursements still open."), code="open_disbursements"
                )
        fund.status = data.status
    await session.flush()
    await audit(
        session,
        "care_fund.fund_update",
        object_type="care_fund",
        object_id=fund.id,
        org_node_id=fund.org_node_id,
        changes=audit_diff(before, _fund_snapshot(fund)),
    )
    return fund


async def funds_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    node_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[CareFund], int]:
    stmt = scoped_select(CareFund, principal, READ)
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(
            CareFund.org_node_id.in_(select(OrgNode.id).where(in_subtree(OrgNode.path, node.path)))
        )
    if status is not None:
        stmt = stmt.where(CareFund.status == status)
    return await paginate(session, stmt.order_by(CareFund.name, CareFund.id), page)


# --- income, transactions, reversal ----------------------------------------------------------------


async def transaction_outs(
    session: AsyncSession, rows: Sequence[CareFundTransaction]
) -> list[TransactionOut]:
    ids = [t.id for t in rows]
    entries: dict[uuid.UUID, list[EntryOut]] = {i: [] for i in ids}
    reversed_by: dict[uuid.UUID, uuid.UUID] = {}
    if ids:
        for entry in await session.scalars(
            select(CareFundEntry)
            .where(CareFundEntry.transaction_id.in_(ids))
            .order_by(CareFundEntry.direction.desc(), CareFundEntry.account)
        ):
            entries[entry.transaction_id].append(
                EntryOut(account=entry.account, direction=entry.direction, amount_fen=entry.amount_fen)
            )
        for reversal_id, original_id in await session.execute(
            select(CareFundTransaction.id, CareFundTransaction.reverses_id).where(
                CareFundTransaction.reverses_id.in_(ids)
            )
        ):
            reversed_by[original_id] = reversal_id
    return [
        TransactionOut(
            id=t.id,
            fund_id=t.fund_id,
            kind=t.kind,
            source=t.source,
            amount_fen=t.amount_fen,
            receipt_no=t.receipt_no,
            payer=t.payer,
            occurred_on=t.occurred_on,
            disbursement_id=t.disbursement_id,
            reverses_id=t.reverses_id,
            reversed_by_id=reversed_by.get(t.id),
            memo=t.memo,
            posted_by_id=t.posted_by_id,
            created_at=t.created_at,
            entries=entries[t.id],
        )
        for t in rows
    ]


async def record_income(
    session: AsyncSession, principal: Principal, fund_id: uuid.UUID, data: IncomeIn
) -> CareFundTransaction:
    """Income (党费划转, 单位捐助, 党员捐款, 社会捐赠) with its receipt number, unique in the district."""
    config = await config_of(session)
    fund = await fund_in_scope(session, principal, fund_id, RECORD)
    amount = amount_of("amount_fen", data.amount_fen, config)
    _require_active(fund)
    received_on = data.received_on or district_today()
    if received_on > district_today():
        raise invalid_field("received_on", _("The date cannot be in the future."), code="in_future")
    if (
        await session.scalars(
            select(CareFundTransaction.id).where(CareFundTransaction.receipt_no == data.receipt_no)
        )
    ).first():
        raise _duplicate_receipt(data.receipt_no)
    try:
        async with session.begin_nested():
            transaction = await post(
                session,
                fund.id,
                [Leg(CASH, "debit", amount), Leg(f"income.{data.source}", "credit", amount)],
                kind="income",
                occurred_on=received_on,
                posted_by_id=principal.user_id,
                source=data.source,
                receipt_no=data.receipt_no,
                payer=_clean(data.payer),
                memo=_clean(data.memo),
            )
    except IntegrityError as exc:  # another request took the receipt number meanwhile
        raise _duplicate_receipt(data.receipt_no) from exc
    await audit(
        session,
        "care_fund.income_record",
        object_type="care_fund_transaction",
        object_id=transaction.id,
        org_node_id=fund.org_node_id,
        changes=audit_diff(
            {},
            {"fund_id": fund.id, "source": data.source, "amount_fen": amount, "receipt_no": data.receipt_no},
        ),
    )
    return transaction


def _duplicate_receipt(receipt_no: str) -> Conflict:
    return Conflict(
        _("The input conflicts with existing data."),
        errors=[
            FieldProblem(
                "receipt_no",
                "duplicate",
                _("The receipt number {receipt_no} is already recorded."),
                {"receipt_no": receipt_no},
            )
        ],
    )


async def transaction_in_scope(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID, permission: str = READ
) -> CareFundTransaction:
    return await load_in_scope(session, principal, CareFundTransaction, transaction_id, permission)


async def transactions_page(
    session: AsyncSession, principal: Principal, fund_id: uuid.UUID, page: PageParams
) -> tuple[list[CareFundTransaction], int]:
    fund = await fund_in_scope(session, principal, fund_id, READ)
    stmt = (
        select(CareFundTransaction)
        .where(CareFundTransaction.fund_id == fund.id)
        .order_by(CareFundTransaction.created_at.desc(), CareFundTransaction.id.desc())
    )
    return await paginate(session, stmt, page)


async def reverse(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID, reason: str
) -> CareFundTransaction:
    """Reverse (冲正) a transaction: a new transaction with its entries mirrored, referring to it. A
    reversal is not reversed; a transaction is reversed once; reversing income already spent would
    overdraw the fund and is refused. Reversing a payment reopens nothing: the disbursement is
    ``reversed``."""
    original = await transaction_in_scope(session, principal, transaction_id, PAY)
    reason = _required("reason", reason)
    if original.kind == "reversal":
        raise Conflict(
            _("A reversal is not reversed; record the transaction again instead."),
            code="reversal_of_reversal",
        )
    if (
        await session.scalars(
            select(CareFundTransaction.id).where(CareFundTransaction.reverses_id == original.id)
        )
    ).first():
        raise Conflict(_("This transaction has already been reversed."), code="already_reversed")
    entries = list(
        await session.scalars(select(CareFundEntry).where(CareFundEntry.transaction_id == original.id))
    )
    legs = [Leg(e.account, "credit" if e.direction == "debit" else "debit", e.amount_fen) for e in entries]
    try:
        async with session.begin_nested():
            reversal = await post(
                session,
                original.fund_id,
                legs,
                kind="reversal",
                occurred_on=district_today(),
                posted_by_id=principal.user_id,
                disbursement_id=original.disbursement_id,
                reverses_id=original.id,
                memo=reason,
            )
    except IntegrityError as exc:
        raise Conflict(_("This transaction has already been reversed."), code="already_reversed") from exc
    if original.kind == "payment" and original.disbursement_id is not None:
        disbursement = await session.get(CareFundDisbursement, (original.tenant_id, original.disbursement_id))
        if disbursement is not None:
            disbursement.status = "reversed"
            disbursement.reason = reason
    await session.flush()
    await audit(
        session,
        "care_fund.reverse",
        object_type="care_fund_transaction",
        object_id=reversal.id,
        org_node_id=original.org_node_id,
        changes=audit_diff(
            {}, {"reverses_id": original.id, "amount_fen": original.amount_fen, "reason": reason}
        ),
    )
    return reversal


# --- beneficiaries ---------------------------------------------------------------------------------


async def beneficiary_outs(
    session: AsyncSession, rows: Sequence[CareFundBeneficiary]
) -> list[BeneficiaryOut]:
    nodes = await _nodes(session, (b.org_node_id for b in rows))
    return [
        BeneficiaryOut(
            id=b.id,
            org_node_id=b.org_node_id,
            org_name=nodes[b.org_node_id].name,
            kind=b.kind,
            name=b.name,
            hardship=b.hardship,
            person_id=b.person_id,
            note=b.note,
            created_at=b.created_at,
        )
        for b in rows
    ]


async def create_beneficiary(
    session: AsyncSession, principal: Principal, data: BeneficiaryIn
) -> CareFundBeneficiary:
    node = await node_in_scope(session, principal, data.org_node_id, RECORD)
    if data.person_id is not None:
        if data.kind != "member":
            raise invalid_field(
                "person_id", _("Only a party member is linked to a person record."), code="not_member"
            )
        person = await session.get(Person, (principal.tenant_id, data.person_id))
        if person is None:
            raise invalid_field("person_id", _("No such person in the district."), code="unknown")
    beneficiary = CareFundBeneficiary(
        org_node_id=node.id,
        kind=data.kind,
        person_id=data.person_id,
        name=_required("name", data.name),
        hardship=data.hardship,
        note=_clean(data.note),
    )
    session.add(beneficiary)
    await session.flush()
    await audit(
        session,
        "care_fund.beneficiary_create",
        object_type="care_fund_beneficiary",
        object_id=beneficiary.id,
        org_node_id=node.id,
        changes=audit_diff({}, {"kind": beneficiary.kind, "hardship": beneficiary.hardship}),
    )
    return beneficiary


async def beneficiary_in_scope(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, permission: str = READ
) -> CareFundBeneficiary:
    return await load_in_scope(session, principal, CareFundBeneficiary, beneficiary_id, permission)


async def update_beneficiary(
    session: AsyncSession, principal: Principal, beneficiary_id: uuid.UUID, data: BeneficiaryUpdate
) -> CareFundBeneficiary:
    beneficiary = await beneficiary_in_scope(session, principal, beneficiary_id, RECORD)
    before = {"name": beneficiary.name, "hardship": beneficiary.hardship, "note": beneficiary.note}
    if data.name is not msgspec.UNSET:
        beneficiary.name = _required("name", data.name)
    if data.hardship is not msgspec.UNSET:
        beneficiary.hardship = data.hardship
    if data.note is not msgspec.UNSET:
        beneficiary.note = _clean(data.note)
    await session.flush()
    after = {"name": beneficiary.name, "hardship": beneficiary.hardship, "note": beneficiary.note}
    await audit(
        session,
        "care_fund.beneficiary_update",
        object_type="care_fund_beneficiary",
        object_id=beneficiary.id,
        org_node_id=beneficiary.org_node_id,
        changes=audit_diff(before, after),
    )
    return beneficiary


async def beneficiaries_page(
    session: AsyncSession, principal: Principal, page: PageParams, *, node_id: uuid.UUID | None = None
) -> tuple[list[CareFundBeneficiary], int]:
    stmt = scoped_select(CareFundBeneficiary, principal, READ)
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(
            CareFundBeneficiary.org_node_id.in_(select(OrgNode.id).where(in_subtree(OrgNode.path, node.path)))
        )
    return await paginate(session, stmt.order_by(CareFundBeneficiary.name, CareFundBeneficiary.id), page)


# --- disbursements ---------------------------------------------------------------------------------


async def disbursement_outs(
    session: AsyncSession, rows: Sequence[CareFundDisbursement]
) -> list[DisbursementOut]:
    ids = [d.id for d in rows]
    funds = (
        {
            f.id: f
            for f in await session.scalars(select(CareFund).where(CareFund.id.in_({d.fund_id for d in rows})))
        }
        if rows
        else {}
    )
    people = (
        {
            b.id: b
            for b in await session.scalars(
                select(CareFundBeneficiary).where(
                    CareFundBeneficiary.id.in_({d.beneficiary_id for d in rows})
                )
            )
        }
        if rows
        else {}
    )
    payments: dict[uuid.UUID, uuid.UUID] = {}
    if ids:
        for payment_id, disbursement_id in await session.execute(
            select(CareFundTransaction.id, CareFundTransaction.disbursement_id).where(
                CareFundTransaction.disbursement_id.in_(ids), CareFundTransaction.kind == "payment"
            )
        ):
            payments[disbursement_id] = payment_id
    return [
        DisbursementOut(
            id=d.id,
            fund_id=d.fund_id,
            fund_name=funds[d.fund_id].name,
            org_node_id=d.org_node_id,
            beneficiary_id=d.beneficiary_id,
            beneficiary_name=people[d.beneficiary_id].name,
            amount_fen=d.amount_fen,
            purpose=d.purpose,
            status=d.status,
            needs_second_approval=d.needs_second_approval,
            applicant_id=d.applicant_id,
            approver_id=d.approver_id,
            second_approver_id=d.second_approver_id,
            rejected_by_id=d.rejected_by_id,
            reason=d.reason,
            applied_on=d.applied_on,
            approved_at=d.approved_at,
            paid_at=d.paid_at,
            payment_id=payments.get(d.id),
        )
        for d in rows
    ]


async def apply_disbursement(
    session: AsyncSession, principal: Principal, data: DisbursementIn
) -> CareFundDisbursement:
    """Apply (申请) for a disbursement from a fund to a beneficiary within the fund's organisation."""
    config = await config_of(session)
    fund = await fund_in_scope(session, principal, data.fund_id, RECORD)
    amount = amount_of("amount_fen", data.amount_fen, config)
    _require_active(fund)
    beneficiary = await session.get(CareFundBeneficiary, (principal.tenant_id, data.beneficiary_id))
    if beneficiary is None:
        raise not_found()
    fund_node = await session.get(OrgNode, (fund.tenant_id, fund.org_node_id))
    home = await session.get(OrgNode, (beneficiary.tenant_id, beneficiary.org_node_id))
    assert fund_node is not None and home is not None
    if not principal.can_at(READ, home.path):
        raise not_found()
    if not home.path.startswith(fund_node.path):
        raise invalid_field(
            "beneficiary_id",
            _("{name} lives outside {org}, which the fund serves."),
            code="outside_fund",
            name=beneficiary.name,
            org=fund_node.name,
        )
    disbursement = CareFundDisbursement(
        fund_id=fund.id,
        org_node_id=fund.org_node_id,
        beneficiary_id=beneficiary.id,
        amount_fen=amount,
        purpose=_required("purpose", data.purpose),
        status="applied",
        needs_second_approval=amount > config.second_approval_above_fen,
        applicant_id=principal.user_id,
        applied_on=district_today(),
    )
    session.add(disbursement)
    await session.flush()
    await audit(
        session,
        "care_fund.disbursement_apply",
        object_type="care_fund_disbursement",
        object_id=disbursement.id,
        org_node_id=fund.org_node_id,
        changes=audit_diff({}, {"fund_id": fund.id, "beneficiary_id": beneficiary.id, "amount_fen": amount}),
    )
    return disbursement


async def disbursement_in_scope(
    session: AsyncSession, principal: Principal, disbursement_id: uuid.UUID, permission: str = READ
) -> CareFundDisbursement:
    return await load_in_scope(session, principal, CareFundDisbursement, disbursement_id, permission)


async def _locked_disbursement(
    session: AsyncSession, principal: Principal, disbursement_id: uuid.UUID, permission: str
) -> CareFundDisbursement:
    found = await disbursement_in_scope(session, principal, disbursement_id, permission)
    locked = (
        await session.scalars(
            select(CareFundDisbursement)
            .where(CareFundDisbursement.id == found.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return locked


def _wrong_status(disbursement: CareFundDisbursement, action: str) -> Conflict:
    return Conflict(
        _("A disbursement that is {state} cannot be {action}."),
        code="wrong_status",
        state=disbursement.status,
        action=action,
    )


def _same_person(message: str) -> Conflict:
    return Conflict(message, code="same_person")


async def approve_disbursement(
    session: AsyncSession, principal: Principal, disbursement_id: uuid.UUID
) -> CareFundDisbursement:
    """Approve (审批): by someone other than the applicant; above the district's amount, a second
    approval by a third person."""
    disbursement = await _locked_disbursement(session, principal, disbursement_id, APPROVE)
    me = principal.user_id
    if disbursement.status == "applied":
        if me == disbursement.applicant_id:
            raise _same_person(
                _("The applicant cannot approve their own application; another person approves it.")
            )
        disbursement.approver_id = me
        disbursement.status = "first_approved" if disbursement.needs_second_approval else "approved"
    elif disbursement.status == "first_approved":
        if me in (disbursement.applicant_id, disbursement.approver_id):
            raise _same_person(
                _(
                    "A second approval is given by a third person, neither the applicant nor the first approver."
                )
            )
        disbursement.second_approver_id = me
        disbursement.status = "approved"
    else:
        raise _wrong_status(disbursement, "approved")
    if disbursement.status == "approved":
        disbursement.approved_at = utcnow()
    await session.flush()
    await audit(
        session,
        "care_fund.disbursement_approve",
        object_type="care_fund_disbursement",
        object_id=disbursement.id,
        org_node_id=disbursement.org_node_id,
        changes={"status": disbursement.status},
    )
    return disbursement


async def reject_disbursement(
    session: AsyncSession, principal: Principal, disbursement_id: uuid.UUID, reason: str
) -> CareFundDisbursement:
    disbursement = await _locked_disbursement(session, principal, disbursement_id, APPROVE)
    if disbursement.status not in ("applied", "first_approved", "approved"):
        raise _wrong_status(disbursement, "rejected")
    if principal.user_id == disbursement.applicant_id:
        raise _same_person(_("The applicant cannot decide on their own application."))
    disbursement.reason = _required("reason", reason)
    disbursement.status = "rejected"
    disbursement.rejected_by_id = principal.user_id
    await session.flush()
    await audit(
        session,
        "care_fund.disbursement_reject",
        object_type="care_fund_disbursement",
        object_id=disbursement.id,
        org_node_id=disbursement.org_node_id,
        changes={"status": "rejected", "reason": disbursement.reason},
    )
    return disbursement


async def pay_disbursement(
    session: AsyncSession, principal: Principal, disbursement_id: uuid.UUID
) -> CareFundDisbursement:
    """Pay (支付) an approved disbursement: the fund's cash goes to relief, never below zero."""
    disbursement = await _locked_disbursement(session, principal, disbursement_id, PAY)
    if disbursement.status != "approved":
        raise _wrong_status(disbursement, "paid")
    fund = await lock_fund(session, disbursement.fund_id)
    _require_active(fund)
    try:
        async with session.begin_nested():
            await post(
                session,
                fund.id,
                [Leg(RELIEF, "debit", disbursement.amount_fen), Leg(CASH, "credit", disbursement.amount_fen)],
                kind="payment",
                occurred_on=district_today(),
                posted_by_id=principal.user_id,
                disbursement_id=disbursement.id,
                memo=disbursement.purpose,
            )
    except IntegrityError as exc:
        raise _wrong_status(disbursement, "paid") from exc
    disbursement.status = "paid"
    disbursement.paid_at = utcnow()
    await session.flush()
    await audit(
        session,
        "care_fund.disbursement_pay",
        object_type="care_fund_disbursement",
        object_id=disbursement.id,
        org_node_id=disbursement.org_node_id,
        changes={"status": "paid", "amount_fen": disbursement.amount_fen},
    )
    return disbursement


async def disbursements_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    fund_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[CareFundDisbursement], int]:
    stmt = scoped_select(CareFundDisbursement, principal, READ)
    if fund_id is not None:
        stmt = stmt.where(CareFundDisbursement.fund_id == fund_id)
    if status is not None:
        stmt = stmt.where(CareFundDisbursement.status == status)
    return await paginate(
        session, stmt.order_by(CareFundDisbursement.created_at.desc(), CareFundDisbursement.id), page
    )


# --- disclosure (公示) -----------------------------------------------------------------------------


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(today.year, 1, 1), today


async def disclosure(
    session: AsyncSession,
    principal: Principal,
    fund_id: uuid.UUID,
    start: dt.date | None,
    end: dt.date | None,
) -> DisclosureOut:
    """The public disclosure (公示) of a fund for a period: balance at start and end, income by source,
    disbursements paid (net of reversals) with beneficiaries' names masked."""
    fund = await fund_in_scope(session, principal, fund_id, READ)
    first, last = default_period(district_today())
    start, end = start or first, end or last
    if end < start:
        raise invalid_field("end", _("The period cannot end before it starts."), code="ends_before_start")
    node = await session.get(OrgNode, (fund.tenant_id, fund.org_node_id))
    assert node is not None
    rows = await session.execute(
        select(
            CareFundEntry.account,
            CareFundEntry.direction,
            CareFundTransaction.occurred_on,
            func.sum(CareFundEntry.amount_fen),
        )
        .join(
            CareFundTransaction,
            (CareFundTransaction.tenant_id == CareFundEntry.tenant_id)
            & (CareFundTransaction.id == CareFundEntry.transaction_id),
        )
        .where(CareFundEntry.fund_id == fund.id, CareFundTransaction.occurred_on <= end)
        .group_by(CareFundEntry.account, CareFundEntry.direction, CareFundTransaction.occurred_on)
    )
    opening = closing = relief = 0
    income = dict.fromkeys(SOURCES, 0)
    for account, direction, occurred_on, total in rows:
        amount = int(total or 0)
        before = occurred_on < start
        if account == CASH:
            sign = 1 if direction == "debit" else -1
            closing += sign * amount
            if before:
                opening += sign * amount
        elif account.startswith("income.") and not before:
            income[account.removeprefix("income.")] += amount if direction == "credit" else -amount
        elif account == RELIEF and not before:
            relief += amount if direction == "debit" else -amount
    reversed_ids = select(CareFundTransaction.reverses_id).where(CareFundTransaction.reverses_id.is_not(None))
    payments = await session.execute(
        select(
            CareFundTransaction.occurred_on,
            CareFundBeneficiary.name,
            CareFundBeneficiary.hardship,
            CareFundDisbursement.purpose,
            CareFundTransaction.amount_fen,
        )
        .join(
            CareFundDisbursement,
            (CareFundDisbursement.tenant_id == CareFundTransaction.tenant_id)
            & (CareFundDisbursement.id == CareFundTransaction.disbursement_id),
        )
        .join(
            CareFundBeneficiary,
            (CareFundBeneficiary.tenant_id == CareFundDisbursement.tenant_id)
            & (CareFundBeneficiary.id == CareFundDisbursement.beneficiary_id),
        )
        .where(
            CareFundTransaction.fund_id == fund.id,
            CareFundTransaction.kind == "payment",
            CareFundTransaction.occurred_on >= start,
            CareFundTransaction.occurred_on <= end,
            CareFundTransaction.id.not_in(reversed_ids),
        )
        .order_by(CareFundTransaction.occurred_on, CareFundTransaction.id)
    )
    paid = [
        DisclosedPayment(
            paid_on=on, beneficiary=mask_name(name), hardship=hardship, purpose=purpose, amount_fen=amount
        )
        for on, name, hardship, purpose, amount in payments
    ]
    sources = [SourceTotal(source=s, amount_fen=income[s]) for s in SOURCES]
    return DisclosureOut(
        fund_id=fund.id,
        fund_name=fund.name,
        org_name=node.name,
        start=start,
        end=end,
        opening_balance_fen=opening,
        income=sources,
        income_total_fen=sum(s.amount_fen for s in sources),
        disbursements=paid,
        disbursed_total_fen=relief,
        closing_balance_fen=closing,
    )


async def audit_export(
    session: AsyncSession, report: DisclosureOut, kind: str, org_node_id: uuid.UUID, watermark: str
) -> None:
    await audit(
        session,
        "care_fund.disclosure_export",
        object_type="care_fund",
        object_id=report.fund_id,
        org_node_id=org_node_id,
        changes={
            "format": kind,
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
            "rows": len(report.disbursements),
            "watermark": watermark,
        },
    )


# --- trial balance (试算平衡) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Imbalance:
    fund_id: uuid.UUID
    fund_name: str
    org_node_id: uuid.UUID
    stored_fen: int
    entries_fen: int
    unbalanced_transactions: int


async def trial_balance(session: AsyncSession) -> tuple[int, list[Imbalance]]:
    """Check every fund of the district: its stored balance equals the sum of its cash entries, and
    each of its transactions balances (debits = credits). Returns (funds checked, imbalances)."""
    debit = func.sum(func.coalesce(CareFundEntry.amount_fen, 0)).filter(CareFundEntry.direction == "debit")
    credit = func.sum(func.coalesce(CareFundEntry.amount_fen, 0)).filter(CareFundEntry.direction == "credit")
    cash = {
        fund_id: int(d or 0) - int(c or 0)
        for fund_id, d, c in await session.execute(
            select(CareFundEntry.fund_id, debit, credit)
            .where(CareFundEntry.account == CASH)
            .group_by(CareFundEntry.fund_id)
        )
    }
    unbalanced: dict[uuid.UUID, int] = {}
    per_transaction = (
        select(
            CareFundTransaction.fund_id,
            CareFundTransaction.id,
            CareFundTransaction.amount_fen,
            debit.label("d"),
            credit.label("c"),
        )
        .outerjoin(
            CareFundEntry,
            (CareFundEntry.tenant_id == CareFundTransaction.tenant_id)
            & (CareFundEntry.transaction_id == CareFundTransaction.id),
        )
        .group_by(CareFundTransaction.fund_id, CareFundTransaction.id, CareFundTransaction.amount_fen)
    )
    for fund_id, _tid, amount, d, c in await session.execute(per_transaction):
        if int(d or 0) != int(c or 0) or int(d or 0) != amount:
            unbalanced[fund_id] = unbalanced.get(fund_id, 0) + 1
    funds = list(await session.scalars(select(CareFund).order_by(CareFund.name)))
    problems = [
        Imbalance(f.id, f.name, f.org_node_id, f.balance_fen, cash.get(f.id, 0), unbalanced.get(f.id, 0))
        for f in funds
        if f.balance_fen != cash.get(f.id, 0) or unbalanced.get(f.id, 0)
    ]
    return len(funds), problems


# --- dashboard figures -----------------------------------------------------------------------------


def _yuan_value(fen: int) -> float:
    return round(fen / 100, 2)


async def figures(session: AsyncSession, node: OrgNode) -> list[Figure]:
    """Raised, disbursed (net of reversals), beneficiaries helped and balance of the funds of the
    subtree at ``node``: three statements whatever the size of the tree."""
    owner = select(OrgNode.id).where(in_subtree(OrgNode.path, node.path))
    totals = {
        (account, direction): int(total or 0)
        for account, direction, total in await session.execute(
            select(CareFundEntry.account, CareFundEntry.direction, func.sum(CareFundEntry.amount_fen))
            .join(
                CareFund,
                (CareFund.tenant_id == CareFundEntry.tenant_id) & (CareFund.id == CareFundEntry.fund_id),
            )
            .where(CareFund.org_node_id.in_(owner))
            .group_by(CareFundEntry.account, CareFundEntry.direction)
        )
    }
    raised = sum(
        totals.get((f"income.{s}", "credit"), 0) - totals.get((f"income.{s}", "debit"), 0) for s in SOURCES
    )
    disbursed = totals.get((RELIEF, "debit"), 0) - totals.get((RELIEF, "credit"), 0)
    balance = totals.get((CASH, "debit"), 0) - totals.get((CASH, "credit"), 0)
    helped = await session.scalar(
        select(func.count(func.distinct(CareFundDisbursement.beneficiary_id))).where(
            CareFundDisbursement.org_node_id.in_(owner), CareFundDisbursement.status == "paid"
        )
    )
    funds = await session.scalar(
        select(func.count()).select_from(CareFund).where(CareFund.org_node_id.in_(owner))
    )
    return [
        Figure(key="funds", name_zh="关爱基金", name_en="Care funds", value=int(funds or 0), unit_zh="个"),
        Figure(
            key="raised",
            name_zh="累计筹集资金",
            name_en="Raised",
            value=_yuan_value(raised),
            unit_zh="元",
            unit_en="yuan",
        ),
        Figure(
            key="disbursed",
            name_zh="累计帮扶支出",
            name_en="Disbursed",
            value=_yuan_value(disbursed),
            unit_zh="元",
            unit_en="yuan",
        ),
        Figure(
            key="beneficiaries",
            name_zh="帮扶困难党员群众",
            name_en="Beneficiaries helped",
            value=int(helped or 0),
            unit_zh="人",
        ),
        Figure(
            key="balance",
            name_zh="基金余额",
            name_en="Balance",
            value=_yuan_value(balance),
            unit_zh="元",
            unit_en="yuan",
        ),
    ]
