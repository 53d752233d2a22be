"""Agreements (共建协议): who signs them, their term, and the only moves their status may make."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.plugins.co_building.conftest import day, time_passes, today


def problem_fields(response):
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


async def test_a_community_signs_with_a_resident_unit_and_the_agreement_runs_its_course(cb_world, cb):
    draft = await cb_world.agreement(status="draft", signed_on=None)
    assert (draft["status"], draft["in_force"]) == ("draft", False)
    assert (draft["org_name"], draft["unit_name"], draft["unit_kind"]) == (
        "大西路社区",
        "镇江供电公司",
        "unit",
    )

    active = await cb.ok(
        cb_world.admin, "POST", f"/agreements/{draft['id']}/transition", {"status": "active"}
    )
    assert (active["status"], active["in_force"], active["signed_on"]) == (
        "active",
        True,
        today().isoformat(),
    )

    early = await cb.call(
        cb_world.admin, "POST", f"/agreements/{draft['id']}/transition", {"status": "expired"}
    )
    assert early.status_code == 409 and early.json()["code"] == "not_ended", "it runs for 700 more days"
    unexplained = await cb.call(
        cb_world.admin, "POST", f"/agreements/{draft['id']}/transition", {"status": "terminated"}
    )
    assert unexplained.status_code == 422 and problem_fields(unexplained) == {"reason": "missing"}

    ended = await cb.ok(
        cb_world.admin,
        "POST",
        f"/agreements/{draft['id']}/transition",
        {"status": "terminated", "reason": "单位撤并"},
    )
    assert (ended["status"], ended["terminated_on"], ended["termination_reason"]) == (
        "terminated",
        today().isoformat(),
        "单位撤并",
    )
    for wanted in ("active", "draft", "expired"):
        again = await cb.call(
            cb_world.admin, "POST", f"/agreements/{draft['id']}/transition", {"status": wanted}
        )
        assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed", wanted


async def test_a_two_new_organisation_may_sign_but_a_party_branch_may_not(cb_world, cb):
    firm = await cb_world.agreement(unit=cb_world.firm, title="共建协议")
    assert firm["unit_kind"] == "enterprise"
    refused = await cb_world.agreement(unit=cb_world.branch, expect=422)
    assert problem_fields_json(refused) == {"unit_id": "not_a_partner"}
    street_as_unit = await cb_world.agreement(unit=cb_world.other_street, expect=422)
    assert problem_fields_json(street_as_unit) == {"unit_id": "not_a_partner"}
    unit_as_area = await cb_world.agreement(area=cb_world.firm, unit=cb_world.unit, expect=422)
    assert problem_fields_json(unit_as_area) == {"org_node_id": "not_an_area"}
    assert await cb_world.count() == 1, "nothing written by the refusals"


def problem_fields_json(body):
    return {e["field"]: e["code"] for e in body.get("errors", [])}


async def test_a_term_that_ends_before_it_starts_is_refused_and_nothing_is_written(cb_world, cb):
    refused = await cb_world.agreement(starts_on=day(10), ends_on=day(9), expect=422)
    assert problem_fields_json(refused) == {"ends_on": "before_start"}
    assert await cb_world.count() == 0
    agreement = await cb_world.agreement(status="draft")
    changed = await cb.call(cb_world.admin, "PATCH", f"/agreements/{agreement['id']}", {"ends_on": day(-31)})
    assert changed.status_code == 422 and problem_fields(changed) == {"ends_on": "before_start"}
    shown = await cb.ok(cb_world.admin, "GET", f"/agreements/{agreement['id']}")
    assert shown["ends_on"] == day(700), "unchanged"
    extended = await cb.ok(cb_world.admin, "PATCH", f"/agreements/{agreement['id']}", {"ends_on": day(1000)})
    assert extended["ends_on"] == day(1000)


async def test_the_same_two_parties_cannot_hold_two_active_agreements(cb_world, cb, database):
    from plugins.co_building.models import Agreement

    first = await cb_world.agreement()
    duplicate = await cb_world.agreement(title="重复协议", expect=409)
    assert problem_fields_json(duplicate) == {"unit_id": "duplicate_active"}
    draft = await cb_world.agreement(title="续签草案", status="draft", starts_on=day(701), ends_on=day(1800))
    refused = await cb.call(
        cb_world.admin, "POST", f"/agreements/{draft['id']}/transition", {"status": "active"}
    )
    assert refused.status_code == 409 and problem_fields(refused) == {"unit_id": "duplicate_active"}
    other_community = await cb_world.agreement(area=cb_world.street, title="街道共建协议")
    assert other_community["status"] == "active", "the street is another party"
    async with database.transaction(cb_world.admin.tenant.id) as session:
        statuses = dict((await session.execute(select(Agreement.title, Agreement.status))).tuples().all())
        assert statuses[first["title"]] == "active" and statuses["续签草案"] == "draft"
        assert await session.scalar(select(func.count()).select_from(Agreement)) == 3


async def test_an_agreement_past_its_end_gives_way_to_its_renewal(cb_world, cb, database):
    from plugins.co_building.models import Agreement

    old = await cb_world.agreement(starts_on=day(-800), ends_on=day(10), title="上期协议")
    await time_passes(database, cb_world, old["id"], ends_on=today() - dt.timedelta(days=1))
    old = await cb.ok(cb_world.admin, "GET", f"/agreements/{old['id']}")
    assert old["status"] == "active" and old["in_force"] is False, "stored active, but its term is over"
    renewed = await cb_world.agreement(starts_on=day(0), ends_on=day(1095), title="本期协议")
    assert renewed["in_force"] is True
    assert (await cb.ok(cb_world.admin, "GET", f"/agreements/{old['id']}"))["status"] == "expired"
    async with database.transaction(cb_world.admin.tenant.id) as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Agreement).where(Agreement.status == "active")
            )
            == 1
        )
    too_late = await cb_world.agreement(unit=cb_world.firm, starts_on=day(-100), ends_on=day(-2), expect=422)
    assert problem_fields_json(too_late) == {"ends_on": "ended"}


@pytest.mark.parametrize("who", ["other_district", "other_street_secretary"])
async def test_parties_outside_the_callers_reach_are_not_found_and_nothing_is_written(
    cb_world, cb, make_actor, who
):
    if who == "other_district":
        actor = await make_actor()
        enabled = await cb.client.post("/api/v1/plugins/co_building/enable", headers=actor.headers)
        assert enabled.status_code == 200
        cb.client.cookies.clear()
    else:
        actor = await make_actor("secretary", tenant=cb_world.admin.tenant, node_id=cb_world.other_street.id)
    theirs = await cb_world.agreement(actor=actor, expect=404)
    assert theirs["code"] == "not_found"
    if who == "other_street_secretary":
        own_area_foreign_unit = await cb_world.agreement(
            actor=actor, area=cb_world.other_community, expect=404
        )
        assert own_area_foreign_unit["code"] == "not_found", "a unit of another street is out of reach"
        mine = await cb_world.agreement(actor=actor, area=cb_world.other_community, unit=cb_world.other_unit)
        assert mine["status"] == "active"
    existing = await cb_world.agreement()
    assert (await cb.call(actor, "GET", f"/agreements/{existing['id']}")).status_code == 404
    patched = await cb.call(actor, "PATCH", f"/agreements/{existing['id']}", {"title": "改"})
    assert patched.status_code == 404
    listed = await cb.ok(actor, "GET", "/agreements")
    assert existing["id"] not in [a["id"] for a in listed["items"]]


async def test_the_street_sees_its_communities_agreements_and_filters_them(cb_world, cb, make_actor):
    here = await cb_world.agreement()
    there = await cb_world.agreement(
        area=cb_world.other_community, unit=cb_world.other_unit, title="南门共建"
    )
    viewer = await make_actor("viewer", tenant=cb_world.admin.tenant, node_id=cb_world.street.id)
    seen = await cb.ok(viewer, "GET", "/agreements")
    assert [a["id"] for a in seen["items"]] == [here["id"]]
    by_node = await cb.ok(cb_world.admin, "GET", "/agreements", node_id=str(cb_world.other_street.id))
    assert [a["id"] for a in by_node["items"]] == [there["id"]]
    by_unit = await cb.ok(cb_world.admin, "GET", "/agreements", unit_id=str(cb_world.unit.id))
    assert [a["id"] for a in by_unit["items"]] == [here["id"]]
    refused = await cb.call(viewer, "POST", f"/agreements/{here['id']}/transition", {"status": "terminated"})
    assert refused.status_code == 403, "a viewer reads but does not manage"
