"""Standards (党建工作标准) drawn from a field's benchmarks."""

from __future__ import annotations


async def benchmark(spark, admin, field_id, org_id):
    candidate = await spark.nominate(admin, field_id, org_id)
    await spark.move(admin, candidate["id"], "cultivating")
    await spark.move(admin, candidate["id"], "assessed", score=95)
    return await spark.move(admin, candidate["id"], "benchmark", "认定为标杆")


async def test_a_standard_cites_the_benchmarks_it_came_from_and_is_published(spark, spark_world, admin):
    world = await spark_world()
    field = world.field_id("social_org")
    source = await benchmark(spark, admin, field, world.social_org.id)
    draft = await spark.ok(
        admin,
        "POST",
        f"/fields/{field}/standards",
        {
            "title": "网络社会组织党建工作标准",
            "body": "提炼标杆经验",
            "items": ["建立党组织", "规范组织生活"],
        },
        201,
    )
    assert draft["status"] == "draft" and draft["sources"] == []
    unsourced = await spark.call(admin, "POST", f"/standards/{draft['id']}/publish")
    assert unsourced.status_code == 422 and unsourced.json()["errors"][0]["field"] == "benchmark_ids"
    rewritten = await spark.ok(
        admin,
        "PUT",
        f"/standards/{draft['id']}",
        {"title": "网络社会组织党建工作标准", "items": ["建立党组织"], "benchmark_ids": [source["id"]]},
    )
    assert [s["candidate_id"] for s in rewritten["sources"]] == [source["id"]]
    assert rewritten["sources"][0]["org_name"] == world.social_org.name
    published = await spark.ok(admin, "POST", f"/standards/{draft['id']}/publish")
    assert published["status"] == "published" and published["published_on"]
    frozen = await spark.call(admin, "PUT", f"/standards/{draft['id']}", {"title": "改", "items": ["x"]})
    assert frozen.status_code == 409
    listed = await spark.ok(admin, "GET", f"/fields/{field}/standards")
    assert [s["id"] for s in listed["items"]] == [draft["id"]]


async def test_a_standard_cites_only_benchmarks_of_its_own_field(spark, spark_world, admin, database):
    from sqlalchemy import func, select

    from plugins.spark_incubation.models import SparkStandard

    world = await spark_world()
    elsewhere = await benchmark(spark, admin, world.field_id("internet"), world.enterprise.id)
    not_yet = await spark.nominate(admin, world.field_id("social_org"), world.social_org.id)
    field = world.field_id("social_org")
    for cited in (elsewhere["id"], not_yet["id"]):
        refused = await spark.call(
            admin,
            "POST",
            f"/fields/{field}/standards",
            {"title": "标准", "items": ["a"], "benchmark_ids": [cited]},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "benchmark_ids[0]"
    async with database.transaction(admin.tenant.id) as session:
        assert await session.scalar(select(func.count()).select_from(SparkStandard)) == 0


async def test_only_the_fields_managers_write_standards(spark, spark_world, admin, make_actor):
    world = await spark_world()
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    field = world.field_id()
    assert (await spark.call(secretary, "GET", f"/fields/{field}")).status_code == 200, "the district's field"
    refused = await spark.call(
        secretary, "POST", f"/fields/{field}/standards", {"title": "标准", "items": []}
    )
    assert refused.status_code == 403, "secretaries hold no manage permission"
    street_admin = await make_actor("org_admin", tenant=admin.tenant, node_id=world.street.id)
    hidden = await spark.call(
        street_admin, "POST", f"/fields/{field}/standards", {"title": "标准", "items": []}
    )
    assert hidden.status_code == 404, "a street's administrator does not manage the district's field"
