"""Bad input is refused with the reason and the field, and writes nothing."""

from __future__ import annotations

import uuid

import pytest

from tests.plugins.resource_sharing.conftest import at


async def _nothing_reserved(rs, admin, world):
    listed = await rs.ok(admin, "GET", "/reservations", resource_id=world.resource_id)
    assert listed["total"] == 0
    week = await rs.ok(admin, "GET", f"/resources/{world.resource_id}/week")
    assert all(slot["free"] for day in week["days"] for slot in day["slots"])


@pytest.mark.parametrize(
    ("start", "end", "extra", "field", "code"),
    [
        (at(11), at(10), {}, "ends_at", "before_start"),
        (at(10), at(10), {}, "ends_at", "before_start"),
        (at(10, 15), at(11), {}, "starts_at", "not_aligned"),
        (at(10), at(11, 10), {}, "ends_at", "not_aligned"),
        (at(6), at(9), {}, "starts_at", "outside_opening_hours"),
        (at(21), at(22, 30), {}, "starts_at", "outside_opening_hours"),
        (at(10, days=-1), at(11, days=-1), {}, "starts_at", "in_past"),
        (at(10, days=45), at(11, days=45), {}, "starts_at", "too_far_ahead"),
        (at(9), at(14), {}, "ends_at", "too_many_slots"),
        (at(9), at(10), {"attendees": 41}, "attendees", "over_capacity"),
        (at(9), at(10), {"purpose": "   "}, "purpose", "missing"),
    ],
)
async def test_a_wrong_period_is_refused_naming_the_field(
    rs, resource_world, admin, start, end, extra, field, code
):
    world = await resource_world()
    refused = await rs.call(admin, "POST", "/reservations", world.booking(start, end, **extra))
    assert refused.status_code == 422, refused.text
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, code)]
    assert refused.json()["errors"][0]["message"]
    await _nothing_reserved(rs, admin, world)


async def test_an_overlapping_request_is_a_conflict_and_writes_nothing(rs, resource_world, admin):
    world = await resource_world()
    await rs.ok(admin, "POST", "/reservations", world.booking(at(10), at(12)), 201)
    for start, end in ((at(10), at(12)), (at(11), at(13)), (at(9), at(10, 30)), (at(11, 30), at(12))):
        refused = await rs.call(admin, "POST", "/reservations", world.booking(start, end))
        assert refused.status_code == 409, (start, refused.text)
    listed = await rs.ok(admin, "GET", "/reservations", resource_id=world.resource_id)
    assert listed["total"] == 1
    # Touching is not overlapping.
    await rs.ok(admin, "POST", "/reservations", world.booking(at(12), at(13)), 201)


async def test_a_closed_resource_takes_no_reservations(rs, resource_world, admin):
    world = await resource_world()
    await rs.ok(admin, "PATCH", f"/resources/{world.resource_id}", {"status": "closed"})
    refused = await rs.call(admin, "POST", "/reservations", world.booking(at(10), at(11)))
    assert (refused.status_code, refused.json()["code"]) == (409, "resource_closed")


async def test_a_resource_the_caller_cannot_see_cannot_be_reserved(rs, resource_world, admin, make_actor):
    world = await resource_world(visibility="own")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=world.other_community.id)
    assert (await rs.ok(outsider, "GET", "/resources"))["total"] == 0
    hidden = await rs.call(outsider, "POST", "/reservations", world.booking(at(10), at(11)))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert (await rs.call(outsider, "GET", f"/resources/{world.resource_id}")).status_code == 404
    # The administrator sees it, but only the provider itself may reserve what it keeps to itself.
    refused = await rs.call(admin, "POST", "/reservations", world.booking(at(10), at(11)))
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("org_node_id", "not_shared_with")]
    await _nothing_reserved(rs, admin, world)


async def test_subtree_visibility_reaches_the_providers_subtree_only(
    rs, resource_world, admin, make_actor, make_node
):
    world = await resource_world()
    # A community's room shared with its subtree: its branch sees it, the next community does not.
    room = await rs.ok(
        admin,
        "POST",
        "/resources",
        {
            "provider_id": str(world.community.id),
            "kind": "room",
            "name": "社区议事厅",
            "visibility": "subtree",
            "opening_hours": [{"weekday": d, "opens": "08:00", "closes": "18:00"} for d in range(1, 8)],
        },
        201,
    )
    branch = await make_node(admin.tenant, world.community.id, "branch", "金山社区第一支部")
    member = await make_actor("secretary", tenant=admin.tenant, node_id=branch.id)
    stranger = await make_actor("secretary", tenant=admin.tenant, node_id=world.other_community.id)
    assert room["id"] in {r["id"] for r in (await rs.ok(member, "GET", "/resources"))["items"]}
    assert room["id"] not in {r["id"] for r in (await rs.ok(stranger, "GET", "/resources"))["items"]}
    body = {
        "resource_id": room["id"],
        "org_node_id": str(branch.id),
        "starts_at": at(9),
        "ends_at": at(10),
        "purpose": "支部学习",
    }
    made = await rs.ok(member, "POST", "/reservations", body, 201)
    assert made["status"] == "approved", "the branch is inside the provider's subtree"


