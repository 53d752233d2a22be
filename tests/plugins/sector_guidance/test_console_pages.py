"""The console pages of sector–area collaboration: sectors, assessments and one assessment's workflow,
driven as a browser does (session cookie, CSRF field, post/redirect/get)."""

from __future__ import annotations

import re

import httpx

from core.api import JobContext, district_today, new_id
from core.testing import TEST_PASSWORD
from plugins.sector_guidance import jobs

YEAR = district_today().year


async def console_login(client, tenant, user):
    """Log in through the console's form (CSRF cookie and field included), as tests/test_console.py does."""
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
    return f"/t/{tenant.slug}/console/m/sector_guidance"


async def started(sg, actor, world, organisation=0):
    body = {"sector_id": world.sector_id, "org_node_id": str(world.organisations[organisation].id)}
    return await sg.ok(actor, "POST", "/assessments", body, 201)


async def read_api(sg, actor, url, **params):
    """The API's answer, keeping the console's session (the ``sg`` helper clears the client's cookies)."""
    kept = httpx.Cookies(sg.client.cookies)
    try:
        return await sg.ok(actor, "GET", url, **params)
    finally:
        sg.client.cookies = kept


def form(token, world, answers):
    """The checklist form: ``answers`` is one ``(met, evidence)`` per item, as typed."""
    data = {"_csrf_token": token}
    for item, (met, evidence) in zip(world.item_ids, answers, strict=True):
        if met:
            data[f"met.{item}"] = "1"
        data[f"evidence.{item}"] = evidence
    return data


async def test_the_sectors_page_lists_the_sector_and_its_menu_entry_follows_the_plugin(
    client, sector_world, admin
):
    await console_login(client, admin.tenant, admin.user)
    before = await client.get(f"/t/{admin.tenant.slug}/console")
    assert before.status_code == 200 and 'data-nav="m.sector_guidance"' not in before.text
    assert (await client.get(f"{pages(admin.tenant)}/sectors")).status_code == 404

    world = await sector_world(members=2)
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/sectors")
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/html")
    assert 'data-nav="m.sector_guidance"' in listed.text
    row = re.search(rf'<tr data-sector="{world.sector_id}">(.*?)</tr>', listed.text, re.S).group(1)
    assert world.sector["name"] in row and world.sector["code"] in row and world.department.name in row
    assert 'data-testid="members">2<' in row, "both organisations of the sector"
    assert re.search(r'data-testid="standard-version">[^<]*1', row), "the published version"
    filtered = await client.get(f"{pages(admin.tenant)}/sectors", params={"status": ""})
    assert filtered.status_code == 200, "an empty filter choice means all"
    archived = await client.get(f"{pages(admin.tenant)}/sectors", params={"status": "archived"})
    assert world.sector["code"] not in archived.text

    client.cookies.clear()
    off = await client.post("/api/v1/plugins/sector_guidance/disable", headers=admin.headers)
    assert off.status_code == 200, off.text
    await console_login(client, admin.tenant, admin.user)
    after = await client.get(f"/t/{admin.tenant.slug}/console")
    assert 'data-nav="m.sector_guidance"' not in after.text
    assert (await client.get(f"{pages(admin.tenant)}/sectors")).status_code == 404


async def test_the_assessments_list_filters_and_links_to_each_assessment(client, sg, sector_world, admin):
    world = await sector_world(members=2)
    first = await started(sg, admin, world, 0)
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/assessments"
    listed = await client.get(url, params={"sector": "", "cycle": "", "status": ""})
    assert listed.status_code == 200
    assert f'href="{url}/{first["id"]}"' in listed.text and world.organisations[0].name in listed.text
    chosen = await client.get(
        url, params={"sector": world.sector_id, "cycle": str(YEAR), "status": "in_progress"}
    )
    assert f'data-assessment="{first["id"]}"' in chosen.text
    assert f'<option value="{world.sector_id}" selected>' in chosen.text, "the filter shows its choice"
    for other in ({"status": "submitted"}, {"cycle": str(YEAR - 1)}):
        assert f'data-assessment="{first["id"]}"' not in (await client.get(url, params=other)).text, other


