"""Public pages of a district under ``/t/<tenant>/public``: no login, off until the district turns them on.

The shell lists the public pages of the district's enabled plugins (``quanyu_public_pages``); each
plugin page calls ``public_district`` first, which answers 404 unless the district publishes and
binds the request's session to it.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Router, get
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import select

from core.console.pages import ConsolePages
from core.db.session import bind_tenant
from core.errors import not_found
from core.i18n import current_locale
from core.plugins.host import PluginHost
from core.tenancy.models import Tenant
from core.tenancy.settings import parse_tenant_settings
from core.web.deps import DB

PUBLIC = "/t/{tenant:str}/public"


async def public_district(request: Request[Any, Any, Any], db: Any) -> Tenant:
    """The district of the URL if it publishes (404 otherwise); binds ``db`` to it."""
    slug = str(request.path_params.get("tenant", "")).lower()
    tenant: Tenant | None = (await db.scalars(select(Tenant).where(Tenant.slug == slug))).first()
    if tenant is None or not tenant.is_active or not parse_tenant_settings(tenant.settings).public.enabled:
        raise not_found()
    await bind_tenant(db, tenant.id)
    plugin = request.route_handler.opt.get("public_plugin")
    if plugin and plugin not in await request.app.state.plugin_cache.enabled(db, tenant.id):
        raise not_found()
    return tenant


async def public_page(request: Request[Any, Any, Any], db: Any, template: str, **context: Any) -> Template:
    """A public page in the district's public shell (``template`` extends ``public/base.html``)."""
    tenant = await public_district(request, db)
    host: PluginHost = request.app.state.plugin_host
    enabled = await request.app.state.plugin_cache.enabled(db, tenant.id)
    zh = current_locale() == "zh_CN"
    nav = []
    for slug, pages in await host.call("quanyu_public_pages", enabled=sorted(enabled)):
        for entry in getattr(pages, "nav", []):
            nav.append(
                {
                    "href": f"/t/{tenant.slug}/public/m/{slug}{entry.path}",
                    "label": entry.label_zh if zh else entry.label_en,
                }
            )
    settings = parse_tenant_settings(tenant.settings).public
    return Template(
        template_name=template,
        context={
            "tenant": tenant,
            "title": settings.title or (tenant.name_zh if zh else tenant.name_en),
            "nav": nav,
            "locale": current_locale(),
            "home": f"/t/{tenant.slug}/public",
            **context,
        },
    )


class PublicHome(Controller):
    path = PUBLIC
    include_in_schema = False

    @get("/", opt={"exclude_from_auth": True})
    async def home(self, request: Request[Any, Any, Any], db: DB, tenant: FromPath[str]) -> Template:
        return await public_page(request, db, "public/home.html")


def public_routes(host: PluginHost) -> list[Any]:
    routes: list[Any] = [PublicHome]
    for slug, pages in host.call_sync("quanyu_public_pages"):
        if isinstance(pages, ConsolePages) and pages.handlers:
            routes.append(
                Router(
                    path=f"{PUBLIC}/m/{slug}",
                    route_handlers=list(pages.handlers),
                    opt={"exclude_from_auth": True, "public_plugin": slug},
                    include_in_schema=False,
                )
            )
    return routes
