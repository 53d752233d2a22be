"""Console pages of the care fund (关爱基金联筹): funds, one fund (its ledger, disbursements and
forms), and its disclosure report (公示) with downloads.

The console's page pattern (``plugins/joint_committees/console.py``): a list, a detail page whose
actions are forms that post and then redirect back (post/redirect/get), or come back with the error
beside the field and what was typed kept. Forms that move money carry a fresh ``Idempotency-Key``
in a hidden field, so a double click or a resent form posts once. The rules are the services'.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template

from core.api import (
    DB,
    ConsoleNav,
    ConsolePages,
    PageParams,
    Principal,
    ProblemError,
    _,
    console_page,
    current_locale,
    current_principal,
    not_found,
    translate,
)
from plugins.care_fund import exports, idempotency, services
from plugins.care_fund.schemas import IncomeIn

HERE = Path(__file__).resolve().parent
ACTIVE = "m.care_fund"
PAGE_SIZE = 50
LEDGER_SIZE = 100
DATE_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"
SOURCES = ("party_dues", "unit_donation", "member_donation", "social_donation")


def reader() -> Principal:
    """The caller, who must read the mechanism somewhere (404 otherwise, as the API's pages)."""
    principal = current_principal()
    if principal is None or not principal.has(services.READ):
        raise not_found()
    return principal


def detail_of(exc: ProblemError) -> str:
    return str(exc.to_problem(current_locale())["detail"])


def field_errors(exc: ProblemError) -> dict[str, str]:
    rendered = exc.to_problem(current_locale())
    errors = {"form": str(rendered["detail"])}
    for shown in rendered.get("errors", []):
        errors[str(shown["field"])] = str(shown["message"])
    return errors


def fen_of(text: str) -> int | None:
    """A form's amount in yuan (``"390.5"``) as fen, or None when it is not a positive amount with at
    most two decimals."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class FundPages(Controller):
    """The funds within reach."""

    path = "/"
    include_in_schema = False

    @get("/funds")
    async def funds(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> Template:
        principal = reader()
        rows, total = await services.funds_page(db, principal, PageParams(PAGE_SIZE, offset))
        return await console_page(
            request,
            db,
            "care_fund/funds.html",
            active=ACTIVE,
            funds=await services.fund_outs(db, rows),
            total=total,
            offset=offset,
            page_size=PAGE_SIZE,
            yuan=services.yuan,
        )


class FundPage(Controller):
    """One fund: facts, the ledger, the disbursements and their actions, the income form."""

    path = "/funds/{fund_id:uuid}"
    include_in_schema = False

    @get("/")
    async def show(self, request: Request[Any, Any, Any], db: DB, fund_id: FromPath[uuid.UUID]) -> Template:
        return await fund_page(request, db, fund_id)

    @post("/income", status_code=200, media_type="text/html")
    async def income(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        fund_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        principal = reader()
        typed = {k: data.get(k, "") for k in ("source", "amount_yuan", "receipt_no", "payer", "memo", "key")}
        amount = fen_of(typed["amount_yuan"])
        if amount is None:
            error = translate(_("Give a positive amount in yuan with at most two decimals."))
            return await fund_page(request, db, fund_id, errors={"amount_yuan": error}, typed=typed)
        try:
            wanted = msgspec.convert(
                {
                    "source": typed["source"],
                    "amount_fen": amount,
                    "receipt_no": typed["receipt_no"].strip(),
                    "payer": typed["payer"].strip() or None,
                    "memo": typed["memo"].strip() or None,
                },
                IncomeIn,
            )
        except msgspec.ValidationError:
            return await fund_page(
                request, db, fund_id, errors={"form": translate(_("The input is not valid."))}, typed=typed
            )

        async def action() -> dict[str, str]:
            transaction = await services.record_income(db, principal, fund_id, wanted)
            return {"id": str(transaction.id)}

        try:
            async with db.begin_nested():
                await idempotency.run_once(
                    db,
                    key=typed["key"] or None,
                    route=f"POST console {request.url.path}",
                    body=wanted,
                    status_code=201,
                    action=action,
                )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await fund_page(request, db, fund_id, errors=field_errors(exc), typed=typed)
        return Redirect(path=request.url.path.rsplit("/", 1)[0], status_code=303)


class DisbursementActions(Controller):
    """Approve, reject or pay a disbursement from its fund's page."""

    path = "/disbursements/{disbursement_id:uuid}"
    include_in_schema = False

    async def _act(
        self,
        request: Request[Any, Any, Any],
        db: Any,
        disbursement_id: uuid.UUID,
        data: dict[str, str],
        what: str,
    ) -> Any:
        principal = reader()
        found = await services.disbursement_in_scope(db, principal, disbursement_id)
        fund_path = request.url.path.split("/disbursements/")[0] + f"/funds/{found.fund_id}"
        try:
            async with db.begin_nested():
                if what == "approve":
                    await services.approve_disbursement(db, principal, disbursement_id)
                elif what == "reject":
                    await services.reject_disbursement(db, principal, disbursement_id, data.get("reason", ""))
                else:

                    async def action() -> dict[str, str]:
                        await services.pay_disbursement(db, principal, disbursement_id)
                        return {"id": str(disbursement_id)}

                    await idempotency.run_once(
                        db,
                        key=data.get("key") or None,
                        route=f"POST console {request.url.path}",
                        body={},
                        status_code=200,
                        action=action,
                    )
        except ProblemError as exc:
            if exc.status == 404:
                raise
            return await fund_page(
                request, db, found.fund_id, errors={f"disbursement.{disbursement_id}": detail_of(exc)}
            )
        return Redirect(path=fund_path, status_code=303)

    @post("/approve", status_code=200, media_type="text/html")
    async def approve(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        disbursement_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await self._act(request, db, disbursement_id, data, "approve")

    @post("/reject", status_code=200, media_type="text/html")
    async def reject(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        disbursement_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await self._act(request, db, disbursement_id, data, "reject")

    @post("/pay", status_code=200, media_type="text/html")
    async def pay(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        disbursement_id: FromPath[uuid.UUID],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        return await self._act(request, db, disbursement_id, data, "pay")


class DisclosurePage(Controller):
    """The disclosure report (公示) of a fund and period, with its downloads (audited)."""

    path = "/funds/{fund_id:uuid}/disclosure"
    include_in_schema = False

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        fund_id: FromPath[uuid.UUID],
        start: Annotated[str | None, QueryParameter(pattern=DATE_OR_EMPTY)] = None,
        end: Annotated[str | None, QueryParameter(pattern=DATE_OR_EMPTY)] = None,
    ) -> Template:
        principal = reader()
        error = None
        try:
            report = await services.disclosure(db, principal, fund_id, _date(start), _date(end))
        except ProblemError as exc:
            if exc.status == 404:
                raise
            error = detail_of(exc)
            report = await services.disclosure(db, principal, fund_id, None, None)
        except ValueError:
            error = translate(_("The input is not valid."))
            report = await services.disclosure(db, principal, fund_id, None, None)
        return await console_page(
            request,
            db,
            "care_fund/disclosure.html",
            active=ACTIVE,
            report=report,
            error=error,
            query=f"?start={report.start.isoformat()}&end={report.end.isoformat()}",
            sources=exports.SOURCE_NAMES,
            hardships=exports.HARDSHIP_NAMES,
            yuan=services.yuan,
        )

    @get("/file/{kind:str}")
    async def download(
        self,
        db: DB,
        fund_id: FromPath[uuid.UUID],
        kind: FromPath[str],
        start: Annotated[str | None, QueryParameter(pattern=DATE_OR_EMPTY)] = None,
        end: Annotated[str | None, QueryParameter(pattern=DATE_OR_EMPTY)] = None,
    ) -> Response[bytes]:
        principal = reader()
        if kind not in ("xlsx", "pdf"):
            raise not_found()
        content, name = await exports.export(db, principal, fund_id, _date(start), _date(end), kind)
        media = (
            "application/pdf"
            if kind == "pdf"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return exports.download(content, name, media)


async def fund_page(
    request: Request[Any, Any, Any],
    db: Any,
    fund_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    principal = reader()
    fund = await services.fund_in_scope(db, principal, fund_id, services.READ)
    ledger, ledger_total = await services.transactions_page(
        db, principal, fund_id, PageParams(LEDGER_SIZE, 0)
    )
    disbursements, _count = await services.disbursements_page(
        db, principal, PageParams(500, 0), fund_id=fund_id
    )
    return await console_page(
        request,
        db,
        "care_fund/fund.html",
        active=ACTIVE,
        fund=(await services.fund_outs(db, [fund]))[0],
        ledger=await services.transaction_outs(db, ledger),
        ledger_total=ledger_total,
        disbursements=await services.disbursement_outs(db, disbursements),
        can_record=principal.has(services.RECORD),
        can_approve=principal.has(services.APPROVE),
        can_pay=principal.has(services.PAY),
        errors=errors or {},
        typed=typed or {},
        new_key=idempotency.new_key(),
        sources=exports.SOURCE_NAMES,
        source_keys=SOURCES,
        yuan=services.yuan,
    )


PAGES = ConsolePages(
    handlers=[FundPages, FundPage, DisbursementActions, DisclosurePage],
    nav=[ConsoleNav("/funds", "关爱基金", "Care funds", permission=services.READ)],
    templates=HERE / "templates",
)
