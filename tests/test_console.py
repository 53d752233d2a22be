"""The console over HTTP: sessions, districts, CSRF and the mechanisms' pages (the browser tests drive the same pages)."""

from __future__ import annotations

import re

from core.testing import TEST_PASSWORD


async def console_login(client, tenant, user, next_page=None):
    """Log in through the console's form, as a browser does (CSRF cookie and field included)."""
    form = await client.get(f"/t/{tenant.slug}/console/login")
    assert form.status_code == 200, form.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    return await client.post(
        f"/t/{tenant.slug}/console/login",
        data={
            "_csrf_token": token,
            "username": user.username,
            "password": TEST_PASSWORD,
            "next": next_page or "",
        },
    )


async def test_a_page_without_a_session_goes_to_login_and_back(client, admin):
    wanted = f"/t/{admin.tenant.slug}/console/org"
    first = await client.get(wanted)
    assert first.status_code == 303
    assert first.headers[
        "location"
    ] == f"/t/{admin.tenant.slug}/console/login?next={wanted.replace('/', '%2F')}" or first.headers[
        "location"
    ].endswith("next=" + wanted)
    logged_in = await console_login(client, admin.tenant, admin.user, next_page=wanted)
    assert logged_in.status_code == 303 and logged_in.headers["location"] == wanted
    page = await client.get(wanted)
    assert page.status_code == 200 and 'data-testid="org-current"' in page.text


async def test_a_wrong_password_keeps_the_username_and_says_why(client, admin):
    form = await client.get(f"/t/{admin.tenant.slug}/console/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    refused = await client.post(
        f"/t/{admin.tenant.slug}/console/login",
        data={"_csrf_token": token, "username": admin.user.username, "password": "wrong-password"},
    )
    assert refused.status_code == 200
    assert refused.headers["content-type"].startswith("text/html")
    assert 'data-testid="login-error"' in refused.text
    assert f'value="{admin.user.username}"' in refused.text
    assert "wrong-password" not in refused.text


async def test_a_form_without_its_csrf_token_is_refused(client, admin):
    await client.get(f"/t/{admin.tenant.slug}/console/login")
    forged = await client.post(
        f"/t/{admin.tenant.slug}/console/login",
        data={"username": admin.user.username, "password": TEST_PASSWORD},
    )
    assert forged.status_code == 403


async def test_another_districts_pages_are_not_found(client, admin, make_actor):
    other = await make_actor()
    await console_login(client, admin.tenant, admin.user)
    for path in ("", "/org", "/inbox", "/mechanisms", "/m/joint_committees/committees"):
        response = await client.get(f"/t/{other.tenant.slug}/console{path}")
        assert response.status_code == 404, (path, response.status_code)
        assert "text/html" in response.headers["content-type"]
    assert (await client.get("/t/no-such-district/console/org")).status_code in (303, 404)


async def test_a_mechanism_switched_on_shows_in_the_menu_and_off_hides_it(client, admin):
    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    grid = await client.get(f"/t/{slug}/console/mechanisms")
    assert grid.status_code == 200
    assert 'data-mechanism="joint_committees"' in grid.text and 'data-mechanism="care_fund"' in grid.text
    assert 'data-nav="m.joint_committees"' not in grid.text
    assert (await client.get(f"/t/{slug}/console/m/joint_committees/committees")).status_code == 404

    token = client.cookies.get("quanyu_csrf")
    switched = await client.post(
        f"/t/{slug}/console/mechanisms/joint_committees/enable", data={"_csrf_token": _field(grid.text)}
    )
    assert switched.status_code == 303, switched.text
    enabled = await client.get(switched.headers["location"])
    assert 'data-nav="m.joint_committees"' in enabled.text
    assert (await client.get(f"/t/{slug}/console/m/joint_committees/committees")).status_code == 200
    needs = await client.post(
        f"/t/{slug}/console/mechanisms/hello_extra/enable", data={"_csrf_token": _field(grid.text)}
    )
    assert 'data-testid="mechanism-error"' in needs.text and "hello" in needs.text, "requirements are named"
    off = await client.post(
        f"/t/{slug}/console/mechanisms/joint_committees/disable", data={"_csrf_token": _field(grid.text)}
    )
    disabled = await client.get(off.headers["location"])
    assert 'data-nav="m.joint_committees"' not in disabled.text
    assert (await client.get(f"/t/{slug}/console/m/joint_committees/committees")).status_code == 404
    assert token is not None


