"""Alembic environment shared by the core and every plugin location.

It runs on the connection handed over by ``core.db.migrate`` (async engines:
the connection is a sync facade from ``run_sync``); autogenerate only sees
the tables this location owns.
"""

from __future__ import annotations

from alembic import context

from core.db.base import Base
from core.db.migrate import MigrationLocation

config = context.config
location: MigrationLocation = config.attributes["location"]
connection = config.attributes["connection"]


def _load_models() -> None:
    import core.models  # noqa: F401

    try:
        from core.plugins.host import import_plugin_models
    except ImportError:
        return
    import_plugin_models()


def _owned_tables() -> frozenset[str]:
    if location.tables is not None:
        return location.tables
    from core.db.migrate import all_locations

    claimed: set[str] = set()
    for other in all_locations():
        if other.name != location.name and other.tables is not None:
            claimed |= other.tables
    return frozenset(t for t in Base.metadata.tables if t not in claimed)


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    if type_ == "table":
        return name in _owned_tables()
    table = getattr(obj, "table", None)
    return table is None or table.name in _owned_tables()


_load_models()
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=location.version_table,
    render_as_batch=connection.dialect.name == "sqlite",
    include_object=include_object,
    compare_type=True,
    user_module_prefix="sa_types.",
)
with context.begin_transaction():
    context.run_migrations()
