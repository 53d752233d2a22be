"""A sector's standard (行业党建标准) is a weighted checklist written as versions: drafted, published, retired."""

from __future__ import annotations

import uuid

ITEMS = [{"text": "建立党组织", "weight": 60}, {"text": "开展组织生活", "weight": 40, "guidance": "查阅记录"}]


async def test_a_draft_is_written_edited_and_published(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    draft = await sg.ok(
        admin,
        "POST",
        f"/sectors/{world.sector_id}/standards",
        {"title": "民办学校党建工作标准", "items": ITEMS},
        201,
    )
    assert (draft["version"], draft["status"], draft["total_weight"]) == (1, "draft", 100)
    assert [(i["position"], i["text"], i["weight"]) for i in draft["items"]] == [
        (1, "建立党组织", 60),
        (2, "开展组织生活", 40),
    ]
    renamed = await sg.ok(
        admin,
        "PATCH",
        f"/standards/{draft['id']}",
        {"title": "民办学校党建工作标准（2026版）", "pass_mark": 85},
    )
    assert (renamed["title"], renamed["pass_mark"]) == ("民办学校党建工作标准（2026版）", 85)
    replaced = await sg.ok(
        admin,
        "PUT",
        f"/standards/{draft['id']}/items",
        {"items": [{"text": "党组织书记进入决策层", "weight": 30}, *ITEMS]},
    )
    assert [i["text"] for i in replaced["items"]] == ["党组织书记进入决策层", "建立党组织", "开展组织生活"]
    assert replaced["total_weight"] == 130

    published = await sg.ok(admin, "POST", f"/standards/{draft['id']}/publish")
    assert published["status"] == "published" and published["published_at"] is not None
    sector = await sg.ok(admin, "GET", f"/sectors/{world.sector_id}")
    assert sector["published_standard_id"] == draft["id"]
    read = await sg.ok(admin, "GET", f"/standards/{draft['id']}")
    assert [i["position"] for i in read["items"]] == [1, 2, 3]


async def test_a_published_standard_cannot_be_edited(sg, sector_world, admin):
    world = await sector_world(members=0)
    assert world.standard is not None
    standard_id = world.standard["id"]
    for method, url, body in (
        ("PATCH", f"/standards/{standard_id}", {"title": "改标题"}),
        ("PUT", f"/standards/{standard_id}/items", {"items": ITEMS}),
        ("POST", f"/standards/{standard_id}/publish", None),
    ):
        refused = await sg.call(admin, method, url, body)
        assert refused.status_code == 409, (method, url)
        assert refused.json()["code"] == "not_a_draft"
    unchanged = await sg.ok(admin, "GET", f"/standards/{standard_id}")
    assert unchanged["title"] == world.standard["title"]
    assert [i["id"] for i in unchanged["items"]] == world.item_ids


async def test_publishing_a_new_version_retires_the_old_one(sg, sector_world, admin):
    world = await sector_world(members=0)
    assert world.standard is not None
    second = await sg.ok(
        admin,
        "POST",
        f"/sectors/{world.sector_id}/standards",
        {"title": "民办学校党建工作标准（修订）", "items": ITEMS},
        201,
    )
    assert second["version"] == 2
    await sg.ok(admin, "POST", f"/standards/{second['id']}/publish")

    versions = await sg.ok(admin, "GET", f"/sectors/{world.sector_id}/standards")
    assert [(v["version"], v["status"]) for v in versions["items"]] == [(2, "published"), (1, "retired")]
    sector = await sg.ok(admin, "GET", f"/sectors/{world.sector_id}")
    assert sector["published_standard_id"] == second["id"]


async def test_only_one_draft_at_a_time(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    await sg.ok(
        admin, "POST", f"/sectors/{world.sector_id}/standards", {"title": "草案一", "items": ITEMS}, 201
    )
    again = await sg.call(
        admin, "POST", f"/sectors/{world.sector_id}/standards", {"title": "草案二", "items": ITEMS}
    )
    assert again.status_code == 409 and again.json()["code"] == "draft_exists"


async def test_a_standard_without_items_is_not_published(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    draft = await sg.ok(admin, "POST", f"/sectors/{world.sector_id}/standards", {"title": "空标准"}, 201)
    refused = await sg.call(admin, "POST", f"/standards/{draft['id']}/publish")
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("items", "empty")]


async def test_a_bad_weight_is_refused_naming_the_field(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    for weight in (0, -5, 101):
        refused = await sg.call(
            admin,
            "POST",
            f"/sectors/{world.sector_id}/standards",
            {"title": "标准", "items": [ITEMS[0], {"text": "开展组织生活", "weight": weight}]},
        )
        assert refused.status_code == 422, weight
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
            ("items[1].weight", "out_of_range")
        ]
    blank = await sg.call(
        admin,
        "POST",
        f"/sectors/{world.sector_id}/standards",
        {"title": "标准", "items": [{"text": "  ", "weight": 5}]},
    )
    assert [(e["field"], e["code"]) for e in blank.json()["errors"]] == [("items[0].text", "missing")]
    bad_mark = await sg.call(
        admin, "POST", f"/sectors/{world.sector_id}/standards", {"title": "标准", "pass_mark": 120}
    )
    assert [e["field"] for e in bad_mark.json()["errors"]] == ["pass_mark"]


async def test_the_area_reads_the_standard_but_only_the_department_writes_it(
    sg, sector_world, admin, make_actor, make_node
):
    world = await sector_world(members=1)
    assert world.standard is not None
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.street.id)
    read = await sg.ok(secretary, "GET", f"/standards/{world.standard['id']}")
    assert read["id"] == world.standard["id"]
    assert (
        await sg.call(secretary, "POST", f"/sectors/{world.sector_id}/standards", {"title": "越权"})
    ).status_code == 403

    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "蒋乔街道")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    assert (await sg.call(outsider, "GET", f"/standards/{world.standard['id']}")).status_code == 404
    assert (await sg.call(outsider, "GET", f"/sectors/{world.sector_id}/standards")).status_code == 404
    assert (await sg.call(admin, "GET", f"/standards/{uuid.uuid4()}")).status_code == 404
