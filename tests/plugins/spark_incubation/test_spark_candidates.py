"""Fields and candidates: the seed's seven fields, nominating, the stage moves and their history."""

from __future__ import annotations

from sqlalchemy import func, select


async def count(database, tenant_id, model):
    async with database.transaction(tenant_id) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_enabling_the_plugin_seeds_the_seven_emerging_fields_of_the_seed(spark, spark_world, admin):
    world = await spark_world()
    names = [f["name"] for f in sorted(world.fields.values(), key=lambda f: f["position"])]
    assert len(names) == 7
    assert names[:3] == ["互联网业", "社会组织", "商务楼宇"]
    assert all(f["org_node_id"] == str(admin.tenant.root_id) for f in world.fields.values())
    created = await spark.ok(
        admin, "POST", "/fields", {"code": "legal_services", "name": "律师行业", "position": 8}, 201
    )
    assert created["org_name"] and created["stages"]["nominated"] == 0
    duplicate = await spark.call(admin, "POST", "/fields", {"code": "legal_services", "name": "重复"})
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "code"


async def test_a_candidate_moves_through_the_stages_and_every_move_is_in_its_history(
    spark, spark_world, admin
):
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id("internet"), world.enterprise.id)
    assert candidate["stage"] == "nominated" and candidate["allowed"] == ["cultivating", "dropped"]
    await spark.move(admin, candidate["id"], "cultivating", "纳入星火计划培育")
    assessed = await spark.move(
        admin, candidate["id"], "assessed", "年度评估", score=92, assessment="党建与业务深度融合"
    )
    assert (assessed["stage"], assessed["score"]) == ("assessed", 92)
    benchmark = await spark.move(admin, candidate["id"], "benchmark", "区委组织部认定为示范标杆")
    assert benchmark["stage"] == "benchmark" and benchmark["allowed"] == []
    history = [(h["from_stage"], h["to_stage"], h["reason"]) for h in benchmark["history"]]
    assert history == [
        (None, "nominated", "党建基础较好，有培育潜力"),
        ("nominated", "cultivating", "纳入星火计划培育"),
        ("cultivating", "assessed", "年度评估"),
        ("assessed", "benchmark", "区委组织部认定为示范标杆"),
    ]
    assert all(h["actor_id"] == str(admin.user.id) and h["at"] for h in benchmark["history"])
    field = await spark.ok(admin, "GET", f"/fields/{world.field_id('internet')}")
    assert field["stages"]["benchmark"] == 1


async def test_an_invalid_move_is_refused_with_the_reason_and_nothing_is_written(
    spark, spark_world, admin, database
):
    from plugins.spark_incubation.models import SparkTransition

    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    before = await count(database, admin.tenant.id, SparkTransition)
    refused = await spark.call(
        admin, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "benchmark", "reason": "跳级"}
    )
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "invalid_transition" and problem["errors"][0]["field"] == "to"
    assert "cultivating" in problem["detail"]
    assert await count(database, admin.tenant.id, SparkTransition) == before
    assert (await spark.ok(admin, "GET", f"/candidates/{candidate['id']}"))["stage"] == "nominated"

    await spark.move(admin, candidate["id"], "dropped", "企业迁出本区")
    again = await spark.call(
        admin, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "cultivating", "reason": "恢复"}
    )
    assert again.status_code == 409, "dropped is final"


async def test_assessment_needs_a_score_and_a_benchmark_needs_enough_of_it(spark, spark_world, admin):
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.move(admin, candidate["id"], "cultivating")
    no_score = await spark.call(
        admin, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "assessed", "reason": "评估"}
    )
    assert no_score.status_code == 422 and no_score.json()["errors"][0]["field"] == "score"
    await spark.move(admin, candidate["id"], "assessed", score=70)
    low = await spark.call(
        admin, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "benchmark", "reason": "认定"}
    )
    assert low.status_code == 409 and low.json()["code"] == "score_too_low"
    back = await spark.move(admin, candidate["id"], "cultivating", "继续培育")
    assert back["stage"] == "cultivating"


