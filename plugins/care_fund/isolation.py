"""Isolation examples of every route of the care fund, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: a fund
of community C1 with income, a beneficiary of C1 and disbursements, so the records lie outside the
sibling street S2 (its secretary must get 404) and outside district B. The approvals of a disbursement
need people other than its applicant: the builders act as A's administrator and, for the approval,
write the application as another user directly (the API refuses an approver who applied).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.api import IsolationExample

SLUG = "care_fund"
API = f"/api/v1/m/{SLUG}"


@dataclass
class Built:
    fund: str
    node: uuid.UUID
    income: str
    beneficiary: str


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def _receipt() -> str:
    return f"R-{secrets.token_hex(5)}"


async def build_fund(world: Any, *, raised: int = 100_000) -> Built:
    """A fund of community C1 holding ``raised`` fen, and a beneficiary of C1."""
    await world.ensure_plugin(SLUG, enabled=True)
    fund = await _ok(
        world,
        "POST",
        f"{API}/funds",
        {"org_node_id": str(world.c1), "name": f"红色基金{secrets.token_hex(3)}"},
        201,
    )
    where = world.paths[world.c1]
    world.remember(uuid.UUID(fund["id"]), where)
    income = await _ok(
        world,
        "POST",
        f"{API}/funds/{fund['id']}/income",
        {"source": "party_dues", "amount_fen": raised, "receipt_no": _receipt(), "payer": "区委组织部"},
        201,
    )
    world.remember(uuid.UUID(income["id"]), where)
    beneficiary = await _ok(
        world,
        "POST",
        f"{API}/beneficiaries",
        {"org_node_id": str(world.c1), "kind": "member", "name": "王桂兰", "hardship": "elderly"},
        201,
    )
    world.remember(uuid.UUID(beneficiary["id"]), where)
    return Built(fund["id"], world.c1, income["id"], beneficiary["id"])


async def applied(world: Any, *, by_other: bool = False) -> tuple[Built, str]:
    """A disbursement applied for; ``by_other``: as if another user applied (so A's administrator may
    approve it), written directly as the API would."""
    built = await build_fund(world)
    disbursement = await _ok(
        world,
        "POST",
        f"{API}/disbursements",
        {
            "fund_id": built.fund,
            "beneficiary_id": built.beneficiary,
            "amount_fen": 20_000,
            "purpose": "走访慰问",
        },
        201,
    )
    if by_other:
        from plugins.care_fund.models import CareFundDisbursement

        async with world.database.transaction(world.a.id) as session:
            row = await session.get(CareFundDisbursement, (world.a.id, uuid.UUID(disbursement["id"])))
            assert row is not None
            row.applicant_id = None
    world.remember(uuid.UUID(disbursement["id"]), world.paths[world.c1])
    return built, disbursement["id"]


async def approved(world: Any) -> tuple[Built, str]:
    built, disbursement = await applied(world, by_other=True)
    await _ok(world, "POST", f"{API}/disbursements/{disbursement}/approve")
    return built, disbursement


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_funds(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds?limit=200", kind="collection", owner_sees=(built.fund,))

    async def create_fund(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        return IsolationExample(
            f"{API}/funds",
            json={"org_node_id": str(world.c1), "name": f"关爱基金{secrets.token_hex(3)}"},
            expect=201,
            readback=f"{API}/funds?limit=200",
        )

    async def read_fund(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds/{built.fund}", owner_sees=(built.fund,))

    async def update_fund(world: Any) -> IsolationExample:
        built = await build_fund(world)
        url = f"{API}/funds/{built.fund}"
        return IsolationExample(url, json={"description": f"用途说明 {secrets.token_hex(3)}"}, readback=url)

    async def list_transactions(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds/{built.fund}/transactions", owner_sees=(built.income,))

    async def record_income(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(
            f"{API}/funds/{built.fund}/income",
            json={
                "source": "unit_donation",
                "amount_fen": 50_000,
                "receipt_no": _receipt(),
                "payer": "共建单位",
            },
            expect=201,
            readback=f"{API}/funds/{built.fund}",
        )

    async def disclosure(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds/{built.fund}/disclosure", owner_sees=(built.fund,))

    async def disclosure_xlsx(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds/{built.fund}/disclosure.xlsx")

    async def disclosure_pdf(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/funds/{built.fund}/disclosure.pdf")

    async def read_transaction(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/transactions/{built.income}", owner_sees=(built.income,))

    async def reverse(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(
            f"{API}/transactions/{built.income}/reverse",
            json={"reason": "收据金额登记错误"},
            expect=201,
            readback=f"{API}/funds/{built.fund}",
        )

    async def list_beneficiaries(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(
            f"{API}/beneficiaries?limit=200", kind="collection", owner_sees=(built.beneficiary,)
        )

    async def create_beneficiary(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        return IsolationExample(
            f"{API}/beneficiaries",
            json={"org_node_id": str(world.c1), "kind": "resident", "name": "李秀英", "hardship": "illness"},
            expect=201,
            readback=f"{API}/beneficiaries?limit=200",
        )

    async def read_beneficiary(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(f"{API}/beneficiaries/{built.beneficiary}", owner_sees=(built.beneficiary,))

    async def update_beneficiary(world: Any) -> IsolationExample:
        built = await build_fund(world)
        url = f"{API}/beneficiaries/{built.beneficiary}"
        return IsolationExample(url, json={"note": f"独居 {secrets.token_hex(2)}"}, readback=url)

    async def list_disbursements(world: Any) -> IsolationExample:
        _built, disbursement = await applied(world)
        return IsolationExample(
            f"{API}/disbursements?limit=200", kind="collection", owner_sees=(disbursement,)
        )

    async def apply(world: Any) -> IsolationExample:
        built = await build_fund(world)
        return IsolationExample(
            f"{API}/disbursements",
            json={
                "fund_id": built.fund,
                "beneficiary_id": built.beneficiary,
                "amount_fen": 10_000,
                "purpose": "慰问",
            },
            expect=201,
            readback=f"{API}/disbursements?fund_id={built.fund}",
        )

    async def read_disbursement(world: Any) -> IsolationExample:
        _built, disbursement = await applied(world)
        return IsolationExample(f"{API}/disbursements/{disbursement}", owner_sees=(disbursement,))

    async def approve(world: Any) -> IsolationExample:
        _built, disbursement = await applied(world, by_other=True)
        url = f"{API}/disbursements/{disbursement}"
        return IsolationExample(f"{url}/approve", readback=url)

    async def reject(world: Any) -> IsolationExample:
        _built, disbursement = await applied(world, by_other=True)
        url = f"{API}/disbursements/{disbursement}"
        return IsolationExample(f"{url}/reject", json={"reason": "不符合帮扶条件"}, readback=url)

    async def pay(world: Any) -> IsolationExample:
        _built, disbursement = await approved(world)
        url = f"{API}/disbursements/{disbursement}"
        return IsolationExample(f"{url}/pay", readback=url)

    funds = f"{API}/funds"
    fund = f"{funds}/{{fund_id:uuid}}"
    transaction = f"{API}/transactions/{{transaction_id:uuid}}"
    beneficiaries = f"{API}/beneficiaries"
    beneficiary = f"{beneficiaries}/{{beneficiary_id:uuid}}"
    disbursements = f"{API}/disbursements"
    disbursement = f"{disbursements}/{{disbursement_id:uuid}}"
    return {
        ("GET", funds): list_funds,
        ("POST", funds): create_fund,
        ("GET", fund): read_fund,
        ("PATCH", fund): update_fund,
        ("GET", f"{fund}/transactions"): list_transactions,
        ("POST", f"{fund}/income"): record_income,
        ("GET", f"{fund}/disclosure"): disclosure,
        ("GET", f"{fund}/disclosure.xlsx"): disclosure_xlsx,
        ("GET", f"{fund}/disclosure.pdf"): disclosure_pdf,
        ("GET", transaction): read_transaction,
        ("POST", f"{transaction}/reverse"): reverse,
        ("GET", beneficiaries): list_beneficiaries,
        ("POST", beneficiaries): create_beneficiary,
        ("GET", beneficiary): read_beneficiary,
        ("PATCH", beneficiary): update_beneficiary,
        ("GET", disbursements): list_disbursements,
        ("POST", disbursements): apply,
        ("GET", disbursement): read_disbursement,
        ("POST", f"{disbursement}/approve"): approve,
        ("POST", f"{disbursement}/reject"): reject,
        ("POST", f"{disbursement}/pay"): pay,
    }
