"""The disclosure report (公示) and its files, the nightly trial balance, the dashboard figures, the
records in a district's archive, and the demo district's funds."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select, text

from core.api import district_today
from tests.plugins.care_fund.conftest import receipt


async def paid_disbursement(cf, world, admin, amount, name="张三丰"):
    beneficiary = await cf.ok(
        admin,
        "POST",
        "/beneficiaries",
        {"org_node_id": str(world.community.id), "kind": "resident", "name": name, "hardship": "illness"},
        201,
    )
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": beneficiary["id"],
            "amount_fen": amount,
            "purpose": "大病救助",
        },
        201,
    )
    await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    return await cf.ok(admin, "POST", f"/disbursements/{applied['id']}/pay")


async def test_the_disclosure_shows_income_by_source_masked_names_and_balances(cf, fund_world, admin):
    world = await fund_world()
    for source, amount in (("party_dues", 1_500_000), ("unit_donation", 2_400_000), ("unit_donation", 1)):
        await cf.ok(
            admin,
            "POST",
            f"/funds/{world.fund_id}/income",
            {"source": source, "amount_fen": amount, "receipt_no": receipt()},
            201,
        )
    await paid_disbursement(cf, world, admin, 50_000, "张三丰")
    reversed_payment = await paid_disbursement(cf, world, admin, 20_000, "李四")
    await cf.ok(
        admin, "POST", f"/transactions/{reversed_payment['payment_id']}/reverse", {"reason": "重复"}, 201
    )
    report = await cf.ok(admin, "GET", f"/funds/{world.fund_id}/disclosure")
    assert report["opening_balance_fen"] == 0
    assert {s["source"]: s["amount_fen"] for s in report["income"]} == {
        "party_dues": 1_500_000,
        "unit_donation": 2_400_001,
        "member_donation": 0,
        "social_donation": 0,
    }
    assert report["income_total_fen"] == 3_900_001
    assert [(p["beneficiary"], p["amount_fen"]) for p in report["disbursements"]] == [("张*丰", 50_000)]
    assert report["disbursed_total_fen"] == 50_000
    assert report["closing_balance_fen"] == 3_850_001
    tomorrow = district_today() + dt.timedelta(days=1)
    later = await cf.ok(
        admin,
        "GET",
        f"/funds/{world.fund_id}/disclosure",
        start=tomorrow.isoformat(),
        end=tomorrow.isoformat(),
    )
    assert later["opening_balance_fen"] == later["closing_balance_fen"] == 3_850_001
    assert later["income_total_fen"] == 0 and later["disbursements"] == []
    backwards = await cf.call(
        admin, "GET", f"/funds/{world.fund_id}/disclosure", start="2026-05-01", end="2026-04-01", expect=422
    )
    assert backwards.json()["errors"][0]["field"] == "end"


async def audit_records(client, auditor, action):
    response = await client.get(
        "/api/v1/audit", headers=auditor.headers, params={"action": action, "limit": 50}
    )
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_disclosure_exports_as_a_spreadsheet_and_a_pdf_and_each_export_is_audited(
    cf, fund_world, admin, client, make_actor
):
    from openpyxl import load_workbook

    world = await fund_world(raised=3_900_000)
    await paid_disbursement(cf, world, admin, 50_000, "王桂兰")
    sheet = await cf.call(admin, "GET", f"/funds/{world.fund_id}/disclosure.xlsx", expect=200)
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in sheet.headers["content-disposition"]
    book = load_workbook(io.BytesIO(sheet.content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "党费划转" in cells and "王*兰" in cells and "王桂兰" not in cells and "38500.00" in cells
    assert admin.user.username in book.properties.description and "导出" in book.properties.description
    assert admin.user.username in book.active.oddHeader.center.text, "the watermark prints on every page"
    pdf = await cf.call(admin, "GET", f"/funds/{world.fund_id}/disclosure.pdf", expect=200)
    assert pdf.content.startswith(b"%PDF") and b"STSong-Light" in pdf.content
    assert f"/Author ({admin.user.username})".encode() in pdf.content, "the PDF names who exported it"
    auditor = await make_actor("audit_admin", tenant=admin.tenant)
    records = await audit_records(client, auditor, "care_fund.disclosure_export")
    mine = [r["changes"] for r in records if r["object_id"] == world.fund_id]
    assert sorted(c["format"] for c in mine) == ["pdf", "xlsx"]
    assert all(c["rows"] == 1 and admin.user.username in c["watermark"] for c in mine)


async def test_the_nightly_trial_balance_alerts_the_districts_administrators_on_an_imbalance(
    cf, fund_world, admin, database, fire_schedule, client, make_actor
):
    world = await fund_world(raised=10_000)
    await fire_schedule("care_fund.trial_balance", dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC))
    inbox = await client.get("/api/v1/notifications", headers=admin.headers)
    assert not [n for n in inbox.json()["items"] if n["kind"] == "trial_balance_failed"], "balanced: no alert"
    async with database.transaction(admin.tenant.id) as session:
        await session.execute(text("UPDATE care_fund SET balance_fen = balance_fen + 1"))
    await fire_schedule("care_fund.trial_balance", dt.datetime(2026, 3, 2, 18, 30, tzinfo=dt.UTC))
    inbox = await client.get("/api/v1/notifications", headers=admin.headers)
    client.cookies.clear()
    alerts = [n for n in inbox.json()["items"] if n["kind"] == "trial_balance_failed"]
    assert len(alerts) == 1 and world.fund["name"] in alerts[0]["title"]
    auditor = await make_actor("audit_admin", tenant=admin.tenant)
    records = await audit_records(client, auditor, "care_fund.trial_balance_failed")
    assert [r["object_id"] for r in records] == [world.fund_id]


async def figures(client, actor, node_id):
    response = await client.get("/api/v1/dashboard", headers=actor.headers, params={"node": str(node_id)})
    client.cookies.clear()
    assert response.status_code == 200, response.text
    return {f["key"]: f["value"] for f in response.json()["figures"] if f["plugin"] == "care_fund"}


async def test_figures_for_a_subtree_count_raised_disbursed_beneficiaries_and_balance(
    cf, fund_world, admin, make_node
):
    world = await fund_world(raised=3_900_000)
    await paid_disbursement(cf, world, admin, 50_000, "王桂兰")
    reversed_payment = await paid_disbursement(cf, world, admin, 20_000, "李四")
    await cf.ok(
        admin, "POST", f"/transactions/{reversed_payment['payment_id']}/reverse", {"reason": "退回"}, 201
    )
    for node in (admin.tenant.root_id, world.street.id, world.community.id):
        shown = await figures(cf.client, admin, node)
        assert (shown["raised"], shown["disbursed"], shown["beneficiaries"], shown["balance"]) == (
            39000.0,
            500.0,
            1,
            38500.0,
        )
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "韦岗街道")
    empty = await figures(cf.client, admin, elsewhere.id)
    assert (empty["funds"], empty["raised"], empty["balance"]) == (0, 0.0, 0.0)


async def test_the_ledger_survives_the_districts_export_and_import(cf, fund_world, admin, round_trip):
    world = await fund_world(raised=100_000)
    paid = await paid_disbursement(cf, world, admin, 30_000)
    await cf.ok(admin, "POST", f"/transactions/{paid['payment_id']}/reverse", {"reason": "退回"}, 201)
    await cf.call(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {"source": "party_dues", "amount_fen": 5, "receipt_no": receipt()},
        201,
        key="kept",
    )
    compared = await round_trip(admin.tenant)
    assert compared["care_fund"] == (1, 1)
    assert compared["care_fund_transaction"] == (4, 4)
    assert compared["care_fund_entry"] == (8, 8)
    assert compared["care_fund_disbursement"] == (1, 1)
    assert compared["care_fund_beneficiary"] == (2, 2)
    assert compared["care_fund_idempotency_key"] == (1, 1)


async def test_the_demo_district_has_the_seeds_community_fund_and_more(
    database, admin, enable_plugin, make_node
):
    from core.api import OrgNode
    from core.demo.generator import DemoPlan
    from plugins import care_fund
    from plugins.care_fund import services
    from plugins.care_fund.models import CareFund

    await enable_plugin(admin, "care_fund")
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    for name in ("大西路社区", "迎江路中心社区"):
        await make_node(admin.tenant, street.id, "community", name)
    other = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    await make_node(admin.tenant, other.id, "community", "南门社区")
    plan = DemoPlan(reference_date=dt.date(2026, 5, 20), nodes=[], people=[])
    async with database.transaction(admin.tenant.id) as session:
        counts = await care_fund.quanyu_demo_data(admin.tenant.id, session, plan)
    assert counts["funds"] == 3 and counts["reversals"] == 1
    async with database.transaction(admin.tenant.id) as session:
        community = (await session.scalars(select(OrgNode).where(OrgNode.name == "迎江路中心社区"))).one()
        shown = {f.key: f.value for f in await services.figures(session, community)}
        assert (shown["raised"], shown["beneficiaries"]) == (39000.0, 76)
        assert shown["balance"] == 39000.0 - shown["disbursed"] >= 0
        checked, problems = await services.trial_balance(session)
        assert checked == 3 and problems == []
        assert len(list(await session.scalars(select(CareFund)))) == 3
