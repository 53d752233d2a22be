"""Isolation examples of every route of the spark plan, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: a
field belonging to street S1 and candidates among enterprises of community C1, so the records lie
outside the sibling street S2 (its secretary must get 404) and outside district B.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.api import IsolationExample, district_today, make_id_card

SLUG = "spark_incubation"
API = f"/api/v1/m/{SLUG}"


@dataclass
class Built:
    field: str
    organisation: uuid.UUID
    candidate: str


def _day(offset: int) -> str:
    return (district_today() + dt.timedelta(days=offset)).isoformat()


def _id_card() -> str:
    """A valid, random ID card number of the demo region."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=secrets.randbelow(15000))
    return make_id_card(
        "321111",
        birth,
        secrets.randbelow(100),
        secrets.choice(("male", "female")),
        variant=secrets.randbelow(5),
    )


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def build_field(world: Any) -> str:
    """A field of street S1 in district A."""
    await world.ensure_plugin(SLUG, enabled=True)
    field = await _ok(
        world,
        "POST",
        f"{API}/fields",
        {"code": f"f{secrets.token_hex(4)}", "name": "商务楼宇", "org_node_id": str(world.s1)},
        201,
    )
    world.remember(uuid.UUID(field["id"]), world.paths[world.s1])
    return str(field["id"])


async def _enterprise(world: Any) -> uuid.UUID:
    return uuid.UUID(str(await world.node(world.c1, "enterprise", f"企业{secrets.token_hex(3)}")))


async def build_candidate(world: Any, *, stage: str = "nominated", plan: bool = False) -> Built:
    """A candidate (an enterprise of C1) of a fresh field of S1, moved to ``stage``."""
    field = await build_field(world)
    organisation = await _enterprise(world)
    candidate = await _ok(
        world,
        "POST",
        f"{API}/candidates",
        {"field_id": field, "org_node_id": str(organisation), "reason": "党建基础较好"},
        201,
    )
    where = world.paths[organisation]
    world.remember(uuid.UUID(candidate["id"]), where)
    world.remember(uuid.UUID(candidate["history"][0]["id"]), where)
    built = Built(field, organisation, candidate["id"])
    moves: list[dict[str, Any]] = []
    if stage in ("cultivating", "assessed", "benchmark"):
        moves.append({"to": "cultivating", "reason": "纳入培育"})
    if stage in ("assessed", "benchmark"):
        moves.append({"to": "assessed", "reason": "评估", "score": 95})
    if stage == "benchmark":
        moves.append({"to": "benchmark", "reason": "认定为标杆"})
    for move in moves:
        await _ok(world, "POST", f"{API}/candidates/{built.candidate}/transitions", move)
    if plan:
        written = await _ok(
            world,
            "PUT",
            f"{API}/candidates/{built.candidate}/plan",
            {"title": "培育计划", "starts_on": _day(-10), "ends_on": _day(200)},
        )
        world.remember(uuid.UUID(written["id"]), where)
    return built


async def _milestone(world: Any, built: Built) -> str:
    plan = await _ok(
        world,
        "POST",
        f"{API}/candidates/{built.candidate}/plan/milestones",
        {"title": f"节点{secrets.token_hex(2)}", "due_on": _day(5)},
        201,
    )
    milestone = str(plan["milestones"][-1]["id"])
    world.remember(uuid.UUID(milestone), world.paths[built.organisation])
    return milestone


async def _person(world: Any) -> str:
    person = await _ok(
        world,
        "POST",
        "/api/v1/people",
        {"name": "王导师", "id_card": _id_card(), "org_node_id": str(world.c1), "party_status": "none"},
        201,
    )
    world.remember(uuid.UUID(person["id"]), world.paths[world.c1])
    return str(person["id"])


async def _mentor(world: Any, built: Built) -> str:
    plan = await _ok(
        world,
        "POST",
        f"{API}/candidates/{built.candidate}/plan/mentors",
        {"person_id": await _person(world)},
        201,
    )
    mentor = str(plan["mentors"][-1]["id"])
    world.remember(uuid.UUID(mentor), world.paths[built.organisation])
    return mentor


