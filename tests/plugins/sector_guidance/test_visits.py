"""Guidance visits (指导走访): a sector department visits one of its organisations and records what it found."""

from __future__ import annotations

import datetime as dt


def visit(world, day, organisation=0, **extra):
    return {
        "sector_id": world.sector_id,
        "org_node_id": str(world.organisations[organisation].id),
        "visited_on": day.isoformat(),
        "visitor": "区教育局党建指导员 王敏",
        "topics": "宣讲民办学校党建工作标准\n指导对照自查",
        **extra,
    }


async def test_a_visit_is_recorded_listed_and_read(sg, sector_world, admin, district_day):
    world = await sector_world(members=2, publish=False)
    recorded = await sg.ok(
        admin,
        "POST",
        "/visits",
        visit(world, district_day, findings="组织生活记录不全", follow_up="一个月内补齐台账"),
        201,
    )
    assert recorded["topics"] == "宣讲民办学校党建工作标准\n指导对照自查", "line breaks are kept"
    assert (recorded["org_name"], recorded["sector_name"]) == (world.organisations[0].name, "民办学校")
    earlier = await sg.ok(admin, "POST", "/visits", visit(world, dt.date(2024, 5, 8), organisation=1), 201)

    listed = await sg.ok(admin, "GET", "/visits", sector_id=world.sector_id)
    assert [v["id"] for v in listed["items"]] == [recorded["id"], earlier["id"]], "newest first"
    assert [v["id"] for v in (await sg.ok(admin, "GET", "/visits", year=2024))["items"]] == [earlier["id"]]
    assert (await sg.ok(admin, "GET", f"/visits/{recorded['id']}"))["follow_up"] == "一个月内补齐台账"


async def test_a_visit_date_in_the_future_is_refused(sg, sector_world, admin, district_day):
    world = await sector_world(members=1, publish=False)
    refused = await sg.call(admin, "POST", "/visits", visit(world, district_day + dt.timedelta(days=2)))
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("visited_on", "in_future")]
    assert refused.json()["errors"][0]["message"] == "日期不能晚于今天。"


async def test_only_organisations_of_the_sector_are_visited(sg, sector_world, admin, make_node, district_day):
    world = await sector_world(members=1, publish=False)
    stranger = await make_node(admin.tenant, world.community.id, "enterprise", "镇江商贸有限公司")
    body = {**visit(world, district_day), "org_node_id": str(stranger.id)}
    refused = await sg.call(admin, "POST", "/visits", body)
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("org_node_id", "not_member")]
    blank = await sg.call(admin, "POST", "/visits", visit(world, district_day, topics="  \n "))
    assert [(e["field"], e["code"]) for e in blank.json()["errors"]] == [("topics", "missing")]


async def test_visits_stay_in_their_area_and_district(
    sg, sector_world, admin, make_actor, make_node, district_day
):
    world = await sector_world(members=1, publish=False)
    recorded = await sg.ok(admin, "POST", "/visits", visit(world, district_day), 201)

    community_viewer = await make_actor("viewer", tenant=admin.tenant, node_id=world.community.id)
    assert (await sg.call(community_viewer, "GET", f"/visits/{recorded['id']}")).status_code == 200

    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "南山街道")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    assert (await sg.call(outsider, "GET", f"/visits/{recorded['id']}")).status_code == 404
    assert (await sg.ok(outsider, "GET", "/visits"))["total"] == 0
    assert (await sg.call(outsider, "POST", "/visits", visit(world, district_day))).status_code == 404

    other_district = await make_actor()
    assert (await sg.call(other_district, "GET", f"/visits/{recorded['id']}")).status_code == 404
