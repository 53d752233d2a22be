"""Committees at three levels and their seats, as a district organisation department sets them up."""

from __future__ import annotations

import datetime as dt

from core.api import district_today


async def test_a_street_gets_its_big_working_committee_named_after_it(linkage):
    committee = await linkage.committee(linkage.street)
    assert committee["level"] == "street"
    assert committee["name"] == "和平路街道大工委"
    assert committee["meetings_per_year"] == 4, "the district's default quota for a street"
    assert committee["status"] == "active"


async def test_a_village_committee_counts_as_community_level(linkage, make_node):
    village = await make_node(linkage.admin.tenant, linkage.street.id, "village", "蒋乔村")
    committee = await linkage.committee(village)
    assert (committee["level"], committee["name"]) == ("community", "蒋乔村大党委")


async def test_an_organisation_has_one_linkage_committee(linkage):
    await linkage.committee(linkage.community)
    again = await linkage.post("/committees", {"org_node_id": str(linkage.community.id)}, expect=409)
    assert again.json()["code"] == "committee_exists"


async def test_a_branch_cannot_have_a_linkage_committee(linkage):
    refused = await linkage.post("/committees", {"org_node_id": str(linkage.branch.id)}, expect=422)
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("org_node_id", "wrong_kind")]


async def test_the_district_sets_the_default_meeting_quota(linkage):
    configured = await linkage.client.put(
        "/api/v1/plugins/joint_committees/config",
        headers=linkage.admin.headers,
        json={"community_meetings_per_year": 6},
    )
    assert configured.status_code == 200, configured.text
    assert (await linkage.committee(linkage.community))["meetings_per_year"] == 6
    bad = await linkage.client.put(
        "/api/v1/plugins/joint_committees/config",
        headers=linkage.admin.headers,
        json={"street_meetings_per_year": 0},
    )
    assert bad.status_code == 422
    assert "street_meetings_per_year" in bad.text


async def test_part_time_members_count_only_while_their_term_runs(linkage, make_node):
    unit = await make_node(
        linkage.admin.tenant, linkage.street.id, "unit", "镇江供电公司", level="provincial"
    )
    committee = await linkage.committee(linkage.street)
    url = f"/committees/{committee['id']}/seats"
    await linkage.post(url, {"role": "secretary", "name": "陈书记", "term_start": "2024-01-01"})
    current = await linkage.post(
        url,
        {
            "role": "part_time_member",
            "name": "周红",
            "home_unit_node_id": str(unit.id),
            "term_start": "2024-01-01",
        },
    )
    ended = district_today() - dt.timedelta(days=1)
    await linkage.post(
        url,
        {
            "role": "part_time_member",
            "name": "吴强",
            "home_unit_name": "金山物业",
            "term_start": "2023-01-01",
            "term_end": ended.isoformat(),
        },
    )
    assert current.json()["active"] is True
    shown = (await linkage.get(f"/committees/{committee['id']}")).json()
    assert (shown["active_seats"], shown["part_time_members"]) == (2, 1)
    active = (await linkage.get(url, active="true")).json()
    assert sorted(s["name"] for s in active["items"]) == ["周红", "陈书记"]
    assert (await linkage.get(url)).json()["total"] == 3


async def test_a_part_time_member_comes_from_a_unit(linkage):
    committee = await linkage.committee(linkage.community)
    refused = await linkage.post(
        f"/committees/{committee['id']}/seats",
        {"role": "part_time_member", "name": "周红", "term_start": "2024-01-01"},
        expect=422,
    )
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("home_unit_name", "missing")]


