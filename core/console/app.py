"""Wiring the console into the application: templates, CSRF, its static files and the plugins' pages."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from core.console.pages import ConsolePages
from core.console.public import public_routes
from core.console.routes import (
    CONSOLE,
    AccountPages,
    AttachmentPanel,
    AuditPages,
    ConsoleController,
    InboxAndMechanismPages,
    MechanismPage,
    OrgActions,
    PeoplePages,
    PersonPage,
)
from core.i18n import current_locale
from core.plugins.host import PluginHost

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets" / "node_modules"
# Vendor libraries installed by `make setup` (npm ci, package-lock.json) and served by the platform itself.
VENDOR = {
    "htmx": ASSETS / "htmx.org" / "dist",
    "echarts": ASSETS / "echarts" / "dist",
    "leaflet": ASSETS / "leaflet" / "dist",
}


def bilingual(zh: str, en: str) -> str:
    """A console label in the request's language (``t('工作台', 'Dashboard')`` in templates)."""
    return zh if current_locale() == "zh_CN" else en


def template_config(host: PluginHost) -> TemplateConfig[JinjaTemplateEngine]:
    directories: list[Path | os.PathLike[Any] | str] = [HERE / "templates"]
    for hook in ("quanyu_console_pages", "quanyu_public_pages"):
        for _slug, pages in host.call_sync(hook):
            if (
                isinstance(pages, ConsolePages)
                and pages.templates is not None
                and pages.templates not in directories
            ):
                directories.append(pages.templates)

    def configure(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals["t"] = bilingual
        engine.engine.autoescape = True

    return TemplateConfig(directory=directories, engine=JinjaTemplateEngine, engine_callback=configure)


def csrf_config(master_key: bytes) -> CSRFConfig:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"quanyu:csrf").derive(master_key)
    return CSRFConfig(
        secret=base64.urlsafe_b64encode(secret).decode(),
        cookie_name="quanyu_csrf",
        cookie_samesite="strict",
        header_name="x-csrftoken",
        # The API is checked too, but only where the session cookie authenticated the request
        # (core.web.security.SessionCSRFMiddleware); bearer-token clients send no CSRF token.
        exclude=["^/health/", "^/schema", "^/static/", "^/metrics$"],
    )


def console_routes(host: PluginHost) -> list[Any]:
    routes: list[Any] = [
        ConsoleController,
        InboxAndMechanismPages,
        MechanismPage,
        OrgActions,
        PeoplePages,
        PersonPage,
        AccountPages,
        AuditPages,
        AttachmentPanel,
    ]
    for slug, pages in host.call_sync("quanyu_console_pages"):
        if isinstance(pages, ConsolePages) and pages.handlers:
            # The same gate as the plugin's API: a district that has not enabled it gets 404.
            from core.plugins.routes import plugin_gate

            routes.append(
                Router(
                    path=f"{CONSOLE}/m/{slug}",
                    route_handlers=list(pages.handlers),
                    opt={"plugin": slug},
                    guards=[plugin_gate],
                    include_in_schema=False,
                )
            )
    routes.extend(public_routes(host))
    routes.append(
        create_static_files_router(
            path="/static/console",
            directories=[HERE / "static"],
            opt={"exclude_from_auth": True},
            include_in_schema=False,
        )
    )
    for name, folder in VENDOR.items():
        routes.append(
            create_static_files_router(
                path=f"/static/vendor/{name}",
                directories=[folder],
                opt={"exclude_from_auth": True},
                include_in_schema=False,
            )
        )
    return routes
