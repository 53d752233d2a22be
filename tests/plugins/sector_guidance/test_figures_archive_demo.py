"""The mechanism's dashboard figures, its records in a district's archive, and the demo district's records."""

from __future__ import annotations

import datetime as dt

from core.api import district_today


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "sector_guidance"}


async def test_the_share_meeting_the_standard_changes_when_an_assessment_is_submitted(
    sg, sector_world, admin, answer, make_node
):
    world = await sector_world(members=2)
    code = world.sector["code"]
    before = await figures(sg.client, admin, admin.tenant.root_id)
    assert (before["sectors"], before["organisations"]) == (1, 2)
    assert (before["assessed_rate"], before["met_rate"], before[f"met_rate.{code}"]) == (0.0, 0.0, 0.0)

    assessment = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id)},
        201,
    )
    await sg.ok(
        admin, "PUT", f"/assessments/{assessment['id']}/results", answer(world, [True, True, True, False])
    )
    assert (await figures(sg.client, admin, admin.tenant.root_id))["met_rate"] == 0.0, (
        "in progress counts for nothing"
    )
    await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")

    after = await figures(sg.client, admin, admin.tenant.root_id)
    assert (after["assessed_rate"], after["met_rate"]) == (50.0, 50.0)
    assert (after[f"assessed_rate.{code}"], after[f"met_rate.{code}"]) == (50.0, 50.0)
    # Only the community's organisations count in the community's subtree; none elsewhere.
    assert (await figures(sg.client, admin, world.community.id))["met_rate"] == 50.0
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "黄山街道")
    empty = await figures(sg.client, admin, elsewhere.id)
    assert (empty["sectors"], empty["organisations"], empty["met_rate"]) == (0, 0, 0.0)


async def test_a_failed_assessment_is_assessed_but_does_not_meet_the_standard(
    sg, sector_world, admin, answer
):
    world = await sector_world(members=1)
    assessment = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id)},
        201,
    )
    await sg.ok(
        admin, "PUT", f"/assessments/{assessment['id']}/results", answer(world, [False, True, True, True])
    )
    await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")
    after = await figures(sg.client, admin, admin.tenant.root_id)
    assert (after["assessed_rate"], after["met_rate"]) == (100.0, 0.0)


async def test_visits_this_year_are_counted(sg, sector_world, admin):
    world = await sector_world(members=1, publish=False)
    body = {
        "sector_id": world.sector_id,
        "org_node_id": str(world.organisations[0].id),
        "visitor": "党建指导员",
        "topics": "指导自查",
    }
    await sg.ok(admin, "POST", "/visits", {**body, "visited_on": district_today().isoformat()}, 201)
    last_year = dt.date(district_today().year - 1, 6, 1)
    await sg.ok(admin, "POST", "/visits", {**body, "visited_on": last_year.isoformat()}, 201)
    assert (await figures(sg.client, admin, admin.tenant.root_id))["visits_this_year"] == 1


async def test_the_records_survive_the_districts_export_and_import(
    sg, sector_world, admin, answer, round_trip
):
    world = await sector_world(members=2)
    assessment = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id)},
        201,
    )
    await sg.ok(
        admin, "PUT", f"/assessments/{assessment['id']}/results", answer(world, [True, True, False, True])
    )
    await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")
    await sg.ok(
        admin,
        "POST",
        "/visits",
        {
            "sector_id": world.sector_id,
            "org_node_id": str(world.organisations[1].id),
            "visited_on": district_today().isoformat(),
            "visitor": "党建指导员",
            "topics": "指导自查",
        },
        201,
    )
    compared = await round_trip(admin.tenant)
    assert compared["sector"] == (1, 1)
    assert compared["sector_member"] == (2, 2)
    assert compared["sector_standard"] == (1, 1)
    assert compared["sector_standard_item"] == (4, 4)
    assert compared["sector_assessment"] == (1, 1)
    assert compared["sector_assessment_result"] == (4, 4)
    assert compared["sector_guidance_visit"] == (1, 1)


async def test_the_demo_district_gets_sectors_standards_assessments_and_visits(
    database, admin, enable_plugin, make_node
):
    from sqlalchemy import func, select

    from core.api import OrgNode
    from core.demo.generator import DemoPlan
    from plugins import sector_guidance
    from plugins.sector_guidance.models import Sector, SectorAssessment, SectorStandard

    await enable_plugin(admin, "sector_guidance")
    for street_name, communities in (("和平路街道", ("金山社区", "宝塔社区")), ("七里甸街道", ("长江社区",))):
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", street_name)
        for name in communities:
            await make_node(admin.tenant, street.id, "community", name)
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])

    async with database.transaction(admin.tenant.id) as session:
        counts = await sector_guidance.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["sectors"] == 5 and 30 <= counts["members"] <= 45
    assert counts["visits"] >= 10 and counts["results"] > counts["assessments"]

    async with database.transaction(admin.tenant.id) as session:
        departments = set(
            await session.scalars(select(OrgNode.name).where(OrgNode.kind == "sector_department"))
        )
        assert {"区委网信办", "区民政局", "区教育局", "区市场监督管理局"} <= departments
        assert {s.code for s in await session.scalars(select(Sector))} == {
            "internet",
            "social_org",
            "property",
            "private_school",
            "private_economy",
        }
        statuses = dict(
            list(
                await session.execute(
                    select(SectorStandard.status, func.count()).group_by(SectorStandard.status)
                )
            )
        )
        assert statuses == {"published": 5, "retired": 1}
        assessed = list(
            await session.scalars(select(SectorAssessment).where(SectorAssessment.cycle == "2026"))
        )
        assert {a.status for a in assessed} == {"due", "in_progress", "submitted"}
        submitted = [a for a in assessed if a.status == "submitted"]
        assert {a.passed for a in submitted} == {True, False}, "a realistic mix of passes and failures"
        assert all(a.passed == (a.score is not None and a.score >= 80) for a in submitted)
