"""Demo records of the care fund for the demo district (names invented, figures from the seed).

The seed: 迎江路中心社区 raised 39,000 yuan through party-dues transfers and donations of
co-building units and visited 76 elderly members in hardship. Its fund here: 15,000 yuan of party
dues transferred in two instalments and 24,000 yuan from four units, then a 500-yuan visit (慰问)
to each of 76 elderly members (38,000 yuan), leaving 1,000 yuan. More funds elsewhere: the
district's red fund (party dues and social donations, help to residents of several communities,
one payment reversed) and a street's fund. Every movement goes through the ledger's ``post``; the
demo loader acts without a user account, so applicant and approvers are left empty.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import OrgNode, utcnow
from plugins.care_fund import services
from plugins.care_fund.models import (
    CASH,
    RELIEF,
    CareFund,
    CareFundBeneficiary,
    CareFundDisbursement,
    CareFundTransaction,
)
from plugins.care_fund.services import Leg

SEED = 20180614
SEED_COMMUNITY = "迎江路中心社区"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高梁郑罗宋谢唐韩曹许邓冯"
GIVEN = "桂兰秀英志华建国玉珍德明淑芬国强春梅荣华金凤永福长林宝山文彬凤英家宝"
UNITS = ("镇江市第一人民医院", "江苏大学附属学校", "国网镇江供电公司", "润州区城建集团")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


async def _income(
    session: AsyncSession, fund: CareFund, source: str, fen: int, receipt: str, payer: str, on: dt.date
) -> None:
    await services.post(
        session,
        fund.id,
        [Leg(CASH, "debit", fen), Leg(f"income.{source}", "credit", fen)],
        kind="income",
        occurred_on=on,
        posted_by_id=None,
        source=source,
        receipt_no=receipt,
        payer=payer,
    )


async def _paid(
    session: AsyncSession,
    fund: CareFund,
    beneficiary: CareFundBeneficiary,
    fen: int,
    purpose: str,
    on: dt.date,
) -> CareFundDisbursement:
    disbursement = CareFundDisbursement(
        fund_id=fund.id,
        org_node_id=fund.org_node_id,
        beneficiary_id=beneficiary.id,
        amount_fen=fen,
        purpose=purpose,
        status="paid",
        needs_second_approval=False,
        applied_on=on - dt.timedelta(days=3),
        approved_at=utcnow(),
        paid_at=utcnow(),
    )
    session.add(disbursement)
    await session.flush()
    await services.post(
        session,
        fund.id,
        [Leg(RELIEF, "debit", fen), Leg(CASH, "credit", fen)],
        kind="payment",
        occurred_on=on,
        posted_by_id=None,
        disbursement_id=disbursement.id,
        memo=purpose,
    )
    return disbursement


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = plan.reference_date
    year_start = dt.date(reference.year, 1, 1)
    root = (await session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None)))).one()
    communities = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind == "community", OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    if not communities:
        return {}
    seeded = next((c for c in communities if c.name == SEED_COMMUNITY), communities[0])
    counts = {"funds": 0, "income": 0, "beneficiaries": 0, "disbursements": 0, "reversals": 0}

    def day(offset: int) -> dt.date:
        return min(reference, year_start + dt.timedelta(days=offset))

    # The seed's community: 39,000 yuan raised, 76 elderly members visited.
    fund = CareFund(
        org_node_id=seeded.id,
        name=f"{seeded.name}红色基金",
        description="党费划转、共建单位捐赠设立，用于慰问困难老党员和困难群众。",
        status="active",
        balance_fen=0,
    )
    session.add(fund)
    await session.flush()
    counts["funds"] += 1
    await _income(session, fund, "party_dues", 750_000, "YJ-DF-001", "润州区委组织部", day(5))
    await _income(session, fund, "party_dues", 750_000, "YJ-DF-002", "润州区委组织部", day(35))
    for n, (unit, fen) in enumerate(zip(UNITS, (800_000, 600_000, 600_000, 400_000), strict=True), start=1):
        await _income(session, fund, "unit_donation", fen, f"YJ-JZ-{n:03d}", unit, day(10 + 7 * n))
    counts["income"] += 6
    for n in range(76):
        member = CareFundBeneficiary(
            org_node_id=seeded.id, kind="member", name=_name(rng), hardship="elderly", note="困难老党员"
        )
        session.add(member)
        await session.flush()
        await _paid(session, fund, member, 50_000, "走访慰问困难老党员慰问金", day(40 + n // 4))
        counts["beneficiaries"] += 1
        counts["disbursements"] += 1

    # The district's red fund: party dues and social donations, help across communities.
    district = CareFund(
        org_node_id=root.id,
        name=f"{root.name}红色基金",
        description="全域统筹使用，对生活困难党员群众给予帮扶。",
        status="active",
        balance_fen=0,
    )
    session.add(district)
    await session.flush()
    counts["funds"] += 1
    await _income(session, district, "party_dues", 5_000_000, "RZ-DF-001", "润州区委组织部", day(3))
    await _income(session, district, "social_donation", 1_200_000, "RZ-SH-001", "镇江市慈善总会", day(20))
    await _income(session, district, "member_donation", 386_000, "RZ-DY-001", "区直机关党员", day(30))
    counts["income"] += 3
    hardships = ("illness", "disability", "low_income", "disaster")
    payments = []
    for n, community in enumerate(communities[:12]):
        resident = CareFundBeneficiary(
            org_node_id=community.id, kind="resident", name=_name(rng), hardship=hardships[n % 4]
        )
        session.add(resident)
        await session.flush()
        counts["beneficiaries"] += 1
        payments.append(
            await _paid(
                session,
                district,
                resident,
                rng.choice((100_000, 200_000, 300_000)),
                "困难群众帮扶金",
                day(50 + n),
            )
        )
        counts["disbursements"] += 1
    # A payment made twice by mistake on paper is corrected by reversal, as a bank would.
    mistaken = payments[0]
    payment = (
        await session.scalars(
            select(CareFundTransaction).where(
                CareFundTransaction.disbursement_id == mistaken.id,
                CareFundTransaction.kind == "payment",
            )
        )
    ).one()
    await services.post(
        session,
        district.id,
        [Leg(CASH, "debit", mistaken.amount_fen), Leg(RELIEF, "credit", mistaken.amount_fen)],
        kind="reversal",
        occurred_on=day(70),
        posted_by_id=None,
        disbursement_id=mistaken.id,
        reverses_id=payment.id,
        memo="帮扶对象已由民政渠道全额救助，退回冲正",
    )
    mistaken.status = "reversed"
    mistaken.reason = "帮扶对象已由民政渠道全额救助，退回冲正"
    counts["reversals"] += 1

    # A street's fund, raised from units and members, not yet spent.
    streets = list(
        await session.scalars(select(OrgNode).where(OrgNode.kind == "street").order_by(OrgNode.path))
    )
    if streets:
        street = streets[-1]
        street_fund = CareFund(
            org_node_id=street.id, name=f"{street.name}关爱基金", status="active", balance_fen=0
        )
        session.add(street_fund)
        await session.flush()
        counts["funds"] += 1
        await _income(session, street_fund, "unit_donation", 2_000_000, "JD-JZ-001", "辖区共建单位", day(15))
        await _income(session, street_fund, "member_donation", 268_800, "JD-DY-001", "街道机关党员", day(25))
        counts["income"] += 2
    await session.flush()
    return counts
