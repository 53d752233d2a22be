"""The console pages of projects for the people: needs, the board by status and one project's page,
driven as a browser does (session cookie, CSRF field, post/redirect/get)."""

from __future__ import annotations

import re

import httpx

from core.api import district_today
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


def pages(tenant) -> str:
    return f"/t/{tenant.slug}/console/m/people_projects"


async def read_api(pp, actor, url):
    kept = httpx.Cookies(pp.client.cookies)
    try:
        return await pp.ok(actor, "GET", url)
    finally:
        pp.client.cookies = kept


async def test_the_needs_page_lists_needs_and_records_one_with_errors_beside_the_field(
    client, pp, pp_world, admin
):
    world = await pp_world(residents=0)
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"{pages(admin.tenant)}/needs")
    assert page.status_code == 200 and 'data-nav="m.people_projects"' in page.text
    token = csrf(page.text)
    body = {
        "_csrf_token": token,
        "org_node_id": str(world.community.id),
        "source": "hotline",
        "category": "environment",
        "title": "",
        "description": "雨天积水",
    }
    refused = await client.post(f"{pages(admin.tenant)}/needs", data=body)
    assert refused.status_code == 200 and 'data-testid="error-title"' in refused.text
    assert "雨天积水" in refused.text, "what was typed is kept"
    saved = await client.post(f"{pages(admin.tenant)}/needs", data={**body, "title": "小区积水"})
    assert saved.status_code == 303
    listed = await client.get(f"{pages(admin.tenant)}/needs", params={"status": "", "source": "hotline"})
    assert listed.status_code == 200 and "小区积水" in listed.text
    assert (
        "小区积水" not in (await client.get(f"{pages(admin.tenant)}/needs", params={"source": "online"})).text
    )


async def test_the_board_shows_projects_in_their_status_columns(client, pp, pp_world, admin):
    world = await pp_world(residents=0)
    draft = await world.project(status="draft", title="社区读书角")
    running = await world.project(status="in_progress", title="四点半课堂")
    await console_login(client, admin.tenant, admin.user)
    board = await client.get(f"{pages(admin.tenant)}/projects")
    assert board.status_code == 200
    column = re.search(r'<section data-status="in_progress"(.*?)</section>', board.text, re.S).group(1)
    assert running["id"] in column and draft["id"] not in column
    assert 'data-testid="count-draft">1<' in board.text


async def test_a_project_page_moves_claims_and_reports_progress_through_forms(
    client, pp, pp_world, admin, make_actor
):
    world = await pp_world(residents=0)
    project = await world.project(status="draft", title="背街小巷路灯改造")
    url = f"{pages(admin.tenant)}/projects/{project['id']}"
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(url)
    assert page.status_code == 200 and "背街小巷路灯改造" in page.text
    assert "people_projects.project" in page.text, "the files panel"
    token = csrf(page.text)

    published = await client.post(f"{url}/transitions", data={"_csrf_token": token, "to": "published"})
    assert published.status_code == 303 and published.headers["location"].rstrip("/").endswith(project["id"])
    page = await client.get(url)
    assert 'data-testid="claim-form"' in page.text

    too_much = await client.post(
        f"{url}/claims",
        data={
            "_csrf_token": token,
            "org_node_id": str(world.unit.id),
            "commitment": "money",
            "money_yuan": "12.345",
        },
    )
    assert too_much.status_code == 200 and 'data-testid="error-money_yuan"' in too_much.text
    claimed = await client.post(
        f"{url}/claims",
        data={
            "_csrf_token": token,
            "org_node_id": str(world.unit.id),
            "commitment": "money",
            "money_yuan": "1200.50",
        },
    )
    assert claimed.status_code == 303
    shown = await read_api(pp, admin, f"/projects/{project['id']}")
    assert (shown["status"], shown["committed_fen"]) == ("claimed", 120_050)

    wrong = await client.post(f"{url}/transitions", data={"_csrf_token": token, "to": "completed"})
    assert wrong.status_code == 200 and 'data-testid="error-to"' in wrong.text
    await client.post(f"{url}/transitions", data={"_csrf_token": token, "to": "in_progress"})
    today = district_today().isoformat()
    reported = await client.post(
        f"{url}/progress",
        data={"_csrf_token": token, "reported_on": today, "text": "路灯已安装一半", "percent": "50"},
    )
    assert reported.status_code == 303
    down = await client.post(
        f"{url}/progress", data={"_csrf_token": token, "reported_on": today, "text": "返工", "percent": "40"}
    )
    assert down.status_code == 200 and 'data-testid="error-percent"' in down.text
    page = await client.get(url)
    assert 'data-testid="percent">50%' in page.text and "路灯已安装一半" in page.text

    # Another district's account does not see the page at all.
    stranger = await make_actor()
    await console_login(client, stranger.tenant, stranger.user)
    assert (
        await client.get(f"/t/{stranger.tenant.slug}/console/m/people_projects/projects/{project['id']}")
    ).status_code == 404


async def test_residents_see_the_published_projects_on_the_public_page(
    client, pp, make_tenant, make_user, login, enable_plugin, make_node
):
    from core.testing import Actor

    tenant = await make_tenant("公开区", public={"enabled": True})
    user = await make_user(tenant, "system_admin")
    admin = Actor(tenant, user, await login(tenant, user))
    url = f"/t/{tenant.slug}/public/m/people_projects/projects"
    assert (await client.get(url)).status_code == 404, "the plugin is not enabled there"
    await enable_plugin(admin, "people_projects")
    community = await make_node(tenant, tenant.root_id, "street", "金山街道")
    body = {"org_node_id": str(community.id), "description": "为民服务", "category": "culture"}
    shown = await pp.ok(admin, "POST", "/projects", {**body, "title": "社区读书角"}, 201)
    await pp.ok(admin, "POST", f"/projects/{shown['id']}/transitions", {"to": "published"})
    await pp.ok(admin, "POST", "/projects", {**body, "title": "尚未发布的草稿"}, 201)
    page = await client.get(url)
    assert page.status_code == 200 and "社区读书角" in page.text and "尚未发布的草稿" not in page.text
