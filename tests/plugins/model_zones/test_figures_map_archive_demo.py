"""The mechanism's dashboard figures and red-map places for any subtree, its records in a district's
archive, what disabling it leaves in the tree, and the demo district's ten zones."""

from __future__ import annotations

import datetime as dt

from core.api import district_today


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "model_zones"}


async def places(client, actor, node_id):
    response = await client.get("/api/v1/map", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return [f for f in response.json()["features"] if f["properties"]["plugin"] == "model_zones"]


def this_year_day() -> str:
    today = district_today()
    return max(dt.date(today.year, 1, 1), today - dt.timedelta(days=1)).isoformat()


async def test_figures_count_zones_radiated_organisations_activities_and_experiences_per_subtree(
    client, mz, zone_world, admin, make_node
):
    first = await zone_world(members=3)
    second = await zone_world(members=2, name="万科示范片区")
    # An organisation in both zones is radiated once.
    await mz.ok(admin, "POST", f"/zones/{second.zone_id}/members", {"org_node_id": str(first.unit.id)}, 201)
    await mz.ok(
        admin,
        "POST",
        f"/zones/{first.zone_id}/activities",
        {"title": "主题党日", "held_on": this_year_day(), "place": "光华社区", "participants": 50},
        201,
    )
    experience = await mz.ok(
        admin,
        "POST",
        f"/zones/{first.zone_id}/experiences",
        {"title": "雁阵工作法", "summary": "头雁带动"},
        201,
    )
    await mz.ok(
        admin, "POST", f"/experiences/{experience['id']}/adoptions", {"org_node_id": str(second.lead.id)}, 201
    )

    district = await figures(client, admin, admin.tenant.root_id)
    assert (district["zones"], district["organisations_radiated"]) == (2, 5)
    assert (district["activities_this_year"], district["participants_this_year"]) == (1, 50)
    assert (district["experiences_exported"], district["experience_adoptions"]) == (1, 1)
    assert district["reviews_overdue"] == 2, "both were set up in 2024 and never reviewed"
    street = await figures(client, admin, first.street.id)
    assert (street["zones"], street["organisations_radiated"], street["activities_this_year"]) == (1, 3, 1)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "韦岗街道")
    assert set((await figures(client, admin, elsewhere.id)).values()) == {0}

    await mz.ok(admin, "POST", f"/zones/{second.zone_id}/status", {"status": "dissolved"})
    after = await figures(client, admin, admin.tenant.root_id)
    assert (after["zones"], after["organisations_radiated"], after["reviews_overdue"]) == (1, 3, 1)


async def test_the_red_map_shows_zones_at_their_lead_and_activities_with_a_place(
    client, mz, zone_world, admin
):
    world = await zone_world()
    await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/activities",
        {
            "title": "广场宣讲",
            "held_on": this_year_day(),
            "place": "光华广场",
            "participants": 20,
            "longitude": 119.43,
            "latitude": 32.2,
        },
        201,
    )
    await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/activities",
        {"title": "室内座谈", "held_on": this_year_day(), "place": "会议室", "participants": 10},
        201,
    )
    features = {f["properties"]["kind"]: f for f in await places(client, admin, world.street.id)}
    assert sorted(features) == ["model_zone", "model_zone_activity"], (
        "the activity without a place is left out"
    )
    zone = features["model_zone"]
    assert zone["id"] == f"model_zones:zone:{world.zone_id}"
    assert (zone["geometry"]["coordinates"], zone["properties"]["name"]) == (
        [119.42, 32.21],
        world.zone["name"],
    )
    assert zone["properties"]["lead"] == world.lead.name
    activity = features["model_zone_activity"]
    assert (activity["geometry"]["coordinates"], activity["properties"]["place"]) == (
        [119.43, 32.2],
        "光华广场",
    )
    assert await places(client, admin, world.neighbours[0].id) == []


async def test_the_records_survive_the_districts_export_and_import(mz, zone_world, admin, round_trip):
    world = await zone_world(members=2)
    await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/activities",
        {
            "title": "主题党日",
            "held_on": "2025-07-01",
            "place": "光华社区",
            "participants": 50,
            "organisations": [str(world.lead.id)],
        },
        201,
    )
    experience = await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/experiences",
        {"title": "雁阵工作法", "summary": "头雁带动"},
        201,
    )
    await mz.ok(
        admin, "POST", f"/experiences/{experience['id']}/adoptions", {"org_node_id": str(world.unit.id)}, 201
    )
    await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/reviews",
        {"reviewed_on": "2025-01-10", "rating": "good", "findings": "良好", "reviewer": "区委组织部"},
        201,
    )
    compared = await round_trip(admin.tenant)
    assert compared["model_zone"] == (1, 1)
    assert compared["model_zone_member"] == (2, 2)
    assert compared["model_zone_activity"] == (1, 1)
    assert compared["model_zone_activity_org"] == (1, 1)
    assert compared["model_zone_experience"] == (1, 1)
    assert compared["model_zone_adoption"] == (1, 1)
    assert compared["model_zone_review"] == (1, 1)


