"""Periodic zone reviews (片区评估), and the daily job reminding the zone's leads when one falls due."""

from __future__ import annotations

import datetime as dt

from core.api import JobContext, district_today, new_id
from plugins.model_zones import jobs


async def run_reminder(database, tenant, day: dt.date) -> int:
    tick = dt.datetime.combine(day, dt.time(0, 15), dt.UTC).isoformat()
    async with database.transaction(tenant.id) as session:
        ctx = JobContext(new_id(), "model_zones.remind_reviews_due", tenant.id, {"tick": tick}, session, 1)
        return await jobs.remind_reviews_due(ctx)


async def inbox(client, actor):
    response = await client.get("/api/v1/notifications", headers=actor.headers)
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["source"] == "model_zones"]


def review(**changes):
    return {
        "reviewed_on": "2024-09-10",
        "rating": "good",
        "findings": "联建机制运行良好。",
        "reviewer": "区委组织部",
    } | changes


async def test_a_review_moves_the_next_due_date_and_one_a_day_is_recorded(mz, zone_world, admin):
    world = await zone_world()
    url = f"/zones/{world.zone_id}/reviews"
    recorded = await mz.ok(admin, "POST", url, review(), 201)
    assert (recorded["rating"], recorded["reviewer"]) == ("good", "区委组织部")
    zone = await mz.ok(admin, "GET", f"/zones/{world.zone_id}")
    assert (zone["last_reviewed_on"], zone["next_review_due"]) == ("2024-09-10", "2025-03-10")
    problem = await mz.refused(admin, "POST", url, review(rating="excellent"), 409, "reviewed_on")
    assert problem["code"] == "already_reviewed"
    await mz.refused(admin, "POST", url, review(reviewed_on="2024-01-01"), 422, "reviewed_on")
    await mz.refused(admin, "POST", url, review(reviewed_on="2999-01-01"), 422, "reviewed_on")
    await mz.refused(admin, "POST", url, review(rating="superb"), 422)
    await mz.refused(admin, "POST", url, review(reviewed_on="2025-01-10", findings=" "), 422, "findings")
    listed = await mz.ok(admin, "GET", url)
    assert [r["id"] for r in listed["items"]] == [recorded["id"]]


async def test_staff_record_activities_but_do_not_review(mz, zone_world, admin, make_actor):
    world = await zone_world()
    staff = await make_actor("staff", tenant=admin.tenant, node_id=world.street.id)
    await mz.call(staff, "POST", f"/zones/{world.zone_id}/reviews", review(), expect=403)


async def test_the_leads_are_reminded_once_when_a_review_falls_due(
    client, mz, zone_world, admin, make_actor, database
):
    world = await zone_world()
    community_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.lead.id)
    district_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=admin.tenant.root_id)
    # The zone was set up on 2024-03-01: its first review is due on 2024-09-01, reminded 14 days ahead.
    assert await run_reminder(database, admin.tenant, dt.date(2024, 8, 17)) == 0
    assert await run_reminder(database, admin.tenant, dt.date(2024, 8, 18)) >= 1
    notified = await inbox(client, community_secretary)
    assert [(n["kind"], n["org_node_id"]) for n in notified] == [
        ("review_due", world.zone["committee_node_id"])
    ]
    assert "2024-09-01" in notified[0]["title"] and world.zone["name"] in notified[0]["title"]
    assert len(await inbox(client, district_secretary)) == 1, "secretaries above the lead are told as well"
    await run_reminder(database, admin.tenant, dt.date(2024, 8, 19))
    assert len(await inbox(client, community_secretary)) == 1, "once per due date"

    # Reviewed: nothing is due until six months later.
    await mz.ok(admin, "POST", f"/zones/{world.zone_id}/reviews", review(reviewed_on="2024-08-20"), 201)
    before = len(await inbox(client, community_secretary))
    await run_reminder(database, admin.tenant, dt.date(2024, 9, 2))
    assert len(await inbox(client, community_secretary)) == before


async def test_the_review_interval_is_the_districts_setting(mz, zone_world, admin, client):
    world = await zone_world()
    configured = await client.put(
        "/api/v1/plugins/model_zones/config", headers=admin.headers, json={"review_interval_months": 12}
    )
    client.cookies.clear()
    assert configured.status_code == 200, configured.text
    assert (await mz.ok(admin, "GET", f"/zones/{world.zone_id}"))["next_review_due"] == "2025-03-01"
    refused = await client.put(
        "/api/v1/plugins/model_zones/config", headers=admin.headers, json={"review_interval_months": 0}
    )
    client.cookies.clear()
    assert refused.status_code == 422, refused.text


async def test_the_schedule_runs_for_districts_with_the_plugin(zone_world, fire_schedule):
    await zone_world()
    assert (
        await fire_schedule(
            "model_zones.remind_reviews_due", dt.datetime.combine(district_today(), dt.time(0, 15), dt.UTC)
        )
        >= 1
    )