async def test_an_assessment_is_answered_refused_without_evidence_submitted_and_scored(
    client, sg, sector_world, admin
):
    world = await sector_world(members=1)
    assessment = await started(sg, admin, world)
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/assessments/{assessment['id']}"
    shown = await client.get(url)
    assert shown.status_code == 200 and 'data-testid="results-form"' in shown.text
    assert (
        f'hx-get="/t/{admin.tenant.slug}/console/attachments?owner=sector_guidance.assessment'
        f'&owner_id={assessment["id"]}"' in shown.text
    ), "the evidence files panel"
    panel = await client.get(
        f"/t/{admin.tenant.slug}/console/attachments",
        params={"owner": "sector_guidance.assessment", "owner_id": assessment["id"]},
    )
    assert panel.status_code == 200 and 'data-testid="files"' in panel.text
    token = csrf(shown.text)

    early = await client.post(f"{url}/submit", data={"_csrf_token": token})
    assert early.status_code == 200 and early.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-submit"' in early.text
    assert all(f'data-testid="error-item-{n}"' in early.text for n in (1, 2, 3, 4)), "each unanswered item"

    typed = [(True, "查阅组建批复"), (True, "   "), (False, "部分落实"), (False, "")]
    refused = await client.post(f"{url}/results", data=form(token, world, typed))
    assert refused.status_code == 200
    assert 'data-testid="error-evidence-2"' in refused.text, "beside the item met without evidence"
    assert 'data-testid="error-evidence-1"' not in refused.text
    assert ">查阅组建批复</textarea>" in refused.text and ">部分落实</textarea>" in refused.text
    item = world.item_ids
    assert re.search(rf'name="met\.{item[1]}" value="1" checked', refused.text), "the tick is kept"
    assert not re.search(rf'name="met\.{item[2]}" value="1" checked', refused.text)
    api = await read_api(sg, admin, f"/assessments/{assessment['id']}")
    assert api["answered"] == 0, "nothing of a refused form is recorded"

    too_long = await client.post(
        f"{url}/results",
        data=form(token, world, [(True, "长" * 4001), (False, ""), (False, ""), (False, "")]),
    )
    assert too_long.status_code == 200 and 'data-testid="error-evidence-1">最多 4000 个字' in too_long.text

    answers = [(True, "查阅组建批复"), (True, "查阅会议记录"), (False, ""), (True, "现场查看")]
    recorded = await client.post(f"{url}/results", data=form(token, world, answers))
    assert recorded.status_code == 303 and recorded.headers["location"] == url
    page = await client.get(url)
    assert 'data-testid="answered">4 / 4<' in page.text
    assert "查阅会议记录</textarea>" in page.text

    submitted = await client.post(f"{url}/submit", data={"_csrf_token": token})
    assert submitted.status_code == 303 and submitted.headers["location"] == url
    done = await client.get(url)
    assert 'data-testid="score">80.0<' in done.text, "40 + 30 + 10 of 100"
    assert 'data-testid="passed">' in done.text and 'data-testid="results-form"' not in done.text
    assert (await client.get(url)).text.count('data-testid="score">80.0<') == 1, "a reload changes nothing"

    again = await client.post(f"{url}/submit", data={"_csrf_token": token})
    assert again.status_code == 200 and 'data-testid="error-submit"' in again.text, "says why"
    late = await client.post(f"{url}/results", data=form(token, world, [(False, "")] * 4))
    assert late.status_code == 200 and 'data-testid="error-results"' in late.text
    final = await read_api(sg, admin, f"/assessments/{assessment['id']}")
    assert (final["status"], final["score"], final["passed"]) == ("submitted", 80.0, True)
    assert [i["met"] for i in final["items"]] == [True, True, False, True]


async def test_a_due_assessment_is_started_from_its_page(client, sg, sector_world, admin, database):
    await sector_world(members=1)
    async with database.transaction(admin.tenant.id) as session:
        tick = f"{YEAR - 1}-12-31T23:00:00+00:00"  # 1 January, 07:00 in the districts' zone
        ctx = JobContext(
            new_id(), "sector_guidance.open_assessment_cycle", admin.tenant.id, {"tick": tick}, session, 1
        )
        assert (await jobs.open_assessment_cycle(ctx))["opened"] == 1
    due = (await sg.ok(admin, "GET", "/assessments", status="due"))["items"][0]
    await console_login(client, admin.tenant, admin.user)
    url = f"{pages(admin.tenant)}/assessments/{due['id']}"
    shown = await client.get(url)
    assert 'data-testid="start-form"' in shown.text and 'data-testid="results-form"' not in shown.text
    begun = await client.post(f"{url}/start", data={"_csrf_token": csrf(shown.text)})
    assert begun.status_code == 303 and begun.headers["location"] == url
    assert 'data-testid="results-form"' in (await client.get(url)).text
    twice = await client.post(f"{url}/start", data={"_csrf_token": csrf(shown.text)})
    assert twice.status_code == 200 and 'data-testid="error-start"' in twice.text
    assert (await read_api(sg, admin, f"/assessments/{due['id']}"))["status"] == "in_progress"


async def test_another_districts_and_an_out_of_reach_secretarys_pages_are_not_found(
    client, sg, sector_world, admin, make_actor, make_node
):
    world = await sector_world(members=1)
    assessment = await started(sg, admin, world)
    path = f"/assessments/{assessment['id']}"

    community = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    await console_login(client, community.tenant, community.user)
    seen = await client.get(pages(admin.tenant) + path)
    assert seen.status_code == 200 and 'data-testid="results-form"' in seen.text, "the area's side assesses"

    viewer = await make_actor("viewer", tenant=admin.tenant, node_id=world.community.id)
    await console_login(client, viewer.tenant, viewer.user)
    read_only = await client.get(pages(admin.tenant) + path)
    assert read_only.status_code == 200 and 'data-testid="results-form"' not in read_only.text
    assert 'data-testid="submit-form"' not in read_only.text, "a reader sees the checklist, no actions"

    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "外街道")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    await console_login(client, outsider.tenant, outsider.user)
    own = await client.get(f"{pages(admin.tenant)}/assessments")
    assert own.status_code == 200 and assessment["id"] not in own.text
    assert (await client.get(pages(admin.tenant) + path)).status_code == 404
    token = csrf(own.text)
    assert (
        await client.post(pages(admin.tenant) + path + "/submit", data={"_csrf_token": token})
    ).status_code == 404
    refused = await client.post(
        pages(admin.tenant) + path + "/results", data=form(token, world, [(False, "")] * 4)
    )
    assert refused.status_code == 404
    attachments = await client.get(
        f"/t/{admin.tenant.slug}/console/attachments",
        params={"owner": "sector_guidance.assessment", "owner_id": assessment["id"]},
    )
    assert attachments.status_code == 404

    stranger = await make_actor()
    await console_login(client, stranger.tenant, stranger.user)
    assert (await client.get(pages(admin.tenant) + path)).status_code == 404, "another district's page"
    assert (await client.get(pages(stranger.tenant) + path)).status_code == 404, "not in this district"
    assert (await read_api(sg, admin, path))["status"] == "in_progress", "nothing changed"
