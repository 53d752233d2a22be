"""Demo records of projects for the people for the demo district (projects and claimants invented).

The seed: "今年以来，实施党建为民项目196个，投入各类党建资金960多万元，同比分别增长94%、71%" — so
this year 196 projects published and 9.618 million yuan committed, last year 101 projects and
5.62 million yuan (+94.1% and +71.1%). Each project answers a need collected in a community
(with residents backing it); claims come from resident units, sector departments, two-new
organisations and in-service members; projects under way report progress; finished ones are rated
by residents. Everything random comes from one seeded ``random.Random`` consumed in a fixed order,
and dates from the plan's reference date.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import DISTRICT_TIMEZONE, OrgNode, Person, add_node
from plugins.people_projects.models import (
    Claim,
    Evaluation,
    Need,
    NeedSupporter,
    ProgressUpdate,
    Project,
    ProjectTransition,
)

SEED = 20181115
THIS_YEAR_PROJECTS = 196
LAST_YEAR_PROJECTS = 101
# In fen: 961.8万元 this year, 562万元 last year.
THIS_YEAR_FEN = 961_800_000
LAST_YEAR_FEN = 562_000_000
OPEN_NEEDS = 36
DRAFTS = 9

CLAIMANT_KINDS = ("unit", "sector_department", "enterprise", "social_org", "property_company")
# Co-building units created when the tree has too few organisations to claim.
CO_BUILDERS = (
    ("unit", "国网镇江供电公司"),
    ("unit", "镇江市第一人民医院"),
    ("unit", "江苏大学附属医院"),
    ("unit", "润州区人民法院"),
    ("enterprise", "镇江润和置业有限公司"),
    ("enterprise", "镇江金山物流有限公司"),
    ("social_org", "润州区爱心志愿者协会"),
    ("social_org", "镇江市益民社会工作服务中心"),
)

# (category, project title, need description)
IDEAS = (
    ("elderly_care", "爱心小饭桌", "社区独居、高龄老人中午就餐难，希望有就近的助餐点。"),
    ("elderly_care", "党员家庭责任医生服务团队", "老年慢性病居民多，希望有医生定期上门随访。"),
    ("elderly_care", "居家养老助浴服务", "失能老人洗澡难，家属希望有上门助浴。"),
    ("health", "惠民洗浴坊", "老旧小区居民家中洗浴条件差，冬季洗澡难。"),
    ("infrastructure", "老旧小区加装电梯", "多层住宅没有电梯，高层老人上下楼困难。"),
    ("infrastructure", "背街小巷路灯改造", "小巷夜间照明不足，居民出行不安全。"),
    ("infrastructure", "非机动车充电棚", "楼道充电隐患大，居民希望建集中充电点。"),
    ("environment", "口袋公园改造", "闲置空地杂草丛生，居民希望改成休闲绿地。"),
    ("environment", "垃圾分类亭建设", "垃圾投放点脏乱，希望建设分类投放亭。"),
    ("environment", "雨污分流管网疏通", "雨天小区积水，下水道经常堵塞。"),
    ("childcare", "四点半课堂", "双职工家庭孩子放学后无人照看。"),
    ("childcare", "暑期托管班", "暑假期间孩子无人看护，家长希望社区开办托管。"),
    ("culture", "社区读书角", "居民希望有安静的阅读空间和图书借阅。"),
    ("culture", "广场舞音响和场地提升", "文体活动场地破旧，设备老化。"),
    ("employment", "就业技能培训课堂", "失业和待业居民希望学习实用技能。"),
    ("safety", "楼道消防设施更新", "老楼灭火器过期，消防通道堆物。"),
    ("safety", "小区监控补盲", "小区出入口和车棚缺少监控，电动车被盗。"),
)
SOURCES = ("door_to_door", "door_to_door", "hotline", "grid_worker", "grid_worker", "online", "meeting")
MATERIALS = (
    "健身器材 {n} 套",
    "图书 {n}00 册",
    "办公桌椅 {n} 套",
    "灭火器 {n}0 具",
    "空调 {n} 台",
    "绿化苗木 {n}00 株",
)
PROGRESS_TEXTS = (
    "完成方案设计并征求居民意见",
    "认领单位资金到位，启动采购",
    "施工队进场，完成基础施工",
    "主体工程完成，正在收尾",
    "志愿者到位，服务每周开展",
    "完成首批服务，居民反响良好",
)
COMMENTS = (
    "办到了我们心坎上，感谢党组织！",
    "服务很及时，希望长期坚持。",
    "环境变好了，孩子们也有地方玩了。",
    "总体满意，建议增加开放时间。",
    "工作人员很耐心，点赞！",
    None,
    None,
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=DISTRICT_TIMEZONE).astimezone(dt.UTC)


def _split(rng: random.Random, total_fen: int, parts: int) -> list[int]:
    """``total_fen`` split into ``parts`` random amounts of whole hundreds of yuan (exactly)."""
    hundreds = total_fen // 10_000
    weights = [rng.uniform(0.3, 3.0) for _ in range(parts)]
    scale = sum(weights)
    amounts = [max(1, int(hundreds * w / scale)) for w in weights]
    amounts[-1] += hundreds - sum(amounts)
    assert amounts[-1] >= 1 and sum(amounts) * 10_000 + total_fen % 10_000 == total_fen
    result = [a * 10_000 for a in amounts]
    result[-1] += total_fen % 10_000
    return result


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = plan.reference_date
    communities = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind.in_(("community", "village")), OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    if not communities:
        return {}
    claimants = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind.in_(CLAIMANT_KINDS), OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
            .limit(300)
        )
    )
    if len(claimants) < 8:
        root = (await session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None)))).one()
        taken = {n.name for n in claimants}
        for kind, name in CO_BUILDERS:
            if name not in taken:
                claimants.append(await add_node(session, root, kind, name))
    people = list(
        await session.scalars(
            select(Person).where(Person.archived_at.is_(None)).order_by(Person.id).limit(3000)
        )
    )
    members = [p for p in people if p.party_status in ("full", "probationary")] or people
    counts = {
        "needs": 0,
        "supporters": 0,
        "projects": 0,
        "claims": 0,
        "progress": 0,
        "evaluations": 0,
        "transitions": 0,
    }

    def add_need(community: OrgNode, idea: tuple[str, str, str], day: dt.date, status: str) -> Need:
        need = Need(
            org_node_id=community.id,
            source=rng.choice(SOURCES),
            category=idea[0],
            title=f"{community.name}{idea[1]}",
            description=idea[2],
            raised_by_person_id=rng.choice(people).id if people else None,
            status=status,
            supporter_count=0,
        )
        need.created_at = need.updated_at = _at(day, 9)
        session.add(need)
        counts["needs"] += 1
        backers = rng.sample(people, min(len(people), rng.randint(0, 6)))
        for person in backers:
            session.add(NeedSupporter(need_id=need.id, person_id=person.id))
        need.supporter_count = len(backers)
        counts["supporters"] += len(backers)
        return need

    def step(project: Project, before: str | None, after: str, day: dt.date) -> None:
        session.add(
            ProjectTransition(project_id=project.id, from_status=before, to_status=after, at=_at(day, 10))
        )
        counts["transitions"] += 1

    async def year_of_projects(year: int, how_many: int, money_fen: int, last_day: dt.date) -> None:
        first_day = dt.date(year, 1, 1)
        span = max((last_day - first_day).days, 0)
        if year < reference.year:
            weights = {"evaluated": 0.8, "completed": 0.2}
        else:
            weights = {
                "published": 0.08,
                "claimed": 0.14,
                "in_progress": 0.3,
                "completed": 0.18,
                "evaluated": 0.3,
            }
        statuses = rng.choices(list(weights), list(weights.values()), k=how_many)
        money_claims: list[Claim] = []
        year_projects: list[Project] = []
        for status in statuses:
            community = rng.choice(communities)
            idea = rng.choice(IDEAS)
            published = first_day + dt.timedelta(days=rng.randint(0, span))
            collected = published - dt.timedelta(days=rng.randint(5, 40))
            need = add_need(community, idea, collected, "converted")
            await session.flush()

            def later(day: dt.date, low: int, high: int) -> dt.date:
                return min(day + dt.timedelta(days=rng.randint(low, high)), last_day)

            claimed = later(published, 1, 20)
            started = later(claimed, 3, 30)
            completed = later(started, 20, 120)
            project = Project(
                org_node_id=community.id,
                need_id=need.id,
                title=need.title,
                description=idea[2],
                category=idea[0],
                status=status,
                max_claimants=1 if rng.random() < 0.2 else None,
                claim_count=0,
                committed_fen=0,
                delivered_fen=0,
                progress_percent=0,
                published_on=published,
                place=f"{community.name}{rng.choice(('活动中心', '小区广场', '党群服务中心', '居民楼'))}",
                longitude=round(rng.uniform(119.38, 119.50), 6),
                latitude=round(rng.uniform(32.15, 32.23), 6),
            )
            project.created_at = project.updated_at = _at(collected + dt.timedelta(days=2), 9)
            session.add(project)
            await session.flush()
            year_projects.append(project)
            counts["projects"] += 1
            step(project, None, "draft", collected + dt.timedelta(days=2))
            step(project, "draft", "published", published)
            if status == "published":
                continue
            order = ["claimed", "in_progress", "completed", "evaluated"]
            reached = order[: order.index(status) + 1]
            step(project, "published", "claimed", claimed)
            how_many_claims = 1 if project.max_claimants == 1 else rng.randint(1, 4)
            chosen = rng.sample(claimants, min(how_many_claims, len(claimants)))
            pool = rng.sample(members, min(len(members), len(chosen)))
            for index, org in enumerate(chosen):
                person = pool[index] if 0 < index < len(pool) and rng.random() < 0.25 else None
                claim = Claim(
                    project_id=project.id,
                    claimant_org_node_id=None if person else org.id,
                    claimant_person_id=person.id if person else None,
                    commitment="money" if index == 0 else rng.choice(("money", "labour", "material")),
                    claimed_on=later(claimed, 0, 10) if index else claimed,
                    money_fen=0,
                    labour_hours=0,
                    material_value_fen=0,
                    delivered_fen=0,
                )
                if claim.commitment == "labour":
                    claim.labour_hours = rng.randint(8, 200)
                elif claim.commitment == "material":
                    claim.material_description = rng.choice(MATERIALS).format(n=rng.randint(2, 9))
                    claim.material_value_fen = rng.randint(20, 400) * 10_000
                else:
                    claim.money_fen = 10_000  # until the year's money is shared out below
                    money_claims.append(claim)
                claim.created_at = claim.updated_at = _at(claim.claimed_on, 11)
                session.add(claim)
                project.claim_count += 1
                counts["claims"] += 1
            if "in_progress" in reached:
                step(project, "claimed", "in_progress", started)
                project.started_on = started
                percent = 0
                day = started
                for _n in range(rng.randint(1, 3)):
                    percent = min(95, percent + rng.randint(15, 40))
                    day = later(day, 5, 30)
                    session.add(
                        ProgressUpdate(
                            project_id=project.id,
                            org_node_id=project.org_node_id,
                            reported_on=day,
                            text=rng.choice(PROGRESS_TEXTS),
                            percent=percent,
                        )
                    )
                    counts["progress"] += 1
                project.progress_percent = percent
                project.last_progress_on = day
            if "completed" in reached:
                step(project, "in_progress", "completed", completed)
                project.completed_on = completed
                project.progress_percent = 100
            if "evaluated" in reached and people:
                step(project, "completed", "evaluated", later(completed, 1, 10))
                for person in rng.sample(people, min(len(people), rng.randint(3, 8))):
                    session.add(
                        Evaluation(
                            project_id=project.id,
                            person_id=person.id,
                            stars=rng.choices((5, 4, 3, 2), (0.68, 0.26, 0.05, 0.01))[0],
                            comment=rng.choice(COMMENTS),
                            evaluated_on=later(completed, 1, 20),
                        )
                    )
                    counts["evaluations"] += 1
            elif "evaluated" in reached:
                project.status = "completed"
        # The year's money, shared out over its money claims exactly.
        for claim, amount in zip(money_claims, _split(rng, money_fen, len(money_claims)), strict=True):
            claim.money_fen = amount
        by_project: dict[Any, Project] = {p.id: p for p in year_projects}
        for claim in money_claims:
            project = by_project[claim.project_id]
            project.committed_fen += claim.money_fen
            if project.status in ("completed", "evaluated"):
                claim.delivered_fen = claim.money_fen
            elif project.status == "in_progress":
                claim.delivered_fen = claim.money_fen // 2
            project.delivered_fen += claim.delivered_fen
        for project in by_project.values():
            if project.max_claimants is None and rng.random() < 0.5 and project.committed_fen:
                project.target_fen = project.committed_fen + rng.choice((0, 0, 50_000_00))
        await session.flush()

    last_year = reference.year - 1
    await year_of_projects(last_year, LAST_YEAR_PROJECTS, LAST_YEAR_FEN, dt.date(last_year, 12, 31))
    await year_of_projects(reference.year, THIS_YEAR_PROJECTS, THIS_YEAR_FEN, reference)

    for _n in range(OPEN_NEEDS):
        community = rng.choice(communities)
        add_need(community, rng.choice(IDEAS), reference - dt.timedelta(days=rng.randint(0, 60)), "open")
    for _n in range(DRAFTS):
        community = rng.choice(communities)
        idea = rng.choice(IDEAS)
        need = add_need(community, idea, reference - dt.timedelta(days=rng.randint(3, 30)), "converted")
        await session.flush()
        draft = Project(
            org_node_id=community.id,
            need_id=need.id,
            title=need.title,
            description=idea[2],
            category=idea[0],
            status="draft",
            claim_count=0,
            committed_fen=0,
            delivered_fen=0,
            progress_percent=0,
        )
        session.add(draft)
        counts["projects"] += 1
        step(draft, None, "draft", reference)
    await session.flush()
    return counts
