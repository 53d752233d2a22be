"""Assessments (达标评估): an organisation of a sector answers each item of the standard, with evidence,
and is scored by the items' weights once submitted."""

from __future__ import annotations

import uuid


async def start(sg, actor, world, organisation=0, **extra):
    body = {"sector_id": world.sector_id, "org_node_id": str(world.organisations[organisation].id), **extra}
    return await sg.call(actor, "POST", "/assessments", body)


async def test_the_score_weighs_items_and_decides_the_pass(sg, sector_world, admin, answer):
    # Weights 40/30/20/10 against the district's default pass mark of 80.
    world = await sector_world(members=2)
    at_mark = (await start(sg, admin, world, 0)).json()
    assert at_mark["status"] == "in_progress" and at_mark["assessor_id"] == str(admin.user.id)
    await sg.ok(
        admin, "PUT", f"/assessments/{at_mark['id']}/results", answer(world, [True, True, False, True])
    )
    passed = await sg.ok(admin, "POST", f"/assessments/{at_mark['id']}/submit")
    assert (passed["status"], passed["score"], passed["pass_mark"], passed["passed"]) == (
        "submitted",
        80.0,
        80,
        True,
    ), "40 + 30 + 10 of 100 reaches a mark of 80"
    assert passed["submitted_at"] is not None

    above = (await start(sg, admin, world, 1)).json()
    await sg.ok(admin, "PUT", f"/assessments/{above['id']}/results", answer(world, [True, False, True, True]))
    result = await sg.ok(admin, "POST", f"/assessments/{above['id']}/submit")
    assert (result["score"], result["passed"]) == (70.0, False), "the heavier item missed costs the pass"


async def test_the_score_is_rounded_to_one_decimal(sg, sector_world, admin, answer):
    world = await sector_world(
        members=1,
        items=[{"text": "甲", "weight": 1}, {"text": "乙", "weight": 1}, {"text": "丙", "weight": 1}],
        pass_mark=60,
    )
    assessment = (await start(sg, admin, world)).json()
    await sg.ok(admin, "PUT", f"/assessments/{assessment['id']}/results", answer(world, [True, True, False]))
    submitted = await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")
    assert (submitted["score"], submitted["pass_mark"], submitted["passed"]) == (66.7, 60, True), (
        "the standard's own pass mark overrides the district's"
    )


async def test_an_assessment_is_submitted_only_when_every_item_is_answered(sg, sector_world, admin, answer):
    world = await sector_world(members=1)
    assessment = (await start(sg, admin, world)).json()
    first_two = answer(world, [True, False, True, True])["results"][:2]
    recorded = await sg.ok(admin, "PUT", f"/assessments/{assessment['id']}/results", {"results": first_two})
    assert recorded["answered"] == 2 and recorded["item_count"] == 4
    assert [i["met"] for i in recorded["items"]] == [True, False, None, None]

    refused = await sg.call(admin, "POST", f"/assessments/{assessment['id']}/submit")
    assert refused.status_code == 422 and refused.json()["code"] == "unanswered_items"
    errors = refused.json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("results", "unanswered"), ("results", "unanswered")]
    assert errors[0]["message"] == "第 3 条尚未作答：党组织书记进入决策层"
    assert errors[1]["message"].startswith("第 4 条")
    still = await sg.ok(admin, "GET", f"/assessments/{assessment['id']}")
    assert still["status"] == "in_progress" and still["score"] is None

    rest = answer(world, [True, False, True, True])["results"][2:]
    await sg.ok(admin, "PUT", f"/assessments/{assessment['id']}/results", {"results": rest})
    submitted = await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")
    assert submitted["status"] == "submitted" and submitted["score"] == 70.0


