"""The Litestar application: routes, conventions, and the process's database and Redis."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.config.response_cache import ResponseCacheConfig
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, Reference, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler
from swagger_ui_bundle import swagger_ui_path

from core.attachments.routes import AttachmentController, SignedFileController
from core.audit.denials import record_refusal
from core.audit.routes import AuditController
from core.auth.routes import AuthController, GrantController, RoleController, UserController
from core.console.app import console_routes, csrf_config, template_config
from core.dashboard.map import MapController
from core.dashboard.routes import DashboardController
from core.db.session import Database, get_database
from core.imports.routes import SpreadsheetController
from core.jobs.scheduler import build_scheduler
from core.jobs.worker import work
from core.logging import configure_logging
from core.notifications.routes import NotificationController, PreferenceController
from core.orgs.routes import OrgController
from core.people.routes import PeopleController
from core.plugins.host import PluginHost, get_host
from core.plugins.routes import PluginController, plugin_gate
from core.plugins.state import EnabledCache
from core.settings import get_settings
from core.tenancy.routes import DistrictController
from core.web import health, metrics
from core.web.deps import (
    password_change_guard,
    permission_guard,
    provide_db,
    provide_principal,
    second_factor_guard,
)
from core.web.middleware import SessionAuthMiddleware, request_context_middleware
from core.web.openapi_ui import OPENAPI_UI_ASSETS, OPENAPI_UI_STATIC, StrictSwaggerRenderPlugin
from core.web.problems import EXCEPTION_HANDLERS, ProblemDetails
from core.web.schemas import provide_page_params
from core.web.security import JSON_BODY_LIMIT, SessionCSRFMiddleware, add_security_headers

API_PREFIX = "/api/v1"
SWAGGER_ASSETS = "/static/swagger-ui"
log = logging.getLogger("quanyu.web")

# Every operation may answer these; documented once for all of them.
ERROR_RESPONSES: dict[int, ResponseSpec] = {
    status: ResponseSpec(
        data_container=ProblemDetails, description=description, media_type="application/problem+json"
    )
    for status, description in (
        (400, "Malformed request"),
        (401, "Not logged in"),
        (403, "Permission missing"),
        (404, "Absent or outside the caller's scope"),
        (409, "Conflicts with existing data"),
        (413, "Request body too large"),
        (415, "File or media type not accepted"),
        (422, "Invalid input; `errors` names each field"),
        (429, "Too many requests"),
    )
}

# The API's credential: the token login returns, sent as `Authorization: Bearer <token>`. The console's
# session cookie carries the same token (with a CSRF header on writes); the document names the bearer form.
BEARER_SCHEME = "bearer"
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    BEARER_SCHEME: SecurityScheme(
        type="http",
        scheme="bearer",
        description="The token `POST /api/v1/auth/login` returns; the console's session cookie carries it too.",
    )
}


def api_handlers() -> list[ControllerRouterHandler]:
    """The core's API controllers (plugins add theirs through the routers hook)."""
    return [
        AuthController,
        OrgController,
        PeopleController,
        SpreadsheetController,
        UserController,
        RoleController,
        GrantController,
        AuditController,
        DistrictController,
        PluginController,
        DashboardController,
        MapController,
        AttachmentController,
        SignedFileController,
        NotificationController,
        PreferenceController,
    ]


def plugin_routers(host: PluginHost) -> list[Router]:
    """One router per installed plugin under ``/m/<slug>``, tagged with its slug for the gate."""
    routers = []
    for slug, handlers in host.call_sync("quanyu_route_handlers"):
        routers.append(
            Router(path=f"/m/{slug}", route_handlers=list(handlers), opt={"plugin": slug}, tags=[slug])
        )
    return routers


