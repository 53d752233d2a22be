"""Figures for a subtree, the red map, published catalogue versions, and the district's archive."""

from __future__ import annotations

import datetime as dt

from tests.plugins.resource_sharing.conftest import SLUG, at


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == SLUG}


async def test_figures_count_open_resources_the_units_share_and_utilisation(
    rs, resource_world, admin, fire_schedule, database
):
    world = await resource_world()
    # The community offers a room too: one of two open resources is a unit's.
    await rs.ok(
        admin,
        "POST",
        "/resources",
        {
            "provider_id": str(world.community.id),
            "kind": "venue",
            "name": "党群服务中心",
            "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "22:00"} for d in range(1, 8)],
        },
        201,
    )
    before = await figures(rs.client, admin, world.street.id)
    assert (before["open_resources"], before["open_venues"], before["linked_provider_share"]) == (2, 2, 50.0)
    assert before["utilisation_30d"] == 0.0

    # Two hours booked yesterday... are in the past: book tomorrow, then judge from the day after.
    await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(11), org=world.unit), 201)
    tick = dt.datetime.fromisoformat(at(0, days=2)).astimezone(dt.UTC)
    await fire_schedule("resource_sharing.complete_past_reservations", tick)
    from plugins.resource_sharing import services

    async with database.transaction(admin.tenant.id) as session:
        from core.api import OrgNode

        street = await session.get(OrgNode, (admin.tenant.id, world.street.id))
        shown = {f.key: f.value for f in await services.figures(session, street, tick)}
    # 2 booked hours of 2 resources × 14 hours × 30 days open.
    assert shown["booked_hours_30d"] == 2.0
    assert shown["utilisation_30d"] == round(2 * 100 / (2 * 14 * 30), 1)

    elsewhere = await figures(rs.client, admin, world.other_street.id)
    assert (elsewhere["open_resources"], elsewhere["linked_provider_share"]) == (0, 0.0)
    await rs.ok(admin, "PATCH", f"/resources/{world.resource_id}", {"status": "closed"})
    assert (await figures(rs.client, admin, world.street.id))["open_resources"] == 1


async def test_resources_with_a_place_are_on_the_red_map(rs, resource_world, admin):
    world = await resource_world()
    await rs.ok(
        admin,
        "POST",
        "/resources",
        {"provider_id": str(world.community.id), "kind": "information", "name": "辖区用工信息"},
        201,
    )
    response = await rs.client.get(
        "/api/v1/map", headers=admin.headers, params={"node": str(world.street.id)}
    )
    rs.client.cookies.clear()
    assert response.status_code == 200, response.text
    ours = [f for f in response.json()["features"] if f["properties"]["plugin"] == SLUG]
    assert len(ours) == 1
    assert ours[0]["geometry"]["coordinates"] == [119.41, 32.19]


async def test_a_published_catalogue_is_a_numbered_snapshot(rs, resource_world, admin):
    world = await resource_world()
    first = await rs.ok(admin, "POST", "/catalogues", {"org_node_id": str(world.community.id)}, 201)
    assert (first["version"], first["resource_count"]) == (1, 1)
    assert first["items"][0]["name"] == "党员活动室" and "周一 08:00-22:00" in first["items"][0]["hours"]

    await rs.ok(admin, "PATCH", f"/resources/{world.resource_id}", {"name": "党员之家"})
    second = await rs.ok(
        admin, "POST", "/catalogues", {"org_node_id": str(world.community.id), "title": "二季度清单"}, 201
    )
    assert (second["version"], second["title"], second["items"][0]["name"]) == (2, "二季度清单", "党员之家")
    # The first version still reads as published.
    assert (await rs.ok(admin, "GET", f"/catalogues/{first['id']}"))["items"][0]["name"] == "党员活动室"
    listed = await rs.ok(admin, "GET", "/catalogues", node_id=str(world.community.id))
    assert [c["version"] for c in listed["items"]] == [2, 1]

    # A closed resource leaves the next version; the other street's catalogue never had it... unless shared.
    await rs.ok(admin, "PATCH", f"/resources/{world.resource_id}", {"status": "closed"})
    third = await rs.ok(admin, "POST", "/catalogues", {"org_node_id": str(world.community.id)}, 201)
    assert third["resource_count"] == 0


async def test_the_records_survive_the_districts_export_and_import(rs, resource_world, admin, round_trip):
    world = await resource_world()
    await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(10), org=world.unit), 201)
    waiting = await rs.ok(admin, "POST", "/reservations", world.booking(at(11), at(12)), 201)
    await rs.ok(admin, "POST", f"/reservations/{waiting['id']}/reject", {"note": "另有安排"})
    await rs.ok(admin, "POST", "/catalogues", {"org_node_id": str(world.community.id)}, 201)
    compared = await round_trip(admin.tenant)
    assert compared["shared_resource"] == (1, 1)
    assert compared["shared_resource_hours"] == (7, 7)
    assert compared["shared_resource_reservation"] == (2, 2)
    assert compared["shared_resource_slot"] == (2, 2)
    assert compared["shared_resource_catalogue"] == (1, 1)
    assert compared["shared_resource_catalogue_item"] == (1, 1)


async def test_the_demo_district_gets_237_venues_a_third_from_units(
    database, admin, enable_plugin, make_node
):
    from sqlalchemy import func, select

    from core.api import OrgNode
    from core.demo.generator import DemoPlan
    from plugins import resource_sharing
    from plugins.resource_sharing import services
    from plugins.resource_sharing.models import SharedResource, SharedResourceReservation, SharedResourceSlot

    await enable_plugin(admin, SLUG)
    for street_name, communities in (("和平路街道", ("金山社区", "宝塔社区")), ("七里甸街道", ("长江社区",))):
        street = await make_node(admin.tenant, admin.tenant.root_id, "street", street_name)
        for name in communities:
            community = await make_node(admin.tenant, street.id, "community", name)
    await make_node(admin.tenant, community.id, "unit", "镇江供电公司")
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])
    async with database.transaction(admin.tenant.id) as session:
        counts = await resource_sharing.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["venues"] == 237 and counts["reservations"] > 20

    async with database.transaction(admin.tenant.id) as session:
        root = await session.get(OrgNode, (admin.tenant.id, admin.tenant.root_id))
        shown = {f.key: f.value for f in await services.figures(session, root, dt.datetime.now(dt.UTC))}
        assert shown["open_venues"] == 237
        assert shown["linked_provider_share"] >= 30.0
        assert 0 < shown["utilisation_30d"] < 100
        statuses = set(await session.scalars(select(SharedResourceReservation.status).distinct()))
        assert {"completed", "approved", "requested"} <= statuses
        # No slot is held twice (the unique key would have refused it anyway).
        slots = await session.scalar(select(func.count()).select_from(SharedResourceSlot))
        held = await session.scalar(select(func.sum(SharedResourceReservation.slot_count)))
        assert slots == held
        places = await session.scalar(
            select(func.count()).select_from(SharedResource).where(SharedResource.longitude.is_not(None))
        )
        assert places == 237
