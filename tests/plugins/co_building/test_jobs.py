"""Scheduled work: expiry reminders N days before the end (N configured, once each) and the yearly
opening of fulfilment reviews."""

from __future__ import annotations

import datetime as dt

from core.api import JobContext, new_id
from plugins.co_building import jobs
from tests.plugins.co_building.conftest import day, time_passes, today


def nine_am() -> str:
    """09:00 today in the districts' zone."""
    return f"{today().isoformat()}T01:00:00+00:00"


async def run(database, tenant, job, tick):
    async with database.transaction(tenant.id) as session:
        ctx = JobContext(new_id(), f"co_building.{job.__name__}", tenant.id, {"tick": tick}, session, 1)
        return await job(ctx)


async def inbox(client, actor):
    response = await client.get("/api/v1/notifications", headers=actor.headers)
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["source"] == "co_building"]


async def test_the_areas_admins_are_reminded_once_before_the_end_and_ended_agreements_expire(
    cb_world, cb, make_actor, database
):
    configured = await cb.client.put(
        "/api/v1/plugins/co_building/config",
        headers=cb_world.admin.headers,
        json={"remind_days_before_end": 20},
    )
    cb.client.cookies.clear()
    assert configured.status_code == 200, configured.text
    soon = await cb_world.agreement(ends_on=day(10), title="即将到期的协议")
    later = await cb_world.agreement(unit=cb_world.firm, ends_on=day(40), title="尚早的协议")
    ended = await cb_world.agreement(
        area=cb_world.other_community, unit=cb_world.other_unit, ends_on=day(5), title="已过期的协议"
    )
    await time_passes(database, cb_world, ended["id"], ends_on=today() - dt.timedelta(days=1))
    community_admin = await make_actor(
        "org_admin", tenant=cb_world.admin.tenant, node_id=cb_world.community.id
    )
    street_secretary = await make_actor("secretary", tenant=cb_world.admin.tenant, node_id=cb_world.street.id)
    elsewhere = await make_actor("secretary", tenant=cb_world.admin.tenant, node_id=cb_world.other_street.id)

    first = await run(database, cb_world.admin.tenant, jobs.expiry_round, nine_am())
    assert first["expired"] == 1
    assert (await cb.ok(cb_world.admin, "GET", f"/agreements/{ended['id']}"))["status"] == "expired"
    for actor in (community_admin, street_secretary):
        notes = await inbox(cb.client, actor)
        assert [(n["kind"], n["org_node_id"]) for n in notes] == [
            ("agreement_expiring", str(cb_world.community.id))
        ]
        assert "即将到期的协议" in notes[0]["title"] and day(10) in notes[0]["title"]
    assert await inbox(cb.client, elsewhere) == []

    second = await run(database, cb_world.admin.tenant, jobs.expiry_round, nine_am())
    assert second == {"expired": 0, "notified": 0}, "deduplicated"
    assert len(await inbox(cb.client, community_admin)) == 1

    await cb.client.put(
        "/api/v1/plugins/co_building/config",
        headers=cb_world.admin.headers,
        json={"remind_days_before_end": 60},
    )
    cb.client.cookies.clear()
    await run(database, cb_world.admin.tenant, jobs.expiry_round, nine_am())
    titles = sorted(n["title"] for n in await inbox(cb.client, community_admin))
    assert len(titles) == 2 and any("尚早的协议" in t for t in titles), later["id"]
    assert soon["id"] != later["id"]


async def test_the_schedule_is_declared_and_fans_out_to_the_district(cb_world, fire_schedule):
    assert await fire_schedule("co_building.expiry_round") >= 1


async def test_the_yearly_job_opens_last_years_reviews_once(cb_world, cb, make_actor, database):
    last_year = today().year - 1
    ran = await cb_world.agreement(starts_on=f"{last_year}-01-01", ends_on=day(300), title="去年起的协议")
    await cb_world.agreement(unit=cb_world.firm, starts_on=day(0), ends_on=day(300), title="今年的协议")
    await cb_world.agreement(
        area=cb_world.other_community,
        unit=cb_world.other_unit,
        status="draft",
        starts_on=f"{last_year}-01-01",
    )
    community_admin = await make_actor(
        "org_admin", tenant=cb_world.admin.tenant, node_id=cb_world.community.id
    )
    tick = f"{today().year - 1}-12-31T17:00:00+00:00"  # 1 January 01:00 in Beijing: last year ended

    first = await run(database, cb_world.admin.tenant, jobs.open_annual_reviews, tick)
    assert first == {"year": last_year, "opened": 1}
    second = await run(database, cb_world.admin.tenant, jobs.open_annual_reviews, tick)
    assert second == {"year": last_year, "opened": 0}
    reviews = await cb.ok(cb_world.admin, "GET", f"/agreements/{ran['id']}/reviews")
    assert [(r["year"], r["status"]) for r in reviews["items"]] == [(last_year, "open")]
    notes = await inbox(cb.client, community_admin)
    assert [n["kind"] for n in notes] == ["reviews_opened"] and str(last_year) in notes[0]["title"]
