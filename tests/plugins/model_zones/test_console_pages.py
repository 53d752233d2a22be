"""The console pages of demonstration zones: the zones list and one zone with its members, activities,
experiences, reviews and files, driven as a browser does (session cookie, CSRF field, post/redirect/get)."""

from __future__ import annotations

import re

import httpx

from core.testing import TEST_PASSWORD


async def console_login(client, tenant, user):
    """Log in through the console's form (CSRF cookie and field included)."""
    client.cookies.clear()
    form = await client.get(f"/t/{tenant.slug}/console/login")
    assert form.status_code == 200, form.text
    logged_in = await client.post(
        f"/t/{tenant.slug}/console/login",
        data={"_csrf_token": csrf(form.text), "username": user.username, "password": TEST_PASSWORD},
    )
    assert logged_in.status_code == 303, logged_in.text


def csrf(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def pages(tenant) -> str:
    return f"/t/{tenant.slug}/console/m/model_zones"


async def read_api(mz, actor, url):
    """The API's answer, keeping the console's session (the ``mz`` helper clears the client's cookies)."""
    kept = httpx.Cookies(mz.client.cookies)
    try:
        return await mz.ok(actor, "GET", url)
    finally:
        mz.client.cookies = kept


async def test_the_zones_page_lists_the_zones_and_its_menu_entry_follows_the_plugin(
    client, zone_world, admin
):
    await console_login(client, admin.tenant, admin.user)
    before = await client.get(f"/t/{admin.tenant.slug}/console")
    assert before.status_code == 200 and 'data-nav="m.model_zones"' not in before.text
    assert (await client.get(f"{pages(admin.tenant)}/zones")).status_code == 404

    world = await zone_world(members=2)
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/zones")
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/html")
    assert 'data-nav="m.model_zones"' in listed.text
    row = re.search(rf'<tr data-zone="{world.zone_id}">(.*?)</tr>', listed.text, re.S).group(1)
    assert world.zone["name"] in row and world.lead.name in row and "周书记" in row
    assert 'data-testid="members">2<' in row
    assert (await client.get(f"{pages(admin.tenant)}/zones", params={"status": ""})).status_code == 200
    dissolved = await client.get(f"{pages(admin.tenant)}/zones", params={"status": "dissolved"})
    assert world.zone_id not in dissolved.text


async def test_the_zone_page_shows_its_records_and_files_panel_and_its_forms_post_then_redirect(
    client, mz, zone_world, admin
):
    world = await zone_world(members=1)
    await mz.ok(
        admin,
        "POST",
        f"/zones/{world.zone_id}/experiences",
        {"title": "雁阵工作法", "summary": "头雁带动整片建强"},
        201,
    )
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/zones/{world.zone_id}"
    page = await client.get(url)
    assert page.status_code == 200, page.text
    assert world.zone["committee_name"] in page.text and "雁阵工作法" in page.text
    assert f"owner=model_zones.zone&owner_id={world.zone_id}" in page.text, "the zone's files panel"
    assert "owner=model_zones.experience" in page.text
    assert f'data-member="{world.members[0]["org_node_id"]}"' in page.text

    added = await client.post(
        f"{url}/member",
        data={"_csrf_token": csrf(page.text), "org_node_id": str(world.unit.id), "joined_on": "2024-05-01"},
    )
    assert added.status_code == 303 and added.headers["location"].rstrip("/") == url
    held = await client.post(
        f"{url}/activity",
        data={
            "_csrf_token": csrf(page.text),
            "title": "联合主题党日",
            "held_on": "2025-07-01",
            "place": "光华社区党群服务中心",
            "participants": "60",
            f"org.{world.unit.id}": str(world.unit.id),
        },
    )
    assert held.status_code == 303, held.text
    reviewed = await client.post(
        f"{url}/review",
        data={
            "_csrf_token": csrf(page.text),
            "reviewed_on": "2025-02-01",
            "rating": "excellent",
            "reviewer": "区委组织部",
            "findings": "示范带动作用明显",
        },
    )
    assert reviewed.status_code == 303, reviewed.text
    shown = await client.get(url)
    assert f'data-member="{world.unit.id}"' in shown.text
    assert "联合主题党日" in shown.text and "示范带动作用明显" in shown.text

    zone = await read_api(mz, admin, f"/zones/{world.zone_id}")
    assert (zone["members"], zone["activities"], zone["last_reviewed_on"]) == (2, 1, "2025-02-01")


async def test_a_refused_form_comes_back_with_the_error_beside_its_field_and_nothing_written(
    client, mz, zone_world, admin
):
    world = await zone_world(members=1)
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/zones/{world.zone_id}"
    page = await client.get(url)
    duplicate = await client.post(
        f"{url}/member", data={"_csrf_token": csrf(page.text), "org_node_id": world.members[0]["org_node_id"]}
    )
    assert duplicate.status_code == 200
    assert 'data-testid="error-member-org_node_id"' in duplicate.text
    early = await client.post(
        f"{url}/activity",
        data={
            "_csrf_token": csrf(page.text),
            "title": "太早的活动",
            "held_on": "2020-01-01",
            "place": "某地",
            "participants": "5",
        },
    )
    assert early.status_code == 200 and 'data-testid="error-activity-held_on"' in early.text
    assert 'value="太早的活动"' in early.text, "what was typed is kept"
    bad_status = await client.post(f"{url}/status", data={"_csrf_token": csrf(page.text), "status": "active"})
    assert bad_status.status_code == 200 and 'data-testid="error-status"' in bad_status.text
    zone = await read_api(mz, admin, f"/zones/{world.zone_id}")
    assert (zone["members"], zone["activities"], zone["status"]) == (1, 0, "active")


async def test_a_secretary_of_another_street_does_not_reach_the_zone_page(
    client, zone_world, admin, make_actor, make_node
):
    world = await zone_world()
    elsewhere = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=elsewhere.id)
    await console_login(client, admin.tenant, secretary.user)
    assert (await client.get(f"{pages(admin.tenant)}/zones/{world.zone_id}")).status_code == 404
    listed = await client.get(f"{pages(admin.tenant)}/zones")
    assert listed.status_code == 200 and world.zone_id not in listed.text
