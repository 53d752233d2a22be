"""The console pages of the care fund: funds, one fund with its ledger and disbursements and forms,
and the disclosure report with its downloads, driven as a browser does (session cookie, CSRF field,
post/redirect/get)."""

from __future__ import annotations

import re

from core.testing import TEST_PASSWORD


async def console_login(client, tenant, user):
    client.cookies.clear()
    form = await client.get(f"/t/{tenant.slug}/console/login")
    assert form.status_code == 200, form.text
    logged_in = await client.post(
        f"/t/{tenant.slug}/console/login",
        data={"_csrf_token": csrf(form.text), "username": user.username, "password": TEST_PASSWORD},
    )
    assert logged_in.status_code == 303, logged_in.text


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def hidden_key(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


def pages(tenant) -> str:
    return f"/t/{tenant.slug}/console/m/care_fund"


async def test_the_funds_page_lists_the_fund_with_its_balance(client, fund_world, admin):
    world = await fund_world(raised=3_900_000)
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/funds")
    assert listed.status_code == 200 and 'data-nav="m.care_fund"' in listed.text
    row = re.search(rf'<tr data-fund="{world.fund_id}">(.*?)</tr>', listed.text, re.S).group(1)
    assert "红色基金" in row and world.community.name in row and "39000.00" in row


async def test_income_is_recorded_from_the_form_once_even_when_the_form_is_sent_twice(
    client, cf, fund_world, admin
):
    world = await fund_world()
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}")
    assert (
        page.status_code == 200
        and 'data-testid="ledger"' in page.text
        and 'data-testid="disbursements"' in page.text
    )
    form = {
        "_csrf_token": csrf(page.text),
        "key": hidden_key(page.text),
        "source": "unit_donation",
        "amount_yuan": "24000",
        "receipt_no": "JZ-2018-01",
        "payer": "镇江市第一人民医院",
        "memo": "",
    }
    url = f"{pages(admin.tenant)}/funds/{world.fund_id}/income"
    first = await client.post(url, data=form)
    assert first.status_code == 303 and first.headers["location"].endswith(f"/funds/{world.fund_id}")
    again = await client.post(url, data=form)
    assert again.status_code == 303, "the resent form answers as the first did"
    shown = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}")
    assert re.search(r'data-testid="balance">24000.00<', shown.text)
    assert shown.text.count("data-transaction=") == 1, "posted once"

    bad = await client.post(url, data={**form, "key": "another", "amount_yuan": "12.345"})
    assert (
        bad.status_code == 200 and 'data-testid="error-amount"' in bad.text and 'value="12.345"' in bad.text
    )
    duplicate = await client.post(url, data={**form, "key": "yet-another"})
    assert duplicate.status_code == 200 and 'data-testid="error-receipt"' in duplicate.text
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 2_400_000


async def test_a_disbursement_is_approved_and_paid_from_the_funds_page(client, cf, fund_world, admin):
    world = await fund_world(raised=100_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 50_000,
            "purpose": "慰问",
        },
        201,
    )
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}")
    own = await client.post(
        f"{pages(admin.tenant)}/disbursements/{applied['id']}/approve", data={"_csrf_token": csrf(page.text)}
    )
    assert own.status_code == 200 and 'data-testid="error-disbursement"' in own.text, (
        "the applicant cannot approve"
    )

    await console_login(client, admin.tenant, world.approver.user)
    page = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}")
    approved = await client.post(
        f"{pages(admin.tenant)}/disbursements/{applied['id']}/approve", data={"_csrf_token": csrf(page.text)}
    )
    assert approved.status_code == 303, approved.text

    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}")
    key = re.search(r'name="key" value="([^"]+-' + applied["id"] + ')"', page.text).group(1)
    paid = await client.post(
        f"{pages(admin.tenant)}/disbursements/{applied['id']}/pay",
        data={"_csrf_token": csrf(page.text), "key": key},
    )
    assert paid.status_code == 303
    again = await client.post(
        f"{pages(admin.tenant)}/disbursements/{applied['id']}/pay",
        data={"_csrf_token": csrf(page.text), "key": key},
    )
    assert again.status_code == 303, "the resent payment form answers as the first did"
    client.cookies.clear()
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 50_000


async def test_the_disclosure_page_shows_the_report_and_links_its_downloads(client, fund_world, admin, cf):
    world = await fund_world(raised=3_900_000)
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"{pages(admin.tenant)}/funds/{world.fund_id}/disclosure")
    assert page.status_code == 200
    assert 'data-testid="closing">39000.00<' in page.text and "党费划转" in page.text
    xlsx = re.search(r'href="([^"]+)" data-testid="download-xlsx"', page.text).group(1).replace("&amp;", "&")
    pdf = re.search(r'href="([^"]+)" data-testid="download-pdf"', page.text).group(1).replace("&amp;", "&")
    sheet = await client.get(xlsx)
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"
    document = await client.get(pdf)
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    backwards = await client.get(
        f"{pages(admin.tenant)}/funds/{world.fund_id}/disclosure",
        params={"start": "2026-05-01", "end": "2026-04-01"},
    )
    assert backwards.status_code == 200 and 'data-testid="error"' in backwards.text
