"""Setting up a demonstration zone: its joint committee joins the tree under the lead, bad input writes
nothing, and a zone moves between active, suspended and dissolved only as the rules allow."""

from __future__ import annotations

import datetime as dt

from core.api import district_today as today_in_district

ESTABLISHED = "2024-03-01"


async def node(mz, actor, node_id):
    return await mz.ok(actor, "GET", f"/api/v1/org/nodes/{node_id}")


async def zone_count(mz, actor):
    return (await mz.ok(actor, "GET", "/zones"))["total"]


async def subtree_ids(mz, actor, node_id):
    response = await mz.ok(actor, "GET", f"/api/v1/org/nodes/{node_id}/subtree")
    items = response["items"] if isinstance(response, dict) else response
    return sorted(n["id"] for n in items)


async def test_a_zone_led_by_a_community_gets_its_joint_committee_under_that_community(mz, zone_world, admin):
    world = await zone_world()
    zone = world.zone
    assert zone["lead_node_id"] == str(world.lead.id)
    assert zone["lead_person_id"] == world.secretary_id and zone["lead_person_name"] == "周书记"
    assert zone["status"] == "active" and zone["established_on"] == ESTABLISHED
    committee = await node(mz, admin, zone["committee_node_id"])
    assert committee["kind"] == "joint_committee"
    assert committee["parent_id"] == str(world.lead.id)
    assert committee["name"] == f"{zone['name']}联合党委" == zone["committee_name"]
    # Six months after it was set up (the default interval), the first review falls due.
    assert zone["next_review_due"] == "2024-09-01"


async def test_a_zone_led_by_a_branch_gets_its_committee_under_the_branchs_community(
    mz, zone_world, admin, make_node
):
    world = await zone_world(create=False)
    branch = await make_node(admin.tenant, world.lead.id, "branch", "光华社区第一党支部")
    zone = await mz.ok(
        admin,
        "POST",
        "/zones",
        {"name": "名书记工作室片区", "lead_node_id": str(branch.id), "lead_person_id": world.secretary_id},
        201,
    )
    assert (await node(mz, admin, zone["committee_node_id"]))["parent_id"] == str(world.lead.id)
    assert zone["established_on"] == today_in_district().isoformat()


async def test_a_lead_secretary_who_is_not_a_person_of_this_district_is_refused_and_nothing_is_written(
    mz, zone_world, admin, make_actor
):
    world = await zone_world(create=False)
    other = await make_actor()
    foreigner = await mz.person(other, other.tenant.root_id, "外区书记")
    before = await subtree_ids(mz, admin, world.lead.id)
    body = {"name": "光华示范片区", "lead_node_id": str(world.lead.id), "lead_person_id": foreigner}
    problem = await mz.refused(admin, "POST", "/zones", body, 422, "lead_person_id")
    assert problem["errors"][0]["code"] == "unknown_person"
    body["lead_person_id"] = world.lead.id.hex[:8] + "-0000-7000-8000-000000000000"
    await mz.refused(admin, "POST", "/zones", body, 422, "lead_person_id")
    assert await zone_count(mz, admin) == 0
    assert await subtree_ids(mz, admin, world.lead.id) == before, "no joint committee was left behind"


async def test_a_lead_organisation_of_another_district_or_outside_the_scope_is_not_found(
    mz, zone_world, admin, make_actor, make_node
):
    world = await zone_world(create=False)
    other = await make_actor()
    foreign_person = await mz.person(other, other.tenant.root_id)
    body = {"name": "越界片区", "lead_node_id": str(world.lead.id), "lead_person_id": foreign_person}
    await mz.refused(other, "POST", "/zones", body, 404)

    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=elsewhere.id)
    body["lead_person_id"] = world.secretary_id
    await mz.refused(secretary, "POST", "/zones", body, 404)
    assert await zone_count(mz, admin) == 0


async def test_a_community_secretary_cannot_set_up_a_committee_above_their_scope(
    mz, zone_world, admin, make_actor, make_node
):
    world = await zone_world(create=False)
    firm_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.firm.id)
    body = {"name": "企业片区", "lead_node_id": str(world.firm.id), "lead_person_id": world.secretary_id}
    problem = await mz.refused(firm_secretary, "POST", "/zones", body, 422, "lead_node_id")
    assert problem["errors"][0]["code"] == "committee_out_of_scope"
    assert await zone_count(mz, admin) == 0


