"""Decisions handed down the levels, reported on, and escalated one level up when overdue."""

from __future__ import annotations

import datetime as dt

from core.api import district_today


async def test_a_street_hands_a_decision_down_to_a_community_whose_secretary_is_told(linkage, make_actor):
    secretary = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.community.id)
    committee = await linkage.committee(linkage.street)
    decision = await linkage.decision(committee, linkage.community, title="开放共建单位停车位")
    assert (decision["status"], decision["assigned_to"], decision["overdue"]) == (
        "open",
        str(linkage.community.id),
        False,
    )

    mine = (await linkage.get("/decisions", actor=secretary)).json()
    assert [d["id"] for d in mine["items"]] == [decision["id"]]
    inbox = (await linkage.client.get("/api/v1/notifications", headers=secretary.headers)).json()["items"]
    assert [n["kind"] for n in inbox] == ["decision_assigned"]
    assert "开放共建单位停车位" in inbox[0]["title"]


async def test_a_decision_stays_inside_the_committees_subtree_and_future(linkage):
    committee = await linkage.committee(linkage.street)
    url = f"/committees/{committee['id']}/decisions"
    base = {
        "title": "整治",
        "owner_name": "李明",
        "due_on": (district_today() + dt.timedelta(days=5)).isoformat(),
    }
    outside = await linkage.post(url, {**base, "assigned_to": str(linkage.other_street.id)}, expect=422)
    assert [(e["field"], e["code"]) for e in outside.json()["errors"]] == [
        ("assigned_to", "outside_committee")
    ]
    past = (district_today() - dt.timedelta(days=1)).isoformat()
    late = await linkage.post(
        url, {**base, "assigned_to": str(linkage.community.id), "due_on": past}, expect=422
    )
    assert late.json()["errors"][0]["field"] == "due_on"
    nobody = {**base, "assigned_to": str(linkage.community.id)}
    del nobody["owner_name"]
    unowned = await linkage.post(url, nobody, expect=422)
    assert unowned.json()["errors"][0]["field"] == "owner_name"
    assert (await linkage.get("/decisions")).json()["total"] == 0, "nothing was written"


async def test_a_decision_moves_from_open_through_in_progress_to_done_and_no_further(linkage):
    committee = await linkage.committee(linkage.street)
    decision = await linkage.decision(committee, linkage.community)
    url = f"/decisions/{decision['id']}/progress"
    started = await linkage.post(url, {"status": "in_progress", "note": "已召开协调会"}, expect=200)
    assert started.json()["status"] == "in_progress"
    back = await linkage.post(url, {"status": "open"}, expect=409)
    assert back.json()["code"] == "transition_not_allowed"
    silent = await linkage.post(url, {"status": "done"}, expect=422)
    assert silent.json()["errors"][0]["field"] == "note"
    done = await linkage.post(url, {"status": "done", "note": "停车位已开放 40 个"}, expect=200)
    assert (done.json()["status"], done.json()["completed_on"]) == ("done", district_today().isoformat())
    await linkage.post(url, {"status": "cancelled", "note": "撤销"}, expect=409)


async def test_the_community_reports_progress_but_only_the_deciding_committee_cancels(linkage, make_actor):
    staff = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.community.id)
    committee = await linkage.committee(linkage.street)
    decision = await linkage.decision(committee, linkage.community)
    url = f"/decisions/{decision['id']}/progress"
    await linkage.post(url, {"status": "in_progress", "note": "推进中"}, actor=staff, expect=200)
    refused = await linkage.post(url, {"status": "cancelled", "note": "不想办"}, actor=staff, expect=403)
    assert refused.json()["code"] == "not_deciding_committee"
    await linkage.post(url, {"status": "cancelled", "note": "上级统筹解决"}, expect=200)


