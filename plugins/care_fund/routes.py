"""The care fund's API, mounted by the core under ``/api/v1/m/care_fund/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules of ``services``), call
a service, shape the answer. Income, payment and reversal take an ``Idempotency-Key`` header
(``idempotency.py``). No route changes or deletes a ledger row: corrections are reversals.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.care_fund import exports, idempotency, services
from plugins.care_fund.schemas import (
    BeneficiaryIn,
    BeneficiaryOut,
    BeneficiaryUpdate,
    DisbursementIn,
    DisbursementOut,
    DisbursementStatus,
    DisclosureOut,
    FundIn,
    FundOut,
    FundStatus,
    FundUpdate,
    IncomeIn,
    RejectionIn,
    ReversalIn,
    TransactionOut,
)
from plugins.care_fund.services import APPROVE, MANAGE, PAY, READ, RECORD

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=idempotency.HEADER,
        required=False,
        description="Makes the request safe to retry: the same key and body answer the first response again.",
    ),
]
NodeFilter = Annotated[uuid.UUID | None, Parameter(description="Only records of this subtree")]
PeriodStart = Annotated[dt.date | None, Parameter(description="First day of the period (default 1 January)")]
PeriodEnd = Annotated[dt.date | None, Parameter(description="Last day of the period (default today)")]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FundController(Controller):
    """Care funds (关爱基金), their ledgers and their disclosure reports (公示)."""

    path = "/funds"
    tags = ["care_fund"]

    @get("/", opt={"permission": READ}, summary="Funds within the caller's scope")
    async def list_funds(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node_id: NodeFilter = None,
        status: FromQuery[FundStatus | None] = None,
    ) -> Page[FundOut]:
        rows, total = await services.funds_page(db, principal, page, node_id=node_id, status=status)
        return Page(
            items=await services.fund_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Set up a fund for an organisation")
    async def create_fund(self, db: DB, principal: CurrentPrincipal, data: JSONBody[FundIn]) -> FundOut:
        fund = await services.create_fund(db, principal, data)
        return (await services.fund_outs(db, [fund]))[0]

    @get("/{fund_id:uuid}", opt={"permission": READ}, summary="One fund with its stored balance")
    async def read_fund(self, db: DB, principal: CurrentPrincipal, fund_id: FromPath[uuid.UUID]) -> FundOut:
        fund = await services.fund_in_scope(db, principal, fund_id, READ)
        return (await services.fund_outs(db, [fund]))[0]

    @patch(
        "/{fund_id:uuid}",
        opt={"permission": MANAGE},
        summary="Rename, describe or close a fund (not its ledger)",
    )
    async def update_fund(
        self, db: DB, principal: CurrentPrincipal, fund_id: FromPath[uuid.UUID], data: JSONBody[FundUpdate]
    ) -> FundOut:
        fund = await services.update_fund(db, principal, fund_id, data)
        return (await services.fund_outs(db, [fund]))[0]

    @get("/{fund_id:uuid}/transactions", opt={"permission": READ}, summary="The fund's ledger, newest first")
    async def list_transactions(
        self, db: DB, principal: CurrentPrincipal, fund_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[TransactionOut]:
        rows, total = await services.transactions_page(db, principal, fund_id, page)
        return Page(
            items=await services.transaction_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{fund_id:uuid}/income",
        opt={"permission": RECORD},
        summary="Record income with its receipt (Idempotency-Key accepted)",
        status_code=201,
        responses={201: ResponseSpec(TransactionOut, description="The income recorded (or replayed)")},
    )
    async def record_income(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[IncomeIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def action() -> TransactionOut:
            transaction = await services.record_income(db, principal, fund_id, data)
            return (await services.transaction_outs(db, [transaction]))[0]

        # The stored answer is replayed as bytes; ``responses`` documents the struct they encode.
        return await idempotency.run_once(
            db,
            key=idempotency_key,
            route=f"POST {request.url.path}",
            body=data,
            status_code=201,
            action=action,
        )

    @get(
        "/{fund_id:uuid}/disclosure",
        opt={"permission": READ},
        summary="The disclosure report (公示) of a period",
    )
    async def read_disclosure(
        self,
        db: DB,
        principal: CurrentPrincipal,
        fund_id: FromPath[uuid.UUID],
        start: PeriodStart = None,
        end: PeriodEnd = None,
    ) -> DisclosureOut:
        return await services.disclosure(db, principal, fund_id, start, end)

    @get(
        "/{fund_id:uuid}/disclosure.xlsx",
        opt={"permission": READ},
        summary="The disclosure report as a spreadsheet (audited)",
        media_type=XLSX,
    )
    async def export_xlsx(
        self,
        db: DB,
        principal: CurrentPrincipal,
        fund_id: FromPath[uuid.UUID],
        start: PeriodStart = None,
        end: PeriodEnd = None,
    ) -> Response[bytes]:
        content, name = await exports.export(db, principal, fund_id, start, end, "xlsx")
        return exports.download(content, name, XLSX)

    @get(
        "/{fund_id:uuid}/disclosure.pdf",
        opt={"permission": READ},
        summary="The disclosure report as a PDF (audited)",
        media_type="application/pdf",
    )
    async def export_pdf(
        self,
        db: DB,
        principal: CurrentPrincipal,
        fund_id: FromPath[uuid.UUID],
        start: PeriodStart = None,
        end: PeriodEnd = None,
    ) -> Response[bytes]:
        content, name = await exports.export(db, principal, fund_id, start, end, "pdf")
        return exports.download(content, name, "application/pdf")


class TransactionController(Controller):
    """One ledger transaction; its correction is a reversal, never an edit."""

    path = "/transactions"
    tags = ["care_fund"]

    @get(
        "/{transaction_id:uuid}", opt={"permission": READ}, summary="One ledger transaction with its entries"
    )
    async def read_transaction(
        self, db: DB, principal: CurrentPrincipal, transaction_id: FromPath[uuid.UUID]
    ) -> TransactionOut:
        transaction = await services.transaction_in_scope(db, principal, transaction_id)
        return (await services.transaction_outs(db, [transaction]))[0]

    @post(
        "/{transaction_id:uuid}/reverse",
        opt={"permission": PAY},
        summary="Reverse a transaction (a new, mirrored transaction; Idempotency-Key accepted)",
        status_code=201,
        responses={201: ResponseSpec(TransactionOut, description="The reversal recorded (or replayed)")},
    )
    async def reverse_transaction(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        transaction_id: FromPath[uuid.UUID],
        data: JSONBody[ReversalIn],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def action() -> TransactionOut:
            reversal = await services.reverse(db, principal, transaction_id, data.reason)
            return (await services.transaction_outs(db, [reversal]))[0]

        return await idempotency.run_once(
            db,
            key=idempotency_key,
            route=f"POST {request.url.path}",
            body=data,
            status_code=201,
            action=action,
        )


class BeneficiaryController(Controller):
    """Beneficiaries (帮扶对象): members and residents in hardship, with minimal personal data."""

    path = "/beneficiaries"
    tags = ["care_fund"]

    @get("/", opt={"permission": READ}, summary="Beneficiaries within the caller's scope")
    async def list_beneficiaries(
        self, db: DB, principal: CurrentPrincipal, page: Paging, node_id: NodeFilter = None
    ) -> Page[BeneficiaryOut]:
        rows, total = await services.beneficiaries_page(db, principal, page, node_id=node_id)
        return Page(
            items=await services.beneficiary_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": RECORD}, summary="Register a beneficiary")
    async def create_beneficiary(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[BeneficiaryIn]
    ) -> BeneficiaryOut:
        beneficiary = await services.create_beneficiary(db, principal, data)
        return (await services.beneficiary_outs(db, [beneficiary]))[0]

    @get("/{beneficiary_id:uuid}", opt={"permission": READ}, summary="One beneficiary")
    async def read_beneficiary(
        self, db: DB, principal: CurrentPrincipal, beneficiary_id: FromPath[uuid.UUID]
    ) -> BeneficiaryOut:
        beneficiary = await services.beneficiary_in_scope(db, principal, beneficiary_id)
        return (await services.beneficiary_outs(db, [beneficiary]))[0]

    @patch(
        "/{beneficiary_id:uuid}",
        opt={"permission": RECORD},
        summary="Correct a beneficiary's name, hardship or note",
    )
    async def update_beneficiary(
        self,
        db: DB,
        principal: CurrentPrincipal,
        beneficiary_id: FromPath[uuid.UUID],
        data: JSONBody[BeneficiaryUpdate],
    ) -> BeneficiaryOut:
        beneficiary = await services.update_beneficiary(db, principal, beneficiary_id, data)
        return (await services.beneficiary_outs(db, [beneficiary]))[0]


class DisbursementController(Controller):
    """Disbursements (帮扶支出): applied → approved (by others) → paid, or rejected."""

    path = "/disbursements"
    tags = ["care_fund"]

    @get("/", opt={"permission": READ}, summary="Disbursements within the caller's scope, newest first")
    async def list_disbursements(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        fund_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[DisbursementStatus | None] = None,
    ) -> Page[DisbursementOut]:
        rows, total = await services.disbursements_page(db, principal, page, fund_id=fund_id, status=status)
        return Page(
            items=await services.disbursement_outs(db, rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/", opt={"permission": RECORD}, summary="Apply for a disbursement from a fund")
    async def apply(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[DisbursementIn]
    ) -> DisbursementOut:
        disbursement = await services.apply_disbursement(db, principal, data)
        return (await services.disbursement_outs(db, [disbursement]))[0]

    @get("/{disbursement_id:uuid}", opt={"permission": READ}, summary="One disbursement")
    async def read_disbursement(
        self, db: DB, principal: CurrentPrincipal, disbursement_id: FromPath[uuid.UUID]
    ) -> DisbursementOut:
        disbursement = await services.disbursement_in_scope(db, principal, disbursement_id)
        return (await services.disbursement_outs(db, [disbursement]))[0]

    @post(
        "/{disbursement_id:uuid}/approve",
        opt={"permission": APPROVE},
        status_code=200,
        summary="Approve (not the applicant; a third person for the second approval)",
    )
    async def approve(
        self, db: DB, principal: CurrentPrincipal, disbursement_id: FromPath[uuid.UUID]
    ) -> DisbursementOut:
        disbursement = await services.approve_disbursement(db, principal, disbursement_id)
        return (await services.disbursement_outs(db, [disbursement]))[0]

    @post(
        "/{disbursement_id:uuid}/reject",
        opt={"permission": APPROVE},
        status_code=200,
        summary="Reject, with the reason",
    )
    async def reject(
        self,
        db: DB,
        principal: CurrentPrincipal,
        disbursement_id: FromPath[uuid.UUID],
        data: JSONBody[RejectionIn],
    ) -> DisbursementOut:
        disbursement = await services.reject_disbursement(db, principal, disbursement_id, data.reason)
        return (await services.disbursement_outs(db, [disbursement]))[0]

    @post(
        "/{disbursement_id:uuid}/pay",
        opt={"permission": PAY},
        status_code=200,
        summary="Pay an approved disbursement (Idempotency-Key accepted)",
        responses={200: ResponseSpec(DisbursementOut, description="The disbursement paid (or replayed)")},
    )
    async def pay(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        disbursement_id: FromPath[uuid.UUID],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[bytes]:
        async def action() -> DisbursementOut:
            disbursement = await services.pay_disbursement(db, principal, disbursement_id)
            return (await services.disbursement_outs(db, [disbursement]))[0]

        return await idempotency.run_once(
            db, key=idempotency_key, route=f"POST {request.url.path}", body={}, status_code=200, action=action
        )


CONTROLLERS = [FundController, TransactionController, BeneficiaryController, DisbursementController]
