"""``/api/v1/plugins``: the mechanisms installed, and the caller's district's choice of them."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, Parameter

from core.auth.scope import Principal
from core.context import current_context
from core.errors import Forbidden, not_found
from core.i18n import _, current_locale
from core.plugins import state
from core.plugins.host import PluginHost
from core.plugins.manifest import PILLARS, Manifest
from core.tenancy.service import root_node
from core.web.deps import DB, CurrentPrincipal
from core.web.middleware import DB_SESSION_KEY
from core.web.schemas import Input, Output

Slug = Annotated[str, Parameter(pattern=r"^[a-z][a-z0-9_]{1,39}$", description="Plugin slug")]


class PurgeIn(Input):
    confirm: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class PurgeOut(Output):
    rows: dict[str, int]


class PluginOut(Output):
    slug: str
    number: int | None
    name: str
    name_zh: str
    name_en: str
    pillar: str
    pillar_name: str
    version: str
    requires: dict[str, str]
    enabled: bool
    config: dict[str, Any]


def plugin_out(manifest: Manifest, status: state.PluginStatus) -> PluginOut:
    en = current_locale() == "en"
    pillar_zh, pillar_en = PILLARS[manifest.pillar]
    return PluginOut(
        slug=manifest.slug,
        number=manifest.number,
        name=manifest.name_en if en else manifest.name_zh,
        name_zh=manifest.name_zh,
        name_en=manifest.name_en,
        pillar=manifest.pillar,
        pillar_name=pillar_en if en else pillar_zh,
        version=manifest.version,
        requires=dict(manifest.requires),
        enabled=status.enabled,
        config=status.config,
    )


async def plugin_gate(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """404 for a route of a plugin the request's district has not enabled (the plugin is in the route's opt)."""
    slug = handler.opt.get("plugin")
    if not slug:
        return
    current_context().plugin = slug
    principal = connection.scope.get("user")
    session = connection.scope.get("state", {}).get(DB_SESSION_KEY)
    if not isinstance(principal, Principal) or session is None:
        return  # not logged in: the permission guard answers 401
    cache: state.EnabledCache = connection.app.state.plugin_cache
    if slug not in await cache.enabled(session, principal.tenant_id):
        raise not_found()


async def _current(db: DB, host: PluginHost, principal: Principal, slug: str) -> PluginOut:
    manifest = host.manifest(slug)
    if manifest is None:
        raise not_found()
    statuses = {s.slug: s for s in await state.statuses(db, host, principal.tenant_id)}
    return plugin_out(manifest, statuses[slug])


async def _require_district_level(db: DB, principal: Principal) -> None:
    """Mechanisms are switched for the whole district: ``tenant.configure`` must hold at its root."""
    root = await root_node(db, principal.tenant_id)
    if not principal.can_at("tenant.configure", root.path):
        raise Forbidden(_("You do not have the permission {permission}."), permission="tenant.configure")


class PluginController(Controller):
    path = "/plugins"
    tags = ["plugins"]

    @get("/", summary="Installed mechanisms, and whether the caller's district has enabled each")
    async def list_plugins(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal
    ) -> list[PluginOut]:
        host: PluginHost = request.app.state.plugin_host
        statuses = {s.slug: s for s in await state.statuses(db, host, principal.tenant_id)}
        return [plugin_out(m, statuses[m.slug]) for m in host.manifests()]

    @get("/{slug:str}", summary="One mechanism")
    async def read_plugin(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal, slug: FromPath[Slug]
    ) -> PluginOut:
        return await _current(db, request.app.state.plugin_host, principal, slug)

    @get("/{slug:str}/config-schema", summary="JSON Schema of the mechanism's configuration (for forms)")
    async def config_schema(self, request: Request[Any, Any, Any], slug: FromPath[Slug]) -> dict[str, Any]:
        manifest = request.app.state.plugin_host.manifest(slug)
        if manifest is None:
            raise not_found()
        return msgspec.json.schema(manifest.config)

    @post(
        "/{slug:str}/enable",
        opt={"permission": "tenant.configure"},
        status_code=200,
        summary="Enable a mechanism for the district (its requirements must be enabled)",
    )
    async def enable(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal, slug: FromPath[Slug]
    ) -> PluginOut:
        return await self._change(request, db, principal, slug, state.enable)

    @post(
        "/{slug:str}/disable",
        opt={"permission": "tenant.configure"},
        status_code=200,
        summary="Disable a mechanism for the district; its data is kept",
    )
    async def disable(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal, slug: FromPath[Slug]
    ) -> PluginOut:
        return await self._change(request, db, principal, slug, state.disable)

    @put(
        "/{slug:str}/config",
        opt={"permission": "tenant.configure"},
        summary="Replace the mechanism's configuration for the district",
    )
    async def configure(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        slug: FromPath[Slug],
        data: JSONBody[dict[str, Any]],
    ) -> PluginOut:
        await _require_district_level(db, principal)
        host: PluginHost = request.app.state.plugin_host
        await state.configure(db, host, principal.tenant_id, slug, data)
        return await _current(db, host, principal, slug)

    @get(
        "/{slug:str}/purge",
        opt={"permission": "tenant.configure"},
        summary="What purging the mechanism's data would delete (rows per table)",
    )
    async def purge_preview(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal, slug: FromPath[Slug]
    ) -> PurgeOut:
        await _require_district_level(db, principal)
        return PurgeOut(
            rows=await state.purge_preview(db, request.app.state.plugin_host, principal.tenant_id, slug)
        )

    @post(
        "/{slug:str}/purge",
        opt={"permission": "tenant.configure"},
        status_code=200,
        summary="Delete a disabled mechanism's data for the district (confirm with its slug; audited)",
    )
    async def purge(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        slug: FromPath[Slug],
        data: JSONBody[PurgeIn],
    ) -> PurgeOut:
        await _require_district_level(db, principal)
        host: PluginHost = request.app.state.plugin_host
        return PurgeOut(rows=await state.purge(db, host, principal.tenant_id, slug, data.confirm))

    async def _change(
        self, request: Request[Any, Any, Any], db: DB, principal: Principal, slug: str, change: Any
    ) -> PluginOut:
        await _require_district_level(db, principal)
        host: PluginHost = request.app.state.plugin_host
        await change(db, host, principal.tenant_id, slug)
        # Commit before bumping the cache version, so no process caches the old state as new.
        await db.commit()
        await request.app.state.plugin_cache.invalidate(principal.tenant_id)
        return await _current(db, host, principal, slug)
