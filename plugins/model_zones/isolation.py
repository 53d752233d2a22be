"""How every demonstration-zone route stays inside its district and its subtree (the isolation suite).

Each builder gets the suite's world (district A: root → S1 → C1 → B1, and S2 → C2) and returns the
concrete request against A's records under S1: zones led by C1 (their joint committee sits under
C1), so other districts' administrators and A's secretary of S2 must not see or change them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from core.api import IsolationExample, make_id_card

BASE = "/api/v1/m/model_zones"
ESTABLISHED = "2020-01-01"


async def _post(world: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await world.call(world.owners["system"], "POST", url, body)
    assert response.status_code in (200, 201), f"{url}: {response.text}"
    found: dict[str, Any] = response.json()
    return found


def _state(world: Any) -> dict[str, Any]:
    state: dict[str, Any] | None = getattr(world, "_model_zones", None)
    if state is None:
        state = {}
        world._model_zones = state
    return state


def id_card(birth: dt.date, number: int) -> str:
    """The ``number``-th (0-999) valid ID card number of a Zhenjiang resident born on ``birth``."""
    order, rest = number % 100, number // 100
    return make_id_card("321111", birth, order, ("female", "male")[rest % 2], variant=rest // 2)


async def _person(world: Any) -> str:
    """A person of A at C1: the lead secretary of the zones (created once per world)."""
    state = _state(world)
    if "person" not in state:
        for _attempt in range(5):
            birth = dt.date(1965, 1, 1) + dt.timedelta(days=secrets.randbelow(9000))
            response = await world.call(
                world.owners["system"],
                "POST",
                "/api/v1/people",
                {
                    "name": "周书记",
                    "id_card": make_id_card(
                        "321111",
                        birth,
                        secrets.randbelow(100),
                        secrets.choice(("male", "female")),
                        variant=secrets.randbelow(5),
                    ),
                    "org_node_id": str(world.c1),
                },
            )
            if response.status_code == 409:
                continue
            assert response.status_code == 201, response.text
            state["person"] = response.json()["id"]
            world.remember(uuid.UUID(state["person"]), world.paths[world.c1])
            break
    return str(state["person"])


async def _new_zone(world: Any) -> str:
    """A fresh zone led by C1 (its joint committee is created under C1)."""
    await world.ensure_plugin("model_zones", enabled=True)
    zone = await _post(
        world,
        f"{BASE}/zones",
        {
            "name": f"一社区示范片区{uuid.uuid4().hex[:6]}",
            "lead_node_id": str(world.c1),
            "lead_person_id": await _person(world),
            "established_on": ESTABLISHED,
        },
    )
    world.remember(uuid.UUID(zone["id"]), world.paths[world.c1])
    world.remember(uuid.UUID(zone["committee_node_id"]), world.paths[world.c1])
    return str(zone["id"])


async def _zone(world: Any) -> str:
    """The zone of C1 the read examples share (created once per world)."""
    state = _state(world)
    if "zone" not in state:
        state["zone"] = await _new_zone(world)
    return str(state["zone"])


async def _member(world: Any, zone_id: str) -> str:
    organisation = await world.node(world.c1, "social_org", f"社会组织{uuid.uuid4().hex[:6]}")
    member = await _post(world, f"{BASE}/zones/{zone_id}/members", {"org_node_id": str(organisation)})
    world.remember(uuid.UUID(member["id"]), world.paths[world.c1])
    return str(member["id"])


async def _activity(world: Any, zone_id: str) -> str:
    activity = await _post(
        world,
        f"{BASE}/zones/{zone_id}/activities",
        {
            "title": "片区联合主题党日",
            "held_on": "2024-07-01",
            "place": "一社区党群服务中心",
            "participants": 40,
            "organisations": [str(world.c1)],
        },
    )
    world.remember(uuid.UUID(activity["id"]), world.paths[world.c1])
    return str(activity["id"])


async def _experience(world: Any, zone_id: str) -> str:
    experience = await _post(
        world,
        f"{BASE}/zones/{zone_id}/experiences",
        {"title": "“1+X”雁阵工作法", "summary": "以名社区带动周边组织。", "exported_on": "2024-09-01"},
    )
    world.remember(uuid.UUID(experience["id"]), world.paths[world.c1])
    return str(experience["id"])


def examples() -> dict[tuple[str, str], Any]:
    zone_path = f"{BASE}/zones/{{zone_id:uuid}}"

    async def list_zones(world: Any) -> Any:
        zone_id = await _zone(world)
        return IsolationExample(f"{BASE}/zones", kind="collection", owner_sees=(zone_id,))

    async def create_zone(world: Any) -> Any:
        await world.ensure_plugin("model_zones", enabled=True)
        community = await world.node(world.s1, "community", f"新社区{uuid.uuid4().hex[:6]}")
        return IsolationExample(
            f"{BASE}/zones",
            json={
                "name": f"新社区示范片区{uuid.uuid4().hex[:6]}",
                "lead_node_id": str(community),
                "lead_person_id": await _person(world),
                "established_on": ESTABLISHED,
            },
            expect=201,
            readback=f"{BASE}/zones?node={community}",
        )

    async def read_zone(world: Any) -> Any:
        zone_id = await _zone(world)
        return IsolationExample(f"{BASE}/zones/{zone_id}", owner_sees=(zone_id,))

    async def update_zone(world: Any) -> Any:
        zone_id = await _zone(world)
        return IsolationExample(
            f"{BASE}/zones/{zone_id}",
            json={"description": f"片区简介{uuid.uuid4().hex[:6]}"},
            readback=f"{BASE}/zones/{zone_id}",
        )

    async def transition_zone(world: Any) -> Any:
        zone_id = await _new_zone(world)
        return IsolationExample(
            f"{BASE}/zones/{zone_id}/status", json={"status": "suspended"}, readback=f"{BASE}/zones/{zone_id}"
        )

    async def list_members(world: Any) -> Any:
        zone_id = await _zone(world)
        member_id = await _member(world, zone_id)
        return IsolationExample(f"{BASE}/zones/{zone_id}/members", owner_sees=(member_id,))

    async def add_member(world: Any) -> Any:
        zone_id = await _zone(world)
        organisation = await world.node(world.s1, "enterprise", f"非公企业{uuid.uuid4().hex[:6]}")
        return IsolationExample(
            f"{BASE}/zones/{zone_id}/members",
            json={"org_node_id": str(organisation), "joined_on": "2021-03-01"},
            expect=201,
            readback=f"{BASE}/zones/{zone_id}/members?limit=200",
        )

    async def remove_member(world: Any) -> Any:
        zone_id = await _new_zone(world)
        member_id = await _member(world, zone_id)
        return IsolationExample(
            f"{BASE}/members/{member_id}", expect=204, readback=f"{BASE}/zones/{zone_id}/members"
        )

    async def list_activities(world: Any) -> Any:
        zone_id = await _zone(world)
        activity_id = await _activity(world, zone_id)
        return IsolationExample(f"{BASE}/zones/{zone_id}/activities", owner_sees=(activity_id,))

    async def record_activity(world: Any) -> Any:
        zone_id = await _new_zone(world)
        return IsolationExample(
            f"{BASE}/zones/{zone_id}/activities",
            json={
                "title": "片区志愿服务",
                "held_on": "2024-03-05",
                "place": "一社区广场",
                "participants": 60,
                "longitude": 119.43,
                "latitude": 32.2,
            },
            expect=201,
            readback=f"{BASE}/zones/{zone_id}/activities",
        )

    async def read_activity(world: Any) -> Any:
        zone_id = await _zone(world)
        activity_id = await _activity(world, zone_id)
        return IsolationExample(f"{BASE}/activities/{activity_id}", owner_sees=(activity_id,))

    async def list_experiences(world: Any) -> Any:
        zone_id = await _zone(world)
        experience_id = await _experience(world, zone_id)
        return IsolationExample(f"{BASE}/zones/{zone_id}/experiences", owner_sees=(experience_id,))

    async def export_experience(world: Any) -> Any:
        zone_id = await _new_zone(world)
        return IsolationExample(
            f"{BASE}/zones/{zone_id}/experiences",
            json={"title": "片区议事协商机制", "summary": "每月一次联席议事。", "exported_on": "2024-10-01"},
            expect=201,
            readback=f"{BASE}/zones/{zone_id}/experiences",
        )

    async def read_experience(world: Any) -> Any:
        zone_id = await _zone(world)
        experience_id = await _experience(world, zone_id)
        return IsolationExample(f"{BASE}/experiences/{experience_id}", owner_sees=(experience_id,))

    async def add_adoption(world: Any) -> Any:
        zone_id = await _zone(world)
        experience_id = await _experience(world, zone_id)
        return IsolationExample(
            f"{BASE}/experiences/{experience_id}/adoptions",
            json={"org_node_id": str(world.b1), "adopted_on": "2024-11-01"},
            expect=201,
            readback=f"{BASE}/experiences/{experience_id}",
        )

    async def list_reviews(world: Any) -> Any:
        zone_id = await _new_zone(world)
        review = await _post(
            world,
            f"{BASE}/zones/{zone_id}/reviews",
            {
                "reviewed_on": "2024-06-30",
                "rating": "good",
                "findings": "运行良好。",
                "reviewer": "区委组织部",
            },
        )
        world.remember(uuid.UUID(review["id"]), world.paths[world.c1])
        return IsolationExample(f"{BASE}/zones/{zone_id}/reviews", owner_sees=(str(review["id"]),))

    async def record_review(world: Any) -> Any:
        zone_id = await _new_zone(world)
        return IsolationExample(
            f"{BASE}/zones/{zone_id}/reviews",
            json={
                "reviewed_on": "2024-12-31",
                "rating": "excellent",
                "findings": "示范作用突出。",
                "reviewer": "区委组织部",
            },
            expect=201,
            readback=f"{BASE}/zones/{zone_id}/reviews",
        )

    return {
        ("GET", f"{BASE}/zones"): list_zones,
        ("POST", f"{BASE}/zones"): create_zone,
        ("GET", zone_path): read_zone,
        ("PATCH", zone_path): update_zone,
        ("POST", f"{zone_path}/status"): transition_zone,
        ("GET", f"{zone_path}/members"): list_members,
        ("POST", f"{zone_path}/members"): add_member,
        ("DELETE", f"{BASE}/members/{{member_id:uuid}}"): remove_member,
        ("GET", f"{zone_path}/activities"): list_activities,
        ("POST", f"{zone_path}/activities"): record_activity,
        ("GET", f"{BASE}/activities/{{activity_id:uuid}}"): read_activity,
        ("GET", f"{zone_path}/experiences"): list_experiences,
        ("POST", f"{zone_path}/experiences"): export_experience,
        ("GET", f"{BASE}/experiences/{{experience_id:uuid}}"): read_experience,
        ("POST", f"{BASE}/experiences/{{experience_id:uuid}}/adoptions"): add_adoption,
        ("GET", f"{zone_path}/reviews"): list_reviews,
        ("POST", f"{zone_path}/reviews"): record_review,
    }
