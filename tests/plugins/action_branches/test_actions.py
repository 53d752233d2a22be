"""Actions (活动) of a branch with their participants and the hours each gave."""

from __future__ import annotations

from tests.plugins.action_branches.conftest import days_ago


def field_codes(response):
    return {(e["field"], e["code"]) for e in response.json().get("errors", [])}


async def test_an_action_records_members_and_other_people_of_the_district_with_their_hours(
    ab, branch_world, admin
):
    world = await branch_world(people=2)
    member, guest = world.people
    await ab.ok(
        admin,
        "POST",
        f"/branches/{world.branch_id}/members",
        {"person_id": member, "joined_on": days_ago(30)},
        201,
    )
    action = await ab.ok(
        admin,
        "POST",
        f"/branches/{world.branch_id}/actions",
        {
            "held_on": days_ago(5),
            "title": "老街文化讲解",
            "place": "西津渡历史街区",
            "description": "为游客讲解西津渡红色历史",
            "longitude": 119.41,
            "latitude": 32.21,
            "participants": [
                {"person_id": world.leader, "hours": 3},
                {"person_id": member, "hours": 2.5},
                {"person_id": guest, "hours": 1},
            ],
        },
        201,
    )
    assert (action["participant_count"], action["hours"], action["branch_name"]) == (
        3,
        6.5,
        world.branch["name"],
    )
    assert {p["person_id"]: (p["hours"], p["member"]) for p in action["participants"]} == {
        world.leader: (3.0, True),
        member: (2.5, True),
        guest: (1.0, False),
    }
    listed = await ab.ok(admin, "GET", f"/branches/{world.branch_id}/actions")
    assert [a["id"] for a in listed["items"]] == [action["id"]]

    replaced = await ab.ok(
        admin,
        "PUT",
        f"/actions/{action['id']}/participants",
        {"participants": [{"person_id": member, "hours": 4}]},
    )
    assert (replaced["participant_count"], replaced["hours"]) == (1, 4.0)
    assert (await ab.ok(admin, "GET", f"/actions/{action['id']}"))["participants"][0]["person_id"] == member


async def test_bad_hours_and_people_are_refused_with_the_field_and_nothing_is_written(
    ab, branch_world, admin, make_actor
):
    world = await branch_world(people=1)
    url = f"/branches/{world.branch_id}/actions"
    body = {"held_on": days_ago(2), "title": "邻里互助"}

    negative = await ab.call(
        admin, "POST", url, {**body, "participants": [{"person_id": world.leader, "hours": -1}]}
    )
    assert negative.status_code == 422 and field_codes(negative) == {("participants[0].hours", "negative")}
    absurd = await ab.call(
        admin, "POST", url, {**body, "participants": [{"person_id": world.leader, "hours": 25}]}
    )
    assert absurd.status_code == 422 and field_codes(absurd) == {("participants[0].hours", "too_many")}
    twice = await ab.call(
        admin,
        "POST",
        url,
        {
            **body,
            "participants": [
                {"person_id": world.leader, "hours": 1},
                {"person_id": world.leader, "hours": 2},
            ],
        },
    )
    assert twice.status_code == 422 and field_codes(twice) == {("participants[1].person_id", "duplicate")}
    future = await ab.call(
        admin,
        "POST",
        url,
        {
            "held_on": "2999-05-01",
            "title": "未来活动",
            "participants": [{"person_id": world.leader, "hours": 2}],
        },
    )
    assert future.status_code == 422 and field_codes(future) == {("held_on", "in_future")}
    before_founding = await ab.call(admin, "POST", url, {"held_on": "2020-01-01", "title": "太早的活动"})
    assert before_founding.status_code == 422 and field_codes(before_founding) == {
        ("held_on", "before_founding")
    }

    other = await make_actor()
    await ab.call(other, "POST", "/api/v1/plugins/action_branches/enable", expect=200)
    foreigner = await ab.person(other, other.tenant.root_id, member=False)
    foreign = await ab.call(
        admin, "POST", url, {**body, "participants": [{"person_id": foreigner, "hours": 2}]}
    )
    assert foreign.status_code == 422 and field_codes(foreign) == {
        ("participants[0].person_id", "person_not_found")
    }

    assert (await ab.ok(admin, "GET", url))["total"] == 0, "nothing was written"


async def test_a_planned_action_takes_hours_only_once_it_has_taken_place(ab, branch_world, admin):
    world = await branch_world(people=0)
    planned = await ab.ok(
        admin,
        "POST",
        f"/branches/{world.branch_id}/actions",
        {"held_on": "2999-05-01", "title": "重阳敬老"},
        201,
    )
    early = await ab.call(
        admin,
        "PUT",
        f"/actions/{planned['id']}/participants",
        {"participants": [{"person_id": world.leader, "hours": 2}]},
    )
    assert early.status_code == 422 and field_codes(early) == {("held_on", "in_future")}
    assert (await ab.ok(admin, "GET", f"/actions/{planned['id']}"))["participants"] == []


async def test_another_street_cannot_read_or_record_the_branchs_actions(
    ab, branch_world, admin, make_actor, make_node
):
    world = await branch_world(people=0)
    action = await ab.ok(
        admin,
        "POST",
        f"/branches/{world.branch_id}/actions",
        {
            "held_on": days_ago(1),
            "title": "环境整治",
            "participants": [{"person_id": world.leader, "hours": 2}],
        },
        201,
    )
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "官塘桥街道")
    elsewhere = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    assert (await ab.call(elsewhere, "GET", f"/actions/{action['id']}")).status_code == 404
    assert (
        await ab.call(elsewhere, "PUT", f"/actions/{action['id']}/participants", {"participants": []})
    ).status_code == 404
    assert (await ab.call(elsewhere, "GET", f"/branches/{world.branch_id}/actions")).status_code == 404
    staff = await make_actor("staff", tenant=admin.tenant, node_id=world.community.id)
    recorded = await ab.call(
        staff,
        "PUT",
        f"/actions/{action['id']}/participants",
        {"participants": [{"person_id": world.leader, "hours": 1.5}]},
    )
    assert recorded.status_code == 200 and recorded.json()["hours"] == 1.5