async def build_standard(world: Any, *, cite: bool = True) -> tuple[Built, str]:
    built = await build_candidate(world, stage="benchmark")
    standard = await _ok(
        world,
        "POST",
        f"{API}/fields/{built.field}/standards",
        {
            "title": "商务楼宇党建工作标准",
            "items": ["楼宇党组织应建尽建"],
            "benchmark_ids": [built.candidate] if cite else [],
        },
        201,
    )
    world.remember(uuid.UUID(standard["id"]), world.paths[world.s1])
    return built, str(standard["id"])


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_fields(world: Any) -> IsolationExample:
        field = await build_field(world)
        return IsolationExample(f"{API}/fields?limit=200", kind="collection", owner_sees=(field,))

    async def create_field(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        return IsolationExample(
            f"{API}/fields",
            json={"code": f"n{secrets.token_hex(4)}", "name": "产业园区", "org_node_id": str(world.s1)},
            expect=201,
            readback=f"{API}/fields?limit=200",
        )

    async def read_field(world: Any) -> IsolationExample:
        field = await build_field(world)
        return IsolationExample(f"{API}/fields/{field}", owner_sees=(field,))

    async def update_field(world: Any) -> IsolationExample:
        field = await build_field(world)
        url = f"{API}/fields/{field}"
        return IsolationExample(url, json={"description": f"说明 {secrets.token_hex(3)}"}, readback=url)

    async def list_standards(world: Any) -> IsolationExample:
        built, standard = await build_standard(world)
        return IsolationExample(f"{API}/fields/{built.field}/standards", owner_sees=(standard,))

    async def create_standard(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="benchmark")
        url = f"{API}/fields/{built.field}/standards"
        return IsolationExample(
            url,
            json={"title": "标准", "items": ["建立党组织"], "benchmark_ids": [built.candidate]},
            expect=201,
            readback=url,
        )

    async def read_standard(world: Any) -> IsolationExample:
        built, standard = await build_standard(world)
        return IsolationExample(f"{API}/standards/{standard}", owner_sees=(standard, built.candidate))

    async def replace_standard(world: Any) -> IsolationExample:
        built, standard = await build_standard(world, cite=False)
        url = f"{API}/standards/{standard}"
        return IsolationExample(
            url,
            json={"title": "标准（修订）", "items": ["党组织书记履职"], "benchmark_ids": [built.candidate]},
            readback=url,
        )

    async def publish_standard(world: Any) -> IsolationExample:
        _built, standard = await build_standard(world)
        url = f"{API}/standards/{standard}"
        return IsolationExample(f"{url}/publish", readback=url)

    async def list_candidates(world: Any) -> IsolationExample:
        built = await build_candidate(world)
        return IsolationExample(
            f"{API}/candidates?limit=200", kind="collection", owner_sees=(built.candidate,)
        )

    async def nominate(world: Any) -> IsolationExample:
        field = await build_field(world)
        organisation = await _enterprise(world)
        return IsolationExample(
            f"{API}/candidates",
            json={"field_id": field, "org_node_id": str(organisation), "reason": "提名"},
            expect=201,
            readback=f"{API}/candidates?field_id={field}",
        )

    async def read_candidate(world: Any) -> IsolationExample:
        built = await build_candidate(world)
        return IsolationExample(f"{API}/candidates/{built.candidate}", owner_sees=(built.candidate,))

    async def move(world: Any) -> IsolationExample:
        built = await build_candidate(world)
        url = f"{API}/candidates/{built.candidate}"
        return IsolationExample(
            f"{url}/transitions", json={"to": "cultivating", "reason": "纳入培育"}, readback=url
        )

    async def read_plan(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating", plan=True)
        return IsolationExample(f"{API}/candidates/{built.candidate}/plan", owner_sees=(built.candidate,))

    async def put_plan(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating")
        url = f"{API}/candidates/{built.candidate}"
        return IsolationExample(
            f"{url}/plan",
            json={"title": "培育计划", "starts_on": _day(0), "ends_on": _day(100)},
            readback=url,
        )

    async def add_milestone(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating", plan=True)
        url = f"{API}/candidates/{built.candidate}/plan"
        return IsolationExample(
            f"{url}/milestones", json={"title": "成立党支部", "due_on": _day(30)}, expect=201, readback=url
        )

    async def add_mentor(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating", plan=True)
        url = f"{API}/candidates/{built.candidate}/plan"
        return IsolationExample(
            f"{url}/mentors", json={"person_id": await _person(world)}, expect=201, readback=url
        )

    async def remove_mentor(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating", plan=True)
        mentor = await _mentor(world, built)
        url = f"{API}/candidates/{built.candidate}/plan"
        return IsolationExample(f"{url}/mentors/{mentor}", expect=204, readback=url)

    async def update_milestone(world: Any) -> IsolationExample:
        built = await build_candidate(world, stage="cultivating", plan=True)
        milestone = await _milestone(world, built)
        return IsolationExample(
            f"{API}/milestones/{milestone}",
            json={"done_on": _day(0)},
            readback=f"{API}/candidates/{built.candidate}/plan",
        )

    fields = f"{API}/fields"
    field = f"{fields}/{{field_id:uuid}}"
    standard = f"{API}/standards/{{standard_id:uuid}}"
    candidates = f"{API}/candidates"
    candidate = f"{candidates}/{{candidate_id:uuid}}"
    return {
        ("GET", fields): list_fields,
        ("POST", fields): create_field,
        ("GET", field): read_field,
        ("PATCH", field): update_field,
        ("GET", f"{field}/standards"): list_standards,
        ("POST", f"{field}/standards"): create_standard,
        ("GET", standard): read_standard,
        ("PUT", standard): replace_standard,
        ("POST", f"{standard}/publish"): publish_standard,
        ("GET", candidates): list_candidates,
        ("POST", candidates): nominate,
        ("GET", candidate): read_candidate,
        ("POST", f"{candidate}/transitions"): move,
        ("GET", f"{candidate}/plan"): read_plan,
        ("PUT", f"{candidate}/plan"): put_plan,
        ("POST", f"{candidate}/plan/milestones"): add_milestone,
        ("POST", f"{candidate}/plan/mentors"): add_mentor,
        ("DELETE", f"{candidate}/plan/mentors/{{mentor_id:uuid}}"): remove_mentor,
        ("PATCH", f"{API}/milestones/{{milestone_id:uuid}}"): update_milestone,
    }
