"""HTTP hardening (docs/security.md): security headers everywhere, no inline script in the console, CSRF on
cookie-authenticated writes, body limits answered 413 naming the limit, and 500s that show a reference
instead of the exception's text."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from core.console.app import template_config
from core.testing import TEST_PASSWORD
from core.web.security import CONTENT_SECURITY_POLICY, JSON_BODY_LIMIT

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIRS = [ROOT / "core/console/static", ROOT / "core/web/static"]

STRICT_CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def assert_hardened(response: httpx.Response, *, no_store: bool) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    for part in STRICT_CSP_PARTS:
        assert part in csp, f"{response.request.url}: CSP lacks {part!r}: {csp!r}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers.get("x-content-type-options") == "nosniff"
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin"
    assert "camera=()" in headers.get("permissions-policy", "")
    assert "strict-transport-security" not in headers, "HSTS only over HTTPS"
    if no_store:
        assert "no-store" in headers.get("cache-control", ""), response.request.url
    else:
        assert "no-store" not in headers.get("cache-control", ""), response.request.url


async def cookie_login(client: httpx.AsyncClient, actor: Any) -> None:
    """Log in as a browser would: the session travels in the cookie, no bearer token is sent."""
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/login",
        json={"district": actor.tenant.slug, "username": actor.user.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 200, response.text
    assert client.cookies.get("quanyu_session")


# --- headers ------------------------------------------------------------------------------------------


async def test_console_pages_carry_the_security_headers_and_logged_in_ones_are_not_stored(client, admin):
    login_page = await client.get(f"/t/{admin.tenant.slug}/console/login")
    assert login_page.status_code == 200
    assert_hardened(login_page, no_store=False)
    assert login_page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    await cookie_login(client, admin)
    dashboard = await client.get(f"/t/{admin.tenant.slug}/console")
    assert dashboard.status_code == 200
    assert_hardened(dashboard, no_store=True)


async def test_api_answers_carry_the_security_headers_and_are_never_stored(client, admin):
    me = await client.get("/api/v1/auth/me", headers=admin.headers)
    assert me.status_code == 200
    assert_hardened(me, no_store=True)
    anonymous = await client.get("/api/v1/auth/me")
    assert anonymous.status_code == 401
    assert_hardened(anonymous, no_store=True)


async def test_static_assets_carry_the_headers_and_stay_cacheable(client):
    for path in (
        "/static/console/console.css",
        "/static/console/console.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/openapi/openapi-ui.js",
    ):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert_hardened(response, no_store=False)


async def test_error_answers_carry_the_headers_even_before_routing(client, admin):
    unknown = await client.get("/no/such/path")  # answered by the router, outside every middleware
    assert unknown.status_code == 404
    assert_hardened(unknown, no_store=False)
    wrong_method = await client.delete("/health/live")
    assert wrong_method.status_code == 405
    assert_hardened(wrong_method, no_store=False)
    absent = await client.get(f"/api/v1/org/nodes/{'0' * 8}-0000-7000-8000-{'0' * 12}", headers=admin.headers)
    assert absent.status_code == 404
    assert_hardened(absent, no_store=True)


async def test_the_openapi_ui_runs_without_inline_script(client):
    page = await client.get("/schema/")
    assert page.status_code == 200
    assert inline_code(page.text) == []
    assert "img-src 'self' data:" in page.headers["content-security-policy"], "Swagger UI's icons"
    assert "script-src 'self';" in page.headers["content-security-policy"]


async def test_hsts_is_sent_over_https_only(client, database, redis_client, plugin_host, test_settings):
    from core.settings import override_settings
    from core.web.app import create_app

    plain = await client.get("/health/live")
    assert "strict-transport-security" not in plain.headers
    app = create_app(database, redis_client, plugin_host=plugin_host)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        secure = await tls.get("/health/live")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"

    # Behind a TLS-terminating proxy: uvicorn (`quanyu serve`, proxy_headers=True) takes the scheme
    # from X-Forwarded-Proto of a trusted proxy only.
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    for trusted, expected in (("127.0.0.1", True), ("10.9.9.9", False)):
        proxied = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=proxied, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as behind:
            response = await behind.get("/health/live", headers={"X-Forwarded-Proto": "https"})
        assert ("strict-transport-security" in response.headers) is expected, trusted

    # An operator who declares HTTPS (QUANYU_COOKIE_SECURE) gets HSTS even from a proxy that does not say so.
    override_settings(msgspec.structs.replace(test_settings, cookie_secure=True))
    try:
        declared = await client.get("/health/live")
    finally:
        override_settings(test_settings)
    assert declared.headers["strict-transport-security"] == "max-age=31536000"


# --- no inline script, handler or style in the console -----------------------------------------------

_TAG = re.compile(r"<([a-zA-Z][\w:-]*)((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_INLINE_ATTRIBUTE = re.compile(r"(?:^|\s)(on[a-z]+|hx-on[^\s=]*|style)\s*=", re.I)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_EVAL_ATTRIBUTE = re.compile(r"\bhx-(?:vals|headers|vars)\s*=\s*[\"']\s*(?:js|javascript):", re.I)


def inline_code(html: str) -> list[str]:
    """Everything in ``html`` a CSP without 'unsafe-inline'/'unsafe-eval' would block or that needs eval."""
    found: list[str] = []
    for attributes, body in _SCRIPT.findall(html):
        if "src=" not in attributes or body.strip():
            found.append(f"inline <script>{body.strip()[:40]}")
    if re.search(r"<style\b", html, re.I):
        found.append("<style> element")
    for name, attributes in _TAG.findall(html):
        for attribute in _INLINE_ATTRIBUTE.findall(attributes):
            found.append(f"<{name} {attribute}=…>")
    if re.search(r"javascript:", html, re.I):
        found.append("javascript: URL")
    if _EVAL_ATTRIBUTE.search(html) or re.search(r"\bhx-vars\b", html):
        found.append("htmx attribute evaluated as script")
    return found


@pytest.mark.parametrize(
    "sample",
    [
        "<script>alert(1)</script>",
        '<script src="/x.js">alert(1)</script>',
        '<select name="s" onchange="this.form.submit()">',
        '<button hx-on:click="alert(1)">',
        '<div hx-on::after-request="x()">',
        '<div class="a" style="display:flex">',
        "<style>body{}</style>",
        '<a href="javascript:void(0)">',
        "<div hx-vals='js:{a: 1}'>",
        '<body ONLOAD="x()">',
    ],
)
def test_the_scan_finds_each_kind_of_inline_code(sample: str) -> None:
    assert inline_code(sample), sample


def test_the_scan_passes_clean_markup() -> None:
    clean = (
        '<script src="/static/console/console.js" defer></script>'
        "<select name=\"status\" data-autosubmit><option value=\"\">{{ t('全部', 'All') }}</option></select>"
        '<body hx-headers=\'{"x-csrftoken": "{{ csrf_token() }}"}\'><p>Donation=ok, one=two</p>'
    )
    assert inline_code(clean) == []


def console_templates() -> list[Path]:
    """Every template the console loads: the core's, every installed plugin's and the fixture plugins'."""
    from core.plugins.host import get_host

    directories = template_config(get_host()).directory
    assert isinstance(directories, list)
    folders = [Path(d) for d in directories]
    assert any("plugins" in f.parts for f in folders), "the plugins' template folders are scanned too"
    return sorted({p for folder in folders for p in folder.rglob("*.html")})


