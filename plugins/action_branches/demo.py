"""Demo records of action branches for the demo district (all names invented).

The seed: "按志缘、趣缘、业缘、地缘等，灵活组建功能型行动支部……组建文化传承、‘红色一条街’等行动支部130多支".
Two branches in every community and village and two in every street (134 with the Runzhou tree),
spread over the four kinds, each led by a party member of its host's area, with members from that
area and actions over the last half year with participants and hours; one branch in eight has been
idle for the last two months (so the monthly reminder has something to say). Everything random
comes from one seeded ``random.Random``, consumed in a fixed order; dates from the plan's reference
date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import Affiliation, OrgNode, Person, add_node
from plugins.action_branches import services
from plugins.action_branches.models import ActionBranch, ActionBranchAction, ActionBranchParticipation

SEED = 20181031
PER_HOST = 2

NAMES = {
    "cause": ("文化传承", "志愿服务", "红色宣讲", "关爱帮扶", "平安巡防", "垃圾分类"),
    "interest": ("书画艺术", "太极健身", "合唱文艺", "读书分享", "摄影", "非遗手工"),
    "trade": ("医护健康", "法律服务", "教育助学", "快递小哥", "物业服务", "退役军人"),
    "place": ("红色一条街", "楼栋邻里", "小区网格", "滨江步道", "老街坊", "院落自治"),
}
DESCRIPTIONS = {
    "cause": "以共同志向凝聚党员，围绕{topic}开展常态化服务。",
    "interest": "以共同兴趣爱好凝聚党员和群众，在{topic}活动中传递党的声音。",
    "trade": "以相同职业和专长凝聚党员，发挥{topic}专业优势服务居民。",
    "place": "以居住和活动地域凝聚党员，就近就便开展{topic}服务。",
}
ACTIONS = {
    "cause": (
        "红色故事宣讲进社区",
        "困难老人走访慰问",
        "文明交通志愿劝导",
        "垃圾分类入户宣传",
        "夜间治安巡逻",
    ),
    "interest": ("党史主题书画展", "太极拳健身教学", "红歌合唱排练演出", "党员读书分享会", "非遗剪纸进校园"),
    "trade": ("义诊和健康咨询", "法律咨询进小区", "假期学业辅导", "快递小哥暖心驿站服务", "楼道设施检修"),
    "place": ("老街环境整治", "楼栋议事会", "邻里互助结对", "滨江步道清洁", "小区停车秩序劝导"),
}
HOURS = (1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 4.0)


def _short(name: str) -> str:
    for suffix in ("街道", "中心社区", "社区", "村"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


async def load_demo(session: AsyncSession, plan: Any) -> dict[str, int]:
    """Write the demo records through ``session`` (bound to the demo district); returns rows per kind."""
    rng = random.Random(SEED)
    reference: dt.date = plan.reference_date
    hosts = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind.in_(("street", "community", "village")), OrgNode.archived_at.is_(None))
            .order_by(OrgNode.path)
        )
    )
    people = sorted(
        (
            (path, person_id)
            for person_id, path in await session.execute(
                select(Person.id, OrgNode.path)
                .join(OrgNode, (OrgNode.tenant_id == Person.tenant_id) & (OrgNode.id == Person.org_node_id))
                .where(Person.archived_at.is_(None), Person.party_status != "none")
            )
        ),
        key=lambda row: (row[0], str(row[1])),
    )
    paths = [path for path, _id in people]
    counts = {"branches": 0, "members": 0, "actions": 0, "participations": 0}
    kinds = list(services.KINDS)
    serial = 0
    for host in hosts:
        start = bisect.bisect_left(paths, host.path)
        end = bisect.bisect_left(paths, host.path + "\uffff")
        area = [person_id for _path, person_id in people[start:end]]
        if len(area) < 4:
            continue
        attrs: dict[str, Any] = dict(host.attrs or {})
        longitude: float | None = attrs.get("longitude")
        latitude: float | None = attrs.get("latitude")
        used: set[str] = set()
        for _n in range(PER_HOST):
            kind = kinds[serial % len(kinds)]
            serial += 1
            topic = rng.choice([t for t in NAMES[kind] if t not in used])
            used.add(topic)
            name = f"{_short(host.name)}{topic}行动支部"
            node = await add_node(session, host, services.NODE_KIND, name)
            founded_on = reference - dt.timedelta(days=rng.randint(240, 1100))
            chosen = rng.sample(area, min(len(area), rng.randint(7, 15)))
            leader, members = chosen[0], chosen[1:]
            has_place = longitude is not None and latitude is not None
            branch_longitude = branch_latitude = None
            if longitude is not None and latitude is not None:
                branch_longitude = round(float(longitude) + rng.uniform(-0.004, 0.004), 6)
                branch_latitude = round(float(latitude) + rng.uniform(-0.003, 0.003), 6)
            branch = ActionBranch(
                org_node_id=node.id,
                host_node_id=host.id,
                kind=kind,
                name=name,
                leader_person_id=leader,
                description=DESCRIPTIONS[kind].format(topic=topic),
                place=f"{host.name}党群服务中心",
                longitude=branch_longitude,
                latitude=branch_latitude,
                founded_on=founded_on,
                status="active",
            )
            session.add(branch)
            counts["branches"] += 1
            joined: dict[Any, dt.date] = {leader: founded_on}
            session.add(
                Affiliation(
                    person_id=leader,
                    org_node_id=node.id,
                    kind=services.AFFILIATION_KIND,
                    role=services.LEADER_ROLE,
                    started_on=founded_on,
                )
            )
            for person_id in members:
                started = founded_on + dt.timedelta(days=rng.randint(0, 200))
                joined[person_id] = started
                session.add(
                    Affiliation(
                        person_id=person_id,
                        org_node_id=node.id,
                        kind=services.AFFILIATION_KIND,
                        started_on=started,
                    )
                )
            counts["members"] += len(chosen)
            idle = rng.random() < 0.125
            earliest = 60 if idle else 3
            for _a in range(rng.randint(3, 8)):
                held_on = reference - dt.timedelta(days=rng.randint(earliest, 180))
                title = rng.choice(ACTIONS[kind])
                located = has_place and rng.random() < 0.6
                action = ActionBranchAction(
                    branch_id=branch.id,
                    org_node_id=node.id,
                    held_on=held_on,
                    title=title,
                    place=branch.place
                    if rng.random() < 0.5
                    else f"{host.name}{rng.choice(('广场', '小区', '老年活动室', '街巷'))}",
                    description=f"{name}组织开展{title}活动。",
                    longitude=round(branch.longitude + rng.uniform(-0.002, 0.002), 6)
                    if located and branch.longitude is not None
                    else None,
                    latitude=round(branch.latitude + rng.uniform(-0.002, 0.002), 6)
                    if located and branch.latitude is not None
                    else None,
                )
                session.add(action)
                counts["actions"] += 1
                present = [p for p in chosen if joined[p] <= held_on and rng.random() < 0.65]
                for person_id in present:
                    session.add(
                        ActionBranchParticipation(
                            action_id=action.id, person_id=person_id, hours=rng.choice(HOURS), member=True
                        )
                    )
                counts["participations"] += len(present)
    await session.flush()
    return counts
