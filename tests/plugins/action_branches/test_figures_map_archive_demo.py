"""The mechanism's dashboard figures, its places on the red map, its records in a district's archive,
and the demo district's branches."""

from __future__ import annotations

import datetime as dt

from tests.plugins.action_branches.conftest import days_ago


async def figures(ab, actor, node_id):
    data = await ab.ok(actor, "GET", "/api/v1/dashboard", node=str(node_id))
    return {f["key"]: f["value"] for f in data["figures"] if f["plugin"] == "action_branches"}


async def test_figures_count_branches_by_kind_distinct_members_participation_actions_and_hours(
    ab, branch_world, admin, make_node
):
    culture = await branch_world(kind="cause", people=2)
    trade = await branch_world(kind="trade", people=1)
    a, b = culture.people
    for person in (a, b):
        await ab.ok(
            admin,
            "POST",
            f"/branches/{culture.branch_id}/members",
            {"person_id": person, "joined_on": days_ago(200)},
            201,
        )
    # The same person in two branches is one member.
    await ab.ok(admin, "POST", f"/branches/{trade.branch_id}/members", {"person_id": a}, 201)
    await ab.ok(
        admin,
        "POST",
        f"/branches/{culture.branch_id}/actions",
        {"held_on": days_ago(10), "title": "红色故事宣讲", "participants": [{"person_id": a, "hours": 3}]},
        201,
    )
    await ab.ok(
        admin,
        "POST",
        f"/branches/{culture.branch_id}/actions",
        {"held_on": days_ago(120), "title": "走访慰问", "participants": [{"person_id": b, "hours": 2}]},
        201,
    )

    everything = await figures(ab, admin, admin.tenant.root_id)
    assert (everything["branches"], everything["branches.cause"], everything["branches.trade"]) == (2, 1, 1)
    assert (everything["branches.interest"], everything["branches.place"]) == (0, 0)
    # Members: the two leaders, a and b (a counted once).
    assert everything["members"] == 4
    assert everything["participation_rate"] == 25.0, "only a took part in the last 90 days"
    assert everything["actions_per_month"] == round(2 / 12, 1)
    year_start = dt.date.fromisoformat(days_ago(0)).replace(month=1, day=1)
    # Hours of this calendar year only (early in January the older action falls in the last one).
    expected_hours = sum(
        hours
        for days, hours in ((10, 3.0), (120, 2.0))
        if dt.date.fromisoformat(days_ago(days)) >= year_start
    )
    assert everything["volunteer_hours"] == expected_hours

    await ab.ok(
        admin,
        "POST",
        f"/branches/{trade.branch_id}/actions",
        {"held_on": days_ago(1), "title": "义诊", "participants": [{"person_id": trade.leader, "hours": 2}]},
        201,
    )
    # In the trade street: its leader took part; a only took part in the other street's action.
    street = await figures(ab, admin, trade.street.id)
    assert (
        street["branches"],
        street["branches.trade"],
        street["members"],
        street["participation_rate"],
    ) == (1, 1, 2, 50.0)
    empty = await figures(
        ab, admin, (await make_node(admin.tenant, admin.tenant.root_id, "street", "润州街道")).id
    )
    assert (empty["branches"], empty["members"], empty["volunteer_hours"]) == (0, 0, 0)

    await ab.ok(admin, "PATCH", f"/branches/{trade.branch_id}", {"status": "dissolved"})
    after = await figures(ab, admin, admin.tenant.root_id)
    assert (after["branches"], after["branches.trade"], after["members"]) == (1, 0, 3)


async def test_an_action_counts_once_however_many_took_part_and_one_without_anyone_counts_too(
    ab, branch_world, admin
):
    branch = await branch_world(kind="cause", people=2)
    a, b = branch.people
    both = [{"person_id": a, "hours": 1.5}, {"person_id": b, "hours": 2.5}]
    for participants in (both, []):
        await ab.ok(
            admin,
            "POST",
            f"/branches/{branch.branch_id}/actions",
            {"held_on": days_ago(0), "title": "支部活动", "participants": participants},
            201,
        )
    shown = await figures(ab, admin, branch.street.id)
    assert shown["actions_per_month"] == round(2 / 12, 1), "two actions, not three participation rows"
    assert shown["volunteer_hours"] == 4.0


