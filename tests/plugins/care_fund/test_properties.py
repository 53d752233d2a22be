"""Property: any sequence of donations, disbursements, reversals, retries and duplicated requests
leaves every fund balanced, never negative, its stored balance equal to the sum of its entries, and
a retried request never posts twice."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plugins.care_fund import services
from plugins.care_fund.models import CareFund, CareFundEntry, CareFundTransaction
from tests.plugins.care_fund.conftest import receipt

amounts = st.integers(min_value=1, max_value=60_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("donate"), amounts, st.booleans()),
        st.tuples(st.just("disburse"), amounts, st.booleans()),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20), st.booleans()),
    ),
    min_size=1,
    max_size=6,
)


async def check_books(database, tenant_id, fund_id):
    """Stored balance = sum of cash entries ≥ 0; every transaction's debits = credits = its amount."""
    async with database.transaction(tenant_id) as session:
        fund = await session.get(CareFund, (tenant_id, uuid.UUID(fund_id)))
        cash = 0
        for direction, amount in await session.execute(
            select(CareFundEntry.direction, CareFundEntry.amount_fen).where(
                CareFundEntry.fund_id == fund.id, CareFundEntry.account == "cash"
            )
        ):
            cash += amount if direction == "debit" else -amount
        assert fund.balance_fen == cash >= 0
        checked, problems = await services.trial_balance(session)
        assert checked >= 1 and problems == []
        return fund.balance_fen, await session.scalar(
            select(func.count())
            .select_from(CareFundTransaction)
            .where(CareFundTransaction.fund_id == fund.id)
        )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
async def test_any_sequence_keeps_every_fund_balanced_and_a_retry_never_posts_twice(
    cf, fund_world, admin, database, steps
):
    world = await fund_world()
    fund = world.fund_id
    balance = 0
    posted: list[tuple[str, str, int]] = []  # (transaction id, kind, cash effect)
    reversed_ids: set[str] = set()
    for op, value, retry in steps:
        key = uuid.uuid4().hex
        tries = 2 if retry else 1
        if op == "donate":
            body = {"source": "member_donation", "amount_fen": value, "receipt_no": receipt()}
            answers = [
                await cf.call(admin, "POST", f"/funds/{fund}/income", body, key=key) for _ in range(tries)
            ]
            assert {a.status_code for a in answers} == {201}
            assert len({a.content for a in answers}) == 1
            balance += value
            posted.append((answers[0].json()["id"], "income", value))
            if value % 3 == 0:  # the same receipt again under a new key: a duplicate, refused
                again = await cf.call(admin, "POST", f"/funds/{fund}/income", body, key=uuid.uuid4().hex)
                assert again.status_code == 409 and again.json()["errors"][0]["field"] == "receipt_no"
        elif op == "disburse":
            applied = await cf.ok(
                admin,
                "POST",
                "/disbursements",
                {
                    "fund_id": fund,
                    "beneficiary_id": world.beneficiary["id"],
                    "amount_fen": value,
                    "purpose": "帮扶",
                },
                201,
            )
            await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
            answers = [
                await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", key=key)
                for _ in range(tries)
            ]
            if value > balance:
                assert {a.status_code for a in answers} == {409}
            else:
                assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
                balance -= value
                posted.append((answers[0].json()["payment_id"], "payment", -value))
        elif posted:
            target, kind, effect = posted[value % len(posted)]
            answers = [
                await cf.call(admin, "POST", f"/transactions/{target}/reverse", {"reason": "更正"}, key=key)
                for _ in range(tries)
            ]
            if target in reversed_ids or kind == "reversal":
                assert {a.status_code for a in answers} == {409}
            elif balance - effect < 0:
                assert {a.status_code for a in answers} == {409}
                assert answers[0].json()["code"] == "overdrawn"
            else:
                assert {a.status_code for a in answers} == {201} and len({a.content for a in answers}) == 1
                balance -= effect
                reversed_ids.add(target)
                posted.append((answers[0].json()["id"], "reversal", -effect))
        stored, count = await check_books(database, admin.tenant.id, fund)
        assert stored == balance
        assert count == len(posted), "a retried request never posts twice"
