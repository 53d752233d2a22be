"""The dashboard figures come from the records; demo data and a district's archive carry them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.api import district_today


async def figures(linkage, node_id):
    response = await linkage.client.get(
        "/api/v1/dashboard", headers=linkage.admin.headers, params={"node": str(node_id)}
    )
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "joint_committees"}


async def test_the_completion_rate_changes_when_a_decision_is_done(linkage):
    street = await linkage.committee(linkage.street)
    first = await linkage.decision(street, linkage.community)
    await linkage.decision(street, linkage.community)
    cancelled = await linkage.decision(street, linkage.community)
    await linkage.post(
        f"/decisions/{cancelled['id']}/progress", {"status": "cancelled", "note": "合并办理"}, expect=200
    )
    assert (await figures(linkage, linkage.street.id))["decision_completion_rate"] == 0.0

    await linkage.post(f"/decisions/{first['id']}/progress", {"status": "done", "note": "已办结"}, expect=200)
    assert (await figures(linkage, linkage.street.id))["decision_completion_rate"] == 50.0, (
        "cancelled ones do not count"
    )
    assert (await figures(linkage, linkage.other_street.id))["decision_completion_rate"] == 0.0, (
        "another subtree"
    )


async def test_meetings_held_this_year_are_weighed_against_the_quota(linkage):
    street = await linkage.committee(linkage.street, meetings_per_year=4)
    await linkage.committee(linkage.community, meetings_per_year=12)
    before = await figures(linkage, linkage.street.id)
    assert (before["committees"], before["meetings_required"], before["meetings_held"]) == (2, 16, 0)
    meeting = (
        await linkage.post(
            f"/committees/{street['id']}/meetings",
            {"title": "例会", "scheduled_at": "2030-01-01T09:00:00+08:00"},
        )
    ).json()
    await linkage.post(
        f"/meetings/{meeting['id']}/record",
        {"held_on": district_today().isoformat(), "minutes": "已开", "attendance": []},
        expect=200,
    )
    after = await figures(linkage, linkage.street.id)
    assert (after["meetings_held"], after["meeting_rate"]) == (1, 6.2)
    assert (await figures(linkage, linkage.community.id))["meetings_held"] == 0, (
        "the street's meeting is not the community's"
    )


async def test_part_time_members_and_overdue_decisions_are_counted_in_the_subtree(linkage, database):
    street = await linkage.committee(linkage.street)
    await linkage.post(
        f"/committees/{street['id']}/seats",
        {
            "role": "part_time_member",
            "name": "周红",
            "home_unit_name": "镇江供电公司",
            "term_start": "2024-01-01",
        },
    )
    decision = await linkage.decision(street, linkage.community, due_in_days=1)
    from plugins.joint_committees.models import Decision

    async with database.transaction(linkage.admin.tenant.id) as session:
        row = (await session.scalars(select(Decision))).one()
        row.due_on = district_today() - dt.timedelta(days=3)  # time passes
    shown = await figures(linkage, linkage.admin.tenant.root_id)
    assert (shown["part_time_members"], shown["overdue_decisions"]) == (1, 1)
    overdue = (await linkage.get("/decisions", overdue="true")).json()
    assert [d["id"] for d in overdue["items"]] == [decision["id"]]
    assert overdue["items"][0]["overdue"] is True


async def test_a_district_without_the_plugin_has_no_linkage_figures(linkage, make_actor):
    other = await make_actor()
    response = await linkage.client.get(
        "/api/v1/dashboard", headers=other.headers, params={"node": str(other.tenant.root_id)}
    )
    assert [f for f in response.json()["figures"] if f["plugin"] == "joint_committees"] == []


async def test_every_linkage_record_survives_export_and_import(linkage, round_trip):
    street = await linkage.committee(linkage.street)
    community = await linkage.committee(linkage.community)
    seat = (
        await linkage.post(
            f"/committees/{community['id']}/seats",
            {"role": "secretary", "name": "陈书记", "term_start": "2024-01-01"},
        )
    ).json()
    meeting = (
        await linkage.post(
            f"/committees/{community['id']}/meetings",
            {"title": "例会", "scheduled_at": "2030-01-01T09:00:00+08:00"},
        )
    ).json()
    await linkage.post(
        f"/meetings/{meeting['id']}/record",
        {
            "held_on": district_today().isoformat(),
            "minutes": "已开",
            "attendance": [{"seat_id": seat["id"], "present": True}],
        },
        expect=200,
    )
    await linkage.decision(street, linkage.community)
    compared = await round_trip(linkage.admin.tenant)
    for table, rows in {
        "linkage_committee": 2,
        "linkage_seat": 1,
        "linkage_meeting": 1,
        "linkage_attendance": 1,
        "linkage_decision": 1,
    }.items():
        assert compared[table] == (rows, rows), table


async def test_demo_data_sets_up_every_level_after_the_seed(linkage, database, make_node, plugin_host):
    """The district guidance committee of 13 departments, and a committee for every street and community."""
    from plugins.joint_committees.models import Committee, Seat

    await make_node(linkage.admin.tenant, linkage.street.id, "unit", "镇江供电公司", level="provincial")
    async with database.transaction(linkage.admin.tenant.id) as session:
        results = await plugin_host.call(
            "quanyu_demo_data",
            enabled=["joint_committees"],
            tenant_id=linkage.admin.tenant.id,
            session=session,
            plan=None,
        )
    counts = dict(results)["joint_committees"]
    assert counts["committees"] == 4, "district, two streets, one community"
    async with database.transaction(linkage.admin.tenant.id) as session:
        district = (await session.scalars(select(Committee).where(Committee.level == "district"))).one()
        departments = await session.scalar(
            select(func.count())
            .select_from(Seat)
            .where(Seat.committee_id == district.id, Seat.home_unit_name.like("区%"))
        )
        part_time = await session.scalar(
            select(func.count()).select_from(Seat).where(Seat.role == "part_time_member")
        )
    assert departments == 13
    assert part_time == counts["part_time_members"] > 0
    shown = await figures(linkage, linkage.admin.tenant.root_id)
    assert shown["committees"] == 4
    assert shown["meetings_required"] == 4 + 4 + 4 + 12
