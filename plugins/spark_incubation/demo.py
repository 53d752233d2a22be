"""Demo records of the spark plan for the demo district.

The seven emerging fields of the seed, each with candidates in every stage. The seed's own results
are the benchmarks: the first branch of an online social-organisation federation in the country
(全国首家网络社会组织联合会党支部), the city's first business-district party committee (全市首个商圈党委)
and the internet-finance enterprise 瑞祥集团 whose party building drives its growth. The other
organisations are invented. Some two-new organisations have set up a branch (for the coverage
figure); plans carry milestones (some overdue) and mentors drawn from the district's people.
Everything random comes from one seeded ``random.Random`` and dates from the plan's reference date.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import DISTRICT_TIMEZONE, OrgNode, Person, add_node
from plugins.spark_incubation import services
from plugins.spark_incubation.models import (
    SparkCandidate,
    SparkField,
    SparkMentor,
    SparkMilestone,
    SparkPlan,
    SparkStandard,
    SparkStandardSource,
    SparkTransition,
)

SEED = 20180605


@dataclass(frozen=True)
class DemoCandidate:
    field: str
    name: str
    kind: str
    stage: str
    # The party organisation it set up (kind, name), if any.
    party: tuple[str, str] | None = None
    score: float | None = None


BENCHMARKS = (
    DemoCandidate(
        "social_org",
        "润州区网络社会组织联合会",
        "social_org",
        "benchmark",
        ("branch", "润州区网络社会组织联合会党支部"),
        96,
    ),
    DemoCandidate(
        "business_district",
        "大市口商圈商会",
        "social_org",
        "benchmark",
        ("party_committee", "大市口商圈党委"),
        94,
    ),
    DemoCandidate("internet", "瑞祥集团", "enterprise", "benchmark", ("party_committee", "瑞祥集团党委"), 93),
    DemoCandidate(
        "commercial_building",
        "苏宁广场商务楼宇联合会",
        "social_org",
        "benchmark",
        ("branch", "苏宁广场楼宇党支部"),
        91,
    ),
)
OTHERS = (
    DemoCandidate(
        "internet", "镇江云途网络科技有限公司", "enterprise", "assessed", ("branch", "云途网络党支部"), 86
    ),
    DemoCandidate("internet", "润州数字传媒有限公司", "enterprise", "cultivating"),
    DemoCandidate("internet", "金山电子商务有限公司", "enterprise", "nominated"),
    DemoCandidate(
        "social_org", "润州区志愿服务联合会", "social_org", "cultivating", ("branch", "志愿服务联合会党支部")
    ),
    DemoCandidate("social_org", "和平路社会工作服务社", "social_org", "nominated"),
    DemoCandidate("social_org", "北固养老服务中心", "social_org", "dropped"),
    DemoCandidate("commercial_building", "万达广场写字楼企业联合会", "social_org", "cultivating"),
    DemoCandidate("commercial_building", "八佰伴商务中心", "enterprise", "nominated"),
    DemoCandidate("business_district", "宝塔路商业街商户联合会", "social_org", "assessed", None, 78),
    DemoCandidate("business_district", "中山路专业市场", "enterprise", "cultivating"),
    DemoCandidate(
        "private_enterprise",
        "镇江恒顺机械制造有限公司",
        "enterprise",
        "cultivating",
        ("branch", "恒顺机械党支部"),
    ),
    DemoCandidate("private_enterprise", "润扬建材有限公司", "enterprise", "nominated"),
    DemoCandidate(
        "private_enterprise", "西津商贸有限公司", "enterprise", "assessed", ("branch", "西津商贸党支部"), 82
    ),
    DemoCandidate("industrial_park", "润州科技园众创空间", "enterprise", "cultivating"),
    DemoCandidate("industrial_park", "官塘创新社区孵化器", "enterprise", "nominated"),
    DemoCandidate(
        "new_employment",
        "润州区快递物流行业协会",
        "social_org",
        "cultivating",
        ("branch", "快递物流行业党支部"),
    ),
    DemoCandidate("new_employment", "镇江骑手之家服务站", "social_org", "nominated"),
)
# Two-new organisations that are no candidates: half of them have a branch (the coverage figure).
UNCANDIDATED = (
    ("镇江江滨餐饮管理有限公司", "enterprise", True),
    ("七里甸物流有限公司", "enterprise", False),
    ("蒋乔社区邻里互助会", "social_org", True),
    ("焦山文化艺术培训中心", "social_org", False),
    ("南山生态农业有限公司", "enterprise", False),
)
STANDARDS = {
    "social_org": (
        "网络社会组织党建工作标准",
        "总结润州区网络社会组织联合会党支部经验，推动网络社会组织党的组织和工作有效覆盖。",
        [
            "联合会层面建立党组织，会员单位党员纳入管理",
            "建立网络意识形态阵地把关机制",
            "党员网络达人带头传播正能量",
        ],
    ),
    "business_district": (
        "商圈党建工作标准",
        "提炼大市口商圈党委“商圈+党建”做法，以商圈党委统筹商户、楼宇和市场党建。",
        ["成立商圈党委，吸纳商圈主要经营主体", "建立商户党员亮身份、做承诺制度", "商圈党群服务站点常态开放"],
    ),
    "internet": (
        "互联网企业党建工作标准",
        "以瑞祥集团为标杆，推动党建工作成为互联网企业发展的“主引擎”。",
        ["党组织参与企业重大决策", "党员骨干在关键岗位发挥先锋作用", "党建与企业文化、风控合规深度融合"],
    ),
}
STEPS = ("nominated", "cultivating", "assessed")
MILESTONES = (
    "完成党组织组建或理顺隶属关系",
    "规范开展“三会一课”",
    "建设党群活动阵地",
    "培育党建特色品牌",
    "形成经验材料",
)
REASONS = {
    "nominated": "党建基础较好，列入星火计划培育对象",
    "cultivating": "制定培育计划，明确导师和节点任务",
    "assessed": "培育期满，组织部门现场评估",
    "benchmark": "经区委组织部认定为新兴领域党建示范标杆",
    "dropped": "机构调整，暂停培育",
}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=DISTRICT_TIMEZONE).astimezone(dt.UTC)


def _path_of(stage: str) -> list[str]:
    if stage == "benchmark":
        return ["nominated", "cultivating", "assessed", "benchmark"]
    if stage == "dropped":
        return ["nominated", "cultivating", "dropped"]
    return list(STEPS[: STEPS.index(stage) + 1])


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = plan.reference_date
    await services.seed_fields(session)
    fields = {f.code: f for f in await session.scalars(select(SparkField))}
    communities = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind == "community", OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    if not communities or any(code not in fields for code, _n, _d in services.SEED_FIELDS):
        return {}
    people = list(
        await session.scalars(
            select(Person.id).where(Person.archived_at.is_(None)).order_by(Person.id).limit(40)
        )
    )
    counts = {
        "fields": len(fields),
        "candidates": 0,
        "benchmarks": 0,
        "plans": 0,
        "milestones": 0,
        "standards": 0,
    }
    taken = {
        (parent_id, name)
        for parent_id, name in await session.execute(select(OrgNode.parent_id, OrgNode.name))
    }

    async def organisation(name: str, kind: str, party: tuple[str, str] | None) -> OrgNode:
        community = rng.choice(communities)
        while (community.id, name) in taken:
            community = rng.choice(communities)
        taken.add((community.id, name))
        node = await add_node(
            session,
            community,
            kind,
            name,
            attrs={
                "longitude": round(119.40 + rng.random() * 0.12, 5),
                "latitude": round(32.16 + rng.random() * 0.08, 5),
            },
        )
        if party is not None:
            await add_node(session, node, party[0], party[1])
        return node

    for name, kind, has_branch in UNCANDIDATED:
        await organisation(name, kind, ("branch", f"{name}党支部") if has_branch else None)

    benchmarks: dict[str, list[SparkCandidate]] = {}
    for spec in (*BENCHMARKS, *OTHERS):
        node = await organisation(spec.name, spec.kind, spec.party)
        steps = _path_of(spec.stage)
        started = reference - dt.timedelta(days=rng.randint(200, 500))
        candidate = SparkCandidate(
            field_id=fields[spec.field].id,
            org_node_id=node.id,
            stage=spec.stage,
            nominated_on=started,
            stage_changed_at=_at(started, 9),
        )
        session.add(candidate)
        await session.flush()
        day = started
        for previous, stage in zip([None, *steps], steps, strict=False):
            if stage == "assessed" or (stage == "dropped" and spec.score):
                candidate.score = spec.score
                candidate.assessment = (
                    "党组织作用发挥明显，党建与业务融合度高"
                    if (spec.score or 0) >= 80
                    else "基础较好，特色尚不鲜明"
                )
                candidate.assessed_on = day
            session.add(
                SparkTransition(
                    candidate_id=candidate.id,
                    from_stage=previous,
                    to_stage=stage,
                    reason=REASONS[stage],
                    actor_name="区委组织部",
                    at=_at(day, 10),
                )
            )
            candidate.stage_changed_at = _at(day, 10)
            day = min(day + dt.timedelta(days=rng.randint(30, 120)), reference)
        counts["candidates"] += 1
        if spec.stage == "benchmark":
            counts["benchmarks"] += 1
            benchmarks.setdefault(spec.field, []).append(candidate)
        if "cultivating" in steps:
            starts_on = started + dt.timedelta(days=7)
            cultivation = SparkPlan(
                candidate_id=candidate.id,
                org_node_id=node.id,
                title=f"{spec.name}党建培育计划",
                goals="用一年时间建强党组织、规范组织生活、形成可复制的党建工作经验",
                starts_on=starts_on,
                ends_on=starts_on + dt.timedelta(days=365),
            )
            session.add(cultivation)
            await session.flush()
            counts["plans"] += 1
            finished = spec.stage != "cultivating"
            for index, title in enumerate(MILESTONES):
                due_on = starts_on + dt.timedelta(days=60 * (index + 1))
                done = finished or due_on < reference - dt.timedelta(days=rng.randint(0, 60))
                session.add(
                    SparkMilestone(
                        plan_id=cultivation.id,
                        title=title,
                        due_on=due_on,
                        done_on=min(due_on - dt.timedelta(days=rng.randint(0, 10)), reference)
                        if done
                        else None,
                    )
                )
                counts["milestones"] += 1
            for person_id in rng.sample(people, k=min(2, len(people))):
                session.add(SparkMentor(plan_id=cultivation.id, person_id=person_id, role="党建指导员"))
        await session.flush()

    for code, (title, body, items) in STANDARDS.items():
        standard = SparkStandard(
            field_id=fields[code].id,
            title=title,
            body=body,
            items=items,
            status="published",
            published_on=reference - dt.timedelta(days=rng.randint(10, 90)),
        )
        session.add(standard)
        await session.flush()
        session.add_all(
            SparkStandardSource(standard_id=standard.id, candidate_id=c.id) for c in benchmarks[code]
        )
        counts["standards"] += 1
    await session.flush()
    return counts