async def test_only_the_fields_managers_name_benchmarks(spark, spark_world, admin, make_actor):
    world = await spark_world()
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    candidate = await spark.nominate(secretary, world.field_id(), world.social_org.id)
    await spark.move(secretary, candidate["id"], "cultivating")
    await spark.move(secretary, candidate["id"], "assessed", score=95)
    refused = await spark.call(
        secretary, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "benchmark", "reason": "认定"}
    )
    assert refused.status_code == 403, refused.text
    await spark.move(admin, candidate["id"], "benchmark", "区委组织部认定")


async def test_the_same_organisation_is_not_nominated_twice_in_a_field_while_active(
    spark, spark_world, admin, database
):
    from plugins.spark_incubation.models import SparkCandidate

    world = await spark_world()
    first = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    before = await count(database, admin.tenant.id, SparkCandidate)
    twice = await spark.call(
        admin,
        "POST",
        "/candidates",
        {"field_id": world.field_id(), "org_node_id": str(world.enterprise.id), "reason": "再次提名"},
    )
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "org_node_id"
    assert await count(database, admin.tenant.id, SparkCandidate) == before
    # Another field is another matter; and once dropped it may be nominated again.
    await spark.nominate(admin, world.field_id("private_enterprise"), world.enterprise.id)
    await spark.move(admin, first["id"], "dropped", "暂不具备条件")
    await spark.nominate(admin, world.field_id(), world.enterprise.id, "条件成熟，重新提名")


async def test_candidates_of_another_district_or_outside_the_scope_or_of_a_wrong_kind_are_refused(
    spark, spark_world, admin, make_actor, make_node, database
):
    from plugins.spark_incubation.models import SparkCandidate

    world = await spark_world()
    other = await make_actor()
    foreign = await make_node(other.tenant, other.tenant.root_id, "enterprise", "外区企业")
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    outside = await make_node(admin.tenant, elsewhere.id, "enterprise", "宝塔路企业")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    before = await count(database, admin.tenant.id, SparkCandidate)
    body = {"field_id": world.field_id(), "reason": "提名", "org_node_id": str(foreign.id)}
    assert (await spark.call(admin, "POST", "/candidates", body)).status_code == 404
    body["org_node_id"] = str(outside.id)
    assert (await spark.call(secretary, "POST", "/candidates", body)).status_code == 404
    body["org_node_id"] = str(world.community.id)
    wrong_kind = await spark.call(admin, "POST", "/candidates", body)
    assert wrong_kind.status_code == 422 and wrong_kind.json()["errors"][0]["code"] == "wrong_kind"
    body["org_node_id"] = str(world.enterprise.id)
    body["nominated_on"] = "2999-01-01"
    assert (await spark.call(admin, "POST", "/candidates", body)).status_code == 422
    assert await count(database, admin.tenant.id, SparkCandidate) == before
    # A field of one street cultivates that street's organisations only.
    street_field = await spark.ok(
        admin,
        "POST",
        "/fields",
        {"code": "s-field", "name": "街道楼宇", "org_node_id": str(elsewhere.id)},
        201,
    )
    outside_field = await spark.call(
        admin,
        "POST",
        "/candidates",
        {"field_id": street_field["id"], "org_node_id": str(world.enterprise.id), "reason": "提名"},
    )
    assert outside_field.status_code == 422 and outside_field.json()["errors"][0]["code"] == "outside_field"
    # The other street's secretary does not see the candidate.
    candidate = await spark.nominate(admin, world.field_id(), world.social_org.id)
    stranger = await make_actor("secretary", tenant=admin.tenant, node_id=elsewhere.id)
    assert (await spark.call(stranger, "GET", f"/candidates/{candidate['id']}")).status_code == 404
    listed = await spark.ok(stranger, "GET", "/candidates")
    assert candidate["id"] not in str(listed)
    fields = await spark.ok(stranger, "GET", "/fields", limit=100)
    assert {f["code"] for f in fields["items"]} >= {"internet", "s-field"}, (
        "the district's and its own street's"
    )


