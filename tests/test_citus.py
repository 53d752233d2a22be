"""Citus (deploy/citus/): every table can be distributed under Citus' rules, and the committed script does it.

Citus is not installed here. The rules are checked on the models (core and
every plugin) and proven on a deliberately bad schema; on PostgreSQL the
committed script runs against the migrated schema with a stand-in for the
Citus functions that refuses what Citus refuses about order (a foreign key
to a table that is not a Citus table yet, a reference table referring to a
distributed one, a colocation anchor that does not exist, triggers without
``citus.enable_unsafe_triggers``), inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, MetaData, String, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.db.base import PLATFORM_TABLE, Base, TenantScoped, tenant_fk, tenant_tables
from core.db.citus import (
    CitusLayout,
    citus_layout,
    citus_violations,
    distribution_sql,
    installed_schema,
    migrated_triggers,
)

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "deploy/citus/distribute.sql"
PLATFORM_TABLES = {"tenant", "auth_session", "outbox", "tenant_plugin"}


# --- the rules, on the installed schema and on a bad one -------------------------------------------


def test_every_table_of_core_and_plugins_can_be_distributed() -> None:
    metadata, tenant_scoped, components, owners = installed_schema()
    layout = citus_layout(metadata, tenant_scoped)
    assert citus_violations(metadata, tenant_scoped) == []
    assert layout.anchor == "org_node" and layout.distributed[0] == "org_node"
    assert set(layout.distributed) == set(tenant_tables())
    assert set(layout.reference) == PLATFORM_TABLES
    # Every table is in exactly one list, and every plugin's tables were seen.
    assert sorted(layout.reference + layout.distributed) == sorted(metadata.tables)
    for component in components[1:]:
        owned = {table for table, owner in owners.items() if owner == component}
        assert owned and owned <= set(layout.distributed), component


def test_the_rule_check_finds_each_breach_in_a_bad_schema() -> None:
    class BadBase(DeclarativeBase):
        metadata = MetaData()

    class FixtureTenant(BadBase):
        __tablename__ = "tenant"
        id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)

    class Anchor(TenantScoped, BadBase):
        __tablename__ = "org_node"
        parent_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)

    class GlobalUnique(TenantScoped, BadBase):
        __tablename__ = "global_unique"
        __table_args__ = (Index("uq_global_unique_code", "code", unique=True),)
        code: Mapped[str] = mapped_column(String(20))
        email: Mapped[str] = mapped_column(String(20), unique=True)

    class SingleColumnKey(TenantScoped, BadBase):
        __tablename__ = "single_column_key"
        node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_node.id"))

    class NullingKey(TenantScoped, BadBase):
        __tablename__ = "nulling_key"
        __table_args__ = (
            ForeignKeyConstraint(
                ["tenant_id", "node_id"], ["org_node.tenant_id", "org_node.id"], ondelete="SET NULL"
            ),
        )
        node_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())

    class Lookup(BadBase):  # a platform table pointing into a district
        __tablename__ = "lookup"
        id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
        node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("org_node.id"))

    class Unmarked(BadBase):  # keyed by district, yet neither tenant-scoped nor a platform table
        __tablename__ = "unmarked"
        tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
        code: Mapped[str] = mapped_column(String(20), primary_key=True)

    class Marked(BadBase):  # the same, marked: a platform table, nothing to report
        __tablename__ = "marked"
        __table_args__ = ({"info": {PLATFORM_TABLE: True}},)
        tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
        code: Mapped[str] = mapped_column(String(20), primary_key=True)

    tenant_scoped = {"org_node", "global_unique", "single_column_key", "nulling_key"}
    layout = citus_layout(BadBase.metadata, tenant_scoped)
    assert layout.anchor == "org_node" and layout.distributed[0] == "org_node"
    assert set(layout.reference) == {"tenant", "lookup", "unmarked", "marked"}
    assert sorted(citus_violations(BadBase.metadata, tenant_scoped)) == sorted(
        [
            "global_unique: unique constraint on ['email'] lacks tenant_id",
            "global_unique: unique index uq_global_unique_code on ['code'] lacks tenant_id",
            "nulling_key: foreign key ['tenant_id', 'node_id'] -> org_node has ON DELETE SET NULL on tenant_id",
            "single_column_key: foreign key ['node_id'] -> org_node['id'] does not pair tenant_id with "
            "org_node.tenant_id",
            "lookup: reference table with a foreign key ['node_id'] -> distributed table org_node (Citus refuses "
            "keys from reference to distributed tables: make it tenant-scoped or drop the key)",
            "unmarked: tenant_id is in its primary key but it is neither tenant-scoped (TenantScoped) nor marked "
            "as a platform table; it would be copied to every node",
        ]
    )


# --- the committed script and the command ----------------------------------------------------------


def test_the_committed_script_is_what_the_command_prints(tmp_path: Path) -> None:
    """In a process of its own, as an operator runs it: the installed plugins only, not the suite's fixtures."""
    quanyu = str(Path(sys.executable).with_name("quanyu"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANYU_")}
    env.update(QUANYU_VAR_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    printed = subprocess.run(
        [quanyu, "db", "citus-sql"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == SCRIPT.read_text(encoding="utf-8"), (
        "deploy/citus/distribute.sql is stale: regenerate it with `quanyu db citus-sql > deploy/citus/distribute.sql`"
    )


def test_the_command_refuses_a_schema_citus_would_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from core import cli
    from core.db import citus

    def broken() -> tuple[str, list[str]]:
        return "SELECT 1;\n", [
            "lookup: reference table with a foreign key ['node_id'] -> distributed table org_node"
        ]

    monkeypatch.setattr(citus, "distribution_sql_for_installed_schema", broken)
    result = CliRunner().invoke(cli.main, ["db", "citus-sql"])
    assert result.exit_code == 1
    assert "cannot be distributed on Citus" in result.output and "lookup: reference table" in result.output
    assert "SELECT" not in result.output


def test_the_script_names_every_table_once_in_its_role() -> None:
    metadata, _tenant_scoped, _components, _owners = installed_schema()
    script = SCRIPT.read_text(encoding="utf-8")
    references = re.findall(r"create_reference_table\('(\w+)'\)", script)
    distributed = re.findall(
        r"create_distributed_table\('(\w+)', 'tenant_id', colocate_with => '(\w+)'\)", script
    )
    assert set(references) == PLATFORM_TABLES
    assert distributed[0] == ("org_node", "none")
    assert {colocated for _table, colocated in distributed[1:]} == {"org_node"}
    named = references + [table for table, _ in distributed]
    # The suite's fixture plugins add tables the committed script (installed plugins only) does not have.
    fixture_tables = {"hello_note"}
    assert sorted(named) == sorted(set(metadata.tables) - fixture_tables)
    assert "alembic_version" not in " ".join(named)


# --- PostgreSQL: the script against the migrated schema, with a stand-in for Citus ----------------

CITUS_STAND_IN = r"""
CREATE SCHEMA citus_stand_in;
CREATE TABLE citus_stand_in.pg_dist_partition (
    logicalrelid regclass PRIMARY KEY,
    partmethod "char" NOT NULL,
    colocated_with regclass
);
CREATE FUNCTION citus_stand_in.refuse_what_citus_refuses(t regclass, kind "char") RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    key record;
BEGIN
    FOR key IN
        SELECT c.conname, c.confrelid::regclass AS target, p.partmethod
        FROM pg_constraint c LEFT JOIN citus_stand_in.pg_dist_partition p ON p.logicalrelid = c.confrelid
        WHERE c.conrelid = t AND c.contype = 'f' AND c.confrelid <> t
    LOOP
        IF key.partmethod IS NULL THEN
            RAISE EXCEPTION 'citus: % refers to %, which is not a distributed or reference table', t, key.target;
        END IF;
        IF kind = 'n' AND key.partmethod <> 'n' THEN
            RAISE EXCEPTION 'citus: reference table % refers to distributed table %', t, key.target;
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t AND NOT tgisinternal)
       AND coalesce(current_setting('citus.enable_unsafe_triggers', true), '') <> 'on' THEN
        RAISE EXCEPTION 'citus: cannot distribute relation % because it has triggers', t;
    END IF;
END $$;
CREATE FUNCTION citus_stand_in.create_reference_table(table_name regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_stand_in.refuse_what_citus_refuses(table_name, 'n');
    INSERT INTO citus_stand_in.pg_dist_partition VALUES (table_name, 'n', NULL);
END $$;
CREATE FUNCTION citus_stand_in.create_distributed_table(
    table_name regclass, distribution_column text, colocate_with text DEFAULT 'default'
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM citus_stand_in.refuse_what_citus_refuses(table_name, 'h');
    IF colocate_with NOT IN ('default', 'none') AND NOT EXISTS (
        SELECT 1 FROM citus_stand_in.pg_dist_partition
        WHERE logicalrelid = colocate_with::regclass AND partmethod = 'h'
    ) THEN
        RAISE EXCEPTION 'citus: % is not a distributed table to colocate % with', colocate_with, table_name;
    END IF;
    INSERT INTO citus_stand_in.pg_dist_partition
    VALUES (table_name, 'h', CASE WHEN colocate_with IN ('default', 'none') THEN NULL ELSE colocate_with::regclass END);
END $$;
SET LOCAL search_path = public, citus_stand_in;
"""


def _statements(script: str) -> list[str]:
    """The SQL statements of a generated script (psql meta-commands and comments left out)."""
    body = "\n".join(
        line.split("  -- ")[0]
        for line in script.splitlines()
        if line.strip() and not line.startswith("--") and not line.startswith("\\")
    )
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";")]


async def _run_with_stand_in(database: Any, script: str) -> dict[str, Any]:
    """Run ``script`` as the owner on the migrated schema with the stand-in; roll everything back."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = (
        make_url(database.backend.owner_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    conn = await asyncpg.connect(dsn)
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(CITUS_STAND_IN)
            results = [[tuple(row) for row in await conn.fetch(s)] for s in _statements(script)]
            partition = {
                row[0]: (row[1], row[2])
                for row in await conn.fetch(
                    "SELECT logicalrelid::text, partmethod::text, colocated_with::text "
                    "FROM citus_stand_in.pg_dist_partition"
                )
            }
        finally:
            await transaction.rollback()
    finally:
        await conn.close()
    still_local, triggers = results[-2], results[-1]
    return {
        "partition": partition,
        "still_local": [row[0] for row in still_local],
        "triggers": {str(row[0]) for row in triggers},
    }


def _postgresql_only(database: Any) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the script runs on PostgreSQL (Citus)")


async def test_the_script_distributes_the_migrated_schema_in_an_order_citus_accepts(database: Any) -> None:
    _postgresql_only(database)
    done = await _run_with_stand_in(database, SCRIPT.read_text(encoding="utf-8"))
    # The suite's fixture plugin is migrated here but not installed: the script's own check names its table.
    assert done["still_local"] == ["hello_note"]
    metadata, tenant_scoped, _components, _owners = installed_schema()
    for table in set(metadata.tables) - {"hello_note"}:
        expected = (
            ("h", None if table == "org_node" else "org_node") if table in tenant_scoped else ("n", None)
        )
        assert done["partition"][table] == expected, table
    assert done["triggers"] == {"care_fund_entry", "care_fund_transaction"}


async def test_the_stand_in_refuses_a_wrong_order_and_unannounced_triggers(database: Any) -> None:
    """Negative controls: the stand-in is not a rubber stamp."""
    _postgresql_only(database)
    metadata, tenant_scoped, components, owners = installed_schema()
    import asyncpg

    metadata, tenant_scoped, components, owners = installed_schema()
    layout = citus_layout(metadata, tenant_scoped)
    rest = layout.distributed[1:]
    reversed_layout = CitusLayout(layout.reference, layout.anchor, [layout.distributed[0], *reversed(rest)])
    triggers = {"care_fund_entry", "care_fund_transaction"}
    with pytest.raises(asyncpg.PostgresError, match="which is not a distributed or reference table"):
        await _run_with_stand_in(
            database,
            distribution_sql(reversed_layout, components=components, owners=owners, trigger_tables=triggers),
        )
    in_order = layout
    with pytest.raises(asyncpg.PostgresError, match="because it has triggers"):
        await _run_with_stand_in(database, distribution_sql(in_order, components=components, owners=owners))
    # The control of the controls: the same layout with its triggers announced goes through.
    done = await _run_with_stand_in(
        database, distribution_sql(in_order, components=components, owners=owners, trigger_tables=triggers)
    )
    assert done["still_local"] == []


async def test_postgresql_triggers_sit_on_the_tables_the_script_announces(database: Any) -> None:
    """The script learns of triggers from a scratch SQLite migration; PostgreSQL's are on the same tables."""
    _postgresql_only(database)
    async with database.engine.connect() as conn:
        on_postgresql = {
            row[0]
            for row in await conn.execute(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND NOT t.tgisinternal"
                )
            )
        }
    assert on_postgresql == set(migrated_triggers()) == {"care_fund_entry", "care_fund_transaction"}
    assert "citus.enable_unsafe_triggers" in SCRIPT.read_text(encoding="utf-8")
    assert set(Base.metadata.tables) >= on_postgresql