def test_no_console_template_holds_inline_script_handler_or_style() -> None:
    templates = console_templates()
    assert len(templates) > 30
    offences = {str(p.relative_to(ROOT)): inline_code(p.read_text("utf-8")) for p in templates}
    assert {k: v for k, v in offences.items() if v} == {}


def test_the_consoles_own_scripts_use_no_eval_and_set_no_inline_style() -> None:
    scripts = sorted(p for d in STATIC_DIRS for p in d.rglob("*.js"))
    assert {p.name for p in scripts} >= {"console.js", "dashboard.js", "openapi-ui.js"}
    forbidden = re.compile(
        r"\beval\s*\(|new\s+Function\s*\(|setAttribute\(\s*[\"'](?:on\w+|style)[\"']|"
        r"\.innerHTML\s*=|setTimeout\(\s*[\"']|javascript:"
    )
    offences = {p.name: forbidden.findall(p.read_text("utf-8")) for p in scripts}
    assert {k: v for k, v in offences.items() if v} == {}
    for stylesheet in (p for d in STATIC_DIRS for p in d.rglob("*.css")):
        assert "expression(" not in stylesheet.read_text("utf-8")


async def test_rendered_console_pages_hold_no_inline_script(client, admin, enable_plugin):
    await enable_plugin(admin, "joint_committees")
    await cookie_login(client, admin)
    slug = admin.tenant.slug
    for path in ("", "/org", "/people", "/mechanisms", "/inbox", "/m/joint_committees/committees"):
        page = await client.get(f"/t/{slug}/console{path}")
        assert page.status_code == 200, path
        assert inline_code(page.text) == [], path
    dashboard = await client.get(f"/t/{slug}/console")
    assert 'name="htmx-config"' in dashboard.text
    assert '"includeIndicatorStyles": false' in dashboard.text and '"allowEval": false' in dashboard.text


# --- CSRF ---------------------------------------------------------------------------------------------


