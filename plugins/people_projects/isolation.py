"""Isolation examples of every route of projects for the people, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: needs
and projects of community C1, claimant units and residents in C1, so the records lie outside the
sibling street S2 (its secretary must get 404) and outside district B.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from core.api import IsolationExample, district_today, make_id_card

SLUG = "people_projects"
API = f"/api/v1/m/{SLUG}"


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def _resident(world: Any) -> str:
    born = dt.date(1940, 1, 1) + dt.timedelta(days=secrets.randbelow(20_000))
    card = make_id_card("321111", born, secrets.randbelow(100), "male", variant=secrets.randbelow(5))
    person = await _ok(
        world,
        "POST",
        "/api/v1/people",
        {"name": f"居民{secrets.token_hex(2)}", "id_card": card, "org_node_id": str(world.c1)},
        201,
    )
    world.remember(uuid.UUID(person["id"]), world.paths[world.c1])
    return str(person["id"])


async def _unit(world: Any) -> uuid.UUID:
    return uuid.UUID(str(await world.node(world.c1, "unit", f"共建单位{secrets.token_hex(3)}")))


def _need_body(world: Any) -> dict[str, Any]:
    return {
        "org_node_id": str(world.c1),
        "source": "door_to_door",
        "category": "elderly_care",
        "title": f"老年助餐 {secrets.token_hex(2)}",
        "description": "独居老人吃饭难",
    }


async def build_need(world: Any) -> str:
    await world.ensure_plugin(SLUG, enabled=True)
    need = await _ok(world, "POST", f"{API}/needs", _need_body(world), 201)
    world.remember(uuid.UUID(need["id"]), world.paths[world.c1])
    return str(need["id"])


async def build_project(world: Any, status: str = "draft") -> str:
    """A project of C1 moved to ``status`` (a unit of C1 claims it on the way)."""
    await world.ensure_plugin(SLUG, enabled=True)
    project = await _ok(
        world,
        "POST",
        f"{API}/projects",
        {
            "org_node_id": str(world.c1),
            "title": f"加装电梯 {secrets.token_hex(2)}",
            "description": "为老楼加装电梯",
            "category": "infrastructure",
        },
        201,
    )
    pid = str(project["id"])
    world.remember(uuid.UUID(pid), world.paths[world.c1])
    order = ["published", "claimed", "in_progress", "completed"]
    for step in order[: order.index(status) + 1] if status in order else []:
        if step == "claimed":
            claim = await _ok(
                world,
                "POST",
                f"{API}/projects/{pid}/claims",
                {"org_node_id": str(await _unit(world)), "commitment": "money", "money_fen": 10_000},
                201,
            )
            world.remember(uuid.UUID(claim["id"]), world.paths[world.c1])
        else:
            await _ok(world, "POST", f"{API}/projects/{pid}/transitions", {"to": step})
    return pid


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_needs(world: Any) -> IsolationExample:
        need = await build_need(world)
        return IsolationExample(f"{API}/needs?limit=200", kind="collection", owner_sees=(need,))

    async def create_need(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        return IsolationExample(
            f"{API}/needs", json=_need_body(world), expect=201, readback=f"{API}/needs?limit=200"
        )

    async def read_need(world: Any) -> IsolationExample:
        need = await build_need(world)
        return IsolationExample(f"{API}/needs/{need}", owner_sees=(need,))

    async def add_supporter(world: Any) -> IsolationExample:
        need = await build_need(world)
        person = await _resident(world)
        return IsolationExample(
            f"{API}/needs/{need}/supporters",
            json={"person_id": person},
            expect=201,
            readback=f"{API}/needs/{need}",
        )

    async def project_from_need(world: Any) -> IsolationExample:
        need = await build_need(world)
        return IsolationExample(
            f"{API}/needs/{need}/project", json={}, expect=201, readback=f"{API}/needs/{need}"
        )

    async def list_projects(world: Any) -> IsolationExample:
        project = await build_project(world)
        return IsolationExample(f"{API}/projects?limit=200", kind="collection", owner_sees=(project,))

    async def create_project(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        return IsolationExample(
            f"{API}/projects",
            json={
                "org_node_id": str(world.c1),
                "title": "口袋公园",
                "description": "改造闲置空地",
                "category": "environment",
            },
            expect=201,
            readback=f"{API}/projects?limit=200",
        )

    async def read_project(world: Any) -> IsolationExample:
        project = await build_project(world, "claimed")
        return IsolationExample(f"{API}/projects/{project}", owner_sees=(project,))

    async def update_project(world: Any) -> IsolationExample:
        project = await build_project(world)
        url = f"{API}/projects/{project}"
        return IsolationExample(url, json={"title": f"加装电梯（修订）{secrets.token_hex(2)}"}, readback=url)

    async def transition(world: Any) -> IsolationExample:
        project = await build_project(world)
        url = f"{API}/projects/{project}"
        return IsolationExample(f"{url}/transitions", json={"to": "published"}, readback=url)

    async def create_claim(world: Any) -> IsolationExample:
        project = await build_project(world, "published")
        unit = await _unit(world)
        url = f"{API}/projects/{project}"
        return IsolationExample(
            f"{url}/claims",
            json={"org_node_id": str(unit), "commitment": "labour", "labour_hours": 16},
            expect=201,
            readback=url,
        )

    async def add_progress(world: Any) -> IsolationExample:
        project = await build_project(world, "in_progress")
        url = f"{API}/projects/{project}"
        return IsolationExample(
            f"{url}/progress",
            json={"reported_on": district_today().isoformat(), "text": "完成基础施工", "percent": 40},
            expect=201,
            readback=url,
        )

    async def add_evaluation(world: Any) -> IsolationExample:
        project = await build_project(world, "completed")
        person = await _resident(world)
        url = f"{API}/projects/{project}"
        return IsolationExample(
            f"{url}/evaluations",
            json={"person_id": person, "stars": 5, "comment": "很满意"},
            expect=201,
            readback=url,
        )

    async def record_delivery(world: Any) -> IsolationExample:
        project = await build_project(world, "claimed")
        detail = await _ok(world, "GET", f"{API}/projects/{project}")
        claim = detail["claims"][0]["id"]
        return IsolationExample(
            f"{API}/claims/{claim}/delivery",
            json={"delivered_fen": 5_000},
            readback=f"{API}/projects/{project}",
        )

    needs = f"{API}/needs"
    need = f"{needs}/{{need_id:uuid}}"
    projects = f"{API}/projects"
    project = f"{projects}/{{project_id:uuid}}"
    return {
        ("GET", needs): list_needs,
        ("POST", needs): create_need,
        ("GET", need): read_need,
        ("POST", f"{need}/supporters"): add_supporter,
        ("POST", f"{need}/project"): project_from_need,
        ("GET", projects): list_projects,
        ("POST", projects): create_project,
        ("GET", project): read_project,
        ("PATCH", project): update_project,
        ("POST", f"{project}/transitions"): transition,
        ("POST", f"{project}/claims"): create_claim,
        ("POST", f"{project}/progress"): add_progress,
        ("POST", f"{project}/evaluations"): add_evaluation,
        ("POST", f"{API}/claims/{{claim_id:uuid}}/delivery"): record_delivery,
    }
