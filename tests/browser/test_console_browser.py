"""A district administrator's day in the browser: log in, dashboard, inbox, mechanisms, another district."""

from __future__ import annotations

import re

from tests.browser.conftest import PASSWORD, log_in


def test_logging_in_shows_the_dashboard_with_the_districts_figures(page, server):
    log_in(page, server, password="wrong-password")
    assert page.get_by_test_id("login-error").is_visible()
    assert page.input_value("input[name=username]") == "admin", "what was typed is kept"
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console$"))
    assert page.get_by_test_id("dashboard-node").inner_text() == "甲区"
    assert page.locator('[data-figure="core.members"]').count() == 1
    assert page.get_by_test_id("user").inner_text() == "admin"


def test_an_expired_session_goes_to_login_and_back_to_the_wanted_page(page, server):
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.context.clear_cookies()
    wanted = f"{server.url}/t/{server.districts['a']}/console/org"
    page.goto(wanted)
    assert "/console/login?next=" in page.url
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(wanted)
    assert page.get_by_test_id("org-current").inner_text() == "甲区"


def test_a_mechanism_switched_on_appears_in_the_menu_and_off_vanishes(page, server):
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.click('[data-nav="mechanisms"]')
    card = page.locator('[data-mechanism="joint_committees"]')
    if card.locator('[data-action="disable"]').count():
        card.locator('[data-action="disable"]').click()
    card.locator('[data-action="enable"]').click()
    page.wait_for_url(re.compile(r".*/mechanisms\?changed=joint_committees"))
    assert page.locator('[data-nav="m.joint_committees"]').is_visible()
    page.click('[data-nav="dashboard"]')
    page.locator('[data-plugin="joint_committees"] [data-chart][data-rendered="1"] svg').wait_for()
    page.locator('[data-plugin="joint_committees"] [data-testid="figures-link"]').click()
    assert page.get_by_test_id("committees").is_visible()
    page.click('[data-nav="mechanisms"]')
    page.locator('[data-mechanism="joint_committees"] [data-action="disable"]').click()
    page.wait_for_url(re.compile(r".*/mechanisms\?changed=joint_committees"))
    assert page.locator('[data-nav="m.joint_committees"]').count() == 0


def test_the_inbox_shows_what_a_mechanism_sent(page, server):
    api = server.api("admin")
    enabled = api.post("/api/v1/plugins/joint_committees/enable")
    assert enabled.status_code in (200, 409), enabled.text
    root = api.get("/api/v1/org/roots").json()[0]["id"]
    committees = api.get("/api/v1/m/joint_committees/committees", params={"node": root}).json()["items"]
    committee = (
        committees[0]
        if committees
        else api.post("/api/v1/m/joint_committees/committees", json={"org_node_id": root}).json()
    )
    import datetime as dt

    due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    decided = api.post(
        f"/api/v1/m/joint_committees/committees/{committee['id']}/decisions",
        json={"title": "浏览器测试交办事项", "assigned_to": root, "due_on": due, "owner_name": "李明"},
    )
    assert decided.status_code == 201, decided.text
    secretary = api.post(
        "/api/v1/users",
        json={
            "username": f"sec{dt.datetime.now():%H%M%S%f}",
            "display_name": "书记",
            "org_node_id": root,
            "roles": ["secretary"],
        },
    ).json()
    api.post(
        "/api/v1/auth/redeem",
        json={
            "district": server.districts["a"],
            "token": secretary["invitation_token"],
            "password": PASSWORD,
        },
    )
    api.post(
        f"/api/v1/m/joint_committees/committees/{committee['id']}/decisions",
        json={"title": "交给书记的事项", "assigned_to": root, "due_on": due, "owner_name": "王芳"},
    )
    log_in(page, server, username=secretary["user"]["username"])
    page.wait_for_url(re.compile(r".*/console$"))
    assert page.get_by_test_id("unread").inner_text().endswith("1")
    page.get_by_test_id("unread").click()
    assert "交给书记的事项" in page.get_by_test_id("inbox").inner_text()


def test_another_districts_console_is_not_found(page, server):
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    response = page.goto(f"{server.url}/t/{server.districts['b']}/console/org")
    assert response is not None and response.status == 404
    assert page.get_by_test_id("error-detail").is_visible()