async def test_an_item_met_needs_evidence_and_answers_must_belong_to_the_standard(sg, sector_world, admin):
    world = await sector_world(members=1)
    assessment = (await start(sg, admin, world)).json()
    refused = await sg.call(
        admin,
        "PUT",
        f"/assessments/{assessment['id']}/results",
        {
            "results": [
                {"item_id": world.item_ids[0], "met": True, "evidence": "  "},
                {"item_id": str(uuid.uuid4()), "met": False},
                {"item_id": world.item_ids[1], "met": False},
                {"item_id": world.item_ids[1], "met": True, "evidence": "有记录"},
            ]
        },
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("results[0].evidence", "missing"),
        ("results[1].item_id", "unknown_item"),
        ("results[3].item_id", "duplicate"),
    ]
    assert (await sg.ok(admin, "GET", f"/assessments/{assessment['id']}"))["answered"] == 0, (
        "nothing was kept"
    )


async def test_answers_can_be_corrected_until_submitted(sg, sector_world, admin, answer):
    world = await sector_world(members=1)
    assessment = (await start(sg, admin, world)).json()
    url = f"/assessments/{assessment['id']}"
    await sg.ok(admin, "PUT", f"{url}/results", answer(world, [False, False, False, False]))
    corrected = await sg.ok(
        admin,
        "PUT",
        f"{url}/results",
        {"results": [{"item_id": world.item_ids[0], "met": True, "evidence": "批复文件"}]},
    )
    assert [i["met"] for i in corrected["items"]] == [True, False, False, False]
    assert corrected["items"][0]["evidence"] == "批复文件"
    assert (await sg.ok(admin, "POST", f"{url}/submit"))["score"] == 40.0


async def test_wrong_transitions_are_conflicts(sg, sector_world, admin, answer):
    world = await sector_world(members=1)
    assessment = (await start(sg, admin, world)).json()
    url = f"/assessments/{assessment['id']}"
    started_twice = await sg.call(admin, "POST", f"{url}/start")
    assert started_twice.status_code == 409 and started_twice.json()["code"] == "wrong_status"
    await sg.ok(admin, "PUT", f"{url}/results", answer(world, [True, True, True, True]))
    await sg.ok(admin, "POST", f"{url}/submit")
    for method, suffix, body in (
        ("POST", "/submit", None),
        ("PUT", "/results", answer(world, [False, False, False, False])),
        ("POST", "/start", None),
    ):
        refused = await sg.call(admin, method, f"{url}{suffix}", body)
        assert refused.status_code == 409, suffix
        assert refused.json()["code"] == "wrong_status"
    assert (await sg.ok(admin, "GET", url))["score"] == 100.0


async def test_one_assessment_per_organisation_and_cycle(sg, sector_world, admin):
    world = await sector_world(members=1)
    first = (await start(sg, admin, world)).json()
    again = await start(sg, admin, world)
    assert again.status_code == 409 and again.json()["code"] == "already_assessed"
    other_cycle = await start(sg, admin, world, cycle="2024")
    assert other_cycle.status_code == 201 and other_cycle.json()["cycle"] == "2024"
    assert first["cycle"] != "2024"
    half_year = await start(sg, admin, world, cycle="2024H1")
    assert half_year.status_code == 422
    assert [(e["field"], e["code"]) for e in half_year.json()["errors"]] == [("cycle", "wrong_cycle")]
    assert "2026" in half_year.json()["errors"][0]["message"]
    next_year = await start(sg, admin, world, cycle=str(int(first["cycle"]) + 1))
    assert next_year.status_code == 422
    assert [(e["field"], e["code"]) for e in next_year.json()["errors"]] == [("cycle", "not_begun")]


async def test_only_organisations_of_the_sector_with_a_published_standard_are_assessed(
    sg, sector_world, admin, make_node
):
    world = await sector_world(members=1, publish=False)
    no_standard = await start(sg, admin, world)
    assert no_standard.status_code == 409 and no_standard.json()["code"] == "no_published_standard"

    published = await sector_world(code="economy", members=1)
    stranger = await make_node(admin.tenant, published.community.id, "enterprise", "镇江建材有限公司")
    refused = await sg.call(
        admin, "POST", "/assessments", {"sector_id": published.sector_id, "org_node_id": str(stranger.id)}
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("org_node_id", "not_member")]
    unknown = await sg.call(
        admin, "POST", "/assessments", {"sector_id": str(uuid.uuid4()), "org_node_id": str(stranger.id)}
    )
    assert unknown.status_code == 404