async def test_an_overdue_decision_climbs_one_level_at_a_time(linkage, make_actor, fire_schedule):
    district = await linkage.committee(type("Root", (), {"id": linkage.admin.tenant.root_id})())
    street = await linkage.committee(linkage.street)
    await linkage.committee(linkage.community)
    street_secretary = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.street.id)
    decision = await linkage.decision(street, linkage.community, due_in_days=2, title="雨污分流协调")
    job = "joint_committees.escalate_overdue_decisions"

    def on(days: int) -> dt.datetime:
        day = district_today() + dt.timedelta(days=days)
        return dt.datetime(day.year, day.month, day.day, 0, 30, tzinfo=dt.UTC)  # 08:30 in the district

    await fire_schedule(job, on(2))
    assert (await linkage.get(f"/decisions/{decision['id']}")).json()["escalation_level"] == 0, "not late yet"

    await fire_schedule(job, on(3))
    first = (await linkage.get(f"/decisions/{decision['id']}")).json()
    assert (first["escalation_level"], first["escalated_to"]) == (1, str(linkage.street.id))
    assert [(e["level"], e["days_overdue"]) for e in first["escalations"]] == [(1, 1)]
    inbox = (await linkage.client.get("/api/v1/notifications", headers=street_secretary.headers)).json()[
        "items"
    ]
    assert [n["kind"] for n in inbox if n["kind"] == "decision_escalated"] == ["decision_escalated"]

    await fire_schedule(job, on(4))
    assert (await linkage.get(f"/decisions/{decision['id']}")).json()["escalation_level"] == 1, "waits a week"

    await fire_schedule(job, on(10))
    second = (await linkage.get(f"/decisions/{decision['id']}")).json()
    assert (second["escalation_level"], second["escalated_to"]) == (2, str(linkage.admin.tenant.root_id))

    await fire_schedule(job, on(30))
    top = (await linkage.get(f"/decisions/{decision['id']}")).json()
    assert top["escalation_level"] == 2, "the district committee is the top"
    assert district["level"] == "district"


async def test_a_finished_decision_is_never_escalated(linkage, fire_schedule):
    street = await linkage.committee(linkage.street)
    await linkage.committee(linkage.community)
    decision = await linkage.decision(street, linkage.community, due_in_days=1)
    await linkage.post(
        f"/decisions/{decision['id']}/progress", {"status": "done", "note": "已办结"}, expect=200
    )
    day = district_today() + dt.timedelta(days=5)
    await fire_schedule(
        "joint_committees.escalate_overdue_decisions",
        dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC),
    )
    assert (await linkage.get(f"/decisions/{decision['id']}")).json()["escalation_level"] == 0


async def test_a_disabled_district_is_not_escalated(linkage, fire_schedule):
    street = await linkage.committee(linkage.street)
    await linkage.committee(linkage.community)
    decision = await linkage.decision(street, linkage.community, due_in_days=1)
    disabled = await linkage.client.post(
        "/api/v1/plugins/joint_committees/disable", headers=linkage.admin.headers
    )
    assert disabled.status_code == 200
    day = district_today() + dt.timedelta(days=5)
    tick = dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC)
    await fire_schedule("joint_committees.escalate_overdue_decisions", tick)
    enabled = await linkage.client.post(
        "/api/v1/plugins/joint_committees/enable", headers=linkage.admin.headers
    )
    assert enabled.status_code == 200
    kept = (await linkage.get(f"/decisions/{decision['id']}")).json()
    assert (kept["title"], kept["escalation_level"]) == ("清理楼道堆物", 0), (
        "data kept, nothing ran while disabled"
    )


async def test_other_mechanisms_hear_of_an_escalation_through_an_event(
    linkage, enable_plugin, fire_schedule, database
):
    from sqlalchemy import select

    from tests.fixture_plugins.hello import HelloNote

    await enable_plugin(linkage.admin, "hello")  # subscribes to joint_committees.decision_escalated
    street = await linkage.committee(linkage.street)
    await linkage.decision(street, linkage.community, due_in_days=1)
    day = district_today() + dt.timedelta(days=3)
    await fire_schedule(
        "joint_committees.escalate_overdue_decisions",
        dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC),
    )
    async with database.transaction(linkage.admin.tenant.id) as session:
        notes = list(
            await session.scalars(select(HelloNote.text).where(HelloNote.org_node_id == linkage.community.id))
        )
    assert notes == ["督办 第1级"]