def test_screenshots_of_the_main_pages(page, server):
    """`make screenshots` writes the main pages (in Chinese and English) to var/screenshots/ (git ignores var/)."""
    import os
    from pathlib import Path

    import pytest

    folder = os.environ.get("SCREENSHOTS_DIR")
    if not folder:
        pytest.skip("set SCREENSHOTS_DIR (make screenshots) to write screenshots")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    console = f"{server.url}/t/{server.districts['a']}/console"
    page.goto(f"{console}/login")
    page.screenshot(path=str(out / "login.png"))
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    server.api("admin").post("/api/v1/plugins/joint_committees/enable")
    server.api("admin").post("/api/v1/plugins/sector_guidance/enable")
    for name, path in (
        ("dashboard", ""),
        ("organisations", "/org"),
        ("inbox", "/inbox"),
        ("mechanisms", "/mechanisms"),
        ("joint_committees", "/m/joint_committees/committees"),
    ):
        page.goto(f"{console}{path}")
        page.screenshot(path=str(out / f"{name}.zh.png"), full_page=True)
    page.goto(f"{console}/lang?to=en&next=/t/{server.districts['a']}/console")
    page.screenshot(path=str(out / "dashboard.en.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{console}/mechanisms")
    page.screenshot(path=str(out / "mechanisms.phone.png"), full_page=True)
    assert len(list(out.glob("*.png"))) == 8


def test_a_decision_is_reported_done_with_its_evidence_uploaded_in_place(page, server, tmp_path):
    import datetime as dt

    api = server.api("admin")
    enabled = api.post("/api/v1/plugins/joint_committees/enable")
    assert enabled.status_code in (200, 409), enabled.text
    root = api.get("/api/v1/org/roots").json()[0]["id"]
    committees = api.get("/api/v1/m/joint_committees/committees", params={"node": root}).json()["items"]
    committee = (
        committees[0]
        if committees
        else api.post("/api/v1/m/joint_committees/committees", json={"org_node_id": root}).json()
    )
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    decision = api.post(
        f"/api/v1/m/joint_committees/committees/{committee['id']}/decisions",
        json={"title": "清理楼道堆物", "assigned_to": root, "due_on": due, "owner_name": "赵强"},
    ).json()
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.goto(f"{server.url}/t/{server.districts['a']}/console/m/joint_committees/decisions/{decision['id']}")
    evidence = tmp_path / "整改照片说明.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    page.set_input_files("input[type=file]", str(evidence))
    page.locator('[data-testid="files"] button[type=submit]').click()
    page.get_by_text("整改照片说明.pdf").wait_for()
    page.select_option("select[name=status]", "done")
    page.click('[data-testid="progress-form"] button[type=submit]')
    page.get_by_test_id("error-note").wait_for()
    assert page.input_value("select[name=status]") == "done", "the choice is kept next to the error"
    page.fill("textarea[name=note]", "楼道已清理，照片见附件")
    page.click('[data-testid="progress-form"] button[type=submit]')
    page.wait_for_load_state()
    assert page.get_by_test_id("decision-status").inner_text().startswith("已办结")


def test_an_organisation_is_added_in_the_tree(page, server):
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.click('[data-nav="org"]')
    form = page.get_by_test_id("org-create")
    form.locator("select[name=kind]").select_option("street")
    form.locator("input[name=name]").fill("浏览器街道")
    form.locator("button[type=submit]").click()
    page.get_by_test_id("org-children").get_by_text("浏览器街道").wait_for()
    form = page.get_by_test_id("org-create")
    form.locator("select[name=kind]").select_option("street")
    form.locator("input[name=name]").fill("浏览器街道")
    form.locator("button[type=submit]").click()
    page.get_by_test_id("error-name").wait_for()
    assert page.input_value('[data-testid="org-create"] input[name=name]') == "浏览器街道"


def test_a_spreadsheet_with_one_bad_row_shows_the_report(page, server, tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    from core.people.validation import make_id_card

    book = Workbook()
    book.active.append(["姓名", "身份证号", "所在组织"])
    book.active.append(["王五", make_id_card("321111", dt.date(1975, 3, 8), 7, "male"), "甲区"])
    book.active.append(["赵六", "32111119800101", "甲区"])
    path = tmp_path / "党员名册.xlsx"
    book.save(path)
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.click('[data-nav="people"]')
    page.get_by_role("link", name="导入").click()
    page.set_input_files("input[type=file]", str(path))
    page.click('[data-testid="import-form"] button[type=submit]')
    problems = page.get_by_test_id("import-problems")
    problems.wait_for()
    assert "身份证号" in problems.inner_text() and "3" in problems.inner_text()


def test_a_csp_violation_would_be_caught(browser, server):
    """The negative control of the `page` fixture's watch: an inline script is blocked and reported."""
    from tests.browser.conftest import watch_csp

    context = browser.new_context(locale="zh-CN")
    violations = watch_csp(context)
    page = context.new_page()
    page.goto(f"{server.url}/t/{server.districts['a']}/console/login")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    ran = page.evaluate("() => window.ran === 1")
    context.close()
    assert not ran, "the inline script was blocked"
    assert any("script-src" in v for v in violations), violations


def test_the_openapi_ui_starts_under_the_strict_policy(page, server):
    """Swagger UI starts from a file, not an inline script (the `page` fixture fails on any CSP violation).

    What it then shows is the bundled Swagger UI's business: swagger-ui-bundle 1.1.0 predates OpenAPI 3.1,
    so it answers Litestar's 3.1 document with its version notice instead of the operations."""
    page.goto(f"{server.url}/schema/")
    page.locator("#swagger-container .swagger-ui").wait_for()
    page.locator(".swagger-ui .information-container, .swagger-ui .version-pragma").first.wait_for()


def test_a_list_filter_submits_on_change_without_an_inline_handler(page, server):
    api = server.api("admin")
    enabled = api.post("/api/v1/plugins/joint_committees/enable")
    assert enabled.status_code in (200, 409), enabled.text
    log_in(page, server)
    page.wait_for_url(re.compile(r".*/console$"))
    page.goto(f"{server.url}/t/{server.districts['a']}/console/m/joint_committees/committees")
    value = page.locator("select[name=level] option").nth(1).get_attribute("value")
    page.select_option("select[name=level]", value)
    page.wait_for_url(re.compile(rf".*level={value}"))
