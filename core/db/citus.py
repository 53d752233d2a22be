"""Citus: which tables are distributed by ``tenant_id`` and which are reference tables (DESIGN.md §8).

Every tenant-scoped table (a mapped class mixing in ``TenantScoped``) is
hash-distributed on ``tenant_id`` and colocated with one anchor table, so a
district's rows of every table live in the same shard group on one node and
every foreign key between them stays on that node. Every other table of the
models (the platform tables: ``tenant``, sessions, the outbox, plugin
enablement) becomes a reference table, copied to every node, which is what
lets a distributed table keep its foreign key to ``tenant``.

``citus_violations`` lists what Citus would refuse when distributing the
schema; ``distribution_sql`` writes the script that distributes it
(``quanyu db citus-sql``, committed as ``deploy/citus/distribute.sql``).
Alembic's version tables are not models: they stay plain tables on the
coordinator, where migrations run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table, UniqueConstraint, create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase

from core.db.base import PLATFORM_TABLE, TenantScoped

DISTRIBUTION_COLUMN = "tenant_id"
# The colocation group's first table: every district has its org tree, and it refers to no other
# tenant table, so it can be distributed before all the others.
COLOCATION_ANCHOR = "org_node"
# Foreign-key actions Citus refuses when the distribution column is among the referencing columns
# (they would null, default or rewrite tenant_id).
REFUSED_ON_DELETE = {"SET NULL", "SET DEFAULT"}
REFUSED_ON_UPDATE = {"SET NULL", "SET DEFAULT", "CASCADE"}


def tenant_scoped_tables(base: type[DeclarativeBase]) -> set[str]:
    """Names of the tables of every class mapped by ``base`` that mixes in ``TenantScoped``."""
    return {
        mapper.local_table.name
        for mapper in base.registry.mappers
        if issubclass(mapper.class_, TenantScoped) and isinstance(mapper.local_table, Table)
    }


@dataclass(frozen=True)
class CitusLayout:
    """The tables in the order Citus must see them: reference tables, the anchor, then the rest."""

    reference: list[str]
    anchor: str | None
    distributed: list[str]  # the anchor first


def citus_layout(metadata: MetaData, tenant_scoped: Collection[str]) -> CitusLayout:
    """Classify and order the tables of ``metadata``; ``tenant_scoped`` names the distributed ones.

    A table's foreign keys must point at tables that are already Citus
    tables when it is distributed, so both lists follow the metadata's
    dependency order.
    """
    ordered = [t.name for t in metadata.sorted_tables]
    distributed = [name for name in ordered if name in tenant_scoped]
    reference = [name for name in ordered if name not in tenant_scoped]
    anchor = None
    if distributed:
        anchor = COLOCATION_ANCHOR if COLOCATION_ANCHOR in distributed else distributed[0]
        distributed.remove(anchor)
        distributed.insert(0, anchor)
    return CitusLayout(reference=reference, anchor=anchor, distributed=distributed)


def _postgresql_type(column: Column[Any]) -> str:
    return str(column.type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


def _fk_sides(fk: Any) -> tuple[str, list[str], list[str]]:
    target = fk.elements[0].column.table.name
    return target, [e.parent.name for e in fk.elements], [e.column.name for e in fk.elements]


def citus_violations(metadata: MetaData, tenant_scoped: Collection[str]) -> list[str]:
    """Every rule of Citus that distributing ``metadata`` as ``citus_layout`` does would break.

    For each distributed table: ``tenant_id`` is in the primary key, in every
    unique constraint, unique index and exclusion constraint (with ``=``),
    and of one type across the colocation group; each foreign key to another
    distributed table pairs ``tenant_id`` with the target's ``tenant_id``; a
    foreign key that includes ``tenant_id`` neither nulls, defaults nor
    cascades updates to it. For the other tables: no foreign key to a
    distributed table (Citus refuses keys from reference tables to
    distributed ones), and ``tenant_id`` in a primary key only on tables
    that are tenant-scoped or marked as platform tables (otherwise the table
    is neither: a tenant table that would be copied to every node).
    """
    layout = citus_layout(metadata, tenant_scoped)
    distributed = set(layout.distributed)
    problems: list[str] = []
    anchor_type = None
    if layout.anchor is not None:
        anchor_table = metadata.tables[layout.anchor]
        if DISTRIBUTION_COLUMN in anchor_table.c:
            anchor_type = _postgresql_type(anchor_table.c[DISTRIBUTION_COLUMN])
        for fk in metadata.tables[layout.anchor].foreign_key_constraints:
            target, local, _remote = _fk_sides(fk)
            if target in distributed and target != layout.anchor:
                problems.append(
                    f"{layout.anchor}: the colocation anchor has a foreign key {local} -> {target}, "
                    "a distributed table that would not exist yet"
                )
    for name in layout.distributed:
        table = metadata.tables[name]
        if DISTRIBUTION_COLUMN not in table.c:
            problems.append(f"{name}: distributed table without a {DISTRIBUTION_COLUMN} column")
            continue
        column_type = _postgresql_type(table.c[DISTRIBUTION_COLUMN])
        if anchor_type is not None and column_type != anchor_type:
            problems.append(
                f"{name}: {DISTRIBUTION_COLUMN} is {column_type}, not {anchor_type} as in {layout.anchor} "
                "(colocated tables share the distribution column's type)"
            )
        key = [c.name for c in table.primary_key.columns]
        if DISTRIBUTION_COLUMN not in key:
            problems.append(f"{name}: primary key {key} lacks {DISTRIBUTION_COLUMN}")
        for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
            if isinstance(constraint, UniqueConstraint):
                columns = [c.name for c in constraint.columns]
                if DISTRIBUTION_COLUMN not in columns:
                    problems.append(f"{name}: unique constraint on {columns} lacks {DISTRIBUTION_COLUMN}")
            if isinstance(constraint, ExcludeConstraint):
                operator = constraint.operators.get(DISTRIBUTION_COLUMN)
                if operator != "=":
                    problems.append(
                        f"{name}: exclusion constraint {constraint.name} does not compare "
                        f"{DISTRIBUTION_COLUMN} with ="
                    )
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            columns = [c.name for c in index.columns]
            if index.unique and DISTRIBUTION_COLUMN not in columns:
                problems.append(f"{name}: unique index {index.name} on {columns} lacks {DISTRIBUTION_COLUMN}")
        for fk in sorted(table.foreign_key_constraints, key=lambda f: str(f.name)):
            target, local, remote = _fk_sides(fk)
            if target in distributed:
                paired = any(
                    a == DISTRIBUTION_COLUMN and b == DISTRIBUTION_COLUMN
                    for a, b in zip(local, remote, strict=True)
                )
                if not paired:
                    problems.append(
                        f"{name}: foreign key {local} -> {target}{remote} does not pair "
                        f"{DISTRIBUTION_COLUMN} with {target}.{DISTRIBUTION_COLUMN}"
                    )
            if DISTRIBUTION_COLUMN in local:
                ondelete = (fk.ondelete or "NO ACTION").upper()
                onupdate = (fk.onupdate or "NO ACTION").upper()
                if ondelete in REFUSED_ON_DELETE:
                    problems.append(
                        f"{name}: foreign key {local} -> {target} has ON DELETE {ondelete} on {DISTRIBUTION_COLUMN}"
                    )
                if onupdate in REFUSED_ON_UPDATE:
                    problems.append(
                        f"{name}: foreign key {local} -> {target} has ON UPDATE {onupdate} on {DISTRIBUTION_COLUMN}"
                    )
    for name in layout.reference:
        table = metadata.tables[name]
        key = [c.name for c in table.primary_key.columns]
        if DISTRIBUTION_COLUMN in key and not table.info.get(PLATFORM_TABLE):
            problems.append(
                f"{name}: {DISTRIBUTION_COLUMN} is in its primary key but it is neither tenant-scoped "
                "(TenantScoped) nor marked as a platform table; it would be copied to every node"
            )
        for fk in sorted(table.foreign_key_constraints, key=lambda f: str(f.name)):
            target, local, _remote = _fk_sides(fk)
            if target in distributed:
                problems.append(
                    f"{name}: reference table with a foreign key {local} -> distributed table {target} "
                    "(Citus refuses keys from reference to distributed tables: make it tenant-scoped "
                    "or drop the key)"
                )
    return problems


def migrated_triggers() -> dict[str, list[str]]:
    """The triggers every migration location creates, by table, read from a scratch SQLite database.

    Triggers are not part of the models; migrating a scratch database (as
    ``quanyu db revision`` does) shows which tables carry them without any
    real database. The PostgreSQL migrations create theirs on the same
    tables (tests/test_citus.py checks it), under other names.
    """
    from core.db.migrate import _upgrade_sync, all_locations

    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        try:
            with engine.begin() as connection:
                _upgrade_sync(connection, all_locations(), "heads")
                rows = connection.execute(
                    text(
                        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' ORDER BY tbl_name, name"
                    )
                ).all()
        finally:
            engine.dispose()
    triggers: dict[str, list[str]] = {}
    for table, trigger in rows:
        triggers.setdefault(table, []).append(trigger)
    return triggers


def _guarded(call: str, table: str, owner: str) -> str:
    # Skipped when the table is already a Citus table, so the script can be run again after a
    # failure, or after an upgrade added tables.
    return (
        f"SELECT {call}  -- {owner}\n"
        f"  WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = '{table}'::regclass);"
    )


def distribution_sql(
    layout: CitusLayout,
    *,
    components: list[str],
    owners: Mapping[str, str],
    trigger_tables: Collection[str] = (),
) -> str:
    """The psql script that distributes ``layout`` on a Citus coordinator.

    ``components`` names where the tables come from (core and plugins),
    ``owners`` maps a table to its component (shown beside it) and
    ``trigger_tables`` names the tables migrations put triggers on.
    """
    lines = [
        "-- Distributes Quanyu's tables on a Citus coordinator (deploy/citus/README.md).",
        "-- Generated by `quanyu db citus-sql` from the models of: " + ", ".join(components) + ".",
        "-- Do not edit: regenerate it. tests/test_citus.py fails when this file differs from the command.",
        "--",
        "-- Run on the coordinator as the owner role, after `quanyu db upgrade`:",
        '--   psql "$OWNER_URL" -f deploy/citus/distribute.sql',
        "-- Each statement commits on its own (do not add --single-transaction) and is skipped when its",
        "-- table is already a Citus table: after a failure, fix the cause and run the file again; after an",
        "-- upgrade that added tables, regenerate the file and run it again.",
        "--",
        "-- Alembic's version tables (alembic_version_core, alembic_version_<plugin>) are left alone: they",
        "-- stay plain tables on the coordinator, the only node migrations run on.",
        "",
        r"\set ON_ERROR_STOP on",
        "",
    ]
    triggered = sorted(set(trigger_tables) & set(layout.distributed))
    if triggered:
        lines += [
            "-- Triggers. Migrations put triggers on: " + ", ".join(triggered) + ".",
            "-- Citus distributes a table with triggers only with citus.enable_unsafe_triggers on; it then",
            "-- creates them on every shard, where they fire on the node that holds the row. That is sound",
            "-- only for triggers that read the row itself, rows of the same district and reference tables,",
            "-- and whose settings reach the workers: see 'Triggers' in deploy/citus/README.md.",
            "SET citus.enable_unsafe_triggers TO on;",
            "",
        ]
    lines += [
        "-- 1. Platform tables become reference tables, copied to every node, before any distributed table",
        "--    refers to them.",
    ]
    for name in layout.reference:
        lines.append(_guarded(f"create_reference_table('{name}')", name, owners.get(name, "core")))
    if layout.anchor is not None:
        lines += [
            "",
            f"-- 2. The colocation anchor: {layout.anchor}, distributed by {DISTRIBUTION_COLUMN} in a group of its own.",
            _guarded(
                f"create_distributed_table('{layout.anchor}', '{DISTRIBUTION_COLUMN}', colocate_with => 'none')",
                layout.anchor,
                owners.get(layout.anchor, "core"),
            ),
            "",
            f"-- 3. Every other tenant table, colocated with {layout.anchor}: a district's rows of every table",
            "--    share one node. Tables come after the tables their foreign keys refer to.",
        ]
        for name in layout.distributed[1:]:
            lines.append(
                _guarded(
                    f"create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
                    f"colocate_with => '{layout.anchor}')",
                    name,
                    owners.get(name, "core"),
                )
            )
    lines += [
        "",
        "-- 4. Checks. Tables still local (expect none: Alembic's version tables are left out):",
        "SELECT c.relname AS still_local",
        "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace",
        "  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
        "    AND c.relname NOT LIKE 'alembic\\_version\\_%'",
        "    AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)",
        "  ORDER BY 1;",
        "-- Triggers that fire on the shards of distributed tables:",
        "SELECT t.tgrelid::regclass AS distributed_table, t.tgname AS trigger_name",
        "  FROM pg_trigger t JOIN pg_dist_partition p ON p.logicalrelid = t.tgrelid",
        "  WHERE NOT t.tgisinternal",
        "  ORDER BY 1, 2;",
        "",
    ]
    return "\n".join(lines)


def installed_schema() -> tuple[MetaData, set[str], list[str], dict[str, str]]:
    """The models of the core and every installed plugin: metadata, tenant tables, components, owners."""
    import core.models  # noqa: F401  (every core table in Base.metadata)
    from core.db.base import Base
    from core.db.migrate import all_locations
    from core.plugins.host import import_plugin_models

    import_plugin_models()
    components: list[str] = []
    owners: dict[str, str] = {}
    for location in all_locations():
        components.append(location.name)
        for table in location.tables or ():
            owners[table] = location.name
    return Base.metadata, tenant_scoped_tables(Base), components, owners


def distribution_sql_for_installed_schema() -> tuple[str, list[str]]:
    """``distribution_sql`` for the core and every installed plugin, with the rule violations found."""
    metadata, tenant_scoped, components, owners = installed_schema()
    problems = citus_violations(metadata, tenant_scoped)
    sql = distribution_sql(
        citus_layout(metadata, tenant_scoped),
        components=components,
        owners=owners,
        trigger_tables=migrated_triggers(),
    )
    return sql, problems
