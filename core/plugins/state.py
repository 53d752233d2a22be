"""Per-district plugin state: enable, disable, configure; and the cached enabled set.

Enabling is a data change (the schema of every installed plugin exists
already): instant, transactional, reversible. Disabling keeps all data.
The enabled set of a tenant is cached in each process; with Redis a
per-tenant version number, bumped after each committed change, tells every
API process when its copy is stale.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.db.base import utcnow
from core.errors import Conflict, FieldProblem, Invalid, NotFound
from core.i18n import _
from core.plugins.host import PluginHost
from core.plugins.manifest import Manifest
from core.plugins.models import TenantPlugin


def _version_key(tenant_id: uuid.UUID) -> str:
    return f"quanyu:t:{tenant_id}:plugins_version"


class EnabledCache:
    """Which plugins each tenant has enabled, cached per process and invalidated across processes."""

    def __init__(self, redis: Any = None) -> None:
        self.redis = redis
        self._cache: dict[uuid.UUID, tuple[int, frozenset[str]]] = {}

    async def _version(self, tenant_id: uuid.UUID) -> int:
        if self.redis is None:
            return 0
        raw = await self.redis.get(_version_key(tenant_id))
        return int(raw) if raw is not None else 0

    async def enabled(self, session: AsyncSession, tenant_id: uuid.UUID) -> frozenset[str]:
        version = await self._version(tenant_id)
        cached = self._cache.get(tenant_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = await session.scalars(
            select(TenantPlugin.slug).where(
                TenantPlugin.tenant_id == tenant_id, TenantPlugin.enabled.is_(True)
            )
        )
        found = frozenset(rows)
        self._cache[tenant_id] = (version, found)
        return found

    async def invalidate(self, tenant_id: uuid.UUID) -> None:
        """Call after the change is committed, so no process can cache the old state under the new version."""
        self._cache.pop(tenant_id, None)
        if self.redis is not None:
            await self.redis.incr(_version_key(tenant_id))


class PluginStatus(msgspec.Struct, kw_only=True):
    slug: str
    enabled: bool
    config: dict[str, Any]


def _manifest(host: PluginHost, slug: str) -> Manifest:
    manifest = host.manifest(slug)
    if manifest is None:
        raise NotFound(_("No plugin {slug} is installed."), code="unknown_plugin", slug=slug)
    return manifest


async def _rows(session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, TenantPlugin]:
    rows = await session.scalars(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id))
    return {row.slug: row for row in rows}


def config_of(manifest: Manifest, row: TenantPlugin | None) -> Any:
    """The plugin's configuration for a tenant: stored values over the struct's defaults."""
    stored = row.config if row is not None else {}
    try:
        return msgspec.convert(stored or {}, manifest.config)
    except msgspec.ValidationError:
        # A newer plugin version may have tightened a field: fall back to defaults rather than fail reads.
        return msgspec.convert({}, manifest.config)


async def plugin_config(session: AsyncSession, slug: str, *, host: PluginHost | None = None) -> Any:
    """The configuration of plugin ``slug`` for the district ``session`` is bound to (defaults if never set)."""
    if host is None:
        from core.plugins.host import get_host

        host = get_host()
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("plugin_config needs a session bound to a district")
    row = (
        await session.scalars(
            select(TenantPlugin).where(TenantPlugin.tenant_id == tenant_id, TenantPlugin.slug == slug)
        )
    ).first()
    return config_of(_manifest(host, slug), row)


def _unmet_requirements(host: PluginHost, manifest: Manifest, enabled: set[str]) -> list[str]:
    unmet = []
    for slug, spec in sorted(manifest.requires.items()):
        required = host.manifest(slug)
        if required is None:
            unmet.append(f"{slug} {spec} (not installed)")
        elif not SpecifierSet(spec).contains(Version(required.version)):
            unmet.append(f"{slug} {spec} (installed: {required.version})")
        elif slug not in enabled:
            unmet.append(f"{slug} (not enabled)")
    return unmet


async def grant_default_permissions(session: AsyncSession, manifest: Manifest) -> None:
    """Give the district's built-in roles the plugin's permissions they hold by default (once, when
    first missing); the district's security administrator may change roles afterwards."""
    from core.auth.models import Role
    from core.auth.permissions import duties_of

    wanted: dict[str, set[str]] = {}
    for permission in manifest.permissions:
        for role_key in permission.default_roles:
            wanted.setdefault(role_key, set()).add(permission.key)
    if not wanted:
        return
    for role in await session.scalars(select(Role).where(Role.key.in_(wanted), Role.builtin.is_(True))):
        merged = set(role.permissions) | wanted[role.key]
        if len(duties_of(merged)) > 1:
            continue  # never let a default break the separation of duties
        if merged != set(role.permissions):
            role.permissions = sorted(merged)
    await session.flush()


async def statuses(session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID) -> list[PluginStatus]:
    rows = await _rows(session, tenant_id)
    return [
        PluginStatus(
            slug=m.slug,
            enabled=bool(rows.get(m.slug) and rows[m.slug].enabled),
            config=msgspec.to_builtins(config_of(m, rows.get(m.slug))),
        )
        for m in host.manifests()
    ]


