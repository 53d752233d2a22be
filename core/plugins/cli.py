"""``quanyu plugin``: list installed plugins; enable, disable or purge one for a district; start a new one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click


@click.group("plugin")
def plugin() -> None:
    """Mechanisms (plugins): what is installed, and what each district has enabled."""


@plugin.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--tenant", "district", help="Also show whether each is enabled in this district (slug or code)."
)
def plugin_list(as_json: bool, district: str | None) -> None:
    """List installed plugins (and the ones that failed to load)."""
    from core.cli import run_async

    run_async(_list)(as_json, district)


async def _list(as_json: bool, district: str | None) -> None:
    from core.plugins import state
    from core.plugins.host import get_host
    from core.plugins.manifest import PILLARS

    host = get_host()
    enabled: dict[str, bool] = {}
    if district:
        tenant_id = await _tenant_id(district)
        from core.db.session import get_database

        async with get_database().transaction(tenant_id) as session:
            enabled = {s.slug: s.enabled for s in await state.statuses(session, host, tenant_id)}
    rows: list[dict[str, Any]] = []
    for m in host.manifests():
        row: dict[str, Any] = {
            "slug": m.slug,
            "number": m.number,
            "name_zh": m.name_zh,
            "name_en": m.name_en,
            "pillar": m.pillar,
            "version": m.version,
            "requires": dict(m.requires),
            "core_api": m.core_api,
            "source": host.plugins[m.slug].source,
        }
        if district:
            row["enabled"] = enabled.get(m.slug, False)
        rows.append(row)
    broken = [dataclasses.asdict(b) for b in host.broken]
    if as_json:
        click.echo(json.dumps({"plugins": rows, "failed": broken}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no plugins installed")
    for r in rows:
        number = f"{r['number']:>2}" if r["number"] else " -"
        state_text = ("  enabled" if r["enabled"] else "  disabled") if district else ""
        requires = (
            f"  requires {', '.join(f'{k} {v}' for k, v in r['requires'].items())}" if r["requires"] else ""
        )
        click.echo(
            f"{number} {r['slug']:<20} {r['version']:<8} {PILLARS[r['pillar']][1]:<24} "
            f"{r['name_zh']} / {r['name_en']}{state_text}{requires}"
        )
    for b in broken:
        click.echo(f"FAILED {b['name']}: {b['error']}", err=True)


async def _tenant_id(district: str) -> Any:
    from core.cli import _find, _require_schema
    from core.db.session import get_database

    await _require_schema()
    async with get_database().system_transaction() as session:
        return (await _find(session, district)).id


def _change(action: str) -> Any:
    @plugin.command(action)
    @click.argument("slug")
    @click.option("--tenant", "district", required=True, help="District slug or code.")
    def command(slug: str, district: str) -> None:
        from core.cli import run_async

        run_async(_apply)(action, slug, district)

    command.__doc__ = f"{action.capitalize()} a plugin for one district."
    return command


async def _apply(action: str, slug: str, district: str) -> None:
    from core.cli import fail
    from core.db.session import get_database
    from core.errors import ProblemError
    from core.plugins import state
    from core.plugins.host import get_host

    host = get_host()
    tenant_id = await _tenant_id(district)
    change = state.enable if action == "enable" else state.disable
    try:
        async with get_database().transaction(tenant_id) as session:
            await change(session, host, tenant_id, slug)
    except ProblemError as exc:
        raise fail(exc.cli_message()) from None
    await state.EnabledCache(await _redis()).invalidate(tenant_id)
    click.echo(f"{slug} is now {action}d for {district}")


async def _redis() -> Any:
    from core.settings import get_settings

    url = get_settings().redis_url
    if not url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(url)


@plugin.command("purge")
@click.argument("slug")
@click.option("--tenant", "district", required=True, help="District slug or code.")
@click.option("--yes", is_flag=True, help="Do not ask; delete after showing what goes.")
def plugin_purge(slug: str, district: str, yes: bool) -> None:
    """Delete every record a disabled plugin keeps for one district (shows the rows first, asks, audits)."""
    from core.cli import run_async

    run_async(_purge)(slug, district, yes)


async def _purge(slug: str, district: str, yes: bool) -> None:
    from core.cli import fail
    from core.db.session import get_database
    from core.errors import ProblemError
    from core.plugins import state
    from core.plugins.host import get_host

    host = get_host()
    tenant_id = await _tenant_id(district)
    try:
        async with get_database().transaction(tenant_id) as session:
            rows = await state.purge_preview(session, host, tenant_id, slug)
    except ProblemError as exc:
        raise fail(exc.cli_message()) from None
    click.echo(f"purging {slug} in {district} deletes:")
    for table, count in rows.items():
        click.echo(f"  {table}: {count} rows")
    if not yes and not click.confirm(f"Type y to delete these {sum(rows.values())} rows", default=False):
        raise fail("nothing was deleted")
    try:
        async with get_database().transaction(tenant_id) as session:
            deleted = await state.purge(session, host, tenant_id, slug, confirm=slug)
    except ProblemError as exc:
        raise fail(exc.cli_message()) from None
    await state.EnabledCache(await _redis()).invalidate(tenant_id)
    click.echo(f"deleted {sum(deleted.values())} rows of {slug} in {district}")


enable = _change("enable")
disable = _change("disable")


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Create the package in this directory, as quanyu-<NAME>/.",
)
@click.option("--name-zh", help="The mechanism's Chinese name (default: the English one).")
@click.option("--name-en", help="The mechanism's English name (default: NAME in words).")
def plugin_new(name: str, parent: Path, name_zh: str | None, name_en: str | None) -> None:
    """Create a plugin package to start from: quanyu-NAME, importable as quanyu_NAME.

    NAME is the plugin's slug (2 to 40 lower-case letters, digits and
    underscores): its entry-point name, its URL prefix /api/v1/m/NAME/ and the
    prefix of its tables. The package has a table with its migration, a scoped
    and audited API, messages, isolation examples and passing tests.
    """
    from core.cli import fail
    from core.plugins.scaffold import ScaffoldError, new_plugin

    try:
        target = new_plugin(name, parent, name_zh=name_zh, name_en=name_en)
    except ScaffoldError as exc:
        raise fail(str(exc)) from None
    click.echo(f"created {target}")
    if name_zh is None:
        click.echo(f"  give it a Chinese name: name_zh in {target.name}/quanyu_{name}/__init__.py")
    click.echo(f"  cd {target} && pip install -e . && QUANYU_TEST_BACKENDS=sqlite pytest")
