"""Discover plugins (entry-point group ``quanyu.plugins``) and call their hooks safely.

pluggy stops at the first implementation that raises and hands back
coroutines unawaited; ``PluginHost.call`` instead walks the implementations
one by one, keeps those of plugins enabled for the tenant when the hook is
tenant-bound, awaits results, and logs (with the plugin's name) and leaves
out any that raise.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from core import hookspecs
from core.plugins.manifest import Manifest, ManifestError, check_manifest

ENTRY_POINT_GROUP = "quanyu.plugins"
log = logging.getLogger("quanyu.plugins")
hookimpl = pluggy.HookimplMarker("quanyu")

# Hooks whose implementations run only for plugins enabled in the tenant at hand.
TENANT_BOUND_HOOKS = frozenset(
    {
        "quanyu_dashboard_figures",
        "quanyu_map_features",
        "quanyu_tenant_export",
        "quanyu_tenant_import",
        "quanyu_demo_data",
    }
)


@dataclass
class LoadedPlugin:
    slug: str
    manifest: Manifest
    obj: Any
    source: str


@dataclass
class BrokenPlugin:
    name: str
    source: str
    error: str


@dataclass
class PluginHost:
    """The installed plugins of this process and the one way to call their hooks."""

    pm: pluggy.PluginManager = field(default_factory=lambda: _new_manager())
    plugins: dict[str, LoadedPlugin] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)

    # -- loading --------------------------------------------------------------------------------

    def load_entry_points(self) -> PluginHost:
        for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            source = f"{entry_point.value} ({entry_point.dist.name if entry_point.dist else 'unknown'})"
            try:
                obj = entry_point.load()
            except Exception as exc:
                log.exception("plugin %s could not be imported; it is left out", entry_point.name)
                self.broken.append(BrokenPlugin(entry_point.name, source, f"{type(exc).__name__}: {exc}"))
                continue
            self.register(obj, source=source, name=entry_point.name)
        return self

    def register(
        self, obj: Any, *, source: str = "registered in process", name: str | None = None
    ) -> LoadedPlugin | None:
        """Register one plugin object (module or instance); a bad one is recorded in ``broken``."""
        label = str(name or getattr(obj, "__name__", type(obj).__name__))
        try:
            self.pm.register(obj, name=label)
        except ValueError as exc:
            self.broken.append(BrokenPlugin(label, source, str(exc)))
            return None
        try:
            impls = [i for i in self.pm.hook.quanyu_manifest.get_hookimpls() if i.plugin is obj]
            if not impls:
                raise ManifestError(f"plugin {label!r} implements no quanyu_manifest hook")
            manifest = impls[0].function()
            if not isinstance(manifest, Manifest):
                raise ManifestError(f"plugin {label!r}: quanyu_manifest must return a core.api.Manifest")
            check_manifest(manifest)
            if manifest.slug in self.plugins:
                raise ManifestError(
                    f"plugin slug {manifest.slug!r} is taken by {self.plugins[manifest.slug].source}"
                )
        except Exception as exc:
            self.pm.unregister(obj)
            log.error("plugin %s is left out: %s", label, exc)
            self.broken.append(BrokenPlugin(label, source, f"{type(exc).__name__}: {exc}"))
            return None
        loaded = LoadedPlugin(manifest.slug, manifest, obj, source)
        self.plugins[manifest.slug] = loaded
        self._register_contributions(loaded)
        return loaded

    def _register_contributions(self, loaded: LoadedPlugin) -> None:
        from core.auth.permissions import Permission, register_permission
        from core.orgs.kinds import register_kind
        from core.people.services import register_affiliation_kind

        for permission in loaded.manifest.permissions:
            register_permission(
                Permission(
                    permission.key, permission.description_zh, permission.description_en, permission.duty
                )
            )
        for kind in self.call_one_sync(loaded.slug, "quanyu_org_kinds") or []:
            register_kind(kind)
        for kind in self.call_one_sync(loaded.slug, "quanyu_affiliation_kinds") or []:
            register_affiliation_kind(kind)
        from core.attachments.service import AttachmentOwner, register_owner

        for owner in self.call_one_sync(loaded.slug, "quanyu_attachment_owners") or []:
            if not isinstance(owner, AttachmentOwner) or not owner.key.startswith(f"{loaded.slug}."):
                log.error(
                    "plugin %s: attachment owner %r must be an AttachmentOwner keyed '%s.…'; left out",
                    loaded.slug,
                    owner,
                    loaded.slug,
                )
                continue
            register_owner(owner)

    # -- reading --------------------------------------------------------------------------------

    def manifest(self, slug: str) -> Manifest | None:
        loaded = self.plugins.get(slug)
        return loaded.manifest if loaded else None

    def manifests(self) -> list[Manifest]:
        return sorted((p.manifest for p in self.plugins.values()), key=lambda m: (m.number or 99, m.slug))

    def _impls(self, hook_name: str, slugs: Iterable[str] | None) -> list[tuple[str, Any]]:
        wanted = None if slugs is None else set(slugs)
        by_object = {id(p.obj): p.slug for p in self.plugins.values()}
        found = []
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            slug = by_object.get(id(impl.plugin))
            if slug is None or (wanted is not None and slug not in wanted):
                continue
            found.append((slug, impl))
        return sorted(found, key=lambda pair: pair[0])

    # -- calling --------------------------------------------------------------------------------

    async def call(
        self, hook_name: str, *, enabled: Iterable[str] | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call ``hook_name`` on every plugin (or, for tenant-bound hooks, every ``enabled`` one).

        Returns ``(slug, result)`` pairs without ``None`` results; a plugin that
        raises is logged with its name and left out.
        """
        if hook_name in TENANT_BOUND_HOOKS and enabled is None:
            raise ValueError(f"{hook_name} is tenant-bound: pass the tenant's enabled plugins")
        results = []
        for slug, impl in self._impls(hook_name, enabled):
            try:
                result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("plugin %s failed in %s; its contribution is left out", slug, hook_name)
                continue
            _trace(slug, hook_name, result)
            if result is not None:
                results.append((slug, result))
        return results

    def call_sync(
        self, hook_name: str, *, slugs: Iterable[str] | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """``call`` for synchronous, platform-wide hooks (start-up contributions)."""
        results = []
        for slug, impl in self._impls(hook_name, slugs):
            try:
                result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
                if inspect.iscoroutine(result):
                    result.close()
                    raise TypeError(f"{hook_name} must be synchronous")
            except Exception:
                log.exception("plugin %s failed in %s; its contribution is left out", slug, hook_name)
                continue
            _trace(slug, hook_name, result)
            if result is not None:
                results.append((slug, result))
        return results

    def call_one_sync(self, slug: str, hook_name: str, **kwargs: Any) -> Any:
        found = self.call_sync(hook_name, slugs=[slug], **kwargs)
        return found[0][1] if found else None

    async def call_one(self, slug: str, hook_name: str, *, raise_errors: bool = False, **kwargs: Any) -> Any:
        """Call one plugin's implementation; with ``raise_errors`` its exception propagates (lifecycle vetoes)."""
        for found_slug, impl in self._impls(hook_name, [slug]):
            try:
                result = impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                if raise_errors:
                    raise
                log.exception("plugin %s failed in %s", found_slug, hook_name)
                return None
            _trace(found_slug, hook_name, result)
            return result
        return None


def _trace(slug: str, hook_name: str, result: Any) -> None:
    if os.environ.get("QUANYU_TRACE_HOOKS"):
        log.info("hook %s → %s returned %r", hook_name, slug, result)


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("quanyu")
    manager.add_hookspecs(hookspecs)
    return manager


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process's plugin host, loaded from entry points on first use."""
    global _host
    if _host is None:
        _host = PluginHost().load_entry_points()
    return _host


def set_host(host: PluginHost | None) -> None:
    """Replace the process's plugin host (tests)."""
    global _host
    _host = host


def plugin_migration_locations() -> list[Any]:
    """Migration locations of every installed plugin, in slug order (read by ``core.db.migrate``)."""
    return [location for _slug, location in get_host().call_sync("quanyu_migration_location")]


def import_plugin_models() -> None:
    """Import every plugin so its models join ``Base.metadata`` (migrations, schema tests)."""
    get_host()
