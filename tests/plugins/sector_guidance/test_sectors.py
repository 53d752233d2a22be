"""Sectors (行业) are led by a sector department and guide organisations anywhere in the district."""

from __future__ import annotations

import uuid

SLUG = "sector_guidance"


async def test_a_sector_is_created_listed_changed_and_audited(sg, sector_world, admin, make_actor):
    world = await sector_world(members=0, publish=False)
    assert world.sector["department_id"] == str(world.department.id)
    assert world.sector["status"] == "active" and world.sector["published_standard_id"] is None

    listed = await sg.ok(admin, "GET", "/sectors")
    assert [s["id"] for s in listed["items"]] == [world.sector_id]

    changed = await sg.ok(
        admin, "PATCH", f"/sectors/{world.sector_id}", {"name": " 民办 学校 ", "description": "区教育局牵头"}
    )
    assert (changed["name"], changed["description"]) == ("民办 学校", "区教育局牵头")
    archived = await sg.ok(admin, "PATCH", f"/sectors/{world.sector_id}", {"status": "archived"})
    assert archived["status"] == "archived"
    assert (await sg.ok(admin, "GET", "/sectors", status="active"))["total"] == 0

    auditor = await make_actor("audit_admin", tenant=admin.tenant)
    records = await sg.client.get(
        "/api/v1/audit", headers=auditor.headers, params={"object_id": world.sector_id, "limit": 50}
    )
    actions = sorted(r["action"] for r in records.json()["items"])
    assert actions == [
        "sector_guidance.sector_create",
        "sector_guidance.sector_update",
        "sector_guidance.sector_update",
    ]


async def test_a_sector_is_led_by_a_sector_department_only(sg, admin, enable_plugin, make_node):
    await enable_plugin(admin, SLUG)
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    refused = await sg.call(
        admin, "POST", "/sectors", {"department_id": str(street.id), "name": "非公经济", "code": "economy"}
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("department_id", "not_a_department")
    ]
    assert "宝塔路街道" in refused.json()["errors"][0]["message"]


