"""Demo records for a generated district, after the seed: a district guidance committee of 13
departments, a 大工委 for every street and a 大党委 for every community and village that took
in 200+ part-time members from resident units, owners' committees and property companies,
this year's work meetings and the decisions they handed down.

Deterministic for a given tree (seeded), dated relative to today so that "this year" holds records.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import DISTRICT_TIMEZONE, OrgNode, Person, district_today, new_id
from plugins.joint_committees.models import (
    COMMITTEE_ACTIVE,
    DECISION_DONE,
    DECISION_IN_PROGRESS,
    DECISION_OPEN,
    LEVEL_OF_KIND,
    MEETING_HELD,
    MEETING_SCHEDULED,
    PART_TIME,
    Attendance,
    Committee,
    Decision,
    Meeting,
    Seat,
)
from plugins.joint_committees.services import DEFAULT_NAME_SUFFIX

# The district leading group's guidance committee: 13 member departments (seed).
GUIDANCE_DEPARTMENTS = (
    "区委组织部",
    "区委宣传部",
    "区委政法委",
    "区民政局",
    "区住房和城乡建设局",
    "区教育局",
    "区市场监督管理局",
    "区委网信办",
    "区财政局",
    "区人力资源和社会保障局",
    "区城市管理局",
    "区卫生健康委员会",
    "区总工会",
)
PART_TIME_SOURCES = ("业主委员会", "物业服务中心", "驻区单位")
MEMBERS_PER_STREET = 3
PART_TIME_PER_STREET = (4, 6)
PART_TIME_PER_COMMUNITY = (2, 4)
DECISION_TOPICS = (
    "老旧小区加装电梯协调",
    "背街小巷环境整治",
    "共建单位开放停车位",
    "社区养老服务站运营",
    "物业服务质量提升",
    "垃圾分类示范小区创建",
    "困难党员群众走访慰问",
    "雨污分流工程协调",
    "小区消防通道清理",
    "社区志愿服务队伍组建",
)
MEETING_TITLES = ("联席会议", "工作例会", "议事协调会")


async def fill(session: AsyncSession, *, seed: int = 1) -> dict[str, int]:
    """Write the demo records into the session's district; returns how many rows of each kind."""
    rng = random.Random(seed)
    today = district_today()
    year_start = dt.date(today.year, 1, 1)
    nodes = list(
        await session.scalars(
            select(OrgNode)
            .where(OrgNode.kind.in_(tuple(LEVEL_OF_KIND)))
            .order_by(OrgNode.depth, OrgNode.path)
        )
    )
    units = list(await session.scalars(select(OrgNode).where(OrgNode.kind == "unit").order_by(OrgNode.path)))
    people_rows = (
        await session.execute(select(Person.id, Person.name).order_by(Person.id).limit(3000))
    ).all()
    counts = {"committees": 0, "seats": 0, "part_time_members": 0, "meetings": 0, "decisions": 0}
    committees: list[dict[str, Any]] = []
    seats: list[dict[str, Any]] = []
    meetings: list[dict[str, Any]] = []
    attendance: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    term_start = dt.date(today.year - 1, 3, 1)
    person_cursor = 0

    def next_person() -> tuple[Any, str]:
        nonlocal person_cursor
        row = people_rows[person_cursor % len(people_rows)]
        person_cursor += 7
        return row[0], row[1]

    for node in nodes:
        level = LEVEL_OF_KIND[node.kind]
        per_year = {"district": 4, "street": 4, "community": 12}[level]
        committee_id = new_id()
        committees.append(
            {
                "id": committee_id,
                "org_node_id": node.id,
                "level": level,
                "name": f"{node.name}{DEFAULT_NAME_SUFFIX[level]}",
                "meetings_per_year": per_year,
                "established_on": dt.date(2018, 3, 1),
                "status": COMMITTEE_ACTIVE,
            }
        )
        committee_seats: list[dict[str, Any]] = []

        def seat(
            role: str,
            name: str,
            person_id: Any = None,
            unit: OrgNode | None = None,
            unit_name: str | None = None,
            committee_id: Any = committee_id,
            node: OrgNode = node,
            bucket: list[dict[str, Any]] = committee_seats,
        ) -> None:
            bucket.append(
                {
                    "id": new_id(),
                    "committee_id": committee_id,
                    "org_node_id": node.id,
                    "person_id": person_id,
                    "name": name,
                    "role": role,
                    "home_unit_node_id": unit.id if unit is not None else None,
                    "home_unit_name": unit_name,
                    "term_start": term_start,
                    "term_end": None,
                }
            )

        if people_rows:
            person_id, name = next_person()
            seat("secretary", name, person_id)
            person_id, name = next_person()
            seat("deputy_secretary", name, person_id)
        if level == "district":
            for department in GUIDANCE_DEPARTMENTS:
                seat("member", f"{department}负责人", unit_name=department)
        else:
            local_units = [u for u in units if u.path.startswith(node.path)] or units
            low, high = PART_TIME_PER_STREET if level == "street" else PART_TIME_PER_COMMUNITY
            for index in range(rng.randint(low, high)):
                source = PART_TIME_SOURCES[index % len(PART_TIME_SOURCES)]
                if source == "驻区单位" and local_units:
                    unit = rng.choice(local_units)
                    seat(PART_TIME, f"{unit.name}党组织负责人", unit=unit)
                else:
                    seat(PART_TIME, f"{node.name}{source}负责人", unit_name=f"{node.name}{source}")
            for _ in range(MEMBERS_PER_STREET if level == "street" else 1):
                if people_rows:
                    person_id, name = next_person()
                    seat("member", name, person_id)
        seats.extend(committee_seats)
        counts["part_time_members"] += sum(1 for s in committee_seats if s["role"] == PART_TIME)

        # This year's meetings: most committees keep pace with their quota, some fall behind.
        elapsed = max(1, (today - year_start).days)
        due_so_far = max(1, per_year * elapsed // 366)
        held = max(0, due_so_far - rng.choice((0, 0, 0, 1, 2)))
        gap = max(1, elapsed // max(1, held))
        held_days = [
            year_start + dt.timedelta(days=min(elapsed - 1, i * gap + rng.randint(0, max(0, gap - 1))))
            for i in range(held)
        ]
        meeting_ids = []
        for index, day in enumerate(held_days):
            meeting_id = new_id()
            meeting_ids.append(meeting_id)
            meetings.append(
                {
                    "id": meeting_id,
                    "committee_id": committee_id,
                    "org_node_id": node.id,
                    "title": f"{today.year}年第{index + 1}次{rng.choice(MEETING_TITLES)}",
                    "kind": "regular",
                    "scheduled_at": dt.datetime.combine(day, dt.time(9, 0), DISTRICT_TIMEZONE).astimezone(
                        dt.UTC
                    ),
                    "place": f"{node.name}党群服务中心会议室",
                    "agenda": "通报近期工作；研究共建事项；部署下阶段任务",
                    "status": MEETING_HELD,
                    "held_on": day,
                    "minutes": "会议听取了各成员单位工作汇报，议定事项见决议清单。",
                    "cancel_reason": None,
                }
            )
            for s in committee_seats:
                attendance.append(
                    {
                        "id": new_id(),
                        "meeting_id": meeting_id,
                        "seat_id": s["id"],
                        "present": rng.random() < 0.88,
                        "note": None,
                    }
                )
        upcoming = dt.datetime.combine(
            today + dt.timedelta(days=rng.randint(1, 20)), dt.time(14, 30), DISTRICT_TIMEZONE
        )
        meetings.append(
            {
                "id": new_id(),
                "committee_id": committee_id,
                "org_node_id": node.id,
                "title": f"{today.year}年第{held + 1}次联席会议",
                "kind": "regular",
                "scheduled_at": upcoming.astimezone(dt.UTC),
                "place": f"{node.name}党群服务中心会议室",
                "agenda": "研究辖区共建项目推进情况",
                "status": MEETING_SCHEDULED,
                "held_on": None,
                "minutes": None,
                "cancel_reason": None,
            }
        )

        # Decisions handed down: a street to its communities, a community to itself, the district to streets.
        children = [n for n in nodes if n.path.startswith(node.path) and n.depth == node.depth + 1]
        targets = children or [node]
        for _ in range({"district": 4, "street": 5, "community": 2}[level]):
            target = rng.choice(targets)
            due = today + dt.timedelta(days=rng.randint(-40, 60))
            roll = rng.random()
            if due < today:
                status = DECISION_DONE if roll < 0.8 else DECISION_IN_PROGRESS
            else:
                status = (
                    DECISION_DONE if roll < 0.3 else (DECISION_IN_PROGRESS if roll < 0.7 else DECISION_OPEN)
                )
            decisions.append(
                {
                    "id": new_id(),
                    "committee_id": committee_id,
                    "meeting_id": rng.choice(meeting_ids) if meeting_ids else None,
                    "org_node_id": target.id,
                    "title": rng.choice(DECISION_TOPICS),
                    "detail": None,
                    "owner_name": f"{target.name}书记",
                    "owner_person_id": None,
                    "due_on": due,
                    "status": status,
                    "progress_note": "已按期完成。" if status == DECISION_DONE else None,
                    "completed_on": min(today, due) if status == DECISION_DONE else None,
                    "escalation_level": 0,
                    "escalated_to_node_id": None,
                    "escalated_on": None,
                }
            )
    tenant_id = session.info["tenant_id"]
    now = dt.datetime.now(dt.UTC)
    for model, rows in (
        (Committee, committees),
        (Seat, seats),
        (Meeting, meetings),
        (Attendance, attendance),
        (Decision, decisions),
    ):
        stamped = [{"tenant_id": tenant_id, **row} for row in rows]
        if model is not Attendance:
            for row in stamped:
                row.update(created_at=now, updated_at=now)
        for start in range(0, len(stamped), 500):
            await session.execute(insert(model), stamped[start : start + 500])
    counts.update(
        committees=len(committees), seats=len(seats), meetings=len(meetings), decisions=len(decisions)
    )
    return counts