async def test_bad_names_and_dates_are_refused(mz, zone_world, admin):
    world = await zone_world()
    future = (today_in_district() + dt.timedelta(days=1)).isoformat()
    body = {
        "name": "另一片区",
        "lead_node_id": str(world.neighbours[0].id),
        "lead_person_id": world.secretary_id,
        "established_on": future,
    }
    await mz.refused(admin, "POST", "/zones", body, 422, "established_on")
    duplicate = {**body, "name": world.zone["name"], "established_on": ESTABLISHED}
    await mz.refused(admin, "POST", "/zones", duplicate, 409, "name")
    committee = {**body, "lead_node_id": world.zone["committee_node_id"], "established_on": ESTABLISHED}
    await mz.refused(admin, "POST", "/zones", committee, 422, "lead_node_id")
    await mz.refused(admin, "POST", "/zones", {**body, "unknown": 1}, 422)
    assert await zone_count(mz, admin) == 1


async def test_a_zone_is_suspended_resumed_and_dissolved_and_a_dissolved_zone_stays_dissolved(
    mz, zone_world, admin
):
    world = await zone_world()
    url = f"/zones/{world.zone_id}/status"
    assert (await mz.ok(admin, "POST", url, {"status": "suspended"}))["status"] == "suspended"
    assert (await mz.ok(admin, "POST", url, {"status": "active"}))["status"] == "active"
    await mz.refused(admin, "POST", url, {"status": "active"}, 409, "status")
    await mz.refused(admin, "POST", url, {"status": "dissolved", "on": "2023-12-31"}, 422, "on")
    dissolved = await mz.ok(admin, "POST", url, {"status": "dissolved", "on": "2025-12-31"})
    assert (dissolved["status"], dissolved["dissolved_on"]) == ("dissolved", "2025-12-31")
    assert dissolved["next_review_due"] is None
    problem = await mz.refused(admin, "POST", url, {"status": "active"}, 409, "status")
    assert problem["code"] == "transition_not_allowed"
    # Nothing more is recorded for a dissolved zone, but its joint committee stays in the tree.
    await mz.refused(
        admin, "POST", f"/zones/{world.zone_id}/members", {"org_node_id": str(world.unit.id)}, 409
    )
    await mz.refused(admin, "PATCH", f"/zones/{world.zone_id}", {"description": "改"}, 409)
    assert (await node(mz, admin, world.zone["committee_node_id"]))["kind"] == "joint_committee"


async def test_the_lead_secretary_and_name_can_change(mz, zone_world, admin):
    world = await zone_world()
    successor = await mz.person(admin, world.lead.id, "吴书记")
    changed = await mz.ok(
        admin, "PATCH", f"/zones/{world.zone_id}", {"lead_person_id": successor, "description": "雁阵引领"}
    )
    assert (changed["lead_person_name"], changed["description"]) == ("吴书记", "雁阵引领")
    await mz.refused(
        admin,
        "PATCH",
        f"/zones/{world.zone_id}",
        {"lead_person_id": "00000000-0000-7000-8000-000000000000"},
        422,
        "lead_person_id",
    )
    assert (await mz.ok(admin, "GET", f"/zones/{world.zone_id}"))["lead_person_name"] == "吴书记"


async def test_zones_are_listed_by_subtree_and_status(mz, zone_world, admin):
    first = await zone_world()
    second = await zone_world(name="万科示范片区")
    await mz.ok(admin, "POST", f"/zones/{second.zone_id}/status", {"status": "suspended"})
    assert (await mz.ok(admin, "GET", "/zones"))["total"] == 2
    only_first = await mz.ok(admin, "GET", "/zones", node=str(first.street.id))
    assert [z["id"] for z in only_first["items"]] == [first.zone_id]
    suspended = await mz.ok(admin, "GET", "/zones", status="suspended")
    assert [z["id"] for z in suspended["items"]] == [second.zone_id]


async def test_a_committee_name_taken_in_the_tree_refuses_the_zone_and_writes_nothing(
    mz, zone_world, admin, make_node
):
    world = await zone_world(create=False)
    await make_node(admin.tenant, world.lead.id, "joint_committee", "光华片区联合党委")
    before = await subtree_ids(mz, admin, world.lead.id)
    body = {"name": "光华片区", "lead_node_id": str(world.lead.id), "lead_person_id": world.secretary_id}
    await mz.refused(admin, "POST", "/zones", body, 409)
    assert await zone_count(mz, admin) == 0
    assert await subtree_ids(mz, admin, world.lead.id) == before
