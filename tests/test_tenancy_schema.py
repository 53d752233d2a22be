"""Tenancy at the schema level (DESIGN.md §2): keys, foreign keys, row-level security, sessions, migrations.

The key checker runs over every table the models declare and is proven on
a deliberately bad fixture schema. On PostgreSQL the suite connects as the
non-superuser ``app`` role, so the raw-SQL checks here are what a request
could do.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import core.models  # noqa: F401  (every core table in Base.metadata)
from core.auth.models import Role, User
from core.db.base import Base, TenantScoped, tenant_fk, tenant_tables
from core.db.rls import POLICY_NAME
from core.db.session import SET_TENANT_SQL, CrossTenantWrite
from core.orgs.models import OrgNode, segment

# Platform tables that carry a tenant_id without being tenant-scoped (DESIGN.md §2: reached only
# through core code that filters them explicitly).
PLATFORM_TABLES_WITH_TENANT_ID = {"auth_session", "outbox", "tenant_plugin"}
# Tables the core must declare as tenant-scoped: proves the checker saw them.
CORE_TENANT_TABLES = {
    "affiliation",
    "app_user",
    "audit_record",
    "notification",
    "org_node",
    "password_history",
    "person",
    "person_data_request",
    "person_relation",
    "role",
    "role_assignment",
    "user_token",
}


def tenant_scoped_tables(base: type[DeclarativeBase]) -> set[str]:
    """Names of the tables of every mapped class of ``base`` that mixes in TenantScoped."""
    return {
        mapper.local_table.name
        for mapper in base.registry.mappers
        if issubclass(mapper.class_, TenantScoped) and isinstance(mapper.local_table, Table)
    }


def tenant_key_problems(metadata: MetaData, tenant: set[str]) -> list[str]:
    """Every breach of the key rules in ``metadata``, ``tenant`` being the tenant tables' names.

    * the primary key of a tenant table is ``(tenant_id, id)``, tenant_id first;
    * every unique constraint and unique index of a tenant table includes tenant_id;
    * every foreign key (from any table) to a tenant table is composite, pairing
      ``tenant_id`` with the target's ``tenant_id`` and covering the target's key.
    """
    problems = []
    for name in sorted(tenant):
        table = metadata.tables[name]
        key = [c.name for c in table.primary_key.columns]
        if key != ["tenant_id", "id"]:
            problems.append(f"{name}: primary key is {key}, not ['tenant_id', 'id']")
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                columns = [c.name for c in constraint.columns]
                if "tenant_id" not in columns:
                    problems.append(f"{name}: unique constraint on {columns} lacks tenant_id")
        for index in table.indexes:
            columns = [c.name for c in index.columns]
            if index.unique and "tenant_id" not in columns:
                problems.append(f"{name}: unique index {index.name} on {columns} lacks tenant_id")
    for table in metadata.tables.values():
        for fk in table.foreign_key_constraints:
            pairs = {}
            for element in fk.elements:
                target_table, target_column = element.target_fullname.rsplit(".", 1)
                pairs[element.parent.name] = (target_table, target_column)
            target = {t for t, _ in pairs.values()}
            if not target & tenant:
                continue
            (target_name,) = target
            local = list(pairs)
            if pairs.get("tenant_id") != (target_name, "tenant_id") or len(pairs) < 2:
                problems.append(
                    f"{table.name}: foreign key {local} -> {target_name} is not composite with tenant_id"
                )
            elif {c for _, c in pairs.values()} != {"tenant_id", "id"}:
                problems.append(f"{table.name}: foreign key {local} -> {target_name} misses its key")
    return problems


# --- keys, on the models' metadata and on a bad fixture --------------------------------------------


def test_every_tenant_table_keys_on_tenant_id() -> None:
    tenant = tenant_scoped_tables(Base)
    assert tenant >= CORE_TENANT_TABLES, f"tenant tables not seen: {CORE_TENANT_TABLES - tenant}"
    assert tenant_key_problems(Base.metadata, tenant) == []
    # The base's own notion of tenant tables (tenant_id in the key) is the same set.
    assert set(tenant_tables()) == tenant


def test_tenant_id_appears_only_on_tenant_tables_or_listed_platform_tables() -> None:
    tenant = tenant_scoped_tables(Base)
    with_column = {t.name for t in Base.metadata.tables.values() if "tenant_id" in t.c}
    assert with_column - tenant == PLATFORM_TABLES_WITH_TENANT_ID


def test_the_checker_finds_every_breach_in_a_bad_schema() -> None:
    class BadBase(DeclarativeBase):
        metadata = MetaData()

    class FixtureTenant(BadBase):
        __tablename__ = "tenant"
        id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)

    class GoodNode(TenantScoped, BadBase):
        __tablename__ = "good_node"
        parent_id: Mapped[uuid.UUID | None] = tenant_fk("good_node", nullable=True)

    class SingleColumnFk(TenantScoped, BadBase):
        __tablename__ = "bad_single_fk"
        node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("good_node.id"))

    class KeyOrder(TenantScoped, BadBase):
        __tablename__ = "bad_key_order"
        __table_args__ = (PrimaryKeyConstraint("id", "tenant_id"),)

    class GlobalUnique(TenantScoped, BadBase):
        __tablename__ = "bad_unique"
        __table_args__ = (Index("uq_bad_unique_code", "code", unique=True),)
        code: Mapped[str] = mapped_column(String(20))
        email: Mapped[str] = mapped_column(String(20), unique=True)

    class PlatformRef(BadBase):
        __tablename__ = "bad_platform_ref"
        id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
        node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("good_node.id"))

    tenant = tenant_scoped_tables(BadBase)
    assert tenant == {"good_node", "bad_single_fk", "bad_key_order", "bad_unique"}
    problems = tenant_key_problems(BadBase.metadata, tenant)
    joined = "\n".join(problems)
    assert "bad_single_fk: foreign key ['node_id'] -> good_node is not composite" in joined
    assert "bad_key_order: primary key is ['id', 'tenant_id']" in joined
    assert "bad_unique: unique index uq_bad_unique_code on ['code'] lacks tenant_id" in joined
    assert "bad_unique: unique constraint on ['email'] lacks tenant_id" in joined
    assert "bad_platform_ref: foreign key ['node_id'] -> good_node is not composite" in joined
    assert not [p for p in problems if p.startswith("good_node")], problems
    assert len(problems) == 5, problems


# --- PostgreSQL: row-level security under the app role ---------------------------------------------


def _postgresql_only(database: Any) -> None:
    if database.dialect != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")


async def test_rls_enabled_forced_and_with_a_policy_on_every_tenant_table(database: Any) -> None:
    _postgresql_only(database)
    tenant = tenant_scoped_tables(Base)
    async with database.engine.connect() as conn:
        flags = {
            row.relname: (row.relrowsecurity, row.relforcerowsecurity)
            for row in await conn.execute(
                text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            )
        }
        policies = {
            row.tablename: row.qual
            for row in await conn.execute(
                text("SELECT tablename, qual FROM pg_policies WHERE policyname = :name"),
                {"name": POLICY_NAME},
            )
        }
    for table in sorted(tenant):
        assert flags.get(table) == (True, True), f"{table}: RLS enabled/forced = {flags.get(table)}"
        assert table in policies, f"{table} has no {POLICY_NAME} policy"
        assert "quanyu.tenant_id" in policies[table]


async def test_app_role_is_neither_superuser_nor_bypassing_rls(database: Any) -> None:
    _postgresql_only(database)
    from sqlalchemy.engine import make_url

    async with database.engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT current_user AS name, rolsuper, rolbypassrls "
                    "FROM pg_roles WHERE rolname = current_user"
                )
            )
        ).one()
    assert row.name == make_url(database.backend.app_url).username
    assert (row.rolsuper, row.rolbypassrls) == (False, False)


async def test_raw_sql_as_app_role_sees_only_the_set_tenant(database: Any, make_tenant: Any) -> None:
    _postgresql_only(database)
    a, b = await make_tenant(), await make_tenant()
    tables = sorted(tenant_scoped_tables(Base))
    async with database.engine.connect() as conn:
        async with conn.begin():
            await conn.execute(SET_TENANT_SQL, {"tenant_id": str(a.id)})
            nodes = list(await conn.execute(text("SELECT tenant_id, id FROM org_node")))
            assert (a.id, a.root_id) in [tuple(n) for n in nodes]
            assert {n.tenant_id for n in nodes} == {a.id}
            explicit = await conn.scalar(
                text("SELECT count(*) FROM org_node WHERE tenant_id = :b"), {"b": b.id}
            )
            assert explicit == 0
            for table in tables:
                others = await conn.scalar(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id <> :a"), {"a": a.id}
                )
                assert others == 0, f"{table}: {others} rows of other tenants visible"
            changed = await conn.execute(
                text("UPDATE org_node SET name = 'hijacked' WHERE tenant_id = :b"), {"b": b.id}
            )
            assert changed.rowcount == 0
        async with conn.begin():  # the setting is transaction-local: nothing set now
            for table in tables:
                assert await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        async with conn.begin():
            await conn.execute(SET_TENANT_SQL, {"tenant_id": ""})
            assert await conn.scalar(text("SELECT count(*) FROM org_node")) == 0


async def test_rls_refuses_an_insert_for_another_tenant(database: Any, make_tenant: Any) -> None:
    _postgresql_only(database)
    a, b = await make_tenant(), await make_tenant()
    node_id = uuid.uuid4()
    insert = text(
        "INSERT INTO org_node (tenant_id, id, kind, name, parent_id, path, depth, attrs, created_at, updated_at) "
        "VALUES (:tenant, :id, 'street', 'intruder', :parent, :path, 1, '{}'::jsonb, now(), now())"
    )
    async with database.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="row-level security"):
            async with conn.begin():
                await conn.execute(SET_TENANT_SQL, {"tenant_id": str(a.id)})
                await conn.execute(
                    insert,
                    {
                        "tenant": b.id,
                        "id": node_id,
                        "parent": b.root_id,
                        "path": b.root_path + node_id.hex + "/",
                    },
                )
        # The same row for the tenant that is set goes in: the refusal was the policy's.
        async with conn.begin():
            await conn.execute(SET_TENANT_SQL, {"tenant_id": str(a.id)})
            await conn.execute(
                insert,
                {"tenant": a.id, "id": node_id, "parent": a.root_id, "path": a.root_path + node_id.hex + "/"},
            )
    async with database.system_transaction() as session:
        owners = list(await session.scalars(select(OrgNode.tenant_id).where(OrgNode.id == node_id)))
    assert owners == [a.id]


async def test_audit_log_is_append_only_for_the_app_role(database: Any, admin: Any) -> None:
    _postgresql_only(database)
    async with database.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="permission denied"):
            async with conn.begin():
                await conn.execute(SET_TENANT_SQL, {"tenant_id": str(admin.tenant.id)})
                await conn.execute(text("UPDATE audit_record SET success = false"))


# --- both backends: the tenant-bound ORM session ---------------------------------------------------


async def test_orm_session_sees_only_its_tenant(database: Any, make_tenant: Any, make_user: Any) -> None:
    a, b = await make_tenant(), await make_tenant()
    await make_user(a, "viewer")
    b_user = await make_user(b, "viewer")
    async with database.transaction(a.id) as session:
        nodes = list(await session.scalars(select(OrgNode)))
        assert {n.tenant_id for n in nodes} == {a.id}
        assert a.root_id in {n.id for n in nodes}
        assert await session.get(OrgNode, (b.id, b.root_id)) is None
        assert (await session.scalars(select(User).where(User.id == b_user.id))).first() is None
        assert {r.tenant_id for r in await session.scalars(select(Role))} == {a.id}
        # An explicit filter on another tenant cannot widen the bound one.
        assert list(await session.scalars(select(OrgNode).where(OrgNode.tenant_id == b.id))) == []
        count = await session.scalar(select(func.count()).select_from(OrgNode))
        assert count == len(nodes)


def _forget_cached_criteria(database: Any) -> None:
    """Make the next tenant criterion be analysed afresh, as in a new process.

    SQLAlchemy analyses a criteria lambda once per code object and caches
    compiled statements per engine; a criterion first analysed with no
    tenant must not decide how later tenant-bound statements are built.
    """
    from sqlalchemy.sql.lambdas import AnalyzedCode

    getattr(AnalyzedCode, "_fns", {}).clear()
    cache = getattr(database.engine.sync_engine, "_compiled_cache", None)
    if cache is not None:
        cache.clear()


async def test_orm_session_bound_to_no_tenant_sees_nothing(database: Any, make_tenant: Any) -> None:
    a = await make_tenant()
    _forget_cached_criteria(database)
    async with database.transaction(None) as session:
        assert session.info["tenant_id"] is None
        assert list(await session.scalars(select(OrgNode))) == []
        assert list(await session.scalars(select(Role))) == []
        assert await session.get(OrgNode, (a.id, a.root_id)) is None
    # ...and the same statements still work for a real tenant afterwards (no cached NULL criterion).
    async with database.transaction(a.id) as session:
        assert [n.id for n in await session.scalars(select(OrgNode))] == [a.root_id]
        assert await session.get(OrgNode, (a.id, a.root_id)) is not None


def _child(tenant_id: uuid.UUID | None, parent_id: uuid.UUID, parent_path: str) -> OrgNode:
    node = OrgNode(kind="street", name=f"街道{uuid.uuid4().hex[:6]}", parent_id=parent_id, depth=1, attrs={})
    if tenant_id is not None:
        node.tenant_id = tenant_id
    node.path = parent_path + segment(node.id)
    return node


async def test_adding_another_tenants_object_raises_cross_tenant_write(
    database: Any, make_tenant: Any
) -> None:
    a, b = await make_tenant(), await make_tenant()
    with pytest.raises(CrossTenantWrite):
        async with database.transaction(a.id) as session:
            session.add(_child(b.id, b.root_id, b.root_path))
            await session.flush()
    with pytest.raises(CrossTenantWrite):
        async with database.transaction(None) as session:
            session.add(_child(None, a.root_id, a.root_path))
            await session.flush()
    async with database.system_transaction() as session:
        nodes = await session.scalar(
            select(func.count()).select_from(OrgNode).where(OrgNode.tenant_id.in_([a.id, b.id]))
        )
    assert nodes == 2  # the two roots only


async def test_composite_foreign_key_refuses_another_tenants_node(database: Any, make_tenant: Any) -> None:
    a, b = await make_tenant(), await make_tenant()
    with pytest.raises(IntegrityError):
        async with database.transaction(a.id) as session:
            session.add(_child(None, b.root_id, a.root_path))  # tenant A, parent in B
            await session.flush()
    with pytest.raises(IntegrityError):
        async with database.transaction(a.id) as session:
            session.add(
                User(
                    username=f"u{uuid.uuid4().hex[:8]}",
                    display_name="越界",
                    org_node_id=b.root_id,
                    status="active",
                    must_change_password=False,
                    failed_logins=0,
                )
            )
            await session.flush()
    # The control: the same node under A's own root is accepted.
    async with database.transaction(a.id) as session:
        session.add(_child(None, a.root_id, a.root_path))


async def test_sqlite_connections_enforce_foreign_keys(database: Any) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    for _ in range(2):  # every connection (NullPool: a new one each time)
        async with database.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"


# --- the migration head is the models' schema ------------------------------------------------------


# Differences autogenerate reports that are intended: Alembic's own version tables (one per
# migration location, DESIGN.md §5) are not models.
def _intentional(diff: Any) -> bool:
    return diff[0] == "remove_table" and diff[1].name.startswith("alembic_version_")


def _compare(connection: Any, metadata: MetaData) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, metadata) if not _intentional(d)]


async def test_migration_head_matches_the_models(database: Any) -> None:
    from core.db.engine import create_engine

    engine = create_engine(database.backend.owner_url)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_compare, Base.metadata)
            # The comparison can fail: a model with one more column than the database differs.
            drifted = MetaData(naming_convention=Base.metadata.naming_convention)
            for table in Base.metadata.tables.values():
                table.to_metadata(drifted)
            drifted.tables["org_node"].append_column(Column("drift_probe", String(10)))
            drift = await conn.run_sync(_compare, drifted)
    finally:
        await engine.dispose()
    assert diffs == [], "the migrations and the models disagree:\n" + "\n".join(map(repr, diffs))
    assert [d[0] for d in drift] == ["add_column"] and drift[0][3].name == "drift_probe"


def test_key_checker_ignores_nothing_it_should_check() -> None:
    """A foreign key to a tenant table from a new table of the real metadata is caught too."""
    scratch = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(scratch)
    Table(
        "probe_ref",
        scratch,
        Column("id", Uuid(), primary_key=True),
        Column("node_id", Uuid(), ForeignKey("org_node.id")),
    )
    problems = tenant_key_problems(scratch, tenant_scoped_tables(Base))
    assert problems == ["probe_ref: foreign key ['node_id'] -> org_node is not composite with tenant_id"]
