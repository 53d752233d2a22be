"""Money in and out of a fund: income with receipts, disbursements approved by others and paid,
reversals; the stored balance always the sum of the entries, never below zero."""

from __future__ import annotations

from tests.plugins.care_fund.conftest import receipt


async def balance(cf, actor, world):
    return (await cf.ok(actor, "GET", f"/funds/{world.fund_id}"))["balance_fen"]


async def test_income_is_a_balanced_transaction_that_raises_the_stored_balance(cf, fund_world, admin):
    world = await fund_world()
    posted = await cf.ok(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {
            "source": "unit_donation",
            "amount_fen": 1_200_050,
            "receipt_no": "JZ-001",
            "payer": "镇江市第一人民医院",
        },
        201,
    )
    assert posted["kind"] == "income" and posted["amount_fen"] == 1_200_050
    assert sorted((e["account"], e["direction"], e["amount_fen"]) for e in posted["entries"]) == [
        ("cash", "debit", 1_200_050),
        ("income.unit_donation", "credit", 1_200_050),
    ]
    assert await balance(cf, admin, world) == 1_200_050
    ledger = await cf.ok(admin, "GET", f"/funds/{world.fund_id}/transactions")
    assert [t["id"] for t in ledger["items"]] == [posted["id"]]


async def test_a_receipt_number_is_recorded_once_in_the_district(cf, fund_world, admin):
    world = await fund_world()
    other = await fund_world()
    body = {"source": "member_donation", "amount_fen": 10_000, "receipt_no": "DY-7"}
    await cf.ok(admin, "POST", f"/funds/{world.fund_id}/income", body, 201)
    again = await cf.call(admin, "POST", f"/funds/{other.fund_id}/income", body, 409)
    assert again.json()["errors"][0]["field"] == "receipt_no"
    assert await balance(cf, admin, other) == 0, "nothing written"


async def test_amounts_are_whole_fen_and_anything_else_is_refused_naming_the_field(cf, fund_world, admin):
    world = await fund_world()
    for amount in (12.5, 100.0, "100", -5, 0, True, None):
        response = await cf.call(
            admin,
            "POST",
            f"/funds/{world.fund_id}/income",
            {"source": "party_dues", "amount_fen": amount, "receipt_no": receipt()},
        )
        assert response.status_code == 422, (amount, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == ["amount_fen"], amount
    assert await balance(cf, admin, world) == 0
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}/transactions"))["total"] == 0


async def test_a_disbursement_is_applied_approved_by_someone_else_then_paid(cf, fund_world, admin):
    world = await fund_world(raised=100_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 50_000,
            "purpose": "走访慰问",
        },
        201,
    )
    assert applied["status"] == "applied" and not applied["needs_second_approval"]
    early = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409)
    assert early.json()["code"] == "wrong_status"
    own = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/approve", expect=409)
    assert own.json()["code"] == "same_person", "the applicant never approves"
    approved = await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    assert approved["status"] == "approved" and approved["approver_id"] == str(world.approver.user.id)
    paid = await cf.ok(admin, "POST", f"/disbursements/{applied['id']}/pay")
    assert paid["status"] == "paid" and paid["payment_id"]
    assert await balance(cf, admin, world) == 50_000
    again = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409)
    assert again.json()["code"] == "wrong_status"
    assert await balance(cf, admin, world) == 50_000


async def test_above_the_districts_amount_a_third_person_gives_a_second_approval(cf, fund_world, admin):
    world = await fund_world(raised=1_000_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 600_000,
            "purpose": "大病救助",
        },
        201,
    )
    assert applied["needs_second_approval"]
    first = await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    assert first["status"] == "first_approved"
    await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409)
    same = await cf.call(world.approver, "POST", f"/disbursements/{applied['id']}/approve", expect=409)
    assert same.json()["code"] == "same_person"
    applicant = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/approve", expect=409)
    assert applicant.json()["code"] == "same_person"
    second = await cf.ok(world.second_approver, "POST", f"/disbursements/{applied['id']}/approve")
    assert second["status"] == "approved" and second["second_approver_id"] == str(
        world.second_approver.user.id
    )
    await cf.ok(admin, "POST", f"/disbursements/{applied['id']}/pay")
    assert await balance(cf, admin, world) == 400_000


async def test_a_payment_that_would_overdraw_the_fund_is_refused_and_nothing_is_written(
    cf, fund_world, admin
):
    world = await fund_world(raised=30_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 30_001,
            "purpose": "慰问",
        },
        201,
    )
    await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    refused = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409)
    assert refused.json()["code"] == "overdrawn" and refused.json()["errors"][0]["field"] == "amount_fen"
    assert await balance(cf, admin, world) == 30_000
    assert (await cf.ok(admin, "GET", f"/disbursements/{applied['id']}"))["status"] == "approved"
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}/transactions"))["total"] == 1