async def test_a_sector_code_is_unique_in_the_district(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    again = await sg.call(
        admin,
        "POST",
        "/sectors",
        {"department_id": str(world.department.id), "name": "另一个行业", "code": world.sector["code"]},
    )
    assert again.status_code == 409
    assert [(e["field"], e["code"]) for e in again.json()["errors"]] == [("code", "duplicate")]


async def test_bad_input_names_the_field(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    bad_code = await sg.call(
        admin,
        "POST",
        "/sectors",
        {"department_id": str(world.department.id), "name": "行业", "code": "有 空格"},
    )
    assert bad_code.status_code == 422
    assert [e["field"] for e in bad_code.json()["errors"]] == ["code"]
    blank = await sg.call(admin, "PATCH", f"/sectors/{world.sector_id}", {"name": "   "})
    assert [(e["field"], e["code"]) for e in blank.json()["errors"]] == [("name", "missing")]
    assert blank.json()["errors"][0]["message"] == "此项不能为空。"


async def test_an_unknown_sector_is_not_found(sg, sector_world, admin):
    await sector_world(members=0, publish=False)
    unknown = uuid.uuid4()
    assert (await sg.call(admin, "GET", f"/sectors/{unknown}")).status_code == 404
    assert (await sg.call(admin, "PATCH", f"/sectors/{unknown}", {"name": "x"})).status_code == 404
    assert (await sg.call(admin, "GET", f"/sectors/{unknown}/members")).status_code == 404


async def test_organisations_join_and_leave_a_sector(sg, sector_world, admin, make_node):
    world = await sector_world(members=2, publish=False)
    listed = await sg.ok(admin, "GET", f"/sectors/{world.sector_id}/members")
    assert listed["total"] == 2
    assert {m["org_node_id"] for m in listed["items"]} == {str(o.id) for o in world.organisations}
    assert {m["org_kind"] for m in listed["items"]} == {"social_org"}

    twice = await sg.call(
        admin, "POST", f"/sectors/{world.sector_id}/members", {"org_node_id": str(world.organisations[0].id)}
    )
    assert twice.status_code == 409
    assert [(e["field"], e["code"]) for e in twice.json()["errors"]] == [("org_node_id", "duplicate")]

    await sg.call(admin, "DELETE", f"/sectors/{world.sector_id}/members/{world.members[0]['id']}", expect=204)
    after = await sg.ok(admin, "GET", f"/sectors/{world.sector_id}/members")
    assert [m["org_node_id"] for m in after["items"]] == [str(world.organisations[1].id)]
    gone = await sg.call(admin, "DELETE", f"/sectors/{world.sector_id}/members/{world.members[0]['id']}")
    assert gone.status_code == 404


async def test_streets_and_departments_cannot_join_a_sector(sg, sector_world, admin):
    world = await sector_world(members=0, publish=False)
    for node in (world.street, world.community, world.department):
        refused = await sg.call(
            admin, "POST", f"/sectors/{world.sector_id}/members", {"org_node_id": str(node.id)}
        )
        assert refused.status_code == 422, node.kind
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("org_node_id", "wrong_kind")]


async def test_an_archived_sector_takes_no_new_organisations(sg, sector_world, admin, make_node):
    world = await sector_world(members=0, publish=False)
    await sg.ok(admin, "PATCH", f"/sectors/{world.sector_id}", {"status": "archived"})
    school = await make_node(admin.tenant, world.community.id, "social_org", "镇江外国语学校")
    refused = await sg.call(
        admin, "POST", f"/sectors/{world.sector_id}/members", {"org_node_id": str(school.id)}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "sector_archived"


async def test_the_area_sees_the_sectors_guiding_its_organisations_but_cannot_manage_them(
    sg, sector_world, admin, make_actor, make_node
):
    world = await sector_world(members=1, publish=False)
    elsewhere = await make_node(admin.tenant, world.community.id, "enterprise", "镇江机械制造有限公司")
    await sg.ok(admin, "POST", f"/sectors/{world.sector_id}/members", {"org_node_id": str(elsewhere.id)}, 201)
    lonely = await sector_world(code="lonely", members=0, publish=False)

    community_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    seen = await sg.ok(community_secretary, "GET", "/sectors")
    assert [s["id"] for s in seen["items"]] == [world.sector_id], "only the sector guiding its organisations"
    assert (await sg.call(community_secretary, "GET", f"/sectors/{lonely.sector_id}")).status_code == 404
    members = await sg.ok(community_secretary, "GET", f"/sectors/{world.sector_id}/members")
    assert members["total"] == 2
    refused = await sg.call(community_secretary, "PATCH", f"/sectors/{world.sector_id}", {"name": "改名"})
    assert refused.status_code == 403, "managing a sector is the department's"


async def test_the_department_side_manages_its_own_sector_only(sg, sector_world, admin, make_actor):
    world = await sector_world(members=1, publish=False)
    other = await sector_world(code="other", members=1, publish=False)
    department_admin = await make_actor("org_admin", tenant=admin.tenant, node_id=world.department.id)
    assert (
        await sg.call(department_admin, "PATCH", f"/sectors/{world.sector_id}", {"name": "民办教育"})
    ).status_code == 200
    assert (
        await sg.call(department_admin, "PATCH", f"/sectors/{other.sector_id}", {"name": "越权"})
    ).status_code == 404
    members = await sg.ok(department_admin, "GET", f"/sectors/{world.sector_id}/members")
    assert members["total"] == 1, "the department sees all its organisations, wherever they are"


async def test_a_secretary_of_another_street_gets_404(sg, sector_world, admin, make_actor, make_node):
    world = await sector_world(members=1, publish=False)
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "七里甸街道")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    assert (await sg.call(secretary, "GET", f"/sectors/{world.sector_id}")).status_code == 404
    assert (await sg.call(secretary, "GET", f"/sectors/{world.sector_id}/members")).status_code == 404
    assert (await sg.ok(secretary, "GET", "/sectors"))["total"] == 0


async def test_another_district_gets_404(sg, sector_world, admin, make_actor, enable_plugin):
    world = await sector_world(members=1, publish=False)
    other = await make_actor()
    # Not enabled there: the whole API is hidden.
    assert (await sg.call(other, "GET", "/sectors")).status_code == 404
    await enable_plugin(other, SLUG)
    assert (await sg.call(other, "GET", f"/sectors/{world.sector_id}")).status_code == 404
    assert (await sg.ok(other, "GET", "/sectors"))["total"] == 0
    # Nor can it put another district's organisation in its own sector.
    department = (
        await sg.client.post(
            "/api/v1/org/nodes",
            headers=other.headers,
            json={"parent_id": str(other.tenant.root_id), "kind": "sector_department", "name": "区民政局"},
        )
    ).json()
    own = await sg.ok(
        other, "POST", "/sectors", {"department_id": department["id"], "name": "社会组织", "code": "so"}, 201
    )
    foreign = await sg.call(
        other, "POST", f"/sectors/{own['id']}/members", {"org_node_id": str(world.organisations[0].id)}
    )
    assert foreign.status_code == 404