async def test_only_the_provider_approves(rs, resource_world, admin, make_actor):
    world = await resource_world()
    made = await rs.ok(admin, "POST", "/reservations", world.booking(at(10), at(11)), 201)
    staff = await make_actor("staff", tenant=admin.tenant, node_id=world.unit.id)
    stranger = await make_actor("secretary", tenant=admin.tenant, node_id=world.other_street.id)
    assert (await rs.call(staff, "POST", f"/reservations/{made['id']}/approve")).status_code == 403
    refused = await rs.call(stranger, "POST", f"/reservations/{made['id']}/approve")
    assert refused.status_code == 403 and refused.json()["code"] == "not_provider"
    assert (await rs.ok(admin, "GET", f"/reservations/{made['id']}"))["status"] == "requested"


async def test_records_of_another_district_or_outside_the_scope_are_not_found(
    rs, resource_world, admin, make_actor
):
    world = await resource_world()
    made = await rs.ok(admin, "POST", "/reservations", world.booking(at(10), at(11)), 201)
    elsewhere = await make_actor()
    from tests.plugins.resource_sharing.conftest import SLUG

    await rs.client.post(f"/api/v1/plugins/{SLUG}/enable", headers=elsewhere.headers)
    rs.client.cookies.clear()
    for url in (
        f"/resources/{world.resource_id}",
        f"/reservations/{made['id']}",
        f"/resources/{world.resource_id}/week",
    ):
        assert (await rs.call(elsewhere, "GET", url)).status_code == 404
    assert (await rs.call(elsewhere, "POST", f"/reservations/{made['id']}/cancel")).status_code == 404
    # Reserving for an organisation outside the caller's scope, or of another district.
    stranger = await make_actor("secretary", tenant=admin.tenant, node_id=world.street.id)
    outside = await rs.call(stranger, "POST", "/reservations", world.booking(at(12), at(13)))
    assert outside.status_code == 404
    foreign = await rs.call(
        admin, "POST", "/reservations", {**world.booking(at(12), at(13)), "org_node_id": str(uuid.uuid4())}
    )
    assert foreign.status_code == 404
    await rs.ok(admin, "GET", "/reservations", resource_id=world.resource_id)
    assert (await rs.ok(admin, "GET", "/reservations", resource_id=world.resource_id))["total"] == 1


async def test_bad_resources_are_refused(rs, resource_world, admin):
    world = await resource_world()
    base = {"provider_id": str(world.unit.id), "kind": "venue", "name": "报告厅"}
    cases = [
        (
            {"opening_hours": [{"weekday": 1, "opens": "18:00", "closes": "09:00"}]},
            "opening_hours[0].closes",
            "before_opening",
        ),
        (
            {
                "opening_hours": [
                    {"weekday": 1, "opens": "08:00", "closes": "12:00"},
                    {"weekday": 1, "opens": "11:00", "closes": "14:00"},
                ]
            },
            "opening_hours",
            "overlap",
        ),
        (
            {"opening_hours": [{"weekday": 1, "opens": "08:10", "closes": "12:00"}]},
            "opening_hours[0]",
            "not_aligned",
        ),
        ({"slot_minutes": 7}, "slot_minutes", "not_a_divisor"),
        ({"longitude": 119.4}, "latitude", "half_a_place"),
    ]
    for extra, field, code in cases:
        refused = await rs.call(admin, "POST", "/resources", {**base, **extra})
        assert refused.status_code == 422, (extra, refused.text)
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, code)]
    duplicate = await rs.call(admin, "POST", "/resources", {**base, "name": "党员活动室"})
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "name"
    unknown_kind = await rs.call(admin, "POST", "/resources", {**base, "kind": "spaceship"})
    assert unknown_kind.status_code in (400, 422)
    listed = await rs.ok(admin, "GET", "/resources", node_id=str(world.unit.id))
    assert [r["name"] for r in listed["items"]] == ["党员活动室"]
