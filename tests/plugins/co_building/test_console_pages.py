"""The console pages: the agreements list and one agreement with its service list, activities, reviews and
files, whose status form posts and redirects (post/redirect/get) or comes back with the error."""

from __future__ import annotations

import re

from core.testing import TEST_PASSWORD
from tests.plugins.co_building.conftest import day, today


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


def pages(tenant) -> str:
    return f"/t/{tenant.slug}/console/m/co_building"


async def test_the_agreements_page_lists_and_filters_and_the_menu_follows_the_plugin(
    client, cb_world, cb, make_actor
):
    active = await cb_world.agreement()
    draft = await cb_world.agreement(unit=cb_world.firm, status="draft", title="两新组织共建协议")
    admin = cb_world.admin
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/agreements")
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/html")
    assert 'data-nav="m.co_building"' in listed.text
    row = re.search(rf'<tr data-agreement="{active["id"]}">(.*?)</tr>', listed.text, re.S).group(1)
    assert "大西路社区" in row and "镇江供电公司" in row and day(700) in row
    assert f'data-agreement="{draft["id"]}"' in listed.text
    everything = await client.get(f"{pages(admin.tenant)}/agreements", params={"status": ""})
    assert everything.status_code == 200 and f'data-agreement="{draft["id"]}"' in everything.text
    drafts = await client.get(f"{pages(admin.tenant)}/agreements", params={"status": "draft"})
    assert f'data-agreement="{draft["id"]}"' in drafts.text
    assert f'data-agreement="{active["id"]}"' not in drafts.text

    elsewhere = await make_actor("secretary", tenant=admin.tenant, node_id=cb_world.other_street.id)
    await console_login(client, admin.tenant, elsewhere.user)
    theirs = await client.get(f"{pages(admin.tenant)}/agreements")
    assert theirs.status_code == 200 and active["id"] not in theirs.text
    assert (await client.get(f"{pages(admin.tenant)}/agreements/{active['id']}")).status_code == 404

    client.cookies.clear()
    off = await client.post("/api/v1/plugins/co_building/disable", headers=admin.headers)
    assert off.status_code == 200, off.text
    await console_login(client, admin.tenant, admin.user)
    assert (await client.get(f"{pages(admin.tenant)}/agreements")).status_code == 404


async def test_the_agreement_page_shows_its_lists_and_files_and_changes_status_by_form(client, cb_world, cb):
    admin = cb_world.admin
    agreement = await cb_world.agreement(status="draft")
    item = await cb.ok(
        admin,
        "POST",
        f"/agreements/{agreement['id']}/items",
        {"kind": "resource", "party": "unit", "title": "开放职工书屋"},
        201,
    )
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/agreements/{agreement['id']}"
    shown = await client.get(url)
    assert shown.status_code == 200 and 'data-testid="transition-form"' in shown.text
    assert f'data-item="{item["id"]}"' in shown.text and "开放职工书屋" in shown.text
    assert 'data-testid="activities"' in shown.text and 'data-testid="reviews"' in shown.text
    assert (
        f'hx-get="/t/{admin.tenant.slug}/console/attachments?owner=co_building.agreement'
        f'&owner_id={agreement["id"]}"' in shown.text
    ), "the files panel"
    token = csrf(shown.text)

    unexplained = await client.post(url, data={"_csrf_token": token, "status": "terminated", "reason": ""})
    assert unexplained.status_code == 200 and 'data-testid="error-reason"' in unexplained.text
    nonsense = await client.post(url, data={"_csrf_token": token, "status": "expired", "reason": ""})
    assert nonsense.status_code == 200 and 'data-testid="error-status"' in nonsense.text
    shown = await client.get(url)
    assert 'data-testid="agreement-status">草拟' in shown.text, "nothing written by the refusals"

    activated = await client.post(
        url, data={"_csrf_token": csrf(shown.text), "status": "active", "reason": ""}
    )
    assert activated.status_code == 303 and activated.headers["location"].endswith(url)
    after = await client.get(url)
    assert 'data-testid="agreement-status">生效' in after.text
    assert today().isoformat() in after.text, "signed today"
