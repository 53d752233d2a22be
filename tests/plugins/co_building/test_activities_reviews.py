"""Joint activities and meetings held under an agreement, and the annual fulfilment review."""

from __future__ import annotations

from tests.plugins.co_building.conftest import day, today


def activity(**overrides):
    return {
        "kind": "activity",
        "title": "共建单位党员进社区志愿服务",
        "held_on": day(-3),
        "place": "大西路社区党群服务中心",
        "participants": 42,
        "content": "清理楼道堆物，走访困难党员",
        "longitude": 119.431,
        "latitude": 32.201,
        **overrides,
    }


async def test_joint_activities_and_meetings_are_recorded_within_the_term(cb_world, cb, make_actor):
    agreement = await cb_world.agreement()
    url = f"/agreements/{agreement['id']}/activities"
    staff = await make_actor("staff", tenant=cb_world.admin.tenant, node_id=cb_world.community.id)
    held = await cb.ok(staff, "POST", url, activity(), 201)
    assert (held["participants"], held["place"], held["kind"]) == (42, "大西路社区党群服务中心", "activity")
    meeting = await cb.ok(
        staff, "POST", url, activity(kind="meeting", title="党建联盟联席会议", participants=12), 201
    )
    for body, field, code in (
        (activity(held_on=day(1)), "held_on", "in_future"),
        (activity(held_on=day(-31)), "held_on", "outside_term"),
        (activity(latitude=None), "latitude", "half_a_place"),
    ):
        refused = await cb.call(staff, "POST", url, body)
        assert refused.status_code == 422, body
        assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, code)]
    negative = await cb.call(staff, "POST", url, activity(participants=-1))
    assert negative.status_code == 422 and "participants" in negative.text
    listed = await cb.ok(cb_world.admin, "GET", url)
    assert sorted(a["id"] for a in listed["items"]) == sorted([held["id"], meeting["id"]])

    draft = await cb_world.agreement(unit=cb_world.firm, status="draft")
    early = await cb.call(staff, "POST", f"/agreements/{draft['id']}/activities", activity())
    assert early.status_code == 409 and early.json()["code"] == "agreement_draft"


async def test_the_annual_review_fixes_the_share_of_items_fulfilled(cb_world, cb):
    agreement = await cb_world.agreement(starts_on=day(-400))
    items_url = f"/agreements/{agreement['id']}/items"
    ids = []
    for title in ("开放停车位", "提供场地", "志愿服务", "捐赠图书"):
        item = await cb.ok(
            cb_world.admin, "POST", items_url, {"kind": "need", "party": "area", "title": title}, 201
        )
        ids.append(item["id"])
    await cb.ok(cb_world.admin, "POST", f"/items/{ids[0]}/fulfilment", {"status": "fulfilled"})
    await cb.ok(cb_world.admin, "POST", f"/items/{ids[1]}/fulfilment", {"status": "fulfilled"})
    await cb.ok(
        cb_world.admin, "POST", f"/items/{ids[2]}/fulfilment", {"status": "cancelled", "note": "不再需要"}
    )

    reviews_url = f"/agreements/{agreement['id']}/reviews"
    review = await cb.ok(cb_world.admin, "POST", reviews_url, {"year": today().year}, 201)
    assert (review["status"], review["fulfilment_rate"]) == ("open", None)
    twice = await cb.call(cb_world.admin, "POST", reviews_url, {"year": today().year})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "year"
    before_term = await cb.call(cb_world.admin, "POST", reviews_url, {"year": today().year - 3})
    assert before_term.status_code == 422 and before_term.json()["errors"][0]["code"] == "outside_term"
    future = await cb.call(cb_world.admin, "POST", reviews_url, {"year": today().year + 1})
    assert future.status_code == 422

    done = await cb.ok(
        cb_world.admin, "POST", f"/reviews/{review['id']}/complete", {"rating": "good", "note": "履约良好"}
    )
    assert (done["items_total"], done["items_fulfilled"], done["fulfilment_rate"]) == (3, 2, 66.7), (
        "the cancelled item does not count"
    )
    assert (done["rating"], done["completed_on"]) == ("good", today().isoformat())
    again = await cb.call(cb_world.admin, "POST", f"/reviews/{review['id']}/complete", {"rating": "poor"})
    assert again.status_code == 409
    listed = await cb.ok(cb_world.admin, "GET", reviews_url)
    assert [(r["year"], r["rating"]) for r in listed["items"]] == [(today().year, "good")]
    bad_rating = await cb.call(
        cb_world.admin, "POST", f"/reviews/{review['id']}/complete", {"rating": "super"}
    )
    assert bad_rating.status_code == 422
