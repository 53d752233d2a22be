"""Joining and leaving an action branch: an affiliation that never touches the formal relation."""

from __future__ import annotations

from tests.plugins.action_branches.conftest import days_ago


def field_codes(response):
    return {(e["field"], e["code"]) for e in response.json().get("errors", [])}


async def formal(ab, actor, person_id):
    person = await ab.ok(actor, "GET", f"/api/v1/people/{person_id}")
    relations = await ab.ok(actor, "GET", f"/api/v1/people/{person_id}/relations")
    return person["org_node_id"], person["party_status"], relations


async def test_joining_and_leaving_leave_the_formal_party_relation_unchanged(ab, branch_world, admin):
    world = await branch_world(people=1)
    someone = world.people[0]
    before = await formal(ab, admin, someone)
    assert before[0] == str(world.party_branch.id)

    joined = await ab.ok(
        admin, "POST", f"/branches/{world.branch_id}/members", {"person_id": someone, "role": "宣传员"}, 201
    )
    assert (joined["person_id"], joined["role"], joined["left_on"]) == (someone, "宣传员", None)
    assert await formal(ab, admin, someone) == before, "joining does not move the formal relation"
    ties = await ab.ok(admin, "GET", f"/api/v1/people/{someone}/affiliations")
    [tie] = [t for t in ties if t["kind"] == "action_branch"]
    assert tie["org_node_id"] == world.branch["org_node_id"] and tie["ended_on"] is None

    left = await ab.ok(admin, "POST", f"/branches/{world.branch_id}/members/leave", {"person_id": someone})
    assert left["left_on"] is not None
    assert await formal(ab, admin, someone) == before, "leaving does not move the formal relation either"
    ties = await ab.ok(admin, "GET", f"/api/v1/people/{someone}/affiliations")
    assert [t["ended_on"] is not None for t in ties if t["kind"] == "action_branch"] == [True]
    assert (await ab.ok(admin, "GET", f"/branches/{world.branch_id}"))["members"] == 1, "the leader stays"

    rejoined = await ab.call(admin, "POST", f"/branches/{world.branch_id}/members", {"person_id": someone})
    assert rejoined.status_code == 201, "someone who left may join again"


async def test_bad_membership_changes_are_refused_and_nothing_is_written(ab, branch_world, admin, make_actor):
    world = await branch_world(people=2)
    member, stranger_here = world.people
    url = f"/branches/{world.branch_id}/members"
    await ab.ok(admin, "POST", url, {"person_id": member}, 201)

    duplicate = await ab.call(admin, "POST", url, {"person_id": member})
    assert duplicate.status_code == 409 and field_codes(duplicate) == {("person_id", "duplicate")}
    not_in = await ab.call(admin, "POST", f"{url}/leave", {"person_id": stranger_here})
    assert not_in.status_code == 422 and field_codes(not_in) == {("person_id", "not_member")}
    leader = await ab.call(admin, "POST", f"{url}/leave", {"person_id": world.leader})
    assert leader.status_code == 409 and leader.json()["code"] == "leader"
    early = await ab.call(admin, "POST", f"{url}/leave", {"person_id": member, "left_on": "2000-01-01"})
    assert early.status_code == 422 and field_codes(early) == {("left_on", "before_start")}
    future = await ab.call(admin, "POST", url, {"person_id": stranger_here, "joined_on": "2999-01-01"})
    assert future.status_code == 422 and field_codes(future) == {("joined_on", "in_future")}

    other = await make_actor()
    await ab.call(other, "POST", "/api/v1/plugins/action_branches/enable", expect=200)
    foreigner = await ab.person(other, other.tenant.root_id, member=False)
    foreign = await ab.call(admin, "POST", url, {"person_id": foreigner})
    assert foreign.status_code == 422 and field_codes(foreign) == {("person_id", "person_not_found")}

    members = (await ab.ok(admin, "GET", url, include_left="true"))["items"]
    assert sorted(m["person_id"] for m in members) == sorted([world.leader, member])
    assert all(m["left_on"] is None for m in members), "nothing was written by the refusals"


async def test_a_street_secretary_cannot_enrol_someone_outside_their_street(
    ab, branch_world, admin, make_actor, make_node
):
    world = await branch_world(people=0)
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.street.id)
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "蒋乔街道")
    far_away = await ab.person(admin, other_street.id, member=False)
    refused = await ab.call(
        secretary, "POST", f"/branches/{world.branch_id}/members", {"person_id": far_away}
    )
    assert refused.status_code == 422 and field_codes(refused) == {("person_id", "person_not_found")}
    neighbour = await ab.person(admin, world.party_branch.id)
    accepted = await ab.call(
        secretary,
        "POST",
        f"/branches/{world.branch_id}/members",
        {"person_id": neighbour, "joined_on": days_ago(2)},
    )
    assert accepted.status_code == 201, accepted.text
    viewer = await make_actor("viewer", tenant=admin.tenant, node_id=world.street.id)
    assert (
        await ab.call(viewer, "POST", f"/branches/{world.branch_id}/members", {"person_id": far_away})
    ).status_code == 403
