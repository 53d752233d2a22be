"""Isolation examples of every route of sector–area collaboration, for the core's isolation suite.

Each builder creates fresh records of district A through the API as A's system administrator: a
sector department under the district root and member organisations under community C1, so the
records lie outside the sibling street S2 (its secretary must get 404) and outside district B.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.api import IsolationExample, district_today

SLUG = "sector_guidance"
API = f"/api/v1/m/{SLUG}"
ITEMS = [
    {"text": "建立党组织", "weight": 60, "guidance": "查阅批复文件"},
    {"text": "规范开展三会一课", "weight": 40},
]


@dataclass
class Built:
    sector: str
    department: uuid.UUID
    organisations: list[uuid.UUID]
    members: list[str]
    standard: str | None
    items: list[str]


async def _ok(world: Any, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
    response = await world.call(world.owners["system"], method, url, body)
    assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


async def _organisation(world: Any) -> uuid.UUID:
    return uuid.UUID(str(await world.node(world.c1, "enterprise", f"企业{secrets.token_hex(3)}")))


async def build_sector(world: Any, *, members: int = 1, publish: bool = True) -> Built:
    """A sector of district A led from under the root, guiding ``members`` organisations of C1."""
    await world.ensure_plugin(SLUG, enabled=True)
    department = await world.node(world.root, "sector_department", f"行业部门{secrets.token_hex(3)}")
    sector = await _ok(
        world,
        "POST",
        f"{API}/sectors",
        {"department_id": str(department), "name": "民办学校", "code": f"s{secrets.token_hex(4)}"},
        201,
    )
    built = Built(sector["id"], department, [], [], None, [])
    for _n in range(members):
        organisation = await _organisation(world)
        member = await _ok(
            world, "POST", f"{API}/sectors/{built.sector}/members", {"org_node_id": str(organisation)}, 201
        )
        built.organisations.append(organisation)
        built.members.append(member["id"])
        world.remember(uuid.UUID(member["id"]), world.paths[organisation])
    # The sector is guided inside S1: the sibling street must not see it.
    world.remember(
        uuid.UUID(built.sector), world.paths[built.organisations[0]] if built.organisations else None
    )
    if publish:
        standard = await _ok(
            world,
            "POST",
            f"{API}/sectors/{built.sector}/standards",
            {"title": "党建工作标准", "items": ITEMS},
            201,
        )
        await _ok(world, "POST", f"{API}/standards/{standard['id']}/publish")
        built.standard = standard["id"]
        built.items = [item["id"] for item in standard["items"]]
        where = world.paths[built.organisations[0]] if built.organisations else None
        world.remember(uuid.UUID(standard["id"]), where)
        for item in built.items:
            world.remember(uuid.UUID(item), where)
    return built


async def draft_standard(world: Any) -> tuple[Built, str]:
    built = await build_sector(world, publish=False)
    draft = await _ok(
        world,
        "POST",
        f"{API}/sectors/{built.sector}/standards",
        {"title": "党建工作标准（草案）", "items": ITEMS},
        201,
    )
    world.remember(uuid.UUID(draft["id"]), world.paths[built.organisations[0]])
    return built, draft["id"]


async def started_assessment(world: Any, *, answered: bool = False) -> tuple[Built, str]:
    built = await build_sector(world)
    assessment = await _ok(
        world,
        "POST",
        f"{API}/assessments",
        {"sector_id": built.sector, "org_node_id": str(built.organisations[0])},
        201,
    )
    world.remember(uuid.UUID(assessment["id"]), world.paths[built.organisations[0]])
    if answered:
        results = [{"item_id": item, "met": True, "evidence": "查阅台账"} for item in built.items]
        await _ok(world, "PUT", f"{API}/assessments/{assessment['id']}/results", {"results": results})
    return built, assessment["id"]


async def due_assessment(world: Any) -> tuple[Built, str]:
    """A ``due`` assessment as the cycle job leaves it (written directly, as the job does)."""
    from plugins.sector_guidance.models import SectorAssessment

    built = await build_sector(world)
    assert built.standard is not None
    async with world.database.transaction(world.a.id) as session:
        assessment = SectorAssessment(
            standard_id=uuid.UUID(built.standard),
            sector_id=uuid.UUID(built.sector),
            org_node_id=built.organisations[0],
            cycle="2000",
            status="due",
        )
        session.add(assessment)
    world.remember(assessment.id, world.paths[built.organisations[0]])
    return built, str(assessment.id)


async def recorded_visit(world: Any) -> tuple[Built, str]:
    built = await build_sector(world, publish=False)
    visit = await _ok(world, "POST", f"{API}/visits", _visit_body(built), 201)
    world.remember(uuid.UUID(visit["id"]), world.paths[built.organisations[0]])
    return built, visit["id"]


def _visit_body(built: Built) -> dict[str, Any]:
    return {
        "sector_id": built.sector,
        "org_node_id": str(built.organisations[0]),
        "visited_on": (district_today() - dt.timedelta(days=30)).isoformat(),
        "visitor": "党建指导员",
        "topics": f"指导对照标准自查 {secrets.token_hex(2)}",
    }


Builder = Callable[[Any], Awaitable[IsolationExample]]


def examples() -> dict[tuple[str, str], Builder]:
    """``(METHOD, path template) → builder`` for every route of the plugin."""

    async def list_sectors(world: Any) -> IsolationExample:
        built = await build_sector(world)
        return IsolationExample(f"{API}/sectors?limit=200", kind="collection", owner_sees=(built.sector,))

    async def create_sector(world: Any) -> IsolationExample:
        await world.ensure_plugin(SLUG, enabled=True)
        department = await world.node(world.root, "sector_department", f"行业部门{secrets.token_hex(3)}")
        return IsolationExample(
            f"{API}/sectors",
            json={"department_id": str(department), "name": "非公经济", "code": f"n{secrets.token_hex(4)}"},
            expect=201,
            readback=f"{API}/sectors?limit=200",
        )

    async def read_sector(world: Any) -> IsolationExample:
        built = await build_sector(world)
        return IsolationExample(f"{API}/sectors/{built.sector}", owner_sees=(built.sector,))

    async def update_sector(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        return IsolationExample(
            f"{API}/sectors/{built.sector}",
            json={"description": f"行业党建指导 {secrets.token_hex(3)}"},
            readback=f"{API}/sectors/{built.sector}",
        )

    async def list_members(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        return IsolationExample(f"{API}/sectors/{built.sector}/members", owner_sees=tuple(built.members))

    async def add_member(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        organisation = await _organisation(world)
        url = f"{API}/sectors/{built.sector}/members"
        return IsolationExample(url, json={"org_node_id": str(organisation)}, expect=201, readback=url)

    async def remove_member(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        return IsolationExample(
            f"{API}/sectors/{built.sector}/members/{built.members[0]}",
            expect=204,
            readback=f"{API}/sectors/{built.sector}/members",
        )

    async def list_standards(world: Any) -> IsolationExample:
        built = await build_sector(world)
        assert built.standard is not None
        return IsolationExample(f"{API}/sectors/{built.sector}/standards", owner_sees=(built.standard,))

    async def create_standard(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        url = f"{API}/sectors/{built.sector}/standards"
        return IsolationExample(url, json={"title": "党建工作标准", "items": ITEMS}, expect=201, readback=url)

    async def read_standard(world: Any) -> IsolationExample:
        built = await build_sector(world)
        assert built.standard is not None
        return IsolationExample(
            f"{API}/standards/{built.standard}", owner_sees=(built.standard, *built.items)
        )

    async def update_standard(world: Any) -> IsolationExample:
        _built, draft = await draft_standard(world)
        url = f"{API}/standards/{draft}"
        return IsolationExample(url, json={"title": "党建工作标准（修订稿）", "pass_mark": 75}, readback=url)

    async def replace_items(world: Any) -> IsolationExample:
        _built, draft = await draft_standard(world)
        return IsolationExample(
            f"{API}/standards/{draft}/items",
            json={"items": [{"text": "党组织书记履职尽责", "weight": 100}]},
            readback=f"{API}/standards/{draft}",
        )

    async def publish_standard(world: Any) -> IsolationExample:
        _built, draft = await draft_standard(world)
        return IsolationExample(f"{API}/standards/{draft}/publish", readback=f"{API}/standards/{draft}")

    async def list_assessments(world: Any) -> IsolationExample:
        _built, assessment = await started_assessment(world)
        return IsolationExample(f"{API}/assessments?limit=200", kind="collection", owner_sees=(assessment,))

    async def create_assessment(world: Any) -> IsolationExample:
        built = await build_sector(world)
        return IsolationExample(
            f"{API}/assessments",
            json={"sector_id": built.sector, "org_node_id": str(built.organisations[0])},
            expect=201,
            readback=f"{API}/assessments?sector_id={built.sector}",
        )

    async def read_assessment(world: Any) -> IsolationExample:
        _built, assessment = await started_assessment(world)
        return IsolationExample(f"{API}/assessments/{assessment}", owner_sees=(assessment,))

    async def start_assessment(world: Any) -> IsolationExample:
        _built, assessment = await due_assessment(world)
        url = f"{API}/assessments/{assessment}"
        return IsolationExample(f"{url}/start", readback=url)

    async def record_results(world: Any) -> IsolationExample:
        built, assessment = await started_assessment(world)
        url = f"{API}/assessments/{assessment}"
        return IsolationExample(
            f"{url}/results",
            json={"results": [{"item_id": built.items[0], "met": True, "evidence": "查阅批复文件"}]},
            readback=url,
        )

    async def submit_assessment(world: Any) -> IsolationExample:
        _built, assessment = await started_assessment(world, answered=True)
        url = f"{API}/assessments/{assessment}"
        return IsolationExample(f"{url}/submit", readback=url)

    async def list_visits(world: Any) -> IsolationExample:
        _built, visit = await recorded_visit(world)
        return IsolationExample(f"{API}/visits?limit=200", kind="collection", owner_sees=(visit,))

    async def create_visit(world: Any) -> IsolationExample:
        built = await build_sector(world, publish=False)
        return IsolationExample(
            f"{API}/visits",
            json=_visit_body(built),
            expect=201,
            readback=f"{API}/visits?sector_id={built.sector}",
        )

    async def read_visit(world: Any) -> IsolationExample:
        _built, visit = await recorded_visit(world)
        return IsolationExample(f"{API}/visits/{visit}", owner_sees=(visit,))

    sectors = f"{API}/sectors"
    sector = f"{sectors}/{{sector_id:uuid}}"
    standard = f"{API}/standards/{{standard_id:uuid}}"
    assessments = f"{API}/assessments"
    assessment = f"{assessments}/{{assessment_id:uuid}}"
    visits = f"{API}/visits"
    return {
        ("GET", sectors): list_sectors,
        ("POST", sectors): create_sector,
        ("GET", sector): read_sector,
        ("PATCH", sector): update_sector,
        ("GET", f"{sector}/members"): list_members,
        ("POST", f"{sector}/members"): add_member,
        ("DELETE", f"{sector}/members/{{member_id:uuid}}"): remove_member,
        ("GET", f"{sector}/standards"): list_standards,
        ("POST", f"{sector}/standards"): create_standard,
        ("GET", standard): read_standard,
        ("PATCH", standard): update_standard,
        ("PUT", f"{standard}/items"): replace_items,
        ("POST", f"{standard}/publish"): publish_standard,
        ("GET", assessments): list_assessments,
        ("POST", assessments): create_assessment,
        ("GET", assessment): read_assessment,
        ("POST", f"{assessment}/start"): start_assessment,
        ("PUT", f"{assessment}/results"): record_results,
        ("POST", f"{assessment}/submit"): submit_assessment,
        ("GET", visits): list_visits,
        ("POST", visits): create_visit,
        ("GET", f"{visits}/{{visit_id:uuid}}"): read_visit,
    }
