"""Cultivation plans: period, milestones due within it, mentors of the district, and files."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def cultivating(spark, world, admin, org=None):
    candidate = await spark.nominate(admin, world.field_id(), (org or world.enterprise).id)
    await spark.move(admin, candidate["id"], "cultivating")
    return candidate


async def test_a_plan_holds_milestones_and_mentors_and_shows_on_the_candidate(
    spark, spark_world, admin, make_person, days
):
    world = await spark_world()
    candidate = await cultivating(spark, world, admin)
    plan = await spark.ok(
        admin,
        "PUT",
        f"/candidates/{candidate['id']}/plan",
        {
            "title": "瑞祥集团党建培育计划",
            "starts_on": days(-30),
            "ends_on": days(300),
            "goals": "建强党组织",
        },
    )
    assert plan["milestones"] == [] and plan["mentors"] == []
    plan = await spark.ok(
        admin,
        "POST",
        f"/candidates/{candidate['id']}/plan/milestones",
        {"title": "成立党支部", "due_on": days(20)},
        201,
    )
    person = await make_person(admin, world.community.id, "陈刚")
    plan = await spark.ok(
        admin,
        "POST",
        f"/candidates/{candidate['id']}/plan/mentors",
        {"person_id": person["id"], "role": "党建指导员"},
        201,
    )
    assert [m["person_name"] for m in plan["mentors"]] == ["陈刚"]
    [milestone] = plan["milestones"]
    assert (milestone["title"], milestone["done_on"], milestone["overdue"]) == ("成立党支部", None, False)
    done = await spark.ok(admin, "PATCH", f"/milestones/{milestone['id']}", {"done_on": days(0)})
    assert done["milestones"][0]["done_on"] == days(0)
    detail = await spark.ok(admin, "GET", f"/candidates/{candidate['id']}")
    assert detail["has_plan"] and detail["plan"]["title"] == "瑞祥集团党建培育计划"
    await spark.call(
        admin, "DELETE", f"/candidates/{candidate['id']}/plan/mentors/{plan['mentors'][0]['id']}", expect=204
    )
    assert (await spark.ok(admin, "GET", f"/candidates/{candidate['id']}/plan"))["mentors"] == []


async def test_bad_dates_are_refused_naming_the_field_and_nothing_is_written(spark, spark_world, admin, days):
    world = await spark_world()
    candidate = await cultivating(spark, world, admin)
    url = f"/candidates/{candidate['id']}/plan"
    backwards = await spark.call(
        admin, "PUT", url, {"title": "计划", "starts_on": days(10), "ends_on": days(5)}
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "ends_on"
    assert (await spark.call(admin, "GET", url)).status_code == 404, "no plan was written"
    no_plan = await spark.call(admin, "POST", f"{url}/milestones", {"title": "节点", "due_on": days(3)})
    assert no_plan.status_code == 409 and no_plan.json()["code"] == "no_plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(0), "ends_on": days(100)})
    early = await spark.call(admin, "POST", f"{url}/milestones", {"title": "节点", "due_on": days(-1)})
    assert early.status_code == 422
    assert early.json()["errors"][0] == {
        "field": "due_on",
        "code": "before_plan",
        "message": early.json()["errors"][0]["message"],
    }
    late = await spark.call(admin, "POST", f"{url}/milestones", {"title": "节点", "due_on": days(101)})
    assert late.status_code == 422 and late.json()["errors"][0]["code"] == "after_plan"
    assert (await spark.ok(admin, "GET", url))["milestones"] == []
    plan = await spark.ok(admin, "POST", f"{url}/milestones", {"title": "节点", "due_on": days(50)}, 201)
    shrink = await spark.call(
        admin, "PUT", url, {"title": "计划", "starts_on": days(60), "ends_on": days(100)}
    )
    assert shrink.status_code == 422 and shrink.json()["errors"][0]["code"] == "milestone_outside"
    future = await spark.call(
        admin, "PATCH", f"/milestones/{plan['milestones'][0]['id']}", {"done_on": days(5)}
    )
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "done_on"


async def test_open_milestones_hold_the_assessment_back(spark, spark_world, admin, days):
    world = await spark_world()
    candidate = await cultivating(spark, world, admin)
    url = f"/candidates/{candidate['id']}/plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(-10), "ends_on": days(100)})
    plan = await spark.ok(
        admin, "POST", f"{url}/milestones", {"title": "规范三会一课", "due_on": days(-1)}, 201
    )
    held = await spark.call(
        admin,
        "POST",
        f"/candidates/{candidate['id']}/transitions",
        {"to": "assessed", "reason": "评估", "score": 90},
    )
    assert held.status_code == 409 and held.json()["code"] == "milestones_open"
    await spark.ok(admin, "PATCH", f"/milestones/{plan['milestones'][0]['id']}", {"done_on": days(0)})
    await spark.move(admin, candidate["id"], "assessed", score=90)
    closed = await spark.call(admin, "POST", f"{url}/milestones", {"title": "再加一项", "due_on": days(5)})
    assert closed.status_code == 201, "an assessed candidate's plan can still change"
    await spark.move(admin, candidate["id"], "benchmark", "认定")
    frozen = await spark.call(admin, "POST", f"{url}/milestones", {"title": "再加一项", "due_on": days(5)})
    assert frozen.status_code == 409 and frozen.json()["code"] == "candidate_closed"


async def test_mentors_are_people_of_the_district_within_the_callers_scope(
    spark, spark_world, admin, make_person, make_actor, make_node, days
):
    world = await spark_world()
    candidate = await cultivating(spark, world, admin)
    url = f"/candidates/{candidate['id']}/plan"
    await spark.ok(admin, "PUT", url, {"title": "计划", "starts_on": days(0), "ends_on": days(100)})
    other = await make_actor()
    foreign = await make_person(other, other.tenant.root_id, "外区党员")
    assert (
        await spark.call(admin, "POST", f"{url}/mentors", {"person_id": foreign["id"]})
    ).status_code == 404
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "金山街道")
    far = await make_person(admin, elsewhere.id, "李明")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    refused = await spark.call(secretary, "POST", f"{url}/mentors", {"person_id": far["id"]})
    assert refused.status_code == 404
    near = await make_person(admin, world.community.id, "周涛")
    await spark.ok(secretary, "POST", f"{url}/mentors", {"person_id": near["id"]}, 201)
    twice = await spark.call(secretary, "POST", f"{url}/mentors", {"person_id": near["id"]})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "person_id"
    assert len((await spark.ok(admin, "GET", url))["mentors"]) == 1


async def test_assessment_documents_and_the_plan_document_are_reached_like_the_candidate(
    client, spark, spark_world, admin, make_actor, make_node, days
):
    world = await spark_world()
    candidate = await cultivating(spark, world, admin)
    plan = await spark.ok(
        admin,
        "PUT",
        f"/candidates/{candidate['id']}/plan",
        {"title": "计划", "starts_on": days(0), "ends_on": days(9)},
    )
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    stranger = await make_actor("secretary", tenant=admin.tenant, node_id=elsewhere.id)
    for owner, owner_id in (
        ("spark_incubation.candidate", candidate["id"]),
        ("spark_incubation.plan", plan["id"]),
    ):
        uploaded = await client.post(
            "/api/v1/attachments",
            headers=secretary.headers,
            data={"owner": owner, "owner_id": owner_id},
            files={"file": ("评估报告.pdf", PDF, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        content = f"/api/v1/attachments/{uploaded.json()['id']}/content"
        assert (await client.get(content, headers=admin.headers)).content == PDF
        assert (await client.get(content, headers=stranger.headers)).status_code == 404
        refused = await client.post(
            "/api/v1/attachments",
            headers=stranger.headers,
            data={"owner": owner, "owner_id": owner_id},
            files={"file": ("x.pdf", PDF, "application/pdf")},
        )
        assert refused.status_code == 404
