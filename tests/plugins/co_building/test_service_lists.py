"""The two-way service list (双向服务清单): needs and resources of both parties, and their fulfilment."""

from __future__ import annotations

from tests.plugins.co_building.conftest import day, today


async def items_of(cb, world, agreement):
    return (await cb.ok(world.admin, "GET", f"/agreements/{agreement['id']}/items"))["items"]


async def test_each_party_lists_what_it_needs_and_what_it_offers(cb_world, cb):
    agreement = await cb_world.agreement()
    url = f"/agreements/{agreement['id']}/items"
    for kind, party, title in (
        ("need", "area", "开放单位停车位供居民夜间停放"),
        ("resource", "area", "提供党群服务中心活动场地"),
        ("need", "unit", "协助开展职工志愿服务项目"),
        ("resource", "unit", "组织义诊和健康讲座"),
    ):
        item = await cb.ok(cb_world.admin, "POST", url, {"kind": kind, "party": party, "title": title}, 201)
        assert (item["kind"], item["party"], item["status"]) == (kind, party, "pending")
    listed = await items_of(cb, cb_world, agreement)
    assert sorted((i["party"], i["kind"]) for i in listed) == [
        ("area", "need"),
        ("area", "resource"),
        ("unit", "need"),
        ("unit", "resource"),
    ]
    assert (await cb.ok(cb_world.admin, "GET", f"/agreements/{agreement['id']}"))["items"] == 4
    wrong = await cb.call(cb_world.admin, "POST", url, {"kind": "gift", "party": "area", "title": "x"})
    assert wrong.status_code == 422 and "kind" in wrong.text


async def test_fulfilment_moves_forward_only_with_a_date_and_a_reason_to_cancel(cb_world, cb, make_actor):
    agreement = await cb_world.agreement()
    item = await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "resource", "party": "unit", "title": "开放会议室"},
        201,
    )
    staff = await make_actor("staff", tenant=cb_world.admin.tenant, node_id=cb_world.community.id)
    url = f"/items/{item['id']}/fulfilment"
    future = await cb.call(staff, "POST", url, {"status": "fulfilled", "fulfilled_on": day(1)})
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "fulfilled_on"
    before_term = await cb.call(staff, "POST", url, {"status": "fulfilled", "fulfilled_on": day(-31)})
    assert before_term.status_code == 422 and before_term.json()["errors"][0]["code"] == "outside_term"
    dated_progress = await cb.call(staff, "POST", url, {"status": "in_progress", "fulfilled_on": day(0)})
    assert dated_progress.status_code == 422
    assert (await items_of(cb, cb_world, agreement))[0]["status"] == "pending", "nothing written"

    started = await cb.ok(staff, "POST", url, {"status": "in_progress", "note": "已对接"})
    assert started["status"] == "in_progress"
    done = await cb.ok(staff, "POST", url, {"status": "fulfilled", "note": "每月开放两次"})
    assert (done["status"], done["fulfilled_on"], done["fulfilment_note"]) == (
        "fulfilled",
        today().isoformat(),
        "每月开放两次",
    )
    back = await cb.call(staff, "POST", url, {"status": "pending"})
    assert back.status_code == 409 and back.json()["code"] == "transition_not_allowed"

    other = await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "need", "party": "area", "title": "捐赠图书"},
        201,
    )
    silent = await cb.call(staff, "POST", f"/items/{other['id']}/fulfilment", {"status": "cancelled"})
    assert silent.status_code == 422 and silent.json()["errors"][0]["field"] == "note"
    cancelled = await cb.ok(
        staff, "POST", f"/items/{other['id']}/fulfilment", {"status": "cancelled", "note": "需求已由街道解决"}
    )
    assert cancelled["status"] == "cancelled"
    shown = await cb.ok(cb_world.admin, "GET", f"/agreements/{agreement['id']}")
    assert (shown["items"], shown["items_fulfilled"]) == (2, 1)


async def test_a_closed_agreement_takes_no_new_items_and_outsiders_cannot_fulfil(cb_world, cb, make_actor):
    agreement = await cb_world.agreement()
    item = await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "need", "party": "area", "title": "开放停车位"},
        201,
    )
    await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/transition",
        {"status": "terminated", "reason": "单位搬迁"},
    )
    late = await cb.call(
        cb_world.admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "need", "party": "area", "title": "再加一项"},
    )
    assert late.status_code == 409 and late.json()["code"] == "agreement_closed"
    elsewhere = await make_actor("secretary", tenant=cb_world.admin.tenant, node_id=cb_world.other_street.id)
    refused = await cb.call(elsewhere, "POST", f"/items/{item['id']}/fulfilment", {"status": "fulfilled"})
    assert refused.status_code == 404
    assert (await items_of(cb, cb_world, agreement))[0]["status"] == "pending"
