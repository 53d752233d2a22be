"""Dashboard figures, the red map, the mentors' reminder job, the district archive and the demo district."""

from __future__ import annotations

import datetime as dt
import uuid

from core.api import district_today


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "spark_incubation"}


async def test_party_coverage_counts_two_new_organisations_with_a_party_organisation_under_them(
    spark, spark_world, admin, make_node
):
    world = await spark_world()
    before = await figures(spark.client, admin, world.community.id)
    assert (before["two_new_orgs"], before["two_new_with_party"], before["party_coverage"]) == (2, 0, 0.0)
    await make_node(admin.tenant, world.enterprise.id, "branch", "瑞祥集团党支部")
    await make_node(admin.tenant, world.social_org.id, "group", "not a party organisation kind we count")
    after = await figures(spark.client, admin, world.community.id)
    assert (after["two_new_orgs"], after["two_new_with_party"], after["party_coverage"]) == (2, 1, 50.0)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "金山街道")
    assert (await figures(spark.client, admin, elsewhere.id))["two_new_orgs"] == 0


async def test_candidates_benchmarks_and_overdue_milestones_per_field(spark, spark_world, admin, days):
    world = await spark_world()
    first = await spark.nominate(admin, world.field_id("internet"), world.enterprise.id)
    second = await spark.nominate(admin, world.field_id("internet"), world.social_org.id)
    await spark.move(admin, second["id"], "dropped", "退出")
    await spark.move(admin, first["id"], "cultivating")
    url = f"/candidates/{first['id']}/plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(-30), "ends_on": days(30)})
    await spark.ok(admin, "POST", f"{url}/milestones", {"title": "逾期节点", "due_on": days(-1)}, 201)
    await spark.ok(admin, "POST", f"{url}/milestones", {"title": "未到期", "due_on": days(3)}, 201)
    shown = await figures(spark.client, admin, admin.tenant.root_id)
    assert (shown["candidates"], shown["benchmarks"], shown["overdue_milestones"]) == (1, 0, 1)
    assert (shown["candidates.internet"], shown["benchmarks.internet"]) == (1, 0)


async def test_candidates_with_places_are_on_the_red_map(client, spark, spark_world, admin):
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.nominate(admin, world.field_id(), world.social_org.id)  # no place: not on the map
    response = await client.get(
        "/api/v1/map", headers=admin.headers, params={"node": str(admin.tenant.root_id)}
    )
    assert response.status_code == 200, response.text
    ours = [f for f in response.json()["features"] if f["properties"].get("plugin") == "spark_incubation"]
    assert len(ours) == 1 and candidate["id"] in response.text
    assert ours[0]["geometry"]["coordinates"] == [119.45, 32.2]


async def test_mentors_are_reminded_once_of_milestones_coming_due(
    spark, spark_world, admin, make_person, make_user, database, fire_schedule, days
):
    from sqlalchemy import select

    from core.auth.models import User

    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.move(admin, candidate["id"], "cultivating")
    url = f"/candidates/{candidate['id']}/plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(-10), "ends_on": days(100)})
    await spark.ok(admin, "POST", f"{url}/milestones", {"title": "成立党支部", "due_on": days(3)}, 201)
    await spark.ok(admin, "POST", f"{url}/milestones", {"title": "远期节点", "due_on": days(60)}, 201)
    person = await make_person(admin, world.community.id, "陈刚")
    await spark.ok(admin, "POST", f"{url}/mentors", {"person_id": person["id"]}, 201)
    mentor = await make_user(admin.tenant, "staff", node_id=world.community.id)
    async with database.transaction(admin.tenant.id) as session:
        user = await session.get_one(User, (admin.tenant.id, mentor.id))
        user.person_id = uuid.UUID(person["id"])

    tick = dt.datetime.combine(district_today(), dt.time(1, 0), tzinfo=dt.UTC)
    assert await fire_schedule("spark_incubation.remind_milestones", tick) >= 1
    assert await fire_schedule("spark_incubation.remind_milestones", tick + dt.timedelta(days=1)) >= 1
    from core.notifications.models import Notification

    async with database.transaction(admin.tenant.id) as session:
        notes = list(
            await session.scalars(select(Notification).where(Notification.source == "spark_incubation"))
        )
    assert len(notes) == 1, "one reminder, not one a day"
    assert notes[0].user_id == mentor.id and "成立党支部" in notes[0].title


