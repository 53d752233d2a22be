"""Demo records of co-building agreements for the demo district, after the seed (all invented).

"全区7个街道、60个社区分别与210家驻区、跨区单位结成党建联盟，签订双向服务清单300余张，开展活动500余次":
every street and every community and village signs with the resident units placed under it, and
with two-new organisations (两新组织) created here through ``core.api.add_node`` (as the sector
plugin's demo creates the organisations it guides) until 210 units are allied. Each alliance has a
three-year agreement in force (a few ending within the reminder window, some renewing an expired
earlier term, a few drafts of renewals and two terminated ones), 300+ service-list items in both
directions with their fulfilment, 500+ joint activities and meetings, and last year's reviews.
Everything random comes from one seeded ``random.Random``; dates from the plan's reference date.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import OrgNode, add_node, district_today
from plugins.co_building.models import (
    ACTIVE,
    CANCELLED,
    DRAFT,
    EXPIRED,
    FULFILLED,
    IN_PROGRESS,
    PENDING,
    REVIEW_COMPLETED,
    TERMINATED,
    Activity,
    Agreement,
    Review,
    ServiceItem,
)

SEED = 20181031
ALLIED_UNITS = 210
ITEMS = 320
ACTIVITIES = 530
TERM_DAYS = 3 * 365
# Runzhou's centre (WGS-84), around which the demo's activities are placed.
CENTRE = (119.41, 32.195)

PLACE_WORDS = [
    "金山",
    "北固",
    "焦山",
    "西津",
    "润扬",
    "京口",
    "南山",
    "云台",
    "宝塔",
    "花山",
    "伯先",
    "大西",
    "迎江",
    "长江",
    "中山",
    "银山",
    "桃花",
    "牌湾",
    "黄山",
    "健康",
    "官塘",
    "蒋乔",
    "韦岗",
    "丹徒",
    "七里",
    "谷阳",
    "象山",
    "招隐",
    "鹤林",
    "竹林",
]
TWO_NEW_TEMPLATES = (
    ("enterprise", "镇江{w}科技有限公司"),
    ("enterprise", "镇江{w}商贸有限公司"),
    ("social_org", "润州区{w}志愿服务协会"),
    ("enterprise", "镇江{w}物流有限公司"),
    ("social_org", "润州区{w}社会工作服务社"),
    ("enterprise", "镇江{w}建设工程有限公司"),
)
NEEDS_OF_AREA = (
    "开放单位停车位供居民夜间停放",
    "选派党员参与社区网格服务",
    "支持老旧小区环境整治",
    "为困难家庭提供就业岗位",
    "开放单位食堂为社区老人提供助餐",
    "共建单位党员认领微心愿",
)
RESOURCES_OF_AREA = (
    "提供党群服务中心活动场地",
    "为单位职工子女开设四点半课堂",
    "协助单位开展主题党日活动",
    "为单位职工提供政策咨询服务",
)
NEEDS_OF_UNIT = (
    "协调解决职工通勤停车难题",
    "协助开展职工志愿服务项目",
    "提供党员教育场地",
    "协助联系辖区就业见习人员",
)
RESOURCES_OF_UNIT = (
    "提供专业技术志愿服务",
    "开放会议室和文体场馆",
    "捐赠社区帮扶资金",
    "组织义诊和健康讲座",
    "开放职工书屋",
)
ACTIVITY_TITLES = (
    "共建单位党员进社区志愿服务",
    "联合开展主题党日活动",
    "走访慰问困难党员群众",
    "垃圾分类宣传进小区",
    "文明城市创建联合行动",
    "健康义诊进社区",
    "红色教育联学活动",
    "关爱空巢老人结对服务",
)
MEETING_TITLES = ("党建联盟联席会议", "共建工作推进会", "双向服务清单交流会")
NOTES = ("已按清单完成。", "双方共同推进，效果良好。", "居民反映良好。", None)
REVIEW_NOTES = ("履约情况良好，继续深化共建。", "部分事项推进较慢，需加强沟通。", "双向服务扎实，群众满意。")


def _years_back(day: dt.date, years: int) -> dt.date:
    return day - dt.timedelta(days=365 * years)


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = getattr(plan, "reference_date", None) or district_today()
    areas = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind.in_(("street", "community", "village")), OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    if not areas:
        return {}
    streets = [a for a in areas if a.kind == "street"]
    resident_units = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind == "unit", OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    taken = {
        (parent_id, name)
        for parent_id, name in await session.execute(
            select(OrgNode.parent_id, OrgNode.name).where(OrgNode.archived_at.is_(None))
        )
    }

    def area_of(node: OrgNode) -> OrgNode:
        """The nearest street, community or village at or above ``node``'s parent."""
        found = [a for a in areas if node.path.startswith(a.path) and a.id != node.id]
        return max(found, key=lambda a: a.depth) if found else rng.choice(streets or areas)

    pairs: list[tuple[OrgNode, OrgNode]] = [(area_of(unit), unit) for unit in resident_units]
    allied: set[uuid.UUID] = {unit.id for _area, unit in pairs}
    words = list(PLACE_WORDS)
    rng.shuffle(words)
    serial = 0

    async def two_new(area: OrgNode) -> OrgNode:
        nonlocal serial
        kind, template = TWO_NEW_TEMPLATES[serial % len(TWO_NEW_TEMPLATES)]
        name = template.format(w=words[serial % len(words)])
        serial += 1
        while (area.id, name) in taken:
            name = template.format(w=f"{rng.choice(words)}{rng.choice(words)}")
        taken.add((area.id, name))
        attrs = {
            "longitude": round(CENTRE[0] + rng.uniform(-0.05, 0.05), 6),
            "latitude": round(CENTRE[1] + rng.uniform(-0.03, 0.03), 6),
        }
        return await add_node(session, area, kind, name, attrs=attrs)

    # Every street and every community or village has at least one alliance.
    for street in streets:
        if not any(area.id == street.id for area, _unit in pairs):
            local = [u for u in resident_units if u.path.startswith(street.path)]
            pairs.append((street, rng.choice(local) if local else await two_new(street)))
    for area in areas:
        if area.kind != "street" and not any(a.id == area.id for a, _unit in pairs):
            pairs.append((area, await two_new(area)))
    allied = {unit.id for _area, unit in pairs}
    communities = [a for a in areas if a.kind != "street"] or areas
    cursor = 0
    while len(allied) < ALLIED_UNITS:
        area = communities[cursor % len(communities)]
        cursor += 1
        unit = await two_new(area)
        pairs.append((area, unit))
        allied.add(unit.id)

    counts = {"agreements": 0, "items": 0, "activities": 0, "reviews": 0, "units_created": serial}
    in_force: list[tuple[Agreement, OrgNode, OrgNode]] = []
    for index, (area, unit) in enumerate(pairs):
        if index % 17 == 3:  # ending soon: shows the reminder
            starts_on = reference - dt.timedelta(days=TERM_DAYS - rng.randint(5, 25))
        else:
            starts_on = reference - dt.timedelta(days=rng.randint(30, 900))
        ends_on = starts_on + dt.timedelta(days=TERM_DAYS - 1)
        agreement = Agreement(
            org_node_id=area.id,
            unit_node_id=unit.id,
            title=f"{area.name}与{unit.name}党建共建协议",
            content="双方围绕组织共建、资源共享、活动共办、服务共抓，签订双向服务清单，定期召开联席会议。",
            starts_on=starts_on,
            ends_on=ends_on,
            signed_on=starts_on - dt.timedelta(days=rng.randint(0, 10)),
            status=ACTIVE,
        )
        session.add(agreement)
        in_force.append((agreement, area, unit))
        counts["agreements"] += 1
        if index % 15 == 7:  # renewed: the earlier term expired
            previous_start = _years_back(starts_on, 3)
            terminated = index % 30 == 7
            session.add(
                Agreement(
                    org_node_id=area.id,
                    unit_node_id=unit.id,
                    title=f"{area.name}与{unit.name}党建共建协议（上期）",
                    starts_on=previous_start,
                    ends_on=starts_on - dt.timedelta(days=1),
                    signed_on=previous_start,
                    status=TERMINATED if terminated else EXPIRED,
                    terminated_on=starts_on - dt.timedelta(days=90) if terminated else None,
                    termination_reason="单位搬迁，重新签订协议" if terminated else None,
                )
            )
            counts["agreements"] += 1
        if index % 17 == 3 and index % 2 == 1:  # the renewal being negotiated
            session.add(
                Agreement(
                    org_node_id=area.id,
                    unit_node_id=unit.id,
                    title=f"{area.name}与{unit.name}党建共建协议（续签草案）",
                    starts_on=ends_on + dt.timedelta(days=1),
                    ends_on=ends_on + dt.timedelta(days=TERM_DAYS),
                    status=DRAFT,
                )
            )
            counts["agreements"] += 1
    await session.flush()

    # The two-way service lists: one item for every alliance, a second for some.
    lists = (
        ("need", "area", NEEDS_OF_AREA),
        ("resource", "unit", RESOURCES_OF_UNIT),
        ("resource", "area", RESOURCES_OF_AREA),
        ("need", "unit", NEEDS_OF_UNIT),
    )
    items_of: dict[uuid.UUID, list[ServiceItem]] = {}
    for number in range(ITEMS):
        agreement, _area, _unit = in_force[number % len(in_force)]
        kind, party, titles = lists[(number // len(in_force) + number) % len(lists)]
        draw = rng.random()
        status = (
            FULFILLED
            if draw < 0.65
            else IN_PROGRESS
            if draw < 0.85
            else PENDING
            if draw < 0.97
            else CANCELLED
        )
        span = max(1, (reference - agreement.starts_on).days)
        item = ServiceItem(
            agreement_id=agreement.id,
            org_node_id=agreement.org_node_id,
            kind=kind,
            party=party,
            title=rng.choice(titles),
            status=status,
            fulfilled_on=agreement.starts_on + dt.timedelta(days=rng.randint(0, span))
            if status == FULFILLED
            else None,
            fulfilment_note=rng.choice(NOTES)
            if status == FULFILLED
            else "事项调整"
            if status == CANCELLED
            else None,
        )
        session.add(item)
        items_of.setdefault(agreement.id, []).append(item)
        counts["items"] += 1

    for number in range(ACTIVITIES):
        agreement, area, unit = in_force[rng.randrange(len(in_force))]
        first = max(agreement.starts_on, reference - dt.timedelta(days=700))
        held_on = first + dt.timedelta(days=rng.randint(0, max(0, (reference - first).days)))
        meeting = number % 5 == 0
        placed = rng.random() < 0.6
        session.add(
            Activity(
                agreement_id=agreement.id,
                org_node_id=area.id,
                kind="meeting" if meeting else "activity",
                title=rng.choice(MEETING_TITLES if meeting else ACTIVITY_TITLES),
                held_on=held_on,
                place=f"{area.name}党群服务中心" if meeting or rng.random() < 0.5 else unit.name,
                longitude=round(CENTRE[0] + rng.uniform(-0.05, 0.05), 6) if placed else None,
                latitude=round(CENTRE[1] + rng.uniform(-0.03, 0.03), 6) if placed else None,
                participants=rng.randint(8, 25) if meeting else rng.randint(15, 120),
                content="双方党员共同参与，围绕双向服务清单开展共建。",
            )
        )
        counts["activities"] += 1

    # Last year's reviews, completed, for the alliances that ran through it.
    last_year = reference.year - 1
    year_end = dt.date(last_year, 12, 31)
    for agreement, _area, _unit in in_force:
        if agreement.starts_on > year_end:
            continue
        items = [i for i in items_of.get(agreement.id, []) if i.status != CANCELLED]
        done = [i for i in items if i.status == FULFILLED and i.fulfilled_on and i.fulfilled_on <= year_end]
        rate = round(len(done) * 100 / len(items), 1) if items else None
        rating = (
            None
            if rate is None
            else "excellent"
            if rate >= 90
            else "good"
            if rate >= 60
            else "fair"
            if rate >= 30
            else "poor"
        )
        session.add(
            Review(
                agreement_id=agreement.id,
                org_node_id=agreement.org_node_id,
                year=last_year,
                status=REVIEW_COMPLETED,
                items_total=len(items),
                items_fulfilled=len(done),
                fulfilment_rate=rate,
                rating=rating or "fair",
                note=rng.choice(REVIEW_NOTES),
                completed_on=dt.date(reference.year, 1, rng.randint(10, 28)),
            )
        )
        counts["reviews"] += 1
    await session.flush()
    counts["allied_units"] = len(allied)
    counts["units_created"] = serial
    return counts