async def test_both_the_area_and_the_department_assess_and_others_get_404(
    sg, sector_world, admin, make_actor, make_node, answer
):
    world = await sector_world(members=2)
    community_staff = await make_actor("staff", tenant=admin.tenant, node_id=world.community.id)
    by_area = await start(sg, community_staff, world, 0)
    assert by_area.status_code == 201, by_area.text
    department_staff = await make_actor("staff", tenant=admin.tenant, node_id=world.department.id)
    by_department = await start(sg, department_staff, world, 1)
    assert by_department.status_code == 201, by_department.text
    listed = await sg.ok(department_staff, "GET", "/assessments")
    assert {a["id"] for a in listed["items"]} == {by_area.json()["id"], by_department.json()["id"]}

    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "官塘桥街道")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    assessment_url = f"/assessments/{by_area.json()['id']}"
    assert (await sg.call(outsider, "GET", assessment_url)).status_code == 404
    assert (
        await sg.call(outsider, "PUT", f"{assessment_url}/results", answer(world, [True] * 4))
    ).status_code == 404
    assert (await sg.call(outsider, "POST", f"{assessment_url}/submit")).status_code == 404
    assert (await start(sg, outsider, world, 0)).status_code == 404
    assert (await sg.ok(outsider, "GET", "/assessments"))["total"] == 0

    viewer = await make_actor("viewer", tenant=admin.tenant, node_id=world.community.id)
    assert (await sg.call(viewer, "GET", assessment_url)).status_code == 200
    assert (await sg.call(viewer, "POST", f"{assessment_url}/submit")).status_code == 403


async def test_assessments_are_listed_by_sector_cycle_status_and_area(
    sg, sector_world, admin, answer, make_node
):
    world = await sector_world(members=2)
    other = await sector_world(code="economy", members=1)
    a = (await start(sg, admin, world, 0)).json()
    b = (await start(sg, admin, world, 1, cycle="2024")).json()
    c = (await start(sg, admin, other, 0)).json()
    await sg.ok(admin, "PUT", f"/assessments/{b['id']}/results", answer(world, [True] * 4))
    await sg.ok(admin, "POST", f"/assessments/{b['id']}/submit")

    def ids(page):
        return {item["id"] for item in page["items"]}

    assert ids(await sg.ok(admin, "GET", "/assessments", sector_id=world.sector_id)) == {a["id"], b["id"]}
    assert ids(await sg.ok(admin, "GET", "/assessments", cycle="2024")) == {b["id"]}
    assert ids(await sg.ok(admin, "GET", "/assessments", status="in_progress")) == {a["id"], c["id"]}
    assert ids(await sg.ok(admin, "GET", "/assessments", node_id=str(other.street.id))) == {c["id"]}
    paged = await sg.ok(admin, "GET", "/assessments", limit=1)
    assert (paged["total"], len(paged["items"])) == (3, 1)
    bad = await sg.call(admin, "GET", "/assessments", cycle="last year")
    assert bad.status_code == 422


async def test_an_organisation_with_an_assessment_in_progress_stays_in_the_sector(
    sg, sector_world, admin, answer
):
    world = await sector_world(members=1)
    assessment = (await start(sg, admin, world)).json()
    member_url = f"/sectors/{world.sector_id}/members/{world.members[0]['id']}"
    refused = await sg.call(admin, "DELETE", member_url)
    assert refused.status_code == 409 and refused.json()["code"] == "assessment_in_progress"
    await sg.ok(admin, "PUT", f"/assessments/{assessment['id']}/results", answer(world, [True] * 4))
    await sg.ok(admin, "POST", f"/assessments/{assessment['id']}/submit")
    await sg.call(admin, "DELETE", member_url, expect=204)
    kept = await sg.ok(admin, "GET", f"/assessments/{assessment['id']}")
    assert kept["status"] == "submitted", "history stays"
