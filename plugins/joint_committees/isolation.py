"""How every linkage route stays inside its district and its subtree (the core's isolation suite).

Each builder gets the suite's world (district A: root → S1 → C1 → B1, and S2 → C2) and
returns the concrete request against A's records under S1: other districts' administrators
and A's secretary of S2 must not see or change them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from core.api import IsolationExample

BASE = "/api/v1/m/joint_committees"


async def _post(world: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.call(world.owners["system"], "POST", url, body)
    assert response.status_code in (200, 201), f"{url}: {response.text}"
    found: dict[str, Any] = response.json()
    return found


async def _committee_of_c1(world: Any) -> str:
    """The committee of A's community C1 (created once per world)."""
    await world.ensure_plugin("joint_committees", enabled=True)
    listed = await world.call(
        world.owners["system"], "GET", f"{BASE}/committees", None, {"node": str(world.c1)}
    )
    assert listed.status_code == 200, listed.text
    for item in listed.json()["items"]:
        if item["org_node_id"] == str(world.c1):
            return str(item["id"])
    created = await _post(world, f"{BASE}/committees", {"org_node_id": str(world.c1), "name": "一社区大党委"})
    world.remember(uuid.UUID(created["id"]), world.paths[world.c1])
    return str(created["id"])


async def _seat(world: Any, committee_id: str) -> str:
    seat = await _post(
        world,
        f"{BASE}/committees/{committee_id}/seats",
        {
            "role": "part_time_member",
            "name": "王兼职",
            "home_unit_name": "一物业公司",
            "term_start": "2025-01-01",
        },
    )
    world.remember(uuid.UUID(seat["id"]), world.paths[world.c1])
    return str(seat["id"])


async def _meeting(world: Any, committee_id: str) -> str:
    meeting = await _post(
        world,
        f"{BASE}/committees/{committee_id}/meetings",
        {"title": "联席会议", "scheduled_at": "2030-05-01T09:00:00+08:00"},
    )
    world.remember(uuid.UUID(meeting["id"]), world.paths[world.c1])
    return str(meeting["id"])


async def _decision(world: Any, committee_id: str) -> str:
    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    decision = await _post(
        world,
        f"{BASE}/committees/{committee_id}/decisions",
        {"title": "清理消防通道", "assigned_to": str(world.b1), "due_on": due, "owner_name": "李书记"},
    )
    world.remember(uuid.UUID(decision["id"]), world.paths[world.c1])
    return str(decision["id"])


