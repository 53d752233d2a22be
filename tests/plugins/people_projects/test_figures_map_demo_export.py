"""The mechanism's dashboard figures for a subtree (this calendar year against last), its places on the
red map, its records in a district's archive, its files, and the demo district's records."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from core.api import district_today


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "people_projects"}


async def test_figures_count_projects_money_growth_and_satisfaction_for_the_subtree(
    pp, pp_world, admin, database, make_node
):
    from plugins.people_projects.models import Claim, Project

    world = await pp_world(residents=2)
    this_year = await world.project(status="completed")  # a unit claimed 1,000 yuan (100,000 fen)
    await pp.ok(
        admin,
        "POST",
        f"/projects/{this_year['id']}/evaluations",
        {"person_id": world.residents[0]["id"], "stars": 5},
        201,
    )
    await pp.ok(
        admin,
        "POST",
        f"/projects/{this_year['id']}/evaluations",
        {"person_id": world.residents[1]["id"], "stars": 4},
        201,
    )
    await world.project(status="claimed", node=world.other_community)
    await world.project(status="draft")
    old = await world.project(status="claimed")
    # Last year's project and its money: dated back as if recorded then.
    last_year = dt.date(district_today().year - 1, 6, 1)
    async with database.transaction(admin.tenant.id) as session:
        project = await session.get(Project, (admin.tenant.id, uuid.UUID(old["id"])))
        assert project is not None
        project.published_on = last_year
        for claim in await session.scalars(select(Claim).where(Claim.project_id == project.id)):
            claim.claimed_on = last_year
            claim.money_fen = 50_000
        project.committed_fen = 50_000
    claim_id = this_year["claims"][0]["id"] if this_year["claims"] else None
    assert claim_id is not None
    await pp.ok(admin, "POST", f"/claims/{claim_id}/delivery", {"delivered_fen": 40_000})

    shown = await figures(pp.client, admin, world.street.id)
    assert shown["projects"] == 3, "published ones; drafts do not count"
    assert (shown["projects.evaluated"], shown["projects.claimed"], shown["projects.draft"]) == (1, 2, 1)
    assert (shown["projects_this_year"], shown["projects_last_year"], shown["projects_growth"]) == (
        2,
        1,
        100.0,
    )
    assert (shown["money_this_year"], shown["money_last_year"]) == (0.2, 0.05), "万元"
    assert shown["money_growth"] == 300.0
    assert (shown["money_committed"], shown["money_delivered"]) == (0.25, 0.04)
    assert (shown["satisfaction"], shown["evaluations"]) == (4.5, 2)

    community = await figures(pp.client, admin, world.other_community.id)
    assert (community["projects"], community["projects_this_year"], community["satisfaction"]) == (1, 1, 0.0)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "金山街道")
    empty = await figures(pp.client, admin, elsewhere.id)
    assert (empty["projects"], empty["money_committed"], empty["projects_growth"]) == (0, 0.0, 0.0)


async def test_projects_with_places_are_on_the_red_map(pp, pp_world, admin):
    world = await pp_world(residents=0)
    placed = await world.project(status="published", place="3 号楼", longitude=119.45, latitude=32.2)
    await world.project(status="draft", longitude=119.46, latitude=32.21)
    await world.project(status="published")
    response = await pp.client.get(
        "/api/v1/map", headers=admin.headers, params={"node": str(world.street.id)}
    )
    pp.client.cookies.clear()
    assert response.status_code == 200, response.text
    ours = [f for f in response.json()["features"] if str(f.get("id", "")).startswith("people_projects:")]
    assert [f["id"] for f in ours] == [f"people_projects:{placed['id']}"]
    assert ours[0]["geometry"]["coordinates"] == [119.45, 32.2]


async def test_photos_attach_to_a_project_and_its_progress(pp, pp_world, admin, make_actor):
    world = await pp_world(residents=0)
    project = await world.project(status="in_progress")
    update = await pp.ok(
        admin,
        "POST",
        f"/projects/{project['id']}/progress",
        {"reported_on": district_today().isoformat(), "text": "施工中", "percent": 20},
        201,
    )
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()
    for owner, owner_id in (
        ("people_projects.project", project["id"]),
        ("people_projects.progress", update["id"]),
    ):
        uploaded = await pp.client.post(
            "/api/v1/attachments",
            headers=admin.headers,
            data={"owner": owner, "owner_id": owner_id},
            files={"file": ("site.png", png, "image/png")},
        )
        pp.client.cookies.clear()
        assert uploaded.status_code == 201, uploaded.text
    stranger = await make_actor()
    refused = await pp.client.post(
        "/api/v1/attachments",
        headers=stranger.headers,
        data={"owner": "people_projects.project", "owner_id": project["id"]},
        files={"file": ("site.png", png, "image/png")},
    )
    pp.client.cookies.clear()
    assert refused.status_code == 404


async def test_the_records_survive_the_districts_export_and_import(pp, pp_world, admin, round_trip):
    world = await pp_world(residents=2)
    need = await pp.ok(
        admin,
        "POST",
        "/needs",
        {
            "org_node_id": str(world.community.id),
            "source": "meeting",
            "category": "culture",
            "title": "社区读书角",
            "description": "居民希望有阅读空间。",
        },
        201,
    )
    await pp.ok(
        admin, "POST", f"/needs/{need['id']}/supporters", {"person_id": world.residents[0]["id"]}, 201
    )
    project = await world.project(status="completed")
    await pp.ok(
        admin,
        "POST",
        f"/projects/{project['id']}/evaluations",
        {"person_id": world.residents[1]["id"], "stars": 5},
        201,
    )
    compared = await round_trip(admin.tenant)
    assert compared["people_need"] == (1, 1)
    assert compared["people_need_supporter"] == (1, 1)
    assert compared["people_project"] == (1, 1)
    assert compared["people_project_claim"] == (1, 1)
    assert compared["people_project_evaluation"] == (1, 1)
    assert compared["people_project_transition"] == (6, 6)


async def test_the_demo_district_matches_the_seed(database, admin, enable_plugin, make_node, pp, pp_world):
    from sqlalchemy import func

    from core.demo.generator import DemoPlan
    from plugins import people_projects
    from plugins.people_projects.models import Claim, Evaluation, Project

    world = await pp_world(residents=10)
    await make_node(admin.tenant, world.street.id, "community", "大西路社区")
    today = district_today()
    plan = DemoPlan(reference_date=today, nodes=[], people=[])
    async with database.transaction(admin.tenant.id) as session:
        counts = await people_projects.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["projects"] == 196 + 101 + 9 and counts["needs"] > counts["projects"]
    assert counts["claims"] > 297 and counts["progress"] > 100 and counts["evaluations"] > 100

    shown = await figures(pp.client, admin, admin.tenant.root_id)
    assert (shown["projects_this_year"], shown["projects_last_year"]) == (196, 101)
    assert round(shown["projects_growth"]) == 94 and round(shown["money_growth"]) == 71
    assert 960 <= shown["money_this_year"] < 970, "960多万元"
    assert 4.0 <= shown["satisfaction"] <= 5.0
    async with database.transaction(admin.tenant.id) as session:
        statuses = set(await session.scalars(select(Project.status).distinct()))
        assert {"draft", "published", "claimed", "in_progress", "completed", "evaluated"} <= statuses
        commitments = set(await session.scalars(select(Claim.commitment).distinct()))
        assert commitments == {"money", "labour", "material"}
        assert await session.scalar(select(func.count()).select_from(Evaluation)) == counts["evaluations"]


async def test_the_figures_cost_the_same_few_statements_however_many_projects(pp, pp_world, admin, database):
    from sqlalchemy import event

    from core.api import OrgNode
    from plugins.people_projects import services

    async def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        async with database.transaction(admin.tenant.id) as session:
            root = await session.get_one(OrgNode, (admin.tenant.id, admin.tenant.root_id))
            event.listen(database.engine.sync_engine, "before_cursor_execute", count)
            try:
                await services.figures(session, root, district_today())
            finally:
                event.remove(database.engine.sync_engine, "before_cursor_execute", count)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    world = await pp_world(residents=0)
    await world.project(status="claimed")
    few = await statements()
    await world.project(status="claimed", node=world.other_community)
    await world.project(status="in_progress")
    assert await statements() == few == 4
