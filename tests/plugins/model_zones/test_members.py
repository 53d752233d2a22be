"""Member organisations (the "X"): each joins a zone once, from the caller's scope and district."""

from __future__ import annotations


async def members(mz, actor, zone_id):
    return (await mz.ok(actor, "GET", f"/zones/{zone_id}/members"))["items"]


async def test_neighbouring_organisations_join_the_zone_once(mz, zone_world, admin):
    world = await zone_world(members=3)
    listed = await members(mz, admin, world.zone_id)
    assert [m["org_name"] for m in listed] == [
        world.neighbours[0].name,
        world.neighbours[1].name,
        world.unit.name,
    ]
    assert {m["org_kind"] for m in listed} == {"community", "unit"}
    problem = await mz.refused(
        admin,
        "POST",
        f"/zones/{world.zone_id}/members",
        {"org_node_id": str(world.unit.id)},
        409,
        "org_node_id",
    )
    assert problem["code"] == "already_member"
    assert len(await members(mz, admin, world.zone_id)) == 3
    assert (await mz.ok(admin, "GET", f"/zones/{world.zone_id}"))["members"] == 3


async def test_the_lead_and_joint_committees_are_not_members(mz, zone_world, admin):
    world = await zone_world()
    url = f"/zones/{world.zone_id}/members"
    lead = await mz.refused(admin, "POST", url, {"org_node_id": str(world.lead.id)}, 422, "org_node_id")
    assert lead["errors"][0]["code"] == "is_lead"
    await mz.refused(admin, "POST", url, {"org_node_id": world.zone["committee_node_id"]}, 422, "org_node_id")
    assert await members(mz, admin, world.zone_id) == []


async def test_an_organisation_outside_the_scope_or_of_another_district_is_refused_and_nothing_written(
    mz, zone_world, admin, make_actor, make_node
):
    world = await zone_world()
    street_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.street.id)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    outside = await make_node(admin.tenant, elsewhere.id, "enterprise", "宝塔路某企业")
    other = await make_actor()
    foreign = await make_node(other.tenant, other.tenant.root_id, "enterprise", "外区企业")
    url = f"/zones/{world.zone_id}/members"
    for organisation in (outside, foreign):
        problem = await mz.refused(
            street_secretary, "POST", url, {"org_node_id": str(organisation.id)}, 422, "org_node_id"
        )
        assert problem["errors"][0]["code"] == "unknown_organisation"
    await mz.refused(admin, "POST", url, {"org_node_id": str(foreign.id)}, 422, "org_node_id")
    assert await members(mz, admin, world.zone_id) == []
    # The street's secretary does add an organisation of the street.
    await mz.ok(street_secretary, "POST", url, {"org_node_id": str(world.unit.id)}, 201)
    # Another district's administrator does not even find the zone.
    await mz.refused(other, "POST", url, {"org_node_id": str(foreign.id)}, 404)


async def test_joining_before_the_zone_existed_or_in_the_future_is_refused(mz, zone_world, admin):
    world = await zone_world()
    url = f"/zones/{world.zone_id}/members"
    body = {"org_node_id": str(world.unit.id), "joined_on": "2024-02-29"}
    problem = await mz.refused(admin, "POST", url, body, 422, "joined_on")
    assert problem["errors"][0]["code"] == "before_start"
    await mz.refused(admin, "POST", url, {**body, "joined_on": "2999-01-01"}, 422, "joined_on")
    assert await members(mz, admin, world.zone_id) == []


async def test_an_organisation_leaves_and_may_join_again(mz, zone_world, admin, make_actor):
    world = await zone_world(members=2)
    member = world.members[0]
    viewer = await make_actor("viewer", tenant=admin.tenant, node_id=world.street.id)
    await mz.call(viewer, "DELETE", f"/members/{member['id']}", expect=403)
    await mz.call(admin, "DELETE", f"/members/{member['id']}", expect=204)
    assert [m["id"] for m in await members(mz, admin, world.zone_id)] == [world.members[1]["id"]]
    await mz.call(admin, "DELETE", f"/members/{member['id']}", expect=404)
    await mz.ok(admin, "POST", f"/zones/{world.zone_id}/members", {"org_node_id": member["org_node_id"]}, 201)
