"""Browser tests: a real platform process on loopback (its own SQLite folder), driven by Debian's Chromium.

They run wherever Chromium is installed, and always in CI (where a missing browser fails the run
instead of skipping it). The server is started once per session with two districts, their
administrators and a secretary; every test gets a fresh browser page.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Browser-Test#2026ok"
QUANYU = str(Path(sys.executable).with_name("quanyu"))


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Chromium is required in CI for the browser tests ({CHROMIUM} not found)")
        pytest.skip("Chromium is not installed (make setup installs it as root)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    districts: dict[str, str]

    def quanyu(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            [QUANYU, *args], env=self.env, input=input, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"quanyu {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def api(self, username: str, district: str = "a") -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        response = client.post(
            "/api/v1/auth/login",
            json={"district": self.districts[district], "username": username, "password": PASSWORD},
        )
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        client.cookies.clear()
        return client


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_browser()
    var = tmp_path_factory.mktemp("browser-var")
    port = _free_port()
    # The platform process gets only its own settings (the test run's QUANYU_TEST_* are not settings).
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANYU_")}
    # Every browser test logs the same accounts in from 127.0.0.1, many times within the limits' window.
    env.update(
        QUANYU_VAR_DIR=str(var),
        QUANYU_PORT=str(port),
        QUANYU_LOGIN_LIMIT_PER_ACCOUNT="1000",
        QUANYU_LOGIN_LIMIT_PER_ADDRESS="100000",
    )
    districts = {"a": f"ba{secrets.token_hex(3)}", "b": f"bb{secrets.token_hex(3)}"}
    server = Server(f"http://127.0.0.1:{port}", env, districts)
    server.quanyu("db", "upgrade")
    for key, slug in districts.items():
        definition = var / f"{slug}.toml"
        name = "甲区" if key == "a" else "乙区"
        code = str(200000 + secrets.randbelow(600000))
        definition.write_text(
            f'code = "{code}"\nslug = "{slug}"\nname_zh = "{name}"\nname_en = "District {key.upper()}"\n'
            # The browser tests log the administrator in with a password alone.
            "[settings.security]\ntotp_required_for_admins = false\n",
            encoding="utf-8",
        )
        server.quanyu("tenant", "create", "--from", str(definition))
        server.quanyu(
            "user",
            "create",
            "--tenant",
            slug,
            "--username",
            "admin",
            "--name",
            "区委组织部",
            "--role",
            "system_admin",
            "--password-stdin",
            input=f"{PASSWORD}\n",
        )
    process = subprocess.Popen(
        [QUANYU, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{server.url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the platform did not start")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Any]:
    # Module-scoped: Playwright's sync API runs its own event loop in this thread while it is open,
    # which must be closed before the asyncio tests of the next modules run.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Run in every document before its own scripts (Playwright's init scripts are not subject to the CSP);
# the binding outlives navigations, so every page a test shows is watched.
REPORT_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective);
  window.__reportCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " on " + e.documentURI);
});
"""


def watch_csp(context: Any) -> list[str]:
    """The Content-Security-Policy violations of every page of ``context``, as they happen."""
    violations: list[str] = []
    context.expose_binding("__reportCspViolation", lambda _source, text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    return violations


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; the test fails if the Content-Security-Policy blocked anything on any page it showed."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    violations = watch_csp(context)
    new_page = context.new_page()
    yield new_page
    context.close()
    assert not violations, "the Content-Security-Policy blocked:\n" + "\n".join(violations)


def log_in(
    page: Any, server: Server, username: str = "admin", district: str = "a", password: str = PASSWORD
) -> None:
    page.goto(f"{server.url}/t/{server.districts[district]}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
