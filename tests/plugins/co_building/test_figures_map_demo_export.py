"""The dashboard figures and the red map come from the records; demo data and a district's archive carry them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.plugins.co_building.conftest import day, time_passes, today


async def figures(cb, actor, node_id):
    response = await cb.client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    cb.client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "co_building"}


async def test_an_agreement_past_its_end_is_not_counted_in_the_co_building_rate(cb_world, cb, database):
    root = cb_world.admin.tenant.root_id
    assert (await figures(cb, cb_world.admin, root))["co_building_rate"] == 0.0
    mine = await cb_world.agreement()
    await cb_world.agreement(area=cb_world.other_community, unit=cb_world.other_unit, title="南门共建")
    await cb_world.agreement(unit=cb_world.firm, title="两新组织共建")
    shown = await figures(cb, cb_world.admin, root)
    assert (
        shown["resident_units"],
        shown["co_building_rate"],
        shown["agreements"],
        shown["allied_units"],
    ) == (
        2,
        100.0,
        3,
        3,
    )
    street = await figures(cb, cb_world.admin, cb_world.street.id)
    assert (street["resident_units"], street["co_building_rate"], street["agreements"]) == (1, 100.0, 2)

    await time_passes(database, cb_world, mine["id"], ends_on=today() - dt.timedelta(days=1))
    shown = await figures(cb, cb_world.admin, root)
    assert (shown["co_building_rate"], shown["agreements"]) == (50.0, 2), "stored active, but expired by date"
    assert (await figures(cb, cb_world.admin, cb_world.street.id))["co_building_rate"] == 0.0


async def test_service_lists_activities_and_fulfilment_are_counted_in_the_subtree(cb_world, cb):
    agreement = await cb_world.agreement()
    ids = []
    for title in ("开放停车位", "提供场地", "志愿服务"):
        item = await cb.ok(
            cb_world.admin,
            "POST",
            f"/agreements/{agreement['id']}/items",
            {"kind": "resource", "party": "unit", "title": title},
            201,
        )
        ids.append(item["id"])
    await cb.ok(cb_world.admin, "POST", f"/items/{ids[0]}/fulfilment", {"status": "fulfilled"})
    for kind in ("activity", "meeting"):
        await cb.ok(
            cb_world.admin,
            "POST",
            f"/agreements/{agreement['id']}/activities",
            {
                "kind": kind,
                "title": "联合活动",
                "held_on": day(-1),
                "place": "社区",
                "participants": 9,
                "content": "共建",
            },
            201,
        )
    shown = await figures(cb, cb_world.admin, cb_world.community.id)
    assert (shown["service_items"], shown["fulfilment_rate"]) == (3, 33.3)
    assert (shown["activities"], shown["joint_meetings"]) == (2, 1)
    elsewhere = await figures(cb, cb_world.admin, cb_world.other_street.id)
    assert (elsewhere["service_items"], elsewhere["activities"]) == (0, 0)


async def test_the_red_map_shows_placed_activities_and_allied_units(cb_world, cb):
    agreement = await cb_world.agreement()
    url = f"/agreements/{agreement['id']}/activities"
    body = {"kind": "activity", "title": "义诊进社区", "held_on": day(-1), "place": "大西路社区广场"}
    placed = await cb.ok(
        cb_world.admin,
        "POST",
        url,
        {**body, "participants": 60, "content": "义诊", "longitude": 119.44, "latitude": 32.21},
        201,
    )
    await cb.ok(cb_world.admin, "POST", url, {**body, "participants": 5, "content": "无坐标"}, 201)
    response = await cb.client.get(
        "/api/v1/map", headers=cb_world.admin.headers, params={"node": str(cb_world.street.id)}
    )
    cb.client.cookies.clear()
    assert response.status_code == 200, response.text
    ours = {f["id"]: f for f in response.json()["features"] if f["properties"]["plugin"] == "co_building"}
    assert set(ours) == {f"co_building:activity:{placed['id']}", f"co_building:unit:{cb_world.unit.id}"}
    assert ours[f"co_building:unit:{cb_world.unit.id}"]["geometry"]["coordinates"] == [119.43, 32.2]
    assert ours[f"co_building:activity:{placed['id']}"]["properties"]["participants"] == 60
    other = await cb.client.get(
        "/api/v1/map", headers=cb_world.admin.headers, params={"node": str(cb_world.other_street.id)}
    )
    cb.client.cookies.clear()
    assert not [f for f in other.json()["features"] if f["properties"]["plugin"] == "co_building"]


async def test_every_co_building_record_survives_export_and_import(cb_world, cb, round_trip):
    agreement = await cb_world.agreement()
    item = await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "need", "party": "area", "title": "开放停车位"},
        201,
    )
    await cb.ok(cb_world.admin, "POST", f"/items/{item['id']}/fulfilment", {"status": "fulfilled"})
    await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/activities",
        {
            "kind": "meeting",
            "title": "联席会议",
            "held_on": day(-1),
            "place": "社区",
            "participants": 9,
            "content": "议事",
        },
        201,
    )
    review = await cb.ok(
        cb_world.admin, "POST", f"/agreements/{agreement['id']}/reviews", {"year": today().year}, 201
    )
    await cb.ok(cb_world.admin, "POST", f"/reviews/{review['id']}/complete", {"rating": "excellent"})
    compared = await round_trip(cb_world.admin.tenant)
    for table in (
        "co_building_agreement",
        "co_building_service_item",
        "co_building_activity",
        "co_building_review",
    ):
        assert compared[table] == (1, 1), table


async def test_demo_data_allies_every_street_and_community_with_210_units(
    cb_world, cb, database, plugin_host
):
    from plugins.co_building.models import Activity, Agreement, ServiceItem

    async with database.transaction(cb_world.admin.tenant.id) as session:
        results = await plugin_host.call(
            "quanyu_demo_data",
            enabled=["co_building"],
            tenant_id=cb_world.admin.tenant.id,
            session=session,
            plan=None,
        )
    counts = dict(results)["co_building"]
    assert counts["allied_units"] == 210
    assert counts["items"] >= 300 and counts["activities"] >= 500
    async with database.transaction(cb_world.admin.tenant.id) as session:
        areas = await session.scalar(
            select(func.count(func.distinct(Agreement.org_node_id))).where(
                Agreement.status == "active", Agreement.starts_on <= today(), Agreement.ends_on >= today()
            )
        )
        assert areas == 4, "both streets and both communities"
        assert await session.scalar(select(func.count()).select_from(ServiceItem)) == counts["items"]
        assert await session.scalar(select(func.count()).select_from(Activity)) == counts["activities"]
    shown = await figures(cb, cb_world.admin, cb_world.admin.tenant.root_id)
    assert (shown["allied_units"], shown["co_building_rate"]) == (210, 100.0)
    assert shown["service_items"] > 0 and 0 < shown["fulfilment_rate"] < 100
    demo = await cb.ok(cb_world.admin, "GET", "/agreements", status="draft")
    assert demo["total"] >= 1, "renewals being negotiated"


async def test_the_figures_cost_the_same_few_statements_however_many_records(
    cb_world, cb, database, make_node
):
    from sqlalchemy import event

    from core.api import OrgNode
    from plugins.co_building import services

    async def statements() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        async with database.transaction(cb_world.admin.tenant.id) as session:
            root = await session.get_one(OrgNode, (cb_world.admin.tenant.id, cb_world.admin.tenant.root_id))
            event.listen(database.engine.sync_engine, "before_cursor_execute", count)
            try:
                await services.figures(session, root, today())
            finally:
                event.remove(database.engine.sync_engine, "before_cursor_execute", count)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    await cb_world.agreement()
    few = await statements()
    for n in range(4):
        community = await make_node(
            cb_world.admin.tenant, cb_world.other_street.id, "community", f"新社区{n}"
        )
        unit = await make_node(cb_world.admin.tenant, community.id, "unit", f"新单位{n}")
        await cb_world.agreement(area=community, unit=unit, title=f"协议{n}")
    assert await statements() == few == 5
