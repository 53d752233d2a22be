"""Work meetings: scheduled, held with attendance and minutes, or cancelled; members reminded once."""

from __future__ import annotations

import datetime as dt

from core.api import district_today


async def seated(linkage, node):
    committee = await linkage.committee(node)
    url = f"/committees/{committee['id']}/seats"
    secretary = (
        await linkage.post(url, {"role": "secretary", "name": "陈书记", "term_start": "2024-01-01"})
    ).json()
    member = (
        await linkage.post(
            url,
            {
                "role": "part_time_member",
                "name": "周红",
                "home_unit_name": "金山物业",
                "term_start": "2024-01-01",
            },
        )
    ).json()
    return committee, secretary, member


async def schedule(linkage, committee, when="2030-03-01T09:00:00+08:00", **body):
    payload = {"title": "第一季度联席会议", "scheduled_at": when, "place": "社区党群服务中心", **body}
    return (await linkage.post(f"/committees/{committee['id']}/meetings", payload)).json()


async def test_a_meeting_is_held_with_attendance_and_minutes(linkage):
    committee, secretary, member = await seated(linkage, linkage.community)
    meeting = await schedule(linkage, committee, agenda="研究加装电梯")
    assert meeting["status"] == "scheduled"
    held_on = district_today().isoformat()
    recorded = await linkage.post(
        f"/meetings/{meeting['id']}/record",
        {
            "held_on": held_on,
            "minutes": "议定加装电梯协调事项，由物业牵头。",
            "attendance": [
                {"seat_id": secretary["id"], "present": True},
                {"seat_id": member["id"], "present": False, "note": "请假"},
            ],
        },
        expect=200,
    )
    body = recorded.json()
    assert (body["status"], body["held_on"]) == ("held", held_on)
    assert {(a["name"], a["present"]) for a in body["attendance"]} == {("陈书记", True), ("周红", False)}
    shown = (await linkage.get(f"/meetings/{meeting['id']}")).json()
    assert shown["minutes"].startswith("议定加装电梯")
    listed = (await linkage.get(f"/committees/{committee['id']}/meetings")).json()
    assert [m["id"] for m in listed["items"]] == [meeting["id"]]


async def test_a_held_or_cancelled_meeting_cannot_change_again(linkage):
    committee, _secretary, _member = await seated(linkage, linkage.community)
    meeting = await schedule(linkage, committee)
    record = {"held_on": district_today().isoformat(), "minutes": "已开。", "attendance": []}
    await linkage.post(f"/meetings/{meeting['id']}/record", record, expect=200)
    again = await linkage.post(f"/meetings/{meeting['id']}/record", record, expect=409)
    assert again.json()["code"] == "meeting_not_scheduled"
    cancelled_later = await linkage.post(f"/meetings/{meeting['id']}/cancel", {"reason": "重复"}, expect=409)
    assert cancelled_later.json()["code"] == "meeting_not_scheduled"

    other = await schedule(linkage, committee)
    cancelled = await linkage.post(f"/meetings/{other['id']}/cancel", {"reason": "台风停会"}, expect=200)
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "台风停会")
    await linkage.post(f"/meetings/{other['id']}/record", record, expect=409)


async def test_attendance_lists_the_committees_own_sitting_members_once(linkage):
    committee, secretary, _member = await seated(linkage, linkage.community)
    _other_committee, stranger, _ = await seated(linkage, linkage.street)
    meeting = await schedule(linkage, committee)
    today = district_today().isoformat()
    url = f"/meetings/{meeting['id']}/record"
    cases = [
        ([{"seat_id": stranger["id"], "present": True}], "unknown_seat"),
        ([{"seat_id": secretary["id"], "present": True}] * 2, "duplicate"),
    ]
    for attendance, code in cases:
        refused = await linkage.post(
            url, {"held_on": today, "minutes": "x", "attendance": attendance}, expect=422
        )
        assert [e["code"] for e in refused.json()["errors"]] == [code]
        assert refused.json()["errors"][0]["field"].startswith("attendance[")
    before_term = await linkage.post(
        url,
        {
            "held_on": "2023-06-01",
            "minutes": "x",
            "attendance": [{"seat_id": secretary["id"], "present": True}],
        },
        expect=422,
    )
    assert before_term.json()["errors"][0]["code"] == "seat_inactive"
    future = (district_today() + dt.timedelta(days=2)).isoformat()
    refused = await linkage.post(url, {"held_on": future, "minutes": "x", "attendance": []}, expect=422)
    assert refused.json()["errors"][0]["field"] == "held_on"
    assert (await linkage.get(f"/meetings/{meeting['id']}")).json()["status"] == "scheduled", (
        "nothing half-written"
    )


async def test_a_meeting_time_needs_its_time_zone(linkage):
    committee, _secretary, _member = await seated(linkage, linkage.community)
    refused = await linkage.post(
        f"/committees/{committee['id']}/meetings",
        {"title": "例会", "scheduled_at": "2030-03-01T09:00:00"},
        expect=422,
    )
    assert refused.json()["errors"][0]["field"] == "scheduled_at"


async def test_secretaries_are_reminded_once_before_a_meeting(linkage, make_actor, fire_schedule):
    committee, _secretary, _member = await seated(linkage, linkage.community)
    secretary = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.community.id)
    elsewhere = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.other_street.id)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    soon = await schedule(linkage, committee, when=(now + dt.timedelta(hours=3)).isoformat())
    await schedule(linkage, committee, when=(now + dt.timedelta(days=5)).isoformat())

    assert await fire_schedule("joint_committees.remind_upcoming_meetings", now) >= 1
    await fire_schedule("joint_committees.remind_upcoming_meetings", now + dt.timedelta(hours=1))

    async def inbox(actor):
        response = await linkage.client.get("/api/v1/notifications", headers=actor.headers)
        return [n for n in response.json()["items"] if n["kind"] == "meeting_reminder"]

    reminders = await inbox(secretary)
    assert len(reminders) == 1, "the second hourly run does not remind again"
    assert reminders[0]["title"].startswith("会议提醒：第一季度联席会议")
    assert reminders[0]["link"].endswith(soon["id"])
    assert await inbox(elsewhere) == []