async def test_disabling_the_plugin_keeps_the_joint_committee_in_the_tree_and_re_enabling_finds_the_zone(
    client, mz, zone_world, admin, enable_plugin
):
    world = await zone_world(members=1)
    committee_id = world.zone["committee_node_id"]
    disabled = await client.post("/api/v1/plugins/model_zones/disable", headers=admin.headers)
    client.cookies.clear()
    assert disabled.status_code == 200, disabled.text

    await mz.call(admin, "GET", f"/zones/{world.zone_id}", expect=404)
    committee = await mz.ok(admin, "GET", f"/api/v1/org/nodes/{committee_id}")
    assert (committee["kind"], committee["parent_id"]) == ("joint_committee", str(world.lead.id))
    subtree = await mz.ok(admin, "GET", f"/api/v1/org/nodes/{world.lead.id}/subtree")
    items = subtree["items"] if isinstance(subtree, dict) else subtree
    assert committee_id in [n["id"] for n in items]
    assert await figures(client, admin, admin.tenant.root_id) == {}
    assert await places(client, admin, admin.tenant.root_id) == []

    await enable_plugin(admin, "model_zones")
    zone = await mz.ok(admin, "GET", f"/zones/{world.zone_id}")
    assert (zone["committee_node_id"], zone["members"]) == (committee_id, 1)


async def test_the_demo_district_gets_ten_zones_led_by_guanghua_and_vanke_radiating_150_organisations(
    database, mz, admin, enable_plugin, make_node
):
    from sqlalchemy import func, select

    from core.api import OrgNode
    from core.demo.generator import DemoPlan
    from plugins import model_zones
    from plugins.model_zones.models import Zone, ZoneMember, ZoneReview

    await enable_plugin(admin, "model_zones")
    streets = {
        "金山街道": ("光华社区", "西津渡社区", "金山社区", "金西社区"),
        "七里甸街道": ("万科社区", "七里甸社区", "南山社区"),
        "和平路街道": ("和平路社区", "大西路社区", "伯先路社区"),
        "宝塔路街道": ("宝塔路社区", "南门社区", "黄山社区"),
        "官塘桥街道": ("官塘社区", "江滨新村社区"),
        "蒋乔街道": ("蒋乔社区", "南徐社区"),
        "韦岗街道": ("韦岗社区", "铁矿社区"),
    }
    for street_name, communities in streets.items():
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", street_name)
        for n in range(20):
            await make_node(admin.tenant, street.id, "unit", f"{street_name}驻区单位{n}", level="municipal")
        for name in communities:
            community = await make_node(
                admin.tenant, street.id, "community", name, longitude=119.42, latitude=32.2
            )
            await make_node(admin.tenant, community.id, "enterprise", f"{name}非公企业")
            if name == "光华社区":
                await mz.person(admin, community.id, "光华书记")
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])

    async with database.transaction(admin.tenant.id) as session:
        counts = await model_zones.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["zones"] == 10 and counts["organisations_radiated"] >= 150
    assert counts["activities"] >= 60 and counts["experiences"] >= 10 and counts["adoptions"] >= 20

    async with database.transaction(admin.tenant.id) as session:
        zones = list(await session.scalars(select(Zone)))
        leads = {
            n.id: n
            for n in await session.scalars(
                select(OrgNode).where(OrgNode.id.in_([z.lead_node_id for z in zones]))
            )
        }
        committees = {
            n.id: n
            for n in await session.scalars(
                select(OrgNode).where(OrgNode.id.in_([z.org_node_id for z in zones]))
            )
        }
        distinct = await session.scalar(select(func.count(func.distinct(ZoneMember.member_node_id))))
        reviewed = await session.scalar(select(func.count()).select_from(ZoneReview))
    assert {"光华社区", "万科社区"} <= {n.name for n in leads.values()}
    assert {"光华示范片区", "万科示范片区"} <= {z.name for z in zones}
    assert all(committees[z.org_node_id].kind == "joint_committee" for z in zones)
    assert all(committees[z.org_node_id].parent_id == z.lead_node_id for z in zones)
    assert distinct is not None and distinct >= 150
    assert reviewed is not None and reviewed >= 10
