"""Demo records of sector–area collaboration for the demo district (all organisations invented).

Five sector departments under the district, each leading one sector with a published standard
(the private economy's second version, its first retired), a few dozen organisations placed in
the communities, assessments of the current cycle in every state (and the previous cycle's for
the private economy), and guidance visits. Everything random comes from one seeded
``random.Random``, consumed in a fixed order, and dates from the plan's reference date.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import DISTRICT_TIMEZONE, OrgNode, add_node
from plugins.sector_guidance import services
from plugins.sector_guidance.models import (
    Sector,
    SectorAssessment,
    SectorAssessmentResult,
    SectorGuidanceVisit,
    SectorMember,
    SectorStandard,
    SectorStandardItem,
)

SEED = 20181031


@dataclass(frozen=True)
class DemoSector:
    department: str
    code: str
    name: str
    description: str
    standard: str
    member_kind: str
    member_names: tuple[str, ...]
    items: tuple[tuple[str, int], ...]


SECTORS = (
    DemoSector(
        "区委网信办",
        "internet",
        "互联网行业",
        "区委网信办履行行业监管和行业党建“一肩挑两责”，指导互联网企业党建工作。",
        "互联网企业党建工作标准",
        "enterprise",
        ("{w}网络科技有限公司", "{w}信息技术有限公司", "{w}数字传媒有限公司", "{w}电子商务有限公司"),
        (
            ("建立党组织，党组织覆盖企业主要业务部门", 15),
            ("落实网络意识形态工作责任制，建立内容审核把关机制", 20),
            ("规范开展“三会一课”，运用网络平台开展党员教育", 15),
            ("党员员工亮身份、践承诺，设立党员先锋岗", 10),
            ("加强网络安全和个人信息保护，年内无重大违规通报", 15),
            ("党组织带动企业参与网络公益和网络文明建设", 10),
            ("党组织活动阵地、经费和党务工作人员有保障", 15),
        ),
    ),
    DemoSector(
        "区民政局",
        "social_org",
        "社会组织",
        "区民政局指导登记管理的社会组织党建工作，推动党建工作写入章程。",
        "社会组织党建工作标准",
        "social_org",
        ("{w}社区志愿者协会", "{w}养老服务中心", "{w}社会工作服务社", "{w}邻里互助会"),
        (
            ("符合条件的社会组织建立党组织，党建工作写入章程", 20),
            ("党组织书记由社会组织负责人或骨干党员担任", 10),
            ("年检年报如实填报党建工作情况", 10),
            ("规范开展组织生活，党员参加率不低于80%", 15),
            ("党组织对重大事项、重要活动进行前置把关", 15),
            ("党员在社区服务和公益项目中发挥示范作用", 15),
            ("党务工作有台账、有档案", 15),
        ),
    ),
    DemoSector(
        "区住房和城乡建设局",
        "property",
        "物业服务行业",
        "区住建局推进“红色物业”建设，指导物业服务企业党建工作。",
        "物业服务企业党建工作标准",
        "property_company",
        ("{w}物业服务有限公司", "{w}物业管理有限公司"),
        (
            ("物业服务企业建立党组织或纳入社区党组织联建", 15),
            ("党员员工亮身份，设立党员服务岗", 10),
            ("参与社区“红色物业”建设，接受社区党组织指导", 20),
            ("与业委会、居委会建立协商议事机制", 15),
            ("定期开展组织生活和党员教育", 15),
            ("及时处理居民诉求，年度满意度测评达标", 15),
            ("党建工作台账规范完整", 10),
        ),
    ),
    DemoSector(
        "区教育局",
        "private_school",
        "民办学校",
        "区教育局落实民办学校党建工作责任，推动党组织全覆盖和作用发挥。",
        "民办学校党建工作标准",
        "social_org",
        ("{w}外国语学校", "{w}艺术培训学校", "{w}实验幼儿园", "{w}职业培训学校"),
        (
            ("符合条件的民办学校单独或联合组建党组织，应建尽建", 15),
            ("党组织书记由政治素质好、熟悉教育工作的党员担任并报备", 10),
            ("党组织参与学校重大事项决策，书记进入学校决策机构", 15),
            ("落实“三会一课”、主题党日等组织生活制度，记录完整", 15),
            ("党员教师亮身份、作表率，设立党员示范岗", 10),
            ("加强思想政治教育和师德师风建设，有年度工作计划", 10),
            ("党组织活动有场所、有经费，纳入学校年度预算", 10),
            ("党建工作与办学治校深度融合，形成特色品牌", 15),
        ),
    ),
    DemoSector(
        "区市场监督管理局",
        "private_economy",
        "非公经济",
        "区市场监管局牵头非公有制经济组织党建工作，推动党组织和党的工作有效覆盖。",
        "非公有制经济组织党建工作标准",
        "enterprise",
        ("{w}机械制造有限公司", "{w}商贸有限公司", "{w}餐饮管理有限公司", "{w}建材有限公司"),
        (
            ("按规定建立党组织或选派党建工作指导员", 15),
            ("党组织班子健全，书记由企业党员骨干担任", 10),
            ("定期开展“三会一课”和主题党日活动", 15),
            ("党员发展和教育管理规范，组织关系及时转接", 10),
            ("党组织参与企业重大问题研究，推动企业健康发展", 15),
            ("党组织活动场所、经费和党务工作人员有保障", 10),
            ("带动工会、共青团等群团组织建设", 10),
            ("开展党员示范岗、先锋岗等创先争优活动", 15),
        ),
    ),
)
# The private economy's first, trial version (retired when the second was published).
TRIAL_ITEMS = (
    ("建立党组织或明确党建工作联系人", 20),
    ("开展组织生活", 20),
    ("党员教育管理", 20),
    ("党组织活动场所", 20),
    ("群团组织建设", 20),
)
PLACE_WORDS = [
    "金山",
    "北固",
    "焦山",
    "南山",
    "宝塔",
    "运河",
    "西津",
    "润扬",
    "长江",
    "梦溪",
    "伯先",
    "京口",
    "七里",
    "蒋乔",
    "官塘",
    "和平",
    "中山",
    "健康",
    "花山",
    "丁卯",
    "黄山",
    "九华",
    "桃花",
    "凤凰",
    "银山",
    "江滨",
    "云台",
    "古渡",
]
EVIDENCE = (
    "查阅党组织会议记录和工作台账",
    "现场查看党建活动阵地",
    "访谈党组织书记和党员代表",
    "查阅年度党建工作计划和总结",
    "核对党员花名册和组织关系转接记录",
    "查看党员示范岗公示和活动照片",
)
VISITORS = ("党建指导员 王敏", "党建指导员 陈刚", "分管负责同志 刘洁", "组织科 周涛", "党建办 孙丽")
TOPICS = (
    "宣讲行业党建工作标准，指导对照自查",
    "指导党组织换届和班子建设",
    "了解“三会一课”落实情况",
    "指导党员教育管理和发展党员工作",
    "调研党建与业务融合做法",
)
FINDINGS = (
    "组织生活记录不够完整，部分会议缺少签到",
    "党建活动阵地已建成，使用率有待提高",
    "党组织作用发挥较好，形成了特色做法",
    "党务工作人员为兼职，精力投入不足",
    None,
)
FOLLOW_UPS = ("一个月内补齐台账", "下季度回访", "推荐参加全区党务培训", None)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=DISTRICT_TIMEZONE).astimezone(dt.UTC)


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = plan.reference_date
    config = await services.config_of(session)
    cycle = services.cycle_containing(reference, config.cycle)
    previous = services.cycle_containing(cycle.starts_on - dt.timedelta(days=1), config.cycle)
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
    taken = {
        (parent_id, name)
        for parent_id, name in await session.execute(
            select(OrgNode.parent_id, OrgNode.name).where(OrgNode.archived_at.is_(None))
        )
    }
    counts = {"sectors": 0, "members": 0, "assessments": 0, "results": 0, "visits": 0}
    words = list(PLACE_WORDS)
    rng.shuffle(words)
    serial = 0
    for index, spec in enumerate(SECTORS):
        department = next(
            (
                node
                for node in await session.scalars(
                    select(OrgNode).where(OrgNode.parent_id == root.id, OrgNode.name == spec.department)
                )
            ),
            None,
        ) or await add_node(session, root, "sector_department", spec.department)
        sector = Sector(
            org_node_id=department.id,
            name=spec.name,
            code=spec.code,
            description=spec.description,
            status="active",
        )
        session.add(sector)
        counts["sectors"] += 1
        standards: list[tuple[SectorStandard, list[SectorStandardItem]]] = []
        versions = (
            [(f"{spec.standard}（试行）", TRIAL_ITEMS), (spec.standard, spec.items)]
            if index == 4
            else [(spec.standard, spec.items)]
        )
        for version, (title, checklist) in enumerate(versions, start=1):
            latest = version == len(versions)
            standard = SectorStandard(
                sector_id=sector.id,
                org_node_id=department.id,
                title=title,
                version=version,
                status="published" if latest else "retired",
                published_at=_at(
                    previous.starts_on if not latest else cycle.starts_on - dt.timedelta(days=20), 9
                ),
            )
            rows = [
                SectorStandardItem(standard_id=standard.id, position=position, text=text, weight=weight)
                for position, (text, weight) in enumerate(checklist, start=1)
            ]
            session.add(standard)
            session.add_all(rows)
            standards.append((standard, rows))
        await session.flush()

        organisations: list[OrgNode] = []
        for _n in range(rng.randint(6, 9)):
            community = rng.choice(communities)
            template = rng.choice(spec.member_names)
            name = template.format(w=f"镇江{words[serial % len(words)]}")
            serial += 1
            while (community.id, name) in taken:
                name = template.format(w=f"镇江{rng.choice(words)}{rng.choice(words)}")
            taken.add((community.id, name))
            organisations.append(await add_node(session, community, spec.member_kind, name))
        for organisation in organisations:
            session.add(
                SectorMember(
                    sector_id=sector.id,
                    org_node_id=organisation.id,
                    joined_on=previous.starts_on - dt.timedelta(days=rng.randint(30, 400)),
                )
            )
            counts["members"] += 1

        current, current_items = standards[-1]
        for organisation in organisations:
            draw = rng.random()
            state = "submitted" if draw < 0.55 else "in_progress" if draw < 0.75 else "due"
            chunk = [(cycle, current, current_items, state)]
            if len(standards) > 1:
                chunk.insert(0, (previous, *standards[0], "submitted"))
            strength = rng.uniform(0.6, 0.98)
            for when, standard, items, status in chunk:
                day = min(when.starts_on + dt.timedelta(days=rng.randint(20, 120)), reference)
                assessment = SectorAssessment(
                    standard_id=standard.id,
                    sector_id=sector.id,
                    org_node_id=organisation.id,
                    cycle=when.label,
                    status=status,
                    started_at=_at(day, 10) if status != "due" else None,
                )
                session.add(assessment)
                counts["assessments"] += 1
                if status == "due":
                    continue
                answered = items if status == "submitted" else items[: rng.randint(1, len(items) - 1)]
                answers = []
                for item in answered:
                    met = rng.random() < strength
                    answers.append((item.weight, met))
                    session.add(
                        SectorAssessmentResult(
                            assessment_id=assessment.id,
                            item_id=item.id,
                            met=met,
                            evidence=rng.choice(EVIDENCE) if met else None,
                        )
                    )
                    counts["results"] += 1
                if status == "submitted":
                    pass_mark = standard.pass_mark if standard.pass_mark is not None else config.pass_mark
                    score = services.compute_score(answers)
                    assessment.score = score
                    assessment.pass_mark = pass_mark
                    assessment.passed = score >= pass_mark
                    assessment.submitted_at = _at(
                        min(day + dt.timedelta(days=rng.randint(1, 14)), reference), 16
                    )

        for _v in range(rng.randint(2, 5)):
            organisation = rng.choice(organisations)
            session.add(
                SectorGuidanceVisit(
                    sector_id=sector.id,
                    org_node_id=organisation.id,
                    visited_on=reference - dt.timedelta(days=rng.randint(0, 300)),
                    visitor=f"{spec.department}{rng.choice(VISITORS)}",
                    topics=rng.choice(TOPICS),
                    findings=rng.choice(FINDINGS),
                    follow_up=rng.choice(FOLLOW_UPS),
                )
            )
            counts["visits"] += 1
        await session.flush()
    return counts
