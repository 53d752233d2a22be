"""Progress on a project in progress (the percent never goes down), residents' evaluations once the
project is completed (once per person), the claimants told of each change, and the job that flags
projects whose progress went quiet."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core.api import district_today


async def inbox_titles(pp, actor):
    return [n["title"] for n in (await pp.ok(actor, "GET", "/api/v1/notifications", limit=200))["items"]]


async def test_progress_is_reported_while_in_progress_and_never_goes_down(pp, pp_world, admin):
    world = await pp_world(residents=0)
    published = await world.project(status="published")
    early = await pp.call(
        admin,
        "POST",
        f"/projects/{published['id']}/progress",
        {"reported_on": district_today().isoformat(), "text": "开始", "percent": 10},
    )
    assert early.status_code == 409 and early.json()["code"] == "not_in_progress"

    project = await world.project(status="in_progress")
    url = f"/projects/{project['id']}/progress"
    today = district_today().isoformat()
    await pp.ok(admin, "POST", url, {"reported_on": today, "text": "完成设计", "percent": 30}, 201)
    same = await pp.ok(admin, "POST", url, {"reported_on": today, "text": "材料进场", "percent": 30}, 201)
    assert same["percent"] == 30, "equal is not down"
    down = await pp.call(admin, "POST", url, {"reported_on": today, "text": "返工", "percent": 20})
    assert down.status_code == 422 and down.json()["errors"][0]["field"] == "percent"
    future = (district_today() + dt.timedelta(days=2)).isoformat()
    ahead = await pp.call(admin, "POST", url, {"reported_on": future, "text": "预计", "percent": 50})
    assert ahead.status_code == 422 and ahead.json()["errors"][0]["field"] == "reported_on"
    before = (district_today() - dt.timedelta(days=3)).isoformat()
    prior = await pp.call(admin, "POST", url, {"reported_on": before, "text": "开工前", "percent": 50})
    assert prior.status_code == 422 and prior.json()["errors"][0]["code"] == "before_start"
    over = await pp.call(admin, "POST", url, {"reported_on": today, "text": "超额", "percent": 101})
    assert over.status_code in (400, 422)

    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert shown["progress_percent"] == 30 and [u["percent"] for u in shown["progress"]] == [30, 30]
    assert shown["last_progress_on"] == today


async def test_residents_evaluate_a_completed_project_once_each_and_satisfaction_is_the_average(
    pp, pp_world, admin
):
    world = await pp_world(residents=3)
    project = await world.project(status="in_progress")
    url = f"/projects/{project['id']}/evaluations"
    first = world.residents[0]["id"]
    too_early = await pp.call(admin, "POST", url, {"person_id": first, "stars": 5})
    assert too_early.status_code == 409 and too_early.json()["code"] == "not_completed"

    await pp.ok(admin, "POST", f"/projects/{project['id']}/transitions", {"to": "completed"})
    await pp.ok(
        admin, "POST", url, {"person_id": first, "stars": 5, "comment": "电梯装好了，上下楼方便多了"}, 201
    )
    twice = await pp.call(admin, "POST", url, {"person_id": first, "stars": 1})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "person_id"
    await pp.ok(admin, "POST", url, {"person_id": world.residents[1]["id"], "stars": 4}, 201)
    for stars in (0, 6, 4.5):
        bad = await pp.call(admin, "POST", url, {"person_id": world.residents[2]["id"], "stars": stars})
        assert bad.status_code in (400, 422), stars

    shown = await pp.ok(admin, "GET", f"/projects/{project['id']}")
    assert (shown["status"], shown["satisfaction"], shown["evaluations"]) == ("evaluated", 4.5, 2)
    assert shown["transitions"][-1]["to_status"] == "evaluated"
    assert [e["stars"] for e in shown["evaluation_list"]] == [5, 4]


async def test_claimants_are_told_when_a_project_they_claimed_changes(
    pp, pp_world, admin, make_actor, database
):
    world = await pp_world(residents=1)
    unit_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.unit.id)
    project = await world.project(status="published", title="口袋公园改造")
    await pp.ok(
        admin,
        "POST",
        f"/projects/{project['id']}/claims",
        {"org_node_id": str(world.unit.id), "commitment": "money", "money_fen": 80_000},
        201,
    )
    await pp.ok(admin, "POST", f"/projects/{project['id']}/transitions", {"to": "in_progress"})
    await pp.ok(
        admin,
        "POST",
        f"/projects/{project['id']}/progress",
        {"reported_on": district_today().isoformat(), "text": "绿化完成", "percent": 60},
        201,
    )
    titles = await inbox_titles(pp, unit_secretary)
    assert any("口袋公园改造" in t and "实施中" in t for t in titles), titles
    assert any("口袋公园改造" in t and "60%" in t for t in titles), titles


async def test_the_job_flags_quiet_projects_once_per_quiet_spell(
    pp, pp_world, admin, make_actor, fire_schedule, database
):
    from plugins.people_projects.models import Project

    world = await pp_world(residents=0)
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    quiet = await world.project(status="in_progress", title="楼道灯改造")
    busy = await world.project(status="in_progress", title="垃圾分类亭")
    long_ago = district_today() - dt.timedelta(days=45)
    async with database.transaction(admin.tenant.id) as session:
        for row in await session.scalars(
            select(Project).where(Project.id.in_([uuid.UUID(quiet["id"]), uuid.UUID(busy["id"])]))
        ):
            row.started_on = long_ago
    await pp.ok(
        admin,
        "POST",
        f"/projects/{busy['id']}/progress",
        {"reported_on": district_today().isoformat(), "text": "已完成一半", "percent": 50},
        201,
    )
    tick = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await fire_schedule("people_projects.flag_stale_projects", tick)
    await fire_schedule("people_projects.flag_stale_projects", tick + dt.timedelta(days=1))
    titles = await inbox_titles(pp, secretary)
    assert sum("楼道灯改造" in t for t in titles) == 1, titles
    assert not any("垃圾分类亭" in t for t in titles)
    async with database.transaction(admin.tenant.id) as session:
        flagged = await session.get(Project, (admin.tenant.id, uuid.UUID(quiet["id"])))
        assert flagged is not None and flagged.stale_flagged_on is not None
