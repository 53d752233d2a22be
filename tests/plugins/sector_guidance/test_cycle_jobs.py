"""The assessment cycle (考核周期): opened by a scheduled job, with reminders before it ends."""

from __future__ import annotations

from core.api import JobContext, district_today, new_id
from plugins.sector_guidance import jobs

# This year's cycle, so that assessments of it may also be started by hand.
YEAR = district_today().year
NEW_YEAR_IN_BEIJING = f"{YEAR - 1}-12-31T23:00:00+00:00"  # 1 January, 07:00 in the districts' zone
MID_YEAR = f"{YEAR}-07-01T00:00:00+00:00"


async def run(database, tenant, job, tick):
    async with database.transaction(tenant.id) as session:
        ctx = JobContext(new_id(), f"sector_guidance.{job.__name__}", tenant.id, {"tick": tick}, session, 1)
        return await job(ctx)


async def inbox(client, actor):
    response = await client.get("/api/v1/notifications", headers=actor.headers)
    client.cookies.clear()
    return [n for n in response.json()["items"] if n["source"] == "sector_guidance"]


async def test_the_cycle_job_opens_due_assessments_once_even_when_run_twice(
    sg, sector_world, admin, make_actor, database
):
    world = await sector_world(members=3)
    unpublished = await sector_world(code="economy", members=1, publish=False)
    already = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id), "cycle": str(YEAR)},
        201,
    )
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.department.id)

    first = await run(database, admin.tenant, jobs.open_assessment_cycle, NEW_YEAR_IN_BEIJING)
    assert first == {"cycle": str(YEAR), "opened": 2}
    second = await run(database, admin.tenant, jobs.open_assessment_cycle, NEW_YEAR_IN_BEIJING)
    assert second == {"cycle": str(YEAR), "opened": 0}

    due = await sg.ok(admin, "GET", "/assessments", cycle=str(YEAR), status="due")
    assert sorted(a["org_node_id"] for a in due["items"]) == sorted(
        str(o.id) for o in world.organisations[1:]
    )
    assert {a["standard_id"] for a in due["items"]} == {world.standard["id"]}
    assert (await sg.ok(admin, "GET", f"/assessments/{already['id']}"))["status"] == "in_progress"
    assert (await sg.ok(admin, "GET", "/assessments", sector_id=unpublished.sector_id))["total"] == 0

    notified = await inbox(sg.client, secretary)
    assert [(n["kind"], n["org_node_id"]) for n in notified] == [
        ("assessment_cycle_opened", str(world.department.id))
    ]
    assert str(YEAR) in notified[0]["title"] and "2家" in notified[0]["title"]


async def test_a_district_assessing_annually_opens_nothing_in_july_and_half_yearly_does(
    sg, sector_world, admin, database
):
    world = await sector_world(members=2)
    assert await run(database, admin.tenant, jobs.open_assessment_cycle, MID_YEAR) == {
        "cycle": None,
        "opened": 0,
    }
    configured = await sg.client.put(
        "/api/v1/plugins/sector_guidance/config", headers=admin.headers, json={"cycle": "half_year"}
    )
    sg.client.cookies.clear()
    assert configured.status_code == 200, configured.text
    assert await run(database, admin.tenant, jobs.open_assessment_cycle, MID_YEAR) == {
        "cycle": f"{YEAR}H2",
        "opened": 2,
    }
    due = await sg.ok(admin, "GET", "/assessments", sector_id=world.sector_id)
    assert {a["cycle"] for a in due["items"]} == {f"{YEAR}H2"}


async def test_a_due_assessment_is_started_against_the_standard_published_now(
    sg, sector_world, admin, database
):
    world = await sector_world(members=1)
    await run(database, admin.tenant, jobs.open_assessment_cycle, NEW_YEAR_IN_BEIJING)
    (due,) = (await sg.ok(admin, "GET", "/assessments", status="due"))["items"]
    refused = await sg.call(
        admin,
        "PUT",
        f"/assessments/{due['id']}/results",
        {"results": [{"item_id": world.item_ids[0], "met": False}]},
    )
    assert refused.status_code == 409 and refused.json()["code"] == "wrong_status"

    revised = await sg.ok(
        admin,
        "POST",
        f"/sectors/{world.sector_id}/standards",
        {"title": "修订版", "items": [{"text": "建立党组织", "weight": 1}]},
        201,
    )
    await sg.ok(admin, "POST", f"/standards/{revised['id']}/publish")
    started = await sg.ok(admin, "POST", f"/assessments/{due['id']}/start")
    assert (started["status"], started["standard_id"], started["standard_version"]) == (
        "in_progress",
        revised["id"],
        2,
    )
    assert [i["text"] for i in started["items"]] == ["建立党组织"]


async def test_unsubmitted_assessments_are_reminded_near_the_end_of_the_cycle_once(
    sg, sector_world, admin, make_actor, database
):
    world = await sector_world(members=2)
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.department.id)
    started = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id), "cycle": str(YEAR)},
        201,
    )
    await run(database, admin.tenant, jobs.open_assessment_cycle, NEW_YEAR_IN_BEIJING)

    too_early = await run(
        database, admin.tenant, jobs.remind_unfinished_assessments, f"{YEAR}-11-15T01:00:00+00:00"
    )
    assert too_early == {"notified": 0}, "46 days before the end, beyond the default 30"
    near_end = await run(
        database, admin.tenant, jobs.remind_unfinished_assessments, f"{YEAR}-12-10T01:00:00+00:00"
    )
    assert near_end == {"notified": 2}, "the department's secretary and the assessor who started one"
    again = await run(
        database, admin.tenant, jobs.remind_unfinished_assessments, f"{YEAR}-12-11T01:00:00+00:00"
    )
    assert again == {"notified": 0}

    reminders = [n for n in await inbox(sg.client, secretary) if n["kind"] == "assessment_reminder"]
    assert len(reminders) == 1 and "尚有2家" in reminders[0]["title"]
    mine = [n for n in await inbox(sg.client, admin) if n["kind"] == "assessment_reminder"]
    assert [n["link"] for n in mine] == [f"/api/v1/m/sector_guidance/assessments/{started['id']}"]


async def test_the_jobs_are_scheduled(plugin_host):
    from core.jobs.scheduler import schedules

    found = {s.job_name: s.cron for s in schedules(plugin_host) if s.slug == "sector_guidance"}
    assert found == {
        "sector_guidance.open_assessment_cycle": "0 8 1 1,7 *",
        "sector_guidance.remind_unfinished_assessments": "0 9 * * *",
    }
