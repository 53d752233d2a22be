"""Reserving a shared resource: requested → approved or rejected → completed, or cancelled."""

from __future__ import annotations

from tests.plugins.resource_sharing.conftest import at


async def test_a_request_waits_for_the_provider_and_holds_its_slots(rs, resource_world, admin):
    world = await resource_world()
    made = await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(10, 30), attendees=12), 201)
    assert (made["status"], made["slot_count"], made["auto_approved"]) == ("requested", 3, False)
    assert made["provider_name"] == world.unit.name and made["org_name"] == world.other_community.name

    week = await rs.ok(admin, "GET", f"/resources/{world.resource_id}/week")
    tomorrow = week["days"][1]["slots"]
    held = [s for s in tomorrow if not s["free"]]
    assert len(held) == 3 and {s["reservation_id"] for s in held} == {made["id"]}
    assert len(tomorrow) == 28, "08:00–22:00 in 30-minute slots"

    approved = await rs.ok(admin, "POST", f"/reservations/{made['id']}/approve", {"note": "同意"})
    assert approved["status"] == "approved" and approved["decided_by"] == str(admin.user.id)
    # A retried click on approve is harmless; rejecting it now is a conflict.
    again = await rs.ok(admin, "POST", f"/reservations/{made['id']}/approve")
    assert again["status"] == "approved"
    refused = await rs.call(admin, "POST", f"/reservations/{made['id']}/reject", {"note": "迟了"})
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_status"


async def test_a_rejected_reservation_frees_its_slots_for_someone_else(rs, resource_world, admin):
    world = await resource_world()
    first = await rs.ok(admin, "POST", "/reservations", world.booking(at(14), at(15)), 201)
    taken = await rs.call(admin, "POST", "/reservations", world.booking(at(14, 30), at(16)))
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_taken"
    assert [(e["field"], e["code"]) for e in taken.json()["errors"]] == [("starts_at", "slot_taken")]
    assert "14:30" in taken.json()["detail"]

    no_reason = await rs.call(admin, "POST", f"/reservations/{first['id']}/reject", {})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "note"
    rejected = await rs.ok(admin, "POST", f"/reservations/{first['id']}/reject", {"note": "当天闭馆维修"})
    assert (rejected["status"], rejected["decision_note"]) == ("rejected", "当天闭馆维修")
    second = await rs.ok(admin, "POST", "/reservations", world.booking(at(14, 30), at(16)), 201)
    assert second["status"] == "requested"


async def test_a_cancelled_reservation_frees_its_slots(rs, resource_world, admin):
    world = await resource_world()
    first = await rs.ok(admin, "POST", "/reservations", world.booking(at(19), at(20)), 201)
    cancelled = await rs.ok(admin, "POST", f"/reservations/{first['id']}/cancel", {"note": "活动改期"})
    assert cancelled["status"] == "cancelled"
    await rs.ok(admin, "POST", "/reservations", world.booking(at(19), at(20)), 201)
    late = await rs.call(admin, "POST", f"/reservations/{first['id']}/approve")
    assert late.status_code == 409


async def test_the_providers_own_organisations_are_approved_at_once(rs, resource_world, admin):
    world = await resource_world()
    own = await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(10), org=world.unit), 201)
    assert (own["status"], own["auto_approved"]) == ("approved", True)


async def test_a_retried_request_with_the_same_idempotency_key_makes_one_reservation(
    rs, resource_world, admin
):
    world = await resource_world()
    body = world.booking(at(11), at(12))
    key = {"Idempotency-Key": "retry-1"}
    first = await rs.call(admin, "POST", "/reservations", body, headers=key)
    again = await rs.call(admin, "POST", "/reservations", body, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    listed = await rs.ok(admin, "GET", "/reservations", resource_id=world.resource_id)
    assert listed["total"] == 1
    other = await rs.call(admin, "POST", "/reservations", world.booking(at(15), at(16)), headers=key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


async def test_the_requester_sees_own_reservations_and_the_provider_its_inbox(
    rs, resource_world, admin, make_actor
):
    world = await resource_world()
    requester = await make_actor("secretary", tenant=admin.tenant, node_id=world.other_community.id)
    provider = await make_actor("secretary", tenant=admin.tenant, node_id=world.unit.id)
    made = await rs.ok(requester, "POST", "/reservations", world.booking(at(9), at(10)), 201)

    mine = await rs.ok(requester, "GET", "/reservations", mine="true")
    assert [r["id"] for r in mine["items"]] == [made["id"]]
    inbox = await rs.ok(provider, "GET", "/reservations", inbox="true")
    assert [r["id"] for r in inbox["items"]] == [made["id"]]
    assert (await rs.ok(requester, "GET", "/reservations", inbox="true"))["total"] == 0

    # The requester may not approve its own request: it does not provide the resource.
    self_approval = await rs.call(requester, "POST", f"/reservations/{made['id']}/approve")
    assert self_approval.status_code == 403 and self_approval.json()["code"] == "not_provider"
    await rs.ok(provider, "POST", f"/reservations/{made['id']}/approve")
    assert (await rs.ok(provider, "GET", "/reservations", inbox="true"))["total"] == 0

    notes = await rs.client.get("/api/v1/notifications", headers=requester.headers)
    rs.client.cookies.clear()
    assert any("预约已通过" in n["title"] for n in notes.json()["items"]), notes.text
    provider_notes = await rs.client.get("/api/v1/notifications", headers=provider.headers)
    rs.client.cookies.clear()
    assert any("新的载体预约申请" in n["title"] for n in provider_notes.json()["items"]), provider_notes.text
