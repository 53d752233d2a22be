"""Every hook a Quanyu plugin may implement.

A plugin implements hooks with ``core.api.hookimpl``. The core calls them
through ``core.plugins.host.PluginHost.call`` (or ``call_sync``), which
keeps only plugins enabled for the tenant where a hook is tenant-bound,
awaits coroutines, and logs and leaves out a plugin that raises, so one
broken plugin never takes the platform or other plugins down.

Unless a hook says otherwise, every implementation's result is collected
into a list (pluggy's default); ``None`` results are dropped.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("quanyu")


@hookspec
def quanyu_manifest() -> Any:
    """Return the plugin's ``Manifest``: slug, number, names, pillar, version, requires, permissions, config.

    Called once when the plugin is registered. Platform-wide (not tenant-bound).
    """


@hookspec
def quanyu_route_handlers() -> Any:
    """Return a list of Litestar controllers, routers or handlers for the plugin's API.

    Called once at start-up. They are mounted under ``/api/v1/m/<slug>/``,
    behind the permission guard and the plugin gate (404 for a tenant that has
    not enabled the plugin). Platform-wide.
    """


@hookspec
def quanyu_console_pages() -> Any:
    """Return a ``core.api.ConsolePages``: the plugin's page handlers, menu entries and template folder.

    Called at start-up (handlers, templates) and for each console page (menu entries, only for
    plugins enabled in the caller's district). Pages are served under
    ``/t/<tenant>/console/m/<slug>/`` and answer 404 in districts that have not enabled the
    plugin; they render with ``core.api.console_page`` so they sit in the console's shell.
    """


@hookspec
def quanyu_public_pages() -> Any:
    """Return a ``core.api.ConsolePages`` for the district's public pages (no login; residents).

    Handlers are mounted under ``/t/<tenant>/public/m/<slug>/``; they and the menu entries exist
    only for districts that switched public pages on and enabled the plugin. Render with
    ``core.api.public_page``. Platform-wide (handlers) and per district (menu).
    """


@hookspec
def quanyu_migration_location() -> Any:
    """Return the ``core.api.MigrationLocation`` of the plugin's Alembic scripts, or None if it has no tables.

    Called by ``quanyu db upgrade`` after the core is migrated; each plugin
    has its own version table, so uninstalling one never breaks the next upgrade.
    Platform-wide.
    """


@hookspec
def quanyu_jobs() -> Any:
    """Return a mapping of job name → plain (sync or async) function.

    Called once per process; the core makes each function an actor on the
    configured broker and stamps every message with its tenant. A job of a
    plugin disabled for its tenant skips itself. Platform-wide.
    """


@hookspec
def quanyu_schedules() -> Any:
    """Return a list of ``(job name, cron expression)`` pairs.

    Called by the scheduler at start; each tick is fanned out to every tenant
    that has the plugin enabled, deduplicated by (plugin, job, tick). Platform-wide.
    """


@hookspec
def quanyu_plugin_enabled(tenant_id: Any, session: Any) -> Any:
    """The plugin was just enabled for ``tenant_id`` (also on re-enabling).

    Called inside the enabling transaction with its ``session`` (bound to the
    tenant): raise to refuse. Only this plugin's implementation is called.
    """


@hookspec
def quanyu_plugin_disabled(tenant_id: Any, session: Any) -> Any:
    """The plugin was just disabled for ``tenant_id``; its data is kept.

    Called inside the disabling transaction. Only this plugin's implementation is called.
    """


@hookspec
def quanyu_tenant_provisioned(tenant_id: Any, session: Any) -> Any:
    """A district was just created (system ``session``, same transaction). Every installed plugin is called.

    Each call runs in a savepoint: a plugin that raises is logged, its writes
    are undone, and the district is created all the same.
    """


@hookspec
def quanyu_event_handlers() -> Any:
    """Return a mapping of domain event name (e.g. ``"person.moved"``) → handler function.

    A handler is a job function: it receives a ``JobContext`` (``payload`` holds the
    event's fields and ``"event"``) and runs through the outbox after the change
    commits, only for tenants that have the plugin enabled. Platform-wide.
    """


@hookspec
async def quanyu_dashboard_figures(tenant_id: Any, node: Any, session: Any) -> Any:
    """Return a list of figures (name in Chinese and English, value, unit) for the subtree at ``node``.

    Tenant-bound: called only for plugins enabled for ``tenant_id``; ``session``
    is the request's session, bound to that tenant.
    """


@hookspec
async def quanyu_map_features(tenant_id: Any, node: Any, session: Any) -> Any:
    """Return a list of ``core.api.MapFeature`` (places with longitude and latitude) for the red map
    (红色地图) of the subtree at ``node``; ``GET /api/v1/map?node=`` gathers them as GeoJSON. Tenant-bound.
    """


@hookspec
async def quanyu_tenant_export(tenant_id: Any, session: Any) -> Any:
    """Return ``{name: rows}`` of what the plugin keeps for one tenant *outside its tables* (files, external state).

    The plugin's tables need nothing: every tenant table of its models goes into
    the archive with the core's. Rows are JSON-able dicts; each name becomes a
    checksummed ``extras/<slug>/<name>.jsonl`` in the archive. Tenant-bound.
    """


@hookspec
async def quanyu_tenant_import(tenant_id: Any, session: Any, tables: Any) -> Any:
    """Write back ``tables`` (``{name: rows}`` as the plugin's ``quanyu_tenant_export`` returned them) into
    tenant ``tenant_id``, which may be a copy with a new id. Called only when the archive holds extras of
    this plugin; raising aborts the whole import (nothing is written).
    """


@hookspec
def quanyu_org_kinds() -> Any:
    """Return a list of ``core.api.NodeKind`` to add to the organisation-kind registry. Platform-wide."""


@hookspec
def quanyu_attachment_owners() -> Any:
    """Return a list of ``core.api.AttachmentOwner``: the kinds of the plugin's records that take files.

    Each key must start with the plugin's slug (``"joint_committees.meeting"``). Called once at
    registration. Whoever holds the owner's read permission on a record may read its files.
    Platform-wide.
    """


@hookspec
def quanyu_affiliation_kinds() -> Any:
    """Return a list of ``core.api.AffiliationKind`` to add. Platform-wide."""


@hookspec
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> Any:
    """Fill the plugin's records for the demo district after its tree and people exist.

    ``plan`` is the generated ``DemoPlan``. Called for plugins enabled in the demo district.
    """


@hookspec
def quanyu_isolation_examples() -> Any:
    """Return a mapping ``(METHOD, path template) → async example builder`` for the isolation suite.

    Every route a plugin adds must have one, or the suite fails. Platform-wide.
    """


@hookspec
async def quanyu_person_erasure(tenant_id: Any, person_id: Any, session: Any) -> Any:
    """A person's erasure request was granted: erase what the plugin holds about them that it is not
    obliged to keep, and return a list of ``core.api.ErasureItem`` (or dicts of the same fields) saying,
    for each kind of record, whether it was erased or kept and why.

    Called for every installed plugin, enabled in the district or not (a disabled plugin's data is
    still held), inside the decision's transaction, each in a savepoint: a plugin that raises has its
    writes undone and its tables reported as kept. A table of the plugin that refers to people and is
    named in no item is reported as kept for review by hand, so saying nothing never passes for erased.
    """