def _document_errors_and_security(app: Litestar) -> None:
    """Every operation documents the problem responses, and every one that needs a login says so
    (clients and fuzzers learn from the document which calls refuse without the token)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            responses = dict(handler.responses or {})
            for status, spec in ERROR_RESPONSES.items():
                responses.setdefault(status, spec)
            handler.responses = responses
            if not handler.opt.get("exclude_from_auth"):
                handler.security = [{BEARER_SCHEME: []}]


def create_app(
    database: Database | None = None,
    redis: Any = None,
    *,
    debug: bool | None = None,
    plugin_host: PluginHost | None = None,
) -> Litestar:
    settings = get_settings()
    plugin_host = plugin_host or get_host()
    configure_logging()
    database = database or get_database()
    owns_redis = redis is None and bool(settings.redis_url)
    if owns_redis:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        worker = (
            asyncio.create_task(work(database, plugin_host, stop=stop), name="quanyu-embedded-worker")
            if settings.embedded_worker
            else None
        )
        # The embedded default also keeps time for the plugins' schedules; production runs `quanyu scheduler`.
        clock = build_scheduler(database, plugin_host) if settings.embedded_worker else None
        if clock is not None:
            clock.start()
        try:
            yield
        finally:
            stop.set()
            if clock is not None:
                clock.shutdown(wait=False)
            if worker is not None:
                await worker
            if owns_redis:
                await redis.aclose()

    csrf = csrf_config(settings.master_keys()[0])
    # The guard sits on the API router so every API handler, plugins' included, passes it.
    # Plugins' routes are mounted once, for every district; the gate hides them where not enabled.
    api = Router(
        path=API_PREFIX,
        route_handlers=[*api_handlers(), *plugin_routers(plugin_host)],
        guards=[plugin_gate, permission_guard],  # a disabled plugin is 404 before any 403
    )
    app = Litestar(
        route_handlers=[
            api,
            health.live,
            health.ready,
            metrics.metrics,
            create_static_files_router(
                path=SWAGGER_ASSETS,
                directories=[Path(str(swagger_ui_path))],
                opt={"exclude_from_auth": True},
                include_in_schema=False,
            ),
            create_static_files_router(
                path=OPENAPI_UI_ASSETS,
                directories=[OPENAPI_UI_STATIC],
                opt={"exclude_from_auth": True},
                include_in_schema=False,
            ),
            *console_routes(plugin_host),
        ],
        template_config=template_config(plugin_host),
        # App-wide, so the console's pages are held to them too (the second factor is asked first).
        guards=[second_factor_guard, password_change_guard],
        dependencies={
            "db": Provide(provide_db),
            "principal": Provide(provide_principal, sync_to_thread=False),
            "page": Provide(provide_page_params, sync_to_thread=False),
        },
        middleware=[
            request_context_middleware,
            metrics.prometheus_config().middleware,
            DefineMiddleware(
                SessionAuthMiddleware,
                exclude=["^/schema", "^/health/", "^/static/", "^/metrics$"],
                exclude_from_auth_key="exclude_from_auth",
            ),
            # After the session middleware: whether the cookie authenticated the request decides.
            DefineMiddleware(SessionCSRFMiddleware, config=csrf),
        ],
        before_send=[add_security_headers],
        request_max_body_size=JSON_BODY_LIMIT,
        exception_handlers=EXCEPTION_HANDLERS,
        # Every refusal (401 with a known district, 403, 404 after authentication) is audited here, once
        # for every route, after the refused request's transaction has rolled back.
        after_exception=[record_refusal],
        openapi_config=OpenAPIConfig(
            title="Quanyu 全域党建 API",
            version="1",
            components=Components(security_schemes=SECURITY_SCHEMES),
            path="/schema",
            # The UI's assets are served by the platform: district intranets often cannot reach a CDN.
            render_plugins=[
                StrictSwaggerRenderPlugin(
                    csrf_cookie=csrf.cookie_name,
                    csrf_header=csrf.header_name,
                    path="/",
                    js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
                    favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
                ),
                JsonRenderPlugin(),
            ],
        ),
        response_cache_config=ResponseCacheConfig(),
        lifespan=[lifespan],
        logging_config=None,  # core.logging owns the handlers
        debug=settings.debug if debug is None else debug,
    )
    app.state.database = database
    app.state.redis = redis
    app.state.plugin_host = plugin_host
    app.state.plugin_cache = EnabledCache(redis)
    _document_errors_and_security(app)
    return app
