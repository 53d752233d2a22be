"""Isolation examples of every route of action branches, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: an
action branch hosted by community C1 with people whose formal branch is B1, so the records lie
outside the sibling street S2 (its secretary must get 404) and outside district B.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.api import IsolationExample, district_today, make_id_card

SLUG = "action_branches"
API = f"/api/v1/m/{SLUG}"


@dataclass
class Built:
    branch: str
    leader: str
    members: list[str] = field(default_factory=list)
    memberships: list[str] = field(default_factory=list)
    action: str | None = None


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def id_card(birth: dt.date, number: int) -> str:
    """The ``number``-th (0-999) valid ID card number of a Zhenjiang resident born on ``birth``."""
    order, rest = number % 100, number // 100
    return make_id_card("321111", birth, order, ("female", "male")[rest % 2], variant=rest // 2)


async def person(world: Any) -> str:
    """A fresh person of district A whose formal branch is B1 (under C1)."""
    for _attempt in range(8):
        birth = dt.date(1955, 1, 1) + dt.timedelta(days=secrets.randbelow(15_000))
        body = {
            "name": f"居民{secrets.token_hex(3)}",
            "id_card": make_id_card(
                "321111",
                birth,
                secrets.randbelow(100),
                secrets.choice(("male", "female")),
                variant=secrets.randbelow(5),
            ),
            "org_node_id": str(world.b1),
        }
        response = await world.call(world.owners["system"], "POST", "/api/v1/people", body)
        if response.status_code == 409:
            continue
        assert response.status_code == 201, response.text
        created = str(response.json()["id"])
        world.remember(uuid.UUID(created), world.paths[world.b1])
        return created
    raise AssertionError("no free ID card number")


def _branch_body(leader: str, world: Any) -> dict[str, Any]:
    return {
        "host_node_id": str(world.c1),
        "kind": "interest",
        "name": f"书画行动支部{secrets.token_hex(3)}",
        "leader_person_id": leader,
        "place": "社区党群服务中心",
        "longitude": 119.43,
        "latitude": 32.19,
        "founded_on": "2024-03-01",
    }


async def build_branch(world: Any, *, members: int = 1, action: bool = False) -> Built:
    await world.ensure_plugin(SLUG, enabled=True)
    leader = await person(world)
    branch = await _ok(world, "POST", f"{API}/branches", _branch_body(leader, world), 201)
    where = world.paths[world.c1]
    world.remember(uuid.UUID(branch["id"]), where)
    world.remember(uuid.UUID(branch["org_node_id"]), where)
    built = Built(branch["id"], leader)
    for _n in range(members):
        someone = await person(world)
        joined = await _ok(
            world, "POST", f"{API}/branches/{built.branch}/members", {"person_id": someone}, 201
        )
        world.remember(uuid.UUID(joined["id"]), where)
        built.members.append(someone)
        built.memberships.append(joined["id"])
    if action:
        recorded = await _ok(
            world, "POST", f"{API}/branches/{built.branch}/actions", _action_body(built), 201
        )
        world.remember(uuid.UUID(recorded["id"]), where)
        built.action = recorded["id"]
    return built


def _action_body(built: Built) -> dict[str, Any]:
    return {
        "held_on": (district_today() - dt.timedelta(days=3)).isoformat(),
        "title": f"清洁家园志愿服务 {secrets.token_hex(2)}",
        "place": "社区广场",
        "participants": [{"person_id": p, "hours": 2} for p in [built.leader, *built.members]],
    }


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_branches(world: Any) -> IsolationExample:
        built = await build_branch(world, members=0)
        return IsolationExample(f"{API}/branches?limit=200", kind="collection", owner_sees=(built.branch,))

    async def create_branch(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        leader = await person(world)
        return IsolationExample(
            f"{API}/branches",
            json=_branch_body(leader, world),
            expect=201,
            readback=f"{API}/branches?limit=200",
        )

    async def read_branch(world: Any) -> IsolationExample:
        built = await build_branch(world, members=0)
        return IsolationExample(f"{API}/branches/{built.branch}", owner_sees=(built.branch, built.leader))

    async def update_branch(world: Any) -> IsolationExample:
        built = await build_branch(world, members=0)
        url = f"{API}/branches/{built.branch}"
        return IsolationExample(url, json={"description": f"以书会友 {secrets.token_hex(3)}"}, readback=url)

    async def list_members(world: Any) -> IsolationExample:
        built = await build_branch(world, members=2)
        return IsolationExample(f"{API}/branches/{built.branch}/members", owner_sees=tuple(built.memberships))

    async def join(world: Any) -> IsolationExample:
        built = await build_branch(world, members=0)
        someone = await person(world)
        url = f"{API}/branches/{built.branch}/members"
        return IsolationExample(url, json={"person_id": someone}, expect=201, readback=url)

    async def leave(world: Any) -> IsolationExample:
        built = await build_branch(world, members=1)
        url = f"{API}/branches/{built.branch}/members"
        return IsolationExample(f"{url}/leave", json={"person_id": built.members[0]}, readback=url)

    async def list_actions(world: Any) -> IsolationExample:
        built = await build_branch(world, members=1, action=True)
        assert built.action is not None
        return IsolationExample(f"{API}/branches/{built.branch}/actions", owner_sees=(built.action,))

    async def record_action(world: Any) -> IsolationExample:
        built = await build_branch(world, members=1)
        url = f"{API}/branches/{built.branch}/actions"
        return IsolationExample(url, json=_action_body(built), expect=201, readback=url)

    async def read_action(world: Any) -> IsolationExample:
        built = await build_branch(world, members=1, action=True)
        assert built.action is not None
        return IsolationExample(f"{API}/actions/{built.action}", owner_sees=(built.action,))

    async def record_participants(world: Any) -> IsolationExample:
        built = await build_branch(world, members=1, action=True)
        assert built.action is not None
        url = f"{API}/actions/{built.action}"
        return IsolationExample(
            f"{url}/participants",
            json={"participants": [{"person_id": built.members[0], "hours": 3.5}]},
            readback=url,
        )

    branches = f"{API}/branches"
    branch = f"{branches}/{{branch_id:uuid}}"
    action = f"{API}/actions/{{action_id:uuid}}"
    return {
        ("GET", branches): list_branches,
        ("POST", branches): create_branch,
        ("GET", branch): read_branch,
        ("PATCH", branch): update_branch,
        ("GET", f"{branch}/members"): list_members,
        ("POST", f"{branch}/members"): join,
        ("POST", f"{branch}/members/leave"): leave,
        ("GET", f"{branch}/actions"): list_actions,
        ("POST", f"{branch}/actions"): record_action,
        ("GET", action): read_action,
        ("PUT", f"{action}/participants"): record_participants,
    }