def _field(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_only_district_configurers_see_the_mechanisms_page(client, admin, make_user):
    viewer = await make_user(admin.tenant, "viewer")
    await console_login(client, admin.tenant, viewer)
    page = await client.get(f"/t/{admin.tenant.slug}/console")
    assert page.status_code == 200 and 'data-nav="mechanisms"' not in page.text
    assert (await client.get(f"/t/{admin.tenant.slug}/console/mechanisms")).status_code == 404


async def _linkage_decision(client, admin):
    enabled = await client.post("/api/v1/plugins/joint_committees/enable", headers=admin.headers)
    assert enabled.status_code == 200, enabled.text
    committee = (
        await client.post(
            "/api/v1/m/joint_committees/committees",
            headers=admin.headers,
            json={"org_node_id": str(admin.tenant.root_id)},
        )
    ).json()
    import datetime as dt

    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    decision = await client.post(
        f"/api/v1/m/joint_committees/committees/{committee['id']}/decisions",
        headers=admin.headers,
        json={
            "title": "老旧小区加装电梯",
            "assigned_to": str(admin.tenant.root_id),
            "due_on": due,
            "owner_name": "李明",
        },
    )
    assert decision.status_code == 201, decision.text
    return decision.json()


async def test_a_form_error_is_shown_by_its_field_and_keeps_what_was_typed(client, admin):
    decision = await _linkage_decision(client, admin)
    await console_login(client, admin.tenant, admin.user)
    url = f"/t/{admin.tenant.slug}/console/m/joint_committees/decisions/{decision['id']}"
    shown = await client.get(url)
    assert shown.status_code == 200 and 'data-testid="progress-form"' in shown.text
    token = _field(shown.text)
    silent = await client.post(url, data={"_csrf_token": token, "status": "done", "note": "  "})
    assert silent.status_code == 200 and silent.headers["content-type"].startswith("text/html")
    assert 'data-testid="error-note"' in silent.text
    assert '<option value="done" selected>' in silent.text, "the chosen status is kept"
    done = await client.post(url, data={"_csrf_token": token, "status": "done", "note": "已开放停车位"})
    assert done.status_code == 303 and done.headers["location"] == url
    again = await client.post(url, data={"_csrf_token": token, "status": "done", "note": "已开放停车位"})
    assert 'data-testid="error-status"' in again.text, "a second submit changes nothing and says why"
    api = await client.get(f"/api/v1/m/joint_committees/decisions/{decision['id']}", headers=admin.headers)
    assert (api.json()["status"], api.json()["progress_note"]) == ("done", "已开放停车位")


async def test_files_are_attached_from_the_console_and_read_by_signed_links(client, admin, make_actor):
    decision = await _linkage_decision(client, admin)
    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    page = await client.get(f"/t/{slug}/console/m/joint_committees/decisions/{decision['id']}")
    token = _field(page.text)
    panel = f"/t/{slug}/console/attachments"
    form = {"_csrf_token": token, "owner": "joint_committees.decision", "owner_id": decision["id"]}
    refused = await client.post(
        panel, data=form, files={"file": ("病毒.pdf", b"\x7fELF" + bytes(64), "application/pdf")}
    )
    assert refused.status_code == 200 and 'data-testid="file-error"' in refused.text
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    uploaded = await client.post(panel, data=form, files={"file": ("纪要.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 200 and "纪要.pdf" in uploaded.text
    link = re.search(r'href="(/api/v1/files/[^"]+)"', uploaded.text).group(1)
    client.cookies.clear()
    assert (await client.get(link)).content == pdf, "a signed link needs no session"

    other = await make_actor()
    client.cookies.clear()
    await console_login(client, other.tenant, other.user)
    assert (
        await client.get(
            f"/t/{slug}/console/attachments",
            params={"owner": "joint_committees.decision", "owner_id": decision["id"]},
        )
    ).status_code == 404


async def test_an_organisation_is_created_from_the_tree_and_a_second_submit_is_refused(client, admin):
    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    page = await client.get(f"/t/{slug}/console/org")
    assert 'data-testid="org-create"' in page.text
    form = {
        "_csrf_token": _field(page.text),
        "parent_id": str(admin.tenant.root_id),
        "kind": "street",
        "name": "和平路街道",
    }
    created = await client.post(f"/t/{slug}/console/org/nodes", data=form)
    assert created.status_code == 303
    shown = await client.get(created.headers["location"])
    assert "和平路街道" in shown.text
    twice = await client.post(f"/t/{slug}/console/org/nodes", data=form)
    assert twice.status_code == 200 and 'data-testid="error-name"' in twice.text
    assert 'value="和平路街道"' in twice.text, "what was typed stays in the form"
    children = await client.get(f"/api/v1/org/nodes/{admin.tenant.root_id}/children", headers=admin.headers)
    assert [c["name"] for c in children.json()["items"]] == ["和平路街道"], "one street, not two"


async def test_a_spreadsheet_with_a_bad_row_imports_nothing_and_lists_the_row(client, admin):
    import io

    from openpyxl import Workbook

    from core.people.validation import make_id_card

    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    form = await client.get(f"/t/{slug}/console/people/import")
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "所在组织"])
    import datetime as dt

    sheet.append(["张三", make_id_card("321111", dt.date(1980, 5, 1), 12, "male"), str(admin.tenant.root_id)])
    sheet.append(["李四", "123", str(admin.tenant.root_id)])
    out = io.BytesIO()
    book.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    report = await client.post(
        f"/t/{slug}/console/people/import",
        data={"_csrf_token": _field(form.text)},
        files={"file": ("党员.xlsx", out.getvalue(), xlsx)},
    )
    assert report.status_code == 200 and 'data-testid="import-problems"' in report.text
    assert "<td>3</td>" in report.text and "身份证号" in report.text, "row 3, the ID card column"
    people = await client.get(f"/t/{slug}/console/people")
    assert 'data-testid="people-total">0<' in people.text


async def test_a_mechanism_is_configured_from_a_form_built_from_its_schema_and_purged_after_a_preview(
    client, admin
):
    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    page = await client.get(f"/t/{slug}/console/mechanisms/joint_committees")
    assert page.status_code == 200 and 'data-testid="config-form"' in page.text
    assert 'name="community_meetings_per_year" value="12"' in page.text
    url = f"/t/{slug}/console/mechanisms/joint_committees/config"
    form = {
        "_csrf_token": _field(page.text),
        "district_meetings_per_year": "4",
        "street_meetings_per_year": "四",
        "community_meetings_per_year": "6",
        "remind_hours_before_meeting": "24",
        "escalate_after_days_overdue": "0",
        "escalate_again_after_days": "7",
    }
    wrong = await client.post(url, data=form)
    assert wrong.status_code == 200 and 'data-testid="error-street_meetings_per_year"' in wrong.text
    assert 'value="四"' in wrong.text, "what was typed stays"
    too_many = await client.post(url, data={**form, "street_meetings_per_year": "99"})
    assert 'data-testid="error-street_meetings_per_year"' in too_many.text
    saved = await client.post(url, data={**form, "street_meetings_per_year": "6"})
    assert saved.status_code == 303
    config = await client.get("/api/v1/plugins/joint_committees", headers=admin.headers)
    assert config.json()["config"]["street_meetings_per_year"] == 6

    await client.post("/api/v1/plugins/joint_committees/enable", headers=admin.headers)
    await client.post(
        "/api/v1/m/joint_committees/committees",
        headers=admin.headers,
        json={"org_node_id": str(admin.tenant.root_id)},
    )
    await client.post("/api/v1/plugins/joint_committees/disable", headers=admin.headers)
    preview = await client.get(f"/t/{slug}/console/mechanisms/joint_committees")
    assert (
        'data-testid="purge-preview"' in preview.text
        and "<td>linkage_committee</td><td>1</td>" in preview.text
    )
    purge = f"/t/{slug}/console/mechanisms/joint_committees/purge"
    refused = await client.post(purge, data={"_csrf_token": _field(preview.text), "confirm": "yes"})
    assert 'data-testid="error-confirm"' in refused.text
    done = await client.post(purge, data={"_csrf_token": _field(preview.text), "confirm": "joint_committees"})
    assert done.status_code == 303 and done.headers["location"].endswith("purged=1")


def _menu(html: str) -> list[str]:
    return re.findall(r'data-nav="([^"]+)"', html)


async def test_each_administrator_sees_only_their_own_menus(client, admin, make_user):
    auditor = await make_user(admin.tenant, "audit_admin")
    security = await make_user(admin.tenant, "security_admin")
    slug = admin.tenant.slug
    await console_login(client, admin.tenant, admin.user)
    assert _menu((await client.get(f"/t/{slug}/console")).text) == [
        "dashboard",
        "org",
        "people",
        "inbox",
        "users",
        "mechanisms",
    ]
    assert (await client.get(f"/t/{slug}/console/audit")).status_code == 404
    client.cookies.clear()
    await console_login(client, admin.tenant, auditor)
    assert _menu((await client.get(f"/t/{slug}/console")).text) == ["dashboard", "inbox", "audit"]
    log = await client.get(f"/t/{slug}/console/audit", params={"action": "auth."})
    assert log.status_code == 200 and "auth.login" in log.text
    for path in ("/users", "/mechanisms", "/people"):
        assert (await client.get(f"/t/{slug}/console{path}")).status_code == 404, path
    client.cookies.clear()
    await console_login(client, admin.tenant, security)
    assert _menu((await client.get(f"/t/{slug}/console")).text) == ["dashboard", "org", "inbox", "users"]


async def test_accounts_are_created_by_the_system_admin_and_given_roles_by_the_security_admin(
    client, admin, make_user
):
    security = await make_user(admin.tenant, "security_admin")
    slug = admin.tenant.slug
    await console_login(client, admin.tenant, admin.user)
    page = await client.get(f"/t/{slug}/console/users")
    form = {
        "_csrf_token": _field(page.text),
        "username": "Bad Name!",
        "display_name": "王芳",
        "email": "",
        "role": "",
    }
    refused = await client.post(f"/t/{slug}/console/users", data=form)
    assert 'data-testid="error-username"' in refused.text and 'value="王芳"' in refused.text
    created = await client.post(f"/t/{slug}/console/users", data={**form, "username": "wangfang"})
    assert 'data-testid="invitation"' in created.text
    users = (await client.get("/api/v1/users", headers=admin.headers)).json()["items"]
    new_user = next(u for u in users if u["username"] == "wangfang")

    client.cookies.clear()
    await console_login(client, admin.tenant, security)
    account = await client.get(f"/t/{slug}/console/users/{new_user['id']}")
    assert 'data-testid="grant-form"' in account.text
    granted = await client.post(
        f"/t/{slug}/console/users/{new_user['id']}/grants",
        data={
            "_csrf_token": _field(account.text),
            "role": "audit_admin",
            "node_id": str(admin.tenant.root_id),
        },
    )
    assert granted.status_code == 303
    shown = await client.get(granted.headers["location"])
    assert "审计管理员" in shown.text
    mixed = await client.post(
        f"/t/{slug}/console/users/{new_user['id']}/grants",
        data={
            "_csrf_token": _field(account.text),
            "role": "audit_admin",
            "node_id": str(admin.tenant.root_id),
        },
    )
    assert mixed.status_code == 200 and 'data-testid="grant-error"' in mixed.text, (
        "separation of duties is explained"
    )


async def test_public_pages_exist_only_where_the_district_turned_them_on(client, make_tenant):
    closed = await make_tenant()
    published = await make_tenant("公开区", public={"enabled": True, "title": "公开区党建服务"})
    response = await client.get(f"/t/{closed.slug}/public")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    opened = await client.get(f"/t/{published.slug}/public")
    assert opened.status_code == 200, opened.text
    assert 'data-testid="public-title">公开区党建服务<' in opened.text, "no login needed"
    assert (await client.get("/t/no-such-district/public")).status_code == 404


async def test_a_plugins_public_page_shows_only_where_it_is_enabled(client, make_tenant, make_user, login):
    published = await make_tenant("公开区", public={"enabled": True})
    url = f"/t/{published.slug}/public/m/hello/greeting"
    assert (await client.get(url)).status_code == 404, "the plugin is not enabled there"
    administrator = await make_user(published, "system_admin")
    headers = await login(published, administrator)
    assert (await client.post("/api/v1/plugins/hello/enable", headers=headers)).status_code == 200
    client.cookies.clear()
    shown = await client.get(url)
    assert shown.status_code == 200 and 'data-testid="hello-public">欢迎来访<' in shown.text
    home = await client.get(f"/t/{published.slug}/public")
    assert f'href="/t/{published.slug}/public/m/hello/greeting"' in home.text


async def test_a_persons_full_id_is_shown_only_on_request_and_audited(client, admin, make_actor):
    import datetime as dt

    from core.people.validation import make_id_card

    card = make_id_card("321111", dt.date(1985, 6, 1), 21, "female")
    created = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={
            "name": "孙丽",
            "id_card": card,
            "org_node_id": str(admin.tenant.root_id),
            "phone": "13912345678",
        },
    )
    assert created.status_code == 201, created.text
    person = created.json()
    auditor = await make_actor("audit_admin", tenant=admin.tenant)  # (logging in clears the client's cookies)
    await console_login(client, admin.tenant, admin.user)
    url = f"/t/{admin.tenant.slug}/console/people/{person['id']}"
    shown = await client.get(url)
    assert card not in shown.text and person["id_card_masked"] in shown.text
    revealed = await client.post(f"{url}/unmask", data={"_csrf_token": _field(shown.text)})
    assert card in revealed.text and "13912345678" in revealed.text
    records = await client.get("/api/v1/audit", headers=auditor.headers, params={"action": "person.unmask"})
    assert [r["object_id"] for r in records.json()["items"]] == [person["id"]]
    bad = await client.post(
        url,
        data={
            "_csrf_token": _field(shown.text),
            "phone": "12345",
            "work_unit": "润州区教育局",
            "address": "",
        },
    )
    assert 'data-testid="error-phone"' in bad.text and 'value="润州区教育局"' in bad.text
    good = await client.post(
        url,
        data={
            "_csrf_token": _field(shown.text),
            "phone": "13800001111",
            "category": "retired",
            "work_unit": "润州区教育局",
            "address": "",
        },
    )
    assert good.status_code == 303
    saved = (await client.get(f"/api/v1/people/{person['id']}", headers=admin.headers)).json()
    assert (saved["category"], saved["work_unit"], saved["phone_masked"]) == (
        "retired",
        "润州区教育局",
        "138****1111",
    )


async def test_an_organisation_is_found_renamed_moved_and_archived_from_its_page(client, admin, make_node):
    first = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    second = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    community = await make_node(admin.tenant, first.id, "community", "大西路社区")
    await console_login(client, admin.tenant, admin.user)
    slug = admin.tenant.slug
    found = await client.get(f"/t/{slug}/console/org", params={"q": "大西路"})
    assert f"node={community.id}" in found.text
    page = await client.get(f"/t/{slug}/console/org", params={"node": str(community.id)})
    token = _field(page.text)
    url = f"/t/{slug}/console/org/nodes/{community.id}"
    renamed = await client.post(
        url, data={"_csrf_token": token, "action": "rename", "name": "大西路中心社区", "code": ""}
    )
    assert renamed.status_code == 303
    moved = await client.post(url, data={"_csrf_token": token, "action": "move", "parent_id": str(second.id)})
    assert moved.status_code == 303
    node = (await client.get(f"/api/v1/org/nodes/{community.id}", headers=admin.headers)).json()
    assert (node["name"], node["parent_id"]) == ("大西路中心社区", str(second.id))
    refused = await client.post(
        f"/t/{slug}/console/org/nodes/{admin.tenant.root_id}",
        data={"_csrf_token": token, "action": "archive"},
    )
    assert refused.status_code == 200 and 'data-testid="error-archive"' in refused.text
    archived = await client.post(url, data={"_csrf_token": token, "action": "archive"})
    assert archived.status_code == 303 and archived.headers["location"].endswith(f"node={second.id}")


async def test_the_people_list_filters_by_subtree_and_category(client, admin, make_node):
    import datetime as dt

    from core.people.validation import make_id_card

    first = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    second = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    for name, node, category, serial in (("周一", first, "retired", 31), ("吴二", second, "in_service", 32)):
        card = make_id_card("321111", dt.date(1960, 1, 1), serial, "male")
        body = {"name": name, "id_card": card, "org_node_id": str(node.id), "category": category}
        assert (await client.post("/api/v1/people", headers=admin.headers, json=body)).status_code == 201
    await console_login(client, admin.tenant, admin.user)
    url = f"/t/{admin.tenant.slug}/console/people"
    here = await client.get(url, params={"node": str(first.id)})
    assert "周一" in here.text and "吴二" not in here.text
    retired = await client.get(url, params={"category": "retired"})
    assert "周一" in retired.text and "吴二" not in retired.text
    everyone = await client.get(url, params={"category": "", "party_status": ""})
    assert "周一" in everyone.text and "吴二" in everyone.text


async def test_the_committee_list_filter_all_is_an_empty_choice_not_an_error(client, admin):
    await client.post("/api/v1/plugins/joint_committees/enable", headers=admin.headers)
    await console_login(client, admin.tenant, admin.user)
    url = f"/t/{admin.tenant.slug}/console/m/joint_committees/committees"
    assert (await client.get(url, params={"level": ""})).status_code == 200
    assert (await client.get(url, params={"level": "street"})).status_code == 200
    assert (await client.get(url, params={"level": "galaxy"})).status_code in (400, 422)


async def test_a_password_that_must_change_sends_every_console_page_to_the_password_page(
    client, database, admin
):
    """The API refuses such a session everything but its own account (tests/test_auth.py); the console
    sends it to its password page from every page but that one and logout, until it is changed."""
    from core.auth.service import create_user
    from core.orgs.models import OrgNode

    async with database.transaction(admin.tenant.id) as session:
        root = await session.get_one(OrgNode, (admin.tenant.id, admin.tenant.root_id))
        user = await create_user(
            session,
            username="first-console-login",
            display_name="初次登录",
            org_node=root,
            password=TEST_PASSWORD,
            role_keys=["viewer"],
            must_change_password=True,
        )
    slug = admin.tenant.slug
    password_page = f"/t/{slug}/console/password"
    assert (await console_login(client, admin.tenant, user)).status_code == 303
    for path in ("", "/org", "/people", "/inbox", "/users", "/m/joint_committees/committees"):
        response = await client.get(f"/t/{slug}/console{path}")
        assert response.status_code == 303, (path, response.status_code)
        assert response.headers["location"] == password_page, path
    page = await client.get(password_page)
    assert page.status_code == 200 and 'data-testid="password-required"' in page.text

    wrong = await client.post(
        password_page,
        data={"_csrf_token": _field(page.text), "current_password": "not-it", "new_password": "x"},
    )
    assert wrong.status_code == 422 and 'data-testid="error-current_password"' in wrong.text
    weak = await client.post(
        password_page,
        data={"_csrf_token": _field(page.text), "current_password": TEST_PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422 and 'data-testid="error-new_password"' in weak.text
    still = await client.get(f"/t/{slug}/console/org")
    assert still.status_code == 303 and still.headers["location"] == password_page

    changed = await client.post(
        password_page,
        data={
            "_csrf_token": _field(page.text),
            "current_password": TEST_PASSWORD,
            "new_password": "Console-Changed-2026!",
        },
    )
    assert changed.status_code == 303 and changed.headers["location"] == f"/t/{slug}/console"
    org = await client.get(f"/t/{slug}/console/org")
    assert org.status_code == 200 and 'data-testid="org-current"' in org.text


async def test_logout_is_open_to_a_session_whose_password_must_change(client, database, admin):
    from core.auth.service import create_user
    from core.orgs.models import OrgNode

    async with database.transaction(admin.tenant.id) as session:
        root = await session.get_one(OrgNode, (admin.tenant.id, admin.tenant.root_id))
        user = await create_user(
            session,
            username="leaves-at-once",
            display_name="初次登录",
            org_node=root,
            password=TEST_PASSWORD,
            role_keys=["viewer"],
            must_change_password=True,
        )
    slug = admin.tenant.slug
    await console_login(client, admin.tenant, user)
    page = await client.get(f"/t/{slug}/console/password")
    out = await client.post(f"/t/{slug}/console/logout", data={"_csrf_token": _field(page.text)})
    assert out.status_code == 303 and out.headers["location"] == f"/t/{slug}/console/login"
    assert (await client.get(f"/t/{slug}/console/password")).status_code == 303, "logged out: to the login"
