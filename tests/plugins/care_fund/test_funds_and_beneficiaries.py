"""Funds and beneficiaries: set up, renamed, closed only when empty; beneficiaries kept minimal and
inside the caller's scope."""

from __future__ import annotations

import uuid


async def test_a_fund_is_closed_only_once_its_balance_is_zero(cf, fund_world, admin):
    world = await fund_world(raised=1_000)
    refused = await cf.call(admin, "PATCH", f"/funds/{world.fund_id}", {"status": "closed"}, 422)
    assert refused.json()["errors"][0]["field"] == "status"
    empty = await fund_world()
    closed = await cf.ok(admin, "PATCH", f"/funds/{empty.fund_id}", {"status": "closed", "name": "旧基金"})
    assert (closed["status"], closed["name"]) == ("closed", "旧基金")
    income = await cf.call(
        admin,
        "POST",
        f"/funds/{empty.fund_id}/income",
        {"source": "party_dues", "amount_fen": 1, "receipt_no": "X-1"},
        409,
    )
    assert income.json()["code"] == "fund_closed"


async def test_an_organisation_has_one_fund_of_a_name(cf, fund_world, admin):
    world = await fund_world()
    again = await cf.call(
        admin, "POST", "/funds", {"org_node_id": str(world.community.id), "name": "红色基金"}, 409
    )
    assert again.json()["errors"][0]["field"] == "name"


async def test_a_fund_outside_the_callers_scope_or_district_cannot_be_set_up(
    cf, fund_world, admin, make_actor
):
    world = await fund_world()
    other = await make_actor()
    foreign = await cf.call(other, "POST", "/funds", {"org_node_id": str(world.community.id), "name": "基金"})
    assert foreign.status_code in (403, 404)
    staff = await make_actor("staff", tenant=admin.tenant, node_id=world.community.id)
    assert (
        await cf.call(staff, "POST", "/funds", {"org_node_id": str(world.community.id), "name": "x"})
    ).status_code == 403
    listed = await cf.ok(staff, "GET", "/funds")
    assert [f["id"] for f in listed["items"]] == [world.fund_id]


async def test_a_beneficiary_keeps_minimal_data_and_links_only_a_person_of_the_district(
    cf, fund_world, admin, make_actor
):
    world = await fund_world()
    shown = await cf.ok(admin, "GET", f"/beneficiaries/{world.beneficiary['id']}")
    assert set(shown) == {
        "id",
        "org_node_id",
        "org_name",
        "kind",
        "name",
        "hardship",
        "person_id",
        "note",
        "created_at",
    }
    unknown = await cf.call(
        admin,
        "POST",
        "/beneficiaries",
        {
            "org_node_id": str(world.community.id),
            "kind": "member",
            "name": "赵六",
            "hardship": "elderly",
            "person_id": str(uuid.uuid4()),
        },
        422,
    )
    assert unknown.json()["errors"][0]["field"] == "person_id"
    updated = await cf.ok(
        admin, "PATCH", f"/beneficiaries/{world.beneficiary['id']}", {"hardship": "illness"}
    )
    assert updated["hardship"] == "illness"
    other = await make_actor()
    assert (await cf.call(other, "GET", f"/beneficiaries/{world.beneficiary['id']}")).status_code in (
        403,
        404,
    )