async def test_the_records_survive_the_districts_export_and_import(
    spark, spark_world, admin, make_person, round_trip, days
):
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.move(admin, candidate["id"], "cultivating")
    url = f"/candidates/{candidate['id']}/plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(-10), "ends_on": days(100)})
    plan = await spark.ok(admin, "POST", f"{url}/milestones", {"title": "节点", "due_on": days(-1)}, 201)
    await spark.ok(admin, "PATCH", f"/milestones/{plan['milestones'][0]['id']}", {"done_on": days(0)})
    person = await make_person(admin, world.community.id)
    await spark.ok(admin, "POST", f"{url}/mentors", {"person_id": person["id"]}, 201)
    await spark.move(admin, candidate["id"], "assessed", score=90)
    await spark.move(admin, candidate["id"], "benchmark", "认定")
    standard = await spark.ok(
        admin,
        "POST",
        f"/fields/{world.field_id()}/standards",
        {"title": "标准", "items": ["条目一", "条目二"], "benchmark_ids": [candidate["id"]]},
        201,
    )
    await spark.ok(admin, "POST", f"/standards/{standard['id']}/publish")
    compared = await round_trip(admin.tenant)
    assert compared["spark_field"] == (7, 7)
    assert compared["spark_candidate"] == (1, 1)
    assert compared["spark_transition"] == (4, 4)
    assert compared["spark_plan"] == (1, 1)
    assert compared["spark_milestone"] == (1, 1)
    assert compared["spark_mentor"] == (1, 1)
    assert compared["spark_standard"] == (1, 1)
    assert compared["spark_standard_source"] == (1, 1)


async def test_the_demo_district_gets_seven_fields_with_candidates_and_the_seeds_benchmarks(
    database, admin, enable_plugin, make_node
):
    from sqlalchemy import func, select

    from core.api import OrgNode
    from core.demo.generator import DemoPlan
    from plugins import spark_incubation
    from plugins.spark_incubation.models import SparkCandidate, SparkField, SparkMilestone, SparkStandard

    await enable_plugin(admin, "spark_incubation")
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "大市口街道")
    for name in ("五条街社区", "宝塔山社区", "解放路社区"):
        await make_node(admin.tenant, street.id, "community", name)
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])
    async with database.transaction(admin.tenant.id) as session:
        counts = await spark_incubation.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["fields"] == 7 and counts["benchmarks"] == 4 and counts["candidates"] >= 20
    async with database.transaction(admin.tenant.id) as session:
        per_field = dict(
            list(
                await session.execute(
                    select(SparkField.code, func.count(SparkCandidate.id))
                    .join(SparkCandidate, SparkCandidate.field_id == SparkField.id)
                    .group_by(SparkField.code)
                )
            )
        )
        assert len(per_field) == 7 and all(n >= 2 for n in per_field.values())
        names = set(await session.scalars(select(OrgNode.name)))
        assert {"润州区网络社会组织联合会党支部", "大市口商圈党委", "瑞祥集团"} <= names
        stages = set(await session.scalars(select(SparkCandidate.stage)))
        assert stages == {"nominated", "cultivating", "assessed", "benchmark", "dropped"}
        assert await session.scalar(select(func.count()).select_from(SparkStandard)) == 3
        overdue = await session.scalar(
            select(func.count())
            .select_from(SparkMilestone)
            .where(SparkMilestone.done_on.is_(None), SparkMilestone.due_on < dt.date(2026, 5, 20))
        )
        assert overdue >= 1, "some cultivation is behind"
