"""Forming, listing, changing and dissolving action branches, and what a branch may not be."""

from __future__ import annotations

from tests.plugins.action_branches.conftest import FOUNDED, days_ago


def field_codes(response):
    return {(e["field"], e["code"]) for e in response.json().get("errors", [])}


async def test_a_branch_sits_under_its_host_and_its_leader_is_its_first_member(ab, branch_world, admin):
    world = await branch_world(people=0)
    branch = world.branch
    assert (branch["kind"], branch["status"], branch["members"]) == ("interest", "active", 1)
    assert branch["host_node_id"] == str(world.community.id) and branch["host_name"] == world.community.name
    assert branch["leader_name"] == "王建国" and branch["founded_on"] == FOUNDED

    node = await ab.ok(admin, "GET", f"/api/v1/org/nodes/{branch['org_node_id']}")
    assert (node["kind"], node["parent_id"]) == ("action_branch", str(world.community.id))
    [member] = (await ab.ok(admin, "GET", f"/branches/{world.branch_id}/members"))["items"]
    assert (member["person_id"], member["role"]) == (world.leader, "leader")


async def test_the_list_filters_by_kind_subtree_and_name(ab, branch_world, admin):
    culture = await branch_world(kind="cause", people=0)
    trade = await branch_world(kind="trade", people=0)
    causes = await ab.ok(admin, "GET", "/branches", kind="cause")
    assert [b["id"] for b in causes["items"]] == [culture.branch_id]
    in_street = await ab.ok(admin, "GET", "/branches", node_id=str(trade.street.id))
    assert [b["id"] for b in in_street["items"]] == [trade.branch_id]
    named = await ab.ok(admin, "GET", "/branches", q=trade.branch["name"][-6:])
    assert [b["id"] for b in named["items"]] == [trade.branch_id]
    assert (await ab.call(admin, "GET", "/branches", kind="hobby")).status_code in (400, 422)


async def test_a_secretary_sees_and_forms_branches_only_in_their_own_street(
    ab, branch_world, admin, make_actor, make_node
):
    world = await branch_world(people=1)
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "七里甸街道")
    elsewhere = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    local = await make_actor("secretary", tenant=admin.tenant, node_id=world.street.id)

    assert (await ab.call(elsewhere, "GET", f"/branches/{world.branch_id}")).status_code == 404
    assert (await ab.ok(elsewhere, "GET", "/branches"))["total"] == 0
    assert (await ab.call(local, "GET", f"/branches/{world.branch_id}")).status_code == 200
    body = {
        "host_node_id": str(world.community.id),
        "kind": "place",
        "name": "红色一条街行动支部",
        "leader_person_id": world.people[0],
    }
    assert (await ab.call(elsewhere, "POST", "/branches", body)).status_code == 404
    assert (await ab.call(local, "POST", "/branches", body)).status_code == 201


async def test_bad_branches_are_refused_with_the_field_and_nothing_is_written(
    ab, branch_world, admin, make_actor
):
    world = await branch_world(people=0)
    stranger = await make_actor()  # another district's administrator
    await ab.call(stranger, "POST", "/api/v1/plugins/action_branches/enable", expect=200)
    outsider = await ab.person(stranger, stranger.tenant.root_id, member=False)
    base = {"host_node_id": str(world.community.id), "kind": "cause", "name": "志愿服务行动支部"}

    another_districts = await ab.call(admin, "POST", "/branches", {**base, "leader_person_id": outsider})
    assert another_districts.status_code == 422
    assert field_codes(another_districts) == {("leader_person_id", "person_not_found")}
    future = await ab.call(
        admin, "POST", "/branches", {**base, "leader_person_id": world.leader, "founded_on": "2999-01-01"}
    )
    assert future.status_code == 422 and field_codes(future) == {("founded_on", "in_future")}
    half = await ab.call(
        admin, "POST", "/branches", {**base, "leader_person_id": world.leader, "longitude": 119.4}
    )
    assert half.status_code == 422 and field_codes(half) == {("latitude", "half_a_place")}
    blank = await ab.call(
        admin, "POST", "/branches", {**base, "leader_person_id": world.leader, "name": "   "}
    )
    assert blank.status_code == 422 and field_codes(blank) == {("name", "missing")}
    same_name = await ab.call(
        admin, "POST", "/branches", {**base, "leader_person_id": world.leader, "name": world.branch["name"]}
    )
    assert same_name.status_code == 409 and ("name", "duplicate") in field_codes(same_name)
    node = world.branch["org_node_id"]
    inside_a_branch = await ab.call(
        admin, "POST", "/branches", {**base, "leader_person_id": world.leader, "host_node_id": node}
    )
    assert inside_a_branch.status_code == 422 and field_codes(inside_a_branch) == {
        ("host_node_id", "not_a_host")
    }
    assert (await ab.ok(admin, "GET", "/branches"))["total"] == 1, "nothing was written"


async def test_changing_the_leader_makes_them_a_member_and_dissolving_ends_every_membership(
    ab, branch_world, admin
):
    world = await branch_world(people=2)
    newcomer = await ab.person(admin, world.party_branch.id, "李红")
    changed = await ab.ok(
        admin,
        "PATCH",
        f"/branches/{world.branch_id}",
        {"leader_person_id": newcomer, "name": "红色宣讲行动支部", "kind": "cause"},
    )
    assert (changed["leader_name"], changed["name"], changed["kind"], changed["members"]) == (
        "李红",
        "红色宣讲行动支部",
        "cause",
        2,
    )
    node = await ab.ok(admin, "GET", f"/api/v1/org/nodes/{world.branch['org_node_id']}")
    assert node["name"] == "红色宣讲行动支部"
    members = (await ab.ok(admin, "GET", f"/branches/{world.branch_id}/members"))["items"]
    assert {m["person_id"]: m["role"] for m in members} == {world.leader: None, newcomer: "leader"}

    await ab.ok(admin, "POST", f"/branches/{world.branch_id}/members", {"person_id": world.people[0]}, 201)
    dissolved = await ab.ok(admin, "PATCH", f"/branches/{world.branch_id}", {"status": "dissolved"})
    assert (dissolved["status"], dissolved["members"]) == ("dissolved", 0)
    everyone = (await ab.ok(admin, "GET", f"/branches/{world.branch_id}/members", include_left="true"))[
        "items"
    ]
    assert everyone and all(m["left_on"] for m in everyone)
    again = await ab.call(admin, "PATCH", f"/branches/{world.branch_id}", {"status": "active"})
    assert again.status_code == 409 and again.json()["code"] == "dissolved"
    late = await ab.call(
        admin, "POST", f"/branches/{world.branch_id}/actions", {"held_on": days_ago(1), "title": "迟到的活动"}
    )
    assert late.status_code == 409