async def test_a_seat_needs_a_name_a_known_person_and_a_term_that_ends_after_it_starts(linkage):
    committee = await linkage.committee(linkage.community)
    url = f"/committees/{committee['id']}/seats"
    cases = [
        ({"role": "member", "term_start": "2024-01-01"}, "name"),
        ({"role": "member", "person_id": str(linkage.branch.id), "term_start": "2024-01-01"}, "person_id"),
        (
            {"role": "member", "name": "王五", "term_start": "2024-01-01", "term_end": "2023-01-01"},
            "term_end",
        ),
        ({"role": "chairman", "name": "王五", "term_start": "2024-01-01"}, "role"),
    ]
    for body, field in cases:
        refused = await linkage.post(url, body, expect=None)
        assert refused.status_code in (400, 422), refused.text
        assert field in refused.text, (field, refused.text)


async def test_a_committee_has_one_secretary_at_a_time(linkage):
    committee = await linkage.committee(linkage.community)
    url = f"/committees/{committee['id']}/seats"
    first = (
        await linkage.post(url, {"role": "secretary", "name": "陈书记", "term_start": "2021-01-01"})
    ).json()
    second = await linkage.post(
        url, {"role": "secretary", "name": "林书记", "term_start": "2025-01-01"}, expect=409
    )
    assert second.json()["code"] == "secretary_taken"
    ended = await linkage.client.post(
        f"/api/v1/m/joint_committees/seats/{first['id']}/end",
        headers=linkage.admin.headers,
        json={"ended_on": "2024-12-31"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["active"] is False
    await linkage.post(url, {"role": "secretary", "name": "林书记", "term_start": "2025-01-01"})


async def test_a_dissolved_committee_takes_no_new_seats(linkage):
    committee = await linkage.committee(linkage.community)
    dissolved = await linkage.client.patch(
        f"/api/v1/m/joint_committees/committees/{committee['id']}",
        headers=linkage.admin.headers,
        json={"status": "dissolved"},
    )
    assert dissolved.json()["status"] == "dissolved"
    refused = await linkage.post(
        f"/committees/{committee['id']}/seats",
        {"role": "member", "name": "王五", "term_start": "2024-01-01"},
        expect=409,
    )
    assert refused.json()["code"] == "committee_dissolved"


async def test_a_secretary_sees_the_committees_of_their_street_only(linkage, make_actor):
    mine = await linkage.committee(linkage.street)
    below = await linkage.committee(linkage.community)
    other = await linkage.committee(linkage.other_street)
    secretary = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.street.id)
    listed = (await linkage.get("/committees", actor=secretary)).json()
    assert sorted(c["id"] for c in listed["items"]) == sorted([mine["id"], below["id"]])
    await linkage.get(f"/committees/{other['id']}", actor=secretary, expect=404)
    refused = await linkage.post(
        f"/committees/{other['id']}/seats",
        {"role": "member", "name": "王五", "term_start": "2024-01-01"},
        actor=secretary,
        expect=404,
    )
    assert refused.json()["code"] == "not_found"


async def test_a_viewer_reads_but_cannot_set_up_committees(linkage, make_actor):
    viewer = await make_actor("viewer", tenant=linkage.admin.tenant, node_id=linkage.street.id)
    await linkage.get("/committees", actor=viewer)
    refused = await linkage.post(
        "/committees", {"org_node_id": str(linkage.street.id)}, actor=viewer, expect=403
    )
    assert refused.json()["code"] == "forbidden"


async def test_a_district_that_has_not_enabled_it_gets_404(linkage, make_actor):
    other = await make_actor()
    committee = await linkage.committee(linkage.street)
    await linkage.get("/committees", actor=other, expect=404)
    await linkage.get(f"/committees/{committee['id']}", actor=other, expect=404)


async def test_committees_are_audited(linkage, make_actor):
    committee = await linkage.committee(linkage.street)
    auditor = await make_actor("audit_admin", tenant=linkage.admin.tenant)
    records = await linkage.client.get(
        "/api/v1/audit", headers=auditor.headers, params={"action": "joint_committees.committee_create"}
    )
    assert [r["object_id"] for r in records.json()["items"]] == [committee["id"]]
