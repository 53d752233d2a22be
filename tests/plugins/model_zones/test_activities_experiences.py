"""Shared activities (活动联办) and exported experiences (经验输出) with the organisations that adopt them."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def activity(world, **changes):
    body = {
        "title": "片区联合主题党日",
        "held_on": "2025-07-01",
        "place": "光华社区党群服务中心",
        "participants": 85,
        "organisations": [str(world.lead.id), world.members[0]["org_node_id"]],
        "longitude": 119.421,
        "latitude": 32.205,
    }
    return body | changes


async def test_an_activity_records_when_where_who_and_how_many(mz, zone_world, admin):
    world = await zone_world(members=2)
    held = await mz.ok(admin, "POST", f"/zones/{world.zone_id}/activities", activity(world), 201)
    assert (held["place"], held["participants"], held["held_on"]) == (
        "光华社区党群服务中心",
        85,
        "2025-07-01",
    )
    assert sorted(o["org_node_id"] for o in held["organisations"]) == sorted(
        [str(world.lead.id), world.members[0]["org_node_id"]]
    )
    assert (await mz.ok(admin, "GET", f"/activities/{held['id']}"))["title"] == "片区联合主题党日"
    listed = await mz.ok(admin, "GET", f"/zones/{world.zone_id}/activities")
    assert [a["id"] for a in listed["items"]] == [held["id"]]


async def test_bad_activities_are_refused_and_nothing_written(mz, zone_world, admin, make_node):
    world = await zone_world(members=1)
    url = f"/zones/{world.zone_id}/activities"
    stranger = await make_node(admin.tenant, world.street.id, "social_org", "未加入的社会组织")
    cases = [
        (activity(world, organisations=[str(stranger.id)]), "organisations[0]"),
        (activity(world, organisations=[str(world.lead.id), str(world.lead.id)]), "organisations[1]"),
        (activity(world, held_on="2999-01-01"), "held_on"),
        (activity(world, held_on="2024-01-01"), "held_on"),
        (activity(world, latitude=None), "latitude"),
    ]
    for body, field in cases:
        await mz.refused(admin, "POST", url, body, 422, field)
    await mz.refused(admin, "POST", url, activity(world, participants=-1), 422)
    assert (await mz.ok(admin, "GET", url))["total"] == 0


async def test_an_experience_is_exported_with_its_document_and_adopted_once_per_organisation(
    client, mz, zone_world, admin, make_actor
):
    world = await zone_world()
    experience = await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/experiences",
        {
            "title": "“1+X”雁阵工作法",
            "summary": "以名社区为头雁，带动周边组织整片建强。",
            "exported_on": "2025-05-01",
        },
        201,
    )
    staff = await make_actor("staff", tenant=admin.tenant, node_id=world.street.id)
    uploaded = await client.post(
        "/api/v1/attachments",
        headers=staff.headers,
        data={"owner": "model_zones.experience", "owner_id": experience["id"]},
        files={"file": ("雁阵工作法.pdf", PDF, "application/pdf")},
    )
    client.cookies.clear()
    assert uploaded.status_code == 201, uploaded.text

    url = f"/experiences/{experience['id']}/adoptions"
    adopted = await mz.ok(
        staff, "POST", url, {"org_node_id": str(world.neighbours[0].id), "adopted_on": "2025-06-01"}, 201
    )
    assert adopted["org_name"] == world.neighbours[0].name
    problem = await mz.refused(
        staff, "POST", url, {"org_node_id": str(world.neighbours[0].id)}, 409, "org_node_id"
    )
    assert problem["code"] == "already_adopted"
    await mz.refused(
        staff, "POST", url, {"org_node_id": str(world.unit.id), "adopted_on": "2025-04-30"}, 422, "adopted_on"
    )
    read = await mz.ok(admin, "GET", f"/experiences/{experience['id']}")
    assert [a["org_node_id"] for a in read["adoptions"]] == [str(world.neighbours[0].id)]
    files = await client.get(
        "/api/v1/attachments",
        headers=admin.headers,
        params={"owner": "model_zones.experience", "owner_id": experience["id"]},
    )
    client.cookies.clear()
    assert files.status_code == 200, files.text
    assert "雁阵工作法.pdf" in files.text


async def test_an_adopter_of_another_district_or_outside_the_scope_is_refused(
    mz, zone_world, admin, make_actor, make_node
):
    world = await zone_world()
    experience = await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/experiences",
        {"title": "议事协商", "summary": "月度联席议事"},
        201,
    )
    street_staff = await make_actor("staff", tenant=admin.tenant, node_id=world.street.id)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "七里甸街道")
    other = await make_actor()
    foreign = await make_node(other.tenant, other.tenant.root_id, "community", "外区社区")
    url = f"/experiences/{experience['id']}/adoptions"
    await mz.refused(street_staff, "POST", url, {"org_node_id": str(elsewhere.id)}, 422, "org_node_id")
    await mz.refused(admin, "POST", url, {"org_node_id": str(foreign.id)}, 422, "org_node_id")
    await mz.refused(other, "POST", url, {"org_node_id": str(foreign.id)}, 404)
    assert (await mz.ok(admin, "GET", f"/experiences/{experience['id']}"))["adoptions"] == []
    # The district's administrator reaches the whole district.
    await mz.ok(admin, "POST", url, {"org_node_id": str(elsewhere.id)}, 201)


async def test_an_experience_needs_a_summary_and_a_date_inside_the_zones_life(mz, zone_world, admin):
    world = await zone_world()
    url = f"/zones/{world.zone_id}/experiences"
    await mz.refused(admin, "POST", url, {"title": "空", "summary": "   "}, 422, "summary")
    await mz.refused(
        admin, "POST", url, {"title": "早", "summary": "x", "exported_on": "2020-01-01"}, 422, "exported_on"
    )
    assert (await mz.ok(admin, "GET", url))["total"] == 0