async def test_an_archived_field_takes_no_new_candidates_until_restored(spark, spark_world, admin):
    world = await spark_world()
    field = world.field_id("industrial_park")
    archived = await spark.ok(
        admin, "PATCH", f"/fields/{field}", {"status": "archived", "name": "产业园区（暂停）"}
    )
    assert (archived["status"], archived["name"]) == ("archived", "产业园区（暂停）")
    body = {"field_id": field, "org_node_id": str(world.enterprise.id), "reason": "提名"}
    refused = await spark.call(admin, "POST", "/candidates", body)
    assert refused.status_code == 409 and refused.json()["code"] == "field_archived"
    await spark.ok(admin, "PATCH", f"/fields/{field}", {"status": "active"})
    await spark.ok(admin, "POST", "/candidates", body, 201)


async def test_the_district_chooses_which_kinds_of_organisation_it_cultivates(
    client, spark, spark_world, admin, make_node
):
    world = await spark_world()
    owners = await make_node(admin.tenant, world.community.id, "owners_committee", "金山花园业委会")
    body = {"field_id": world.field_id(), "org_node_id": str(owners.id), "reason": "提名"}
    assert (await spark.call(admin, "POST", "/candidates", body)).status_code == 422
    configured = await client.put(
        "/api/v1/plugins/spark_incubation/config",
        headers=admin.headers,
        json={"candidate_kinds": ["enterprise", "social_org", "owners_committee"]},
    )
    client.cookies.clear()
    assert configured.status_code == 200, configured.text
    await spark.ok(admin, "POST", "/candidates", body, 201)


async def test_nominations_and_moves_are_in_the_audit_log(spark, spark_world, admin, make_actor):
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.move(admin, candidate["id"], "cultivating", "纳入培育")
    refused = await spark.call(
        admin, "POST", f"/candidates/{candidate['id']}/transitions", {"to": "benchmark", "reason": "跳级"}
    )
    assert refused.status_code == 409
    auditor = await make_actor("audit_admin", tenant=admin.tenant)
    records = await spark.client.get(
        "/api/v1/audit", headers=auditor.headers, params={"object_id": candidate["id"], "limit": 50}
    )
    spark.client.cookies.clear()
    actions = sorted(r["action"] for r in records.json()["items"])
    assert actions == ["spark_incubation.candidate_nominate", "spark_incubation.candidate_transition"]
    seeded = await spark.client.get(
        "/api/v1/audit", headers=auditor.headers, params={"action": "spark_incubation.fields_seed"}
    )
    spark.client.cookies.clear()
    assert seeded.json()["total"] == 1


async def test_candidates_are_listed_by_field_stage_and_subtree(spark, spark_world, admin):
    world = await spark_world()
    other = await spark_world()
    first = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    second = await spark.nominate(admin, world.field_id("social_org"), world.social_org.id)
    third = await spark.nominate(admin, world.field_id(), other.enterprise.id)
    await spark.move(admin, second["id"], "cultivating")

    def ids(page):
        return {c["id"] for c in page["items"]}

    by_field = await spark.ok(admin, "GET", "/candidates", field_id=world.field_id(), limit=100)
    assert {first["id"], third["id"]} <= ids(by_field) and second["id"] not in ids(by_field)
    by_stage = await spark.ok(admin, "GET", "/candidates", stage="cultivating", limit=100)
    assert second["id"] in ids(by_stage) and first["id"] not in ids(by_stage)
    by_area = await spark.ok(admin, "GET", "/candidates", node_id=str(world.street.id), limit=100)
    assert ids(by_area) == {first["id"], second["id"]}