def examples() -> dict[tuple[str, str], Any]:
    committee_path = f"{BASE}/committees/{{committee_id:uuid}}"

    async def list_committees(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        return IsolationExample(f"{BASE}/committees", kind="collection", owner_sees=(committee_id,))

    async def create_committee(world: Any) -> Any:
        await world.ensure_plugin("joint_committees", enabled=True)
        community = await world.node(world.s1, "community", f"新社区{uuid.uuid4().hex[:6]}")
        return IsolationExample(
            f"{BASE}/committees",
            json={"org_node_id": str(community)},
            expect=201,
            readback=f"{BASE}/committees?node={community}",
        )

    async def read_committee(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        return IsolationExample(f"{BASE}/committees/{committee_id}", owner_sees=(committee_id,))

    async def update_committee(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        return IsolationExample(
            f"{BASE}/committees/{committee_id}",
            json={"meetings_per_year": 10},
            readback=f"{BASE}/committees/{committee_id}",
        )

    async def list_seats(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        seat_id = await _seat(world, committee_id)
        return IsolationExample(f"{BASE}/committees/{committee_id}/seats", owner_sees=(seat_id,))

    async def add_seat(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        return IsolationExample(
            f"{BASE}/committees/{committee_id}/seats",
            json={"role": "member", "name": "赵委员", "term_start": "2025-01-01"},
            expect=201,
            readback=f"{BASE}/committees/{committee_id}/seats",
        )

    async def list_meetings(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        meeting_id = await _meeting(world, committee_id)
        return IsolationExample(f"{BASE}/committees/{committee_id}/meetings", owner_sees=(meeting_id,))

    async def schedule_meeting(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        return IsolationExample(
            f"{BASE}/committees/{committee_id}/meetings",
            json={"title": "专题会议", "scheduled_at": "2030-06-01T09:00:00+08:00", "kind": "special"},
            expect=201,
            readback=f"{BASE}/committees/{committee_id}/meetings",
        )

    async def create_decision(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
        return IsolationExample(
            f"{BASE}/committees/{committee_id}/decisions",
            json={
                "title": "加装电梯协调",
                "assigned_to": str(world.b1),
                "due_on": due,
                "owner_name": "张书记",
            },
            expect=201,
            readback=f"{BASE}/decisions?committee={committee_id}",
        )

    async def end_seat(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        seat_id = await _seat(world, committee_id)
        return IsolationExample(
            f"{BASE}/seats/{seat_id}/end",
            json={"ended_on": "2025-06-30"},
            readback=f"{BASE}/committees/{committee_id}/seats",
        )

    async def read_meeting(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        meeting_id = await _meeting(world, committee_id)
        return IsolationExample(f"{BASE}/meetings/{meeting_id}", owner_sees=(meeting_id,))

    async def record_meeting(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        meeting_id = await _meeting(world, committee_id)
        return IsolationExample(
            f"{BASE}/meetings/{meeting_id}/record",
            json={"held_on": "2025-05-01", "minutes": "议定三件事。", "attendance": []},
            readback=f"{BASE}/meetings/{meeting_id}",
        )

    async def cancel_meeting(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        meeting_id = await _meeting(world, committee_id)
        return IsolationExample(
            f"{BASE}/meetings/{meeting_id}/cancel",
            json={"reason": "台风停会"},
            readback=f"{BASE}/meetings/{meeting_id}",
        )

    async def list_decisions(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        decision_id = await _decision(world, committee_id)
        return IsolationExample(f"{BASE}/decisions", kind="collection", owner_sees=(decision_id,))

    async def read_decision(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        decision_id = await _decision(world, committee_id)
        return IsolationExample(f"{BASE}/decisions/{decision_id}", owner_sees=(decision_id,))

    async def progress_decision(world: Any) -> Any:
        committee_id = await _committee_of_c1(world)
        decision_id = await _decision(world, committee_id)
        return IsolationExample(
            f"{BASE}/decisions/{decision_id}/progress",
            json={"status": "in_progress", "note": "已召开协调会"},
            readback=f"{BASE}/decisions/{decision_id}",
        )

    return {
        ("GET", f"{BASE}/committees"): list_committees,
        ("POST", f"{BASE}/committees"): create_committee,
        ("GET", committee_path): read_committee,
        ("PATCH", committee_path): update_committee,
        ("GET", f"{committee_path}/seats"): list_seats,
        ("POST", f"{committee_path}/seats"): add_seat,
        ("GET", f"{committee_path}/meetings"): list_meetings,
        ("POST", f"{committee_path}/meetings"): schedule_meeting,
        ("POST", f"{committee_path}/decisions"): create_decision,
        ("POST", f"{BASE}/seats/{{seat_id:uuid}}/end"): end_seat,
        ("GET", f"{BASE}/meetings/{{meeting_id:uuid}}"): read_meeting,
        ("POST", f"{BASE}/meetings/{{meeting_id:uuid}}/record"): record_meeting,
        ("POST", f"{BASE}/meetings/{{meeting_id:uuid}}/cancel"): cancel_meeting,
        ("GET", f"{BASE}/decisions"): list_decisions,
        ("GET", f"{BASE}/decisions/{{decision_id:uuid}}"): read_decision,
        ("POST", f"{BASE}/decisions/{{decision_id:uuid}}/progress"): progress_decision,
    }
