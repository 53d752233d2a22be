"""Alembic, run programmatically: the core and each plugin on their own branch.

Each migration location has its own version table (``alembic_version_<name>``),
so uninstalling a plugin never breaks the next upgrade. ``upgrade`` migrates
the core first, then every installed plugin, then (on PostgreSQL) applies
the grants of the ``app`` and ``system`` roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

CORE_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class MigrationLocation:
    """Where one component keeps its Alembic scripts and which tables it owns."""

    name: str
    path: Path
    tables: frozenset[str] | None = None  # None: every table not claimed by another location

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"


def core_location() -> MigrationLocation:
    return MigrationLocation("core", CORE_MIGRATIONS)


def all_locations() -> list[MigrationLocation]:
    """The core first, then each installed plugin's location (added by the plugin host)."""
    locations = [core_location()]
    try:
        from core.plugins.host import plugin_migration_locations
    except ImportError:  # the plugin host is not part of this build yet
        return locations
    return locations + list(plugin_migration_locations())


def alembic_config(location: MigrationLocation, connection: Connection | None = None) -> Config:
    cfg = Config()
    # Every location shares the core's env.py and template; a plugin ships only its versions/.
    cfg.set_main_option("script_location", str(CORE_MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(location.path / "versions"))
    cfg.attributes["location"] = location
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection, locations: Iterable[MigrationLocation], revision: str) -> None:
    for location in locations:
        command.upgrade(alembic_config(location, connection), revision)


async def upgrade(
    engine: AsyncEngine, *, app_role: str | None = None, system_role: str | None = None
) -> None:
    """Migrate every location to its head; on PostgreSQL then grant the runtime roles."""
    locations = all_locations()
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync, locations, "heads")
    if engine.dialect.name == "postgresql" and (app_role or system_role):
        async with engine.begin() as conn:
            await apply_grants(conn, app_role=app_role, system_role=system_role)


async def current_revisions(engine: AsyncEngine) -> dict[str, list[str]]:
    from alembic.runtime.migration import MigrationContext

    result: dict[str, list[str]] = {}

    def read(conn: Connection) -> None:
        for location in all_locations():
            ctx = MigrationContext.configure(conn, opts={"version_table": location.version_table})
            result[location.name] = list(ctx.get_current_heads())

    async with engine.connect() as conn:
        await conn.run_sync(read)
    return result


def revision(
    location: MigrationLocation,
    message: str,
    *,
    connection: Connection,
    autogenerate: bool,
    rev_id: str | None = None,
) -> Any:
    return command.revision(
        alembic_config(location, connection), message=message, autogenerate=autogenerate, rev_id=rev_id
    )


# Tables whose rows the app role may not change or remove once written (the audit purge and
# `quanyu audit reseal` run on the system role).
APPEND_ONLY_TABLES = ("audit_record", "audit_checkpoint")


async def apply_grants(conn: Any, *, app_role: str | None, system_role: str | None) -> None:
    """Grant the runtime roles what they need on every table (idempotent)."""
    for role in filter(None, (app_role, system_role)):
        quoted = _quote_ident(role)
        await conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        await conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}")
        )
        await conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    if app_role:
        for table in APPEND_ONLY_TABLES:
            await conn.execute(text(f"REVOKE UPDATE, DELETE ON {table} FROM {_quote_ident(app_role)}"))


def _quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"invalid role name {name!r}")
    return f'"{name}"'


def head_revisions() -> dict[str, list[str]]:
    """The head revision(s) of every migration location, read from the scripts."""
    from alembic.script import ScriptDirectory

    return {
        location.name: list(ScriptDirectory.from_config(alembic_config(location)).get_heads())
        for location in all_locations()
    }


def known_revisions() -> dict[str, set[str]]:
    """Every revision each installed migration location has ever had (to tell an older schema from a newer one)."""
    from alembic.script import ScriptDirectory

    return {
        location.name: {
            script.revision
            for script in ScriptDirectory.from_config(alembic_config(location)).walk_revisions()
        }
        for location in all_locations()
    }