async def enable(session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID, slug: str) -> TenantPlugin:
    """Enable ``slug`` for the tenant (caller's transaction; invalidate the cache after commit)."""
    manifest = _manifest(host, slug)
    rows = await _rows(session, tenant_id)
    row = rows.get(slug)
    if row is not None and row.enabled:
        raise Conflict(_("{slug} is already enabled."), code="already_enabled", slug=slug)
    enabled = {s for s, r in rows.items() if r.enabled}
    unmet = _unmet_requirements(host, manifest, enabled)
    if unmet:
        raise Conflict(
            _("{slug} needs these plugins enabled first: {missing}."),
            code="requirements_unmet",
            slug=slug,
            missing=", ".join(unmet),
        )
    now = utcnow()
    if row is None:
        row = TenantPlugin(
            tenant_id=tenant_id,
            slug=slug,
            enabled=True,
            config=msgspec.to_builtins(config_of(manifest, None)),
            enabled_at=now,
            changed_at=now,
        )
        session.add(row)
    else:
        row.enabled = True
        row.enabled_at = now
    await session.flush()
    await grant_default_permissions(session, manifest)
    try:
        await host.call_one(
            slug, "quanyu_plugin_enabled", raise_errors=True, tenant_id=tenant_id, session=session
        )
    except Exception as exc:
        # The plugin vetoed (or failed while) being enabled: the caller's transaction writes nothing.
        raise Conflict(
            _("{slug} could not be enabled: {reason}"),
            code="plugin_refused",
            slug=slug,
            reason=str(exc)[:200],
        ) from exc
    await audit.record(session, "plugin.enable", object_type="plugin", object_id=slug)
    return row


async def disable(session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID, slug: str) -> TenantPlugin:
    """Disable ``slug`` for the tenant; its data stays and comes back when it is enabled again."""
    _manifest(host, slug)
    rows = await _rows(session, tenant_id)
    row = rows.get(slug)
    if row is None or not row.enabled:
        raise Conflict(_("{slug} is not enabled."), code="not_enabled", slug=slug)
    dependants = sorted(
        other.slug
        for other in host.manifests()
        if slug in other.requires and rows.get(other.slug) is not None and rows[other.slug].enabled
    )
    if dependants:
        raise Conflict(
            _("{slug} is needed by these enabled plugins: {dependants}; disable them first."),
            code="required_by_enabled",
            slug=slug,
            dependants=", ".join(dependants),
        )
    row.enabled = False
    await session.flush()
    try:
        await host.call_one(
            slug, "quanyu_plugin_disabled", raise_errors=True, tenant_id=tenant_id, session=session
        )
    except Exception as exc:
        # The plugin vetoed (or failed while) being disabled: the caller's transaction writes nothing.
        raise Conflict(
            _("{slug} could not be disabled: {reason}"),
            code="plugin_refused",
            slug=slug,
            reason=str(exc)[:200],
        ) from exc
    await audit.record(session, "plugin.disable", object_type="plugin", object_id=slug)
    return row


async def configure(
    session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID, slug: str, values: dict[str, Any]
) -> Any:
    """Replace the plugin's configuration for the tenant, validated against its config struct."""
    from core.web.problems import field_problem_from_msgspec

    manifest = _manifest(host, slug)
    try:
        config = msgspec.convert(values, manifest.config)
    except msgspec.ValidationError as exc:
        problem = field_problem_from_msgspec(str(exc))
        raise Invalid(_("The input is not valid."), errors=[problem]) from None
    unknown = sorted(set(values) - set(manifest.config.__struct_fields__))
    if unknown:
        raise Invalid(
            _("The input is not valid."),
            errors=[FieldProblem(k, "unknown_field", _("This field is not allowed.")) for k in unknown],
        )
    rows = await _rows(session, tenant_id)
    row = rows.get(slug)
    before = row.config if row is not None else {}
    stored = msgspec.to_builtins(config)
    if row is None:
        row = TenantPlugin(tenant_id=tenant_id, slug=slug, enabled=False, config=stored, changed_at=utcnow())
        session.add(row)
    else:
        row.config = stored
    await session.flush()
    await audit.record(
        session, "plugin.configure", object_type="plugin", object_id=slug, changes=audit.diff(before, stored)
    )
    return config


def plugin_tables(host: PluginHost, slug: str) -> list[Any]:
    """The tenant tables a plugin owns (from its migration location), children before parents."""
    from core.db.base import Base
    from core.plugins.host import import_plugin_models

    _manifest(host, slug)
    location = host.call_one_sync(slug, "quanyu_migration_location")
    if location is None or not location.tables:
        return []
    import_plugin_models()
    owned = [t for t in Base.metadata.sorted_tables if t.name in location.tables and "tenant_id" in t.c]
    return list(reversed(owned))


async def purge_preview(
    session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID, slug: str
) -> dict[str, int]:
    """Rows per table that purging ``slug`` would delete for the tenant."""
    from sqlalchemy import func

    counts = {}
    for table in plugin_tables(host, slug):
        counts[table.name] = int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
            )
            or 0
        )
    return counts


async def purge(
    session: AsyncSession, host: PluginHost, tenant_id: uuid.UUID, slug: str, confirm: str
) -> dict[str, int]:
    """Delete every row a disabled plugin keeps for the tenant; ``confirm`` must repeat the slug."""
    from sqlalchemy import delete

    if confirm != slug:
        raise Invalid(
            _("The input is not valid."),
            errors=[
                FieldProblem(
                    "confirm", "mismatch", _("Type the plugin's slug ({slug}) to confirm."), {"slug": slug}
                )
            ],
        )
    row = (await _rows(session, tenant_id)).get(slug)
    if row is not None and row.enabled:
        raise Conflict(_("Disable {slug} before purging its data."), code="still_enabled", slug=slug)
    deleted = await purge_preview(session, host, tenant_id, slug)
    for table in plugin_tables(host, slug):
        await session.execute(delete(table).where(table.c.tenant_id == tenant_id))
    if row is not None:
        await session.delete(row)
    await audit.record(
        session, "plugin.purge", object_type="plugin", object_id=slug, changes={"deleted_rows": deleted}
    )
    return deleted