async def test_a_cookie_authenticated_api_write_needs_the_csrf_token(client, admin):
    await cookie_login(client, admin)
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 200
    token = client.cookies.get("quanyu_csrf")
    assert token, "a cookie-authenticated read hands out the CSRF cookie"

    refused = await client.post("/api/v1/auth/logout")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    forged = await client.post("/api/v1/auth/logout", headers={"x-csrftoken": "f" * 128})
    assert forged.status_code == 403
    assert (await client.get("/api/v1/auth/me")).status_code == 200, "the refused writes changed nothing"

    accepted = await client.post("/api/v1/auth/logout", headers={"x-csrftoken": token})
    assert accepted.status_code == 200, accepted.text
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_bearer_authenticated_writes_need_no_csrf_token(client, admin):
    client.cookies.clear()
    enabled = await client.post("/api/v1/plugins/joint_committees/enable", headers=admin.headers)
    assert enabled.status_code == 200, enabled.text
    # A bearer token authenticates even where a browser's session cookie rides along.
    await cookie_login(client, admin)
    disabled = await client.post("/api/v1/plugins/joint_committees/disable", headers=admin.headers)
    assert disabled.status_code == 200, disabled.text
    assert "quanyu_csrf" not in disabled.headers.get("set-cookie", "")


async def test_logging_in_through_the_api_needs_no_csrf_token(client, admin):
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/login",
        json={"district": admin.tenant.slug, "username": admin.user.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 200


# --- request size limits ------------------------------------------------------------------------------


async def test_a_json_body_over_the_limit_is_refused_with_413_naming_the_limit(client, admin):
    big = b'{"district": "' + b"x" * JSON_BODY_LIMIT + b'"}'
    announced = await client.post(
        "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = await client.post(  # no Content-Length: counted as it arrives
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    for response in (announced, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["code"] == "body_too_large"
        assert str(JSON_BODY_LIMIT) in body["detail"]
        assert response.headers["x-max-body-size"] == str(JSON_BODY_LIMIT)

    fits = await client.post(
        "/api/v1/auth/login",
        json={"district": admin.tenant.slug, "username": admin.user.username, "password": TEST_PASSWORD},
    )
    assert fits.status_code == 200


async def test_an_attachment_larger_than_the_json_limit_is_still_accepted(client, admin, database):
    from tests.fixture_plugins.hello import HelloNote

    async with database.transaction(admin.tenant.id) as session:
        note = HelloNote(org_node_id=admin.tenant.root_id, text="大文件")
        session.add(note)
    pdf = (
        b"%PDF-1.4\n1 0 obj <<>> endobj\n"
        + b"%" * (JSON_BODY_LIMIT + 512 * 1024)
        + b"\ntrailer <<>>\n%%EOF\n"
    )
    client.cookies.clear()
    created = await client.post(
        "/api/v1/attachments",
        headers=admin.headers,
        data={"owner": "hello.note", "owner_id": str(note.id)},
        files={"file": ("大文件.pdf", pdf, "application/pdf")},
    )
    assert created.status_code == 201, created.text


# --- unhandled errors ---------------------------------------------------------------------------------

SECRET_TEXT = "password=hunter2 phone 13800138000"


@pytest.fixture
async def failing_client(database, redis_client, plugin_host) -> AsyncIterator[httpx.AsyncClient]:
    """The app with two test-only routes that raise an unexpected exception carrying sensitive text."""
    from litestar import get
    from litestar.params import FromPath

    from core.web.app import create_app

    @get("/api/v1/test-only/boom", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def api_boom() -> None:
        raise RuntimeError(SECRET_TEXT)

    @get("/t/{tenant:str}/console/test-only/boom", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def console_boom(tenant: FromPath[str]) -> None:
        raise ValueError(SECRET_TEXT)

    app = create_app(database, redis_client, plugin_host=plugin_host)
    app.register(api_boom)
    app.register(console_boom)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000), raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


async def test_an_unhandled_error_answers_a_generic_problem_with_a_logged_reference(failing_client, caplog):
    with caplog.at_level(logging.ERROR, logger="quanyu.web"):
        response = await failing_client.get("/api/v1/test-only/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert_hardened(response, no_store=True)
    assert SECRET_TEXT not in response.text and "RuntimeError" not in response.text
    body = response.json()
    assert (body["code"], body["title"]) == ("internal", "Internal error")
    reference = body["reference"]
    assert re.fullmatch(r"[0-9a-f]{32}", reference)
    assert reference in body["detail"] and response.headers["x-error-reference"] == reference
    assert body["request_id"] == response.headers["x-request-id"]

    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert len(logged) == 1, "the reference finds the log entry"
    assert logged[0].exc_info is not None and SECRET_TEXT in str(logged[0].exc_info[1])

    again = await failing_client.get("/api/v1/test-only/boom")
    assert again.json()["reference"] != reference, "each failure its own reference"


async def test_an_unhandled_error_on_a_console_page_shows_the_reference_not_the_text(failing_client, admin):
    response = await failing_client.get(f"/t/{admin.tenant.slug}/console/test-only/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert SECRET_TEXT not in response.text and "ValueError" not in response.text
    assert response.headers["x-error-reference"] in response.text
    assert_hardened(response, no_store=False)