async def test_a_rejected_disbursement_is_never_paid(cf, fund_world, admin):
    world = await fund_world(raised=30_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 10_000,
            "purpose": "慰问",
        },
        201,
    )
    await cf.call(admin, "POST", f"/disbursements/{applied['id']}/reject", {"reason": "自己否决"}, 409)
    rejected = await cf.ok(
        world.approver, "POST", f"/disbursements/{applied['id']}/reject", {"reason": "不符合条件"}
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "不符合条件"
    await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409)
    await cf.call(world.second_approver, "POST", f"/disbursements/{applied['id']}/approve", expect=409)
    assert await balance(cf, admin, world) == 30_000


async def test_corrections_are_reversals_referring_to_the_original(cf, fund_world, admin):
    world = await fund_world()
    income = await cf.ok(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {"source": "social_donation", "amount_fen": 88_800, "receipt_no": receipt()},
        201,
    )
    reversal = await cf.ok(
        admin, "POST", f"/transactions/{income['id']}/reverse", {"reason": "金额登记错误"}, 201
    )
    assert reversal["kind"] == "reversal" and reversal["reverses_id"] == income["id"]
    assert sorted((e["account"], e["direction"]) for e in reversal["entries"]) == [
        ("cash", "credit"),
        ("income.social_donation", "debit"),
    ]
    assert await balance(cf, admin, world) == 0
    original = await cf.ok(admin, "GET", f"/transactions/{income['id']}")
    assert original["reversed_by_id"] == reversal["id"] and original["amount_fen"] == 88_800, "never edited"
    twice = await cf.call(admin, "POST", f"/transactions/{income['id']}/reverse", {"reason": "再冲"}, 409)
    assert twice.json()["code"] == "already_reversed"
    of_reversal = await cf.call(
        admin, "POST", f"/transactions/{reversal['id']}/reverse", {"reason": "x"}, 409
    )
    assert of_reversal.json()["code"] == "reversal_of_reversal"


async def test_income_already_spent_cannot_be_reversed(cf, fund_world, admin):
    world = await fund_world()
    income = await cf.ok(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {"source": "party_dues", "amount_fen": 50_000, "receipt_no": receipt()},
        201,
    )
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 40_000,
            "purpose": "慰问",
        },
        201,
    )
    await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    paid = await cf.ok(admin, "POST", f"/disbursements/{applied['id']}/pay")
    refused = await cf.call(admin, "POST", f"/transactions/{income['id']}/reverse", {"reason": "错"}, 409)
    assert refused.json()["code"] == "overdrawn"
    back = await cf.ok(admin, "POST", f"/transactions/{paid['payment_id']}/reverse", {"reason": "退回"}, 201)
    assert back["disbursement_id"] == applied["id"]
    assert (await cf.ok(admin, "GET", f"/disbursements/{applied['id']}"))["status"] == "reversed"
    assert await balance(cf, admin, world) == 50_000


async def test_a_beneficiary_outside_the_funds_organisation_is_refused(cf, fund_world, admin, make_node):
    world = await fund_world(raised=10_000)
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "金山街道")
    stranger = await cf.ok(
        admin,
        "POST",
        "/beneficiaries",
        {"org_node_id": str(elsewhere.id), "kind": "resident", "name": "李四", "hardship": "illness"},
        201,
    )
    refused = await cf.call(
        admin,
        "POST",
        "/disbursements",
        {"fund_id": world.fund_id, "beneficiary_id": stranger["id"], "amount_fen": 1_000, "purpose": "慰问"},
        422,
    )
    assert refused.json()["errors"][0]["field"] == "beneficiary_id"
    assert (await cf.ok(admin, "GET", "/disbursements", fund_id=world.fund_id))["total"] == 0


async def test_records_of_another_district_or_outside_the_callers_scope_are_not_found(
    cf, fund_world, admin, make_actor, make_node
):
    world = await fund_world(raised=10_000)
    other_district = await make_actor()
    sibling = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    sibling_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=sibling.id)
    body = {"source": "party_dues", "amount_fen": 1_000, "receipt_no": receipt()}
    for outsider in (other_district, sibling_secretary):
        assert (await cf.call(outsider, "GET", f"/funds/{world.fund_id}")).status_code in (403, 404)
        response = await cf.call(outsider, "POST", f"/funds/{world.fund_id}/income", body)
        assert response.status_code in (403, 404), response.text
    assert await balance(cf, admin, world) == 10_000