async def test_branches_and_actions_with_places_are_on_the_red_map(ab, branch_world, admin):
    located = await branch_world(people=0, place=True)
    unplaced = await branch_world(people=0, place=False)
    action = await ab.ok(
        admin,
        "POST",
        f"/branches/{unplaced.branch_id}/actions",
        {
            "held_on": days_ago(3),
            "title": "滨江步道清洁",
            "place": "滨江步道",
            "longitude": 119.45,
            "latitude": 32.22,
        },
        201,
    )
    await ab.ok(
        admin,
        "POST",
        f"/branches/{unplaced.branch_id}/actions",
        {"held_on": days_ago(4), "title": "室内学习"},
        201,
    )
    response = await ab.call(admin, "GET", "/api/v1/map", node=str(admin.tenant.root_id), expect=200)
    ours = {f["id"]: f for f in response.json()["features"] if f["id"].startswith("action_branches:")}
    branch_key = f"action_branches:branch:{located.branch_id}"
    action_key = f"action_branches:action:{action['id']}"
    assert set(ours) == {branch_key, action_key}, "a branch or action without a place is not on the map"
    assert ours[branch_key]["properties"]["kind"] == "action_branch"
    assert ours[branch_key]["geometry"]["coordinates"] == [119.42, 32.2]
    assert (ours[action_key]["properties"]["kind"], ours[action_key]["properties"]["name"]) == (
        "action_branch_action",
        "滨江步道清洁",
    )
    elsewhere = await ab.call(admin, "GET", "/api/v1/map", node=str(located.street.id), expect=200)
    assert [f["id"] for f in elsewhere.json()["features"] if f["id"].startswith("action_branches:")] == [
        branch_key
    ]


async def test_the_records_survive_the_districts_export_and_import(ab, branch_world, admin, round_trip):
    world = await branch_world(people=2)
    for person in world.people:
        await ab.ok(admin, "POST", f"/branches/{world.branch_id}/members", {"person_id": person}, 201)
    await ab.ok(admin, "POST", f"/branches/{world.branch_id}/members/leave", {"person_id": world.people[1]})
    await ab.ok(
        admin,
        "POST",
        f"/branches/{world.branch_id}/actions",
        {
            "held_on": days_ago(0),
            "title": "文化讲堂",
            "longitude": 119.4,
            "latitude": 32.2,
            "participants": [
                {"person_id": world.leader, "hours": 1.5},
                {"person_id": world.people[0], "hours": 2},
            ],
        },
        201,
    )
    compared = await round_trip(admin.tenant)
    assert compared["action_branch"] == (1, 1)
    assert compared["action_branch_action"] == (1, 1)
    assert compared["action_branch_participation"] == (2, 2)
    assert compared["affiliation"][0] >= 3 and compared["affiliation"][0] == compared["affiliation"][1]


async def test_the_demo_district_gets_over_130_branches_of_all_four_kinds_with_members_and_actions(
    database, admin, enable_plugin, make_node
):
    from sqlalchemy import func, select

    from core.api import Affiliation, OrgNode
    from core.demo.generator import DemoPlan
    from plugins import action_branches
    from plugins.action_branches.models import ActionBranch, ActionBranchAction, ActionBranchParticipation

    await enable_plugin(admin, "action_branches")
    # A district shaped like Runzhou: 7 streets, 60 communities and villages, people in their branches.
    communities = []
    for s in range(7):
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", f"街道{s}")
        for c in range(9 if s < 4 else 8):
            community = await make_node(
                admin.tenant, street.id, "community", f"社区{s}-{c}", longitude=119.4 + c / 100, latitude=32.2
            )
            communities.append(community)
    assert len(communities) == 60
    from core.people.schemas import PersonCreate
    from core.people.services import new_person
    from plugins.action_branches.isolation import id_card

    branches = [
        await make_node(admin.tenant, community.id, "branch", f"第{index}党支部")
        for index, community in enumerate(communities)
    ]
    async with database.transaction(admin.tenant.id) as session:
        for index, branch in enumerate(branches):
            for n in range(8):
                birth = dt.date(1960, 1, 1) + dt.timedelta(days=index * 8 + n)
                data = PersonCreate(
                    name=f"党员{index}-{n}",
                    id_card=id_card(birth, n),
                    org_node_id=branch.id,
                    party_status="full",
                    joined_on=dt.date(1990, 7, 1),
                    full_member_on=dt.date(1991, 7, 1),
                )
                session.add(new_person(admin.tenant.id, branch, data))
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])
    async with database.transaction(admin.tenant.id) as session:
        counts = await action_branches.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["branches"] >= 130
    assert counts["actions"] > counts["branches"] * 3 and counts["participations"] > counts["actions"]

    async with database.transaction(admin.tenant.id) as session:
        kinds = dict(
            list(await session.execute(select(ActionBranch.kind, func.count()).group_by(ActionBranch.kind)))
        )
        assert set(kinds) == {"cause", "interest", "trade", "place"} and sum(kinds.values()) >= 130
        nodes = await session.scalar(
            select(func.count()).select_from(OrgNode).where(OrgNode.kind == "action_branch")
        )
        assert nodes == sum(kinds.values())
        members = await session.scalar(
            select(func.count()).select_from(Affiliation).where(Affiliation.kind == "action_branch")
        )
        assert members >= 130 * 7
        latest = await session.scalar(select(func.max(ActionBranchAction.held_on)))
        assert latest <= plan.reference_date
        assert await session.scalar(select(func.max(ActionBranchParticipation.hours))) <= 24
