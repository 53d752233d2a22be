"""The console pages of the spark plan, driven as a browser does (session cookie, CSRF field,
post/redirect/get): fields with candidates per stage, a field's candidates, one candidate's workflow."""

from __future__ import annotations

import re

import httpx

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
    return f"/t/{tenant.slug}/console/m/spark_incubation"


async def api(spark, call):
    """An API call keeping the console's session (the ``spark`` helper clears the client's cookies)."""
    kept = httpx.Cookies(spark.client.cookies)
    try:
        return await call
    finally:
        spark.client.cookies = kept


async def test_the_fields_page_counts_candidates_per_stage_and_follows_the_plugin(
    client, spark, spark_world, admin
):
    await console_login(client, admin.tenant, admin.user)
    assert (await client.get(f"{pages(admin.tenant)}/fields")).status_code == 404, "not enabled yet"
    world = await spark_world()
    candidate = await spark.nominate(admin, world.field_id(), world.enterprise.id)
    await spark.move(admin, candidate["id"], "cultivating")
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/fields")
    assert listed.status_code == 200 and 'data-nav="m.spark_incubation"' in listed.text
    row = re.search(rf'<tr data-field="{world.field_id()}">(.*?)</tr>', listed.text, re.S).group(1)
    assert "互联网业" in row
    assert 'data-testid="stage-cultivating">1<' in row and 'data-testid="stage-nominated">0<' in row

    field = await client.get(f"{pages(admin.tenant)}/fields/{world.field_id()}")
    assert field.status_code == 200
    assert re.search(r'data-testid="count-cultivating">1<', field.text)
    assert f'data-candidate="{candidate["id"]}"' in field.text


async def test_nominating_and_cultivating_a_candidate_through_the_console(
    client, spark, spark_world, admin, days
):
    world = await spark_world()
    await console_login(client, admin.tenant, admin.user)
    field_page = await client.get(f"{pages(admin.tenant)}/fields/{world.field_id()}")
    token = csrf(field_page.text)
    nominated = await client.post(
        f"{pages(admin.tenant)}/fields/{world.field_id()}/nominate",
        data={"_csrf_token": token, "org_node_id": str(world.enterprise.id), "reason": "党建基础较好"},
    )
    assert nominated.status_code == 303, nominated.text
    detail_url = nominated.headers["location"]
    candidate_id = detail_url.rstrip("/").rsplit("/", 1)[1]
    twice = await client.post(
        f"{pages(admin.tenant)}/fields/{world.field_id()}/nominate",
        data={"_csrf_token": token, "org_node_id": str(world.enterprise.id), "reason": "再次提名"},
    )
    assert twice.status_code == 200 and 'data-testid="error-nominate"' in twice.text
    assert "再次提名" in twice.text, "what was typed is kept"

    detail = await client.get(detail_url)
    assert detail.status_code == 200 and 'data-testid="no-plan"' in detail.text
    token = csrf(detail.text)
    wrong = await client.post(
        f"{detail_url}/move", data={"_csrf_token": token, "to": "assessed", "reason": "跳级"}
    )
    assert wrong.status_code == 200 and 'data-testid="error-move"' in wrong.text
    moved = await client.post(
        f"{detail_url}/move", data={"_csrf_token": token, "to": "cultivating", "reason": "纳入培育"}
    )
    assert moved.status_code == 303
    backwards = await client.post(
        f"{detail_url}/plan",
        data={"_csrf_token": token, "title": "培育计划", "starts_on": days(10), "ends_on": days(1)},
    )
    assert backwards.status_code == 200 and 'data-testid="error-plan-ends_on"' in backwards.text
    planned = await client.post(
        f"{detail_url}/plan",
        data={
            "_csrf_token": token,
            "title": "培育计划",
            "starts_on": days(-5),
            "ends_on": days(100),
            "goals": "",
        },
    )
    assert planned.status_code == 303
    early = await client.post(
        f"{detail_url}/milestones", data={"_csrf_token": token, "title": "成立党支部", "due_on": days(-10)}
    )
    assert early.status_code == 200 and 'data-testid="error-milestone-due_on"' in early.text
    added = await client.post(
        f"{detail_url}/milestones", data={"_csrf_token": token, "title": "成立党支部", "due_on": days(-1)}
    )
    assert added.status_code == 303
    page = await client.get(detail_url)
    assert 'data-testid="overdue"' in page.text and "纳入培育" in page.text
    assert "owner=spark_incubation.candidate" in page.text and "owner=spark_incubation.plan" in page.text
    milestone = re.search(r'data-milestone="([0-9a-f-]+)"', page.text).group(1)
    done = await client.post(
        f"{detail_url}/milestones/{milestone}/done", data={"_csrf_token": csrf(page.text), "done_on": days(0)}
    )
    assert done.status_code == 303
    shown = await api(spark, spark.ok(admin, "GET", f"/candidates/{candidate_id}"))
    assert shown["stage"] == "cultivating" and shown["plan"]["milestones"][0]["done_on"] == days(0)
