"""A community secretary records residents' needs, turns one into a project and moves it through its
life; every step is recorded with who and when, and a step out of order is refused, writing nothing."""

from __future__ import annotations

from sqlalchemy import func, select


async def test_a_need_is_recorded_backed_by_residents_once_each_and_becomes_a_project(pp, pp_world, admin):
    world = await pp_world()
    need = await pp.ok(
        admin,
        "POST",
        "/needs",
        {
            "org_node_id": str(world.community.id),
            "source": "door_to_door",
            "category": "elderly_care",
            "title": "社区老人助餐",
            "description": "独居老人中午吃饭难，希望开办长者食堂。",
            "raised_by_person_id": world.residents[0]["id"],
        },
        201,
    )
    assert (need["status"], need["supporters"], need["project_id"]) == ("open", 0, None)
    for resident in world.residents[:2]:
        need = await pp.ok(
            admin, "POST", f"/needs/{need['id']}/supporters", {"person_id": resident["id"]}, 201
        )
    assert need["supporters"] == 2
    again = await pp.call(
        admin, "POST", f"/needs/{need['id']}/supporters", {"person_id": world.residents[0]["id"]}
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "person_id"
    assert (await pp.ok(admin, "GET", f"/needs/{need['id']}"))["supporters"] == 2, "counted once"

    project = await pp.ok(admin, "POST", f"/needs/{need['id']}/project", {"target_fen": 5_000_000}, 201)
    assert (project["status"], project["need_id"], project["title"]) == ("draft", need["id"], "社区老人助餐")
    assert project["org_node_id"] == str(world.community.id)
    converted = await pp.ok(admin, "GET", f"/needs/{need['id']}")
    assert (converted["status"], converted["project_id"]) == ("converted", project["id"])
    twice = await pp.call(admin, "POST", f"/needs/{need['id']}/project", {})
    assert twice.status_code == 409 and twice.json()["code"] == "need_not_open"

    # Whoever recorded the need is told.
    inbox = await pp.ok(admin, "GET", "/api/v1/notifications")
    assert any("社区老人助餐" in n["title"] for n in inbox["items"])


async def test_a_need_names_a_known_category_and_a_person_of_the_district(pp, pp_world, admin, make_actor):
    world = await pp_world()
    body = {
        "org_node_id": str(world.community.id),
        "source": "hotline",
        "category": "elderly_care",
        "title": "路灯不亮",
        "description": "小区路灯坏了。",
    }
    bad_category = await pp.call(admin, "POST", "/needs", {**body, "category": "unknown"})
    assert bad_category.status_code == 422 and bad_category.json()["errors"][0]["field"] == "category"
    bad_source = await pp.call(admin, "POST", "/needs", {**body, "source": "rumour"})
    assert bad_source.status_code in (400, 422)
    stranger = await make_actor()
    other = await pp.call(admin, "POST", "/needs", {**body, "raised_by_person_id": str(stranger.user.id)})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "raised_by_person_id"
    listed = await pp.ok(admin, "GET", "/needs", node_id=str(world.community.id))
    assert listed["total"] == 0, "nothing was written"


async def test_a_project_moves_only_by_allowed_steps_each_recorded(pp, pp_world, admin, database):
    world = await pp_world()
    project = await world.project(status="draft")
    url = f"/projects/{project['id']}"

    early = await pp.call(admin, "POST", f"{url}/transitions", {"to": "in_progress"})
    assert early.status_code == 409
    problem = early.json()
    assert problem["code"] == "invalid_transition" and problem["errors"][0]["field"] == "to"
    assert (await pp.ok(admin, "GET", url))["status"] == "draft", "nothing written"

    await pp.ok(admin, "POST", f"{url}/transitions", {"to": "published"})
    unclaimed = await pp.call(admin, "POST", f"{url}/transitions", {"to": "in_progress"})
    assert unclaimed.status_code == 409, "work starts once someone claimed it"
    await pp.ok(
        admin,
        "POST",
        f"{url}/claims",
        {"org_node_id": str(world.unit.id), "commitment": "labour", "labour_hours": 40},
        201,
    )
    assert (await pp.ok(admin, "GET", url))["status"] == "claimed"
    await pp.ok(admin, "POST", f"{url}/transitions", {"to": "in_progress", "note": "开工"})
    done = await pp.ok(admin, "POST", f"{url}/transitions", {"to": "completed"})
    assert (done["status"], done["progress_percent"]) == ("completed", 100)
    back = await pp.call(admin, "POST", f"{url}/transitions", {"to": "published"})
    assert back.status_code == 409
    wrong = await pp.call(admin, "POST", f"{url}/transitions", {"to": "evaluated"})
    assert wrong.status_code in (400, 422), "evaluated follows residents' evaluations, not a request"

    history = [(t["from_status"], t["to_status"]) for t in done["transitions"]]
    assert history == [
        (None, "draft"),
        ("draft", "published"),
        ("published", "claimed"),
        ("claimed", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert all(t["actor_id"] == str(admin.user.id) and t["at"] for t in done["transitions"])
    assert done["transitions"][3]["note"] == "开工"
    from plugins.people_projects.models import ProjectTransition

    async with database.transaction(admin.tenant.id) as session:
        count = await session.scalar(select(func.count()).select_from(ProjectTransition))
    assert count == 5, "the refused steps wrote no history"


async def test_only_a_draft_is_edited_and_a_place_needs_both_coordinates(pp, pp_world, admin):
    world = await pp_world()
    project = await world.project(status="draft")
    url = f"/projects/{project['id']}"
    half = await pp.call(admin, "PATCH", url, {"longitude": 119.45})
    assert half.status_code == 422 and half.json()["errors"][0]["field"] == "latitude"
    edited = await pp.ok(admin, "PATCH", url, {"max_claimants": 1, "longitude": 119.45, "latitude": 32.2})
    assert (edited["max_claimants"], edited["latitude"]) == (1, 32.2)
    await pp.ok(admin, "POST", f"{url}/transitions", {"to": "published"})
    late = await pp.call(admin, "PATCH", url, {"max_claimants": 5})
    assert late.status_code == 409 and late.json()["code"] == "not_draft"


async def test_a_cancelled_project_takes_no_claims(pp, pp_world, admin):
    world = await pp_world()
    project = await world.project(status="published")
    url = f"/projects/{project['id']}"
    await pp.ok(admin, "POST", f"{url}/transitions", {"to": "cancelled", "note": "已由政府财政解决"})
    refused = await pp.call(
        admin,
        "POST",
        f"{url}/claims",
        {"org_node_id": str(world.unit.id), "commitment": "money", "money_fen": 100},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_open_for_claims"
