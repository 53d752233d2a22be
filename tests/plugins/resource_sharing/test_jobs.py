"""Jobs: reservations whose time has passed are completed (or lapse), requesters are reminded once."""

from __future__ import annotations

import datetime as dt

from tests.plugins.resource_sharing.conftest import at


async def _notes(rs, actor):
    response = await rs.client.get("/api/v1/notifications", headers=actor.headers, params={"limit": 100})
    rs.client.cookies.clear()
    return [n["title"] for n in response.json()["items"]]


async def test_passed_reservations_are_completed_and_undecided_ones_lapse(
    rs, resource_world, admin, fire_schedule
):
    world = await resource_world()
    approved = await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(10), org=world.unit), 201)
    waiting = await rs.ok(admin, "POST", "/reservations", world.booking(at(11), at(12)), 201)
    ahead = await rs.ok(
        admin, "POST", "/reservations", world.booking(at(9, days=3), at(10, days=3), org=world.unit), 201
    )

    # Ticked the day after tomorrow: tomorrow's reservations have ended.
    tick = dt.datetime.fromisoformat(at(0, days=2)).astimezone(dt.UTC)
    assert await fire_schedule("resource_sharing.complete_past_reservations", tick) >= 1
    assert (await rs.ok(admin, "GET", f"/reservations/{approved['id']}"))["status"] == "completed"
    lapsed = await rs.ok(admin, "GET", f"/reservations/{waiting['id']}")
    assert lapsed["status"] == "cancelled" and "自动失效" in lapsed["decision_note"]
    assert (await rs.ok(admin, "GET", f"/reservations/{ahead['id']}"))["status"] == "approved"
    # A completed reservation keeps its slots (they were used); a lapsed one gave them back.
    week = await rs.ok(admin, "GET", f"/resources/{world.resource_id}/week")
    held = {s["starts_at"][11:16] for s in week["days"][1]["slots"] if not s["free"]}
    assert len(held) == 2
    assert await fire_schedule("resource_sharing.complete_past_reservations", tick) == 0, (
        "each tick runs once"
    )


async def test_the_requester_is_reminded_once_before_the_slot(
    rs, resource_world, admin, fire_schedule, make_actor
):
    world = await resource_world()
    requester = await make_actor("secretary", tenant=admin.tenant, node_id=world.unit.id)
    made = await rs.ok(requester, "POST", "/reservations", world.booking(at(9), at(10), org=world.unit), 201)
    assert made["status"] == "approved"
    far = await rs.ok(
        requester, "POST", "/reservations", world.booking(at(9, days=5), at(10, days=5), org=world.unit), 201
    )
    assert far["status"] == "approved"

    # Ticks three hours before tomorrow's slot, not now: before 09:00 in Beijing the slot is more than the
    # default 24 hours away (CI running at 01:30 Beijing got no reminder).
    now = dt.datetime.fromisoformat(at(9)).astimezone(dt.UTC) - dt.timedelta(hours=3)
    await fire_schedule("resource_sharing.remind_upcoming_reservations", now)
    await fire_schedule("resource_sharing.remind_upcoming_reservations", now + dt.timedelta(minutes=30))
    reminders = [t for t in await _notes(rs, requester) if t.startswith("预约提醒")]
    assert len(reminders) == 1, reminders
    assert world.resource["name"] in reminders[0]
