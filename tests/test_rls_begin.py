"""The row-level-security tenant travels with the transaction's BEGIN (core.db.rls_begin), and only there.

PostgreSQL only: SQLite has no row-level security and no BEGIN to carry it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import event, select, text

from core.db.rls_begin import TenantBeginConnection
from core.db.session import bind_tenant
from core.orgs.models import OrgNode

CURRENT_TENANT = text("SELECT current_setting('quanyu.tenant_id', true)")


def _postgresql_only(database: Any) -> None:
    if database.dialect != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")


class _Statements:
    """Every statement SQLAlchemy hands to the driver on the app engine while in use."""

    def __init__(self, database: Any) -> None:
        self.engine = database.engine.sync_engine
        self.seen: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


async def test_a_tenant_transaction_sets_its_tenant_without_a_statement_of_its_own(
    database: Any, make_tenant: Any
) -> None:
    _postgresql_only(database)
    a, b = await make_tenant(), await make_tenant()
    with _Statements(database) as seen:
        async with database.transaction(a.id) as session:
            assert await session.scalar(CURRENT_TENANT) == str(a.id)
            assert {n.tenant_id for n in await session.scalars(select(OrgNode))} == {a.id}
            # Row-level security itself, not only the ORM's tenant criterion: raw SQL sees tenant a only.
            assert set(await session.scalars(text("SELECT DISTINCT tenant_id FROM org_node"))) == {a.id}
    assert not [s for s in seen if "set_config" in s], seen
    async with database.transaction(b.id) as session:
        assert await session.scalar(CURRENT_TENANT) == str(b.id)
        assert set(await session.scalars(text("SELECT DISTINCT tenant_id FROM org_node"))) == {b.id}


async def test_a_session_bound_to_no_tenant_begins_with_the_empty_tenant_and_sees_nothing(
    database: Any, make_tenant: Any
) -> None:
    _postgresql_only(database)
    await make_tenant()
    async with database.transaction(None) as session:
        assert await session.scalar(CURRENT_TENANT) == ""
        assert await session.scalar(text("SELECT count(*) FROM org_node")) == 0


async def test_a_tenant_no_begin_took_never_reaches_the_next_transaction(
    database: Any, make_tenant: Any
) -> None:
    _postgresql_only(database)
    a = await make_tenant()
    async with database.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert isinstance(driver, TenantBeginConnection)
        # As a session does when its transaction begins; then the transaction ends without a statement.
        await conn.begin()
        assert driver.set_tenant_with_begin(a.id)
        await conn.commit()
        async with conn.begin():
            assert await conn.scalar(CURRENT_TENANT) in (None, "")
            assert await conn.scalar(text("SELECT count(*) FROM org_node")) == 0
        # Handed over, then the connection goes back to the pool unused: the next user gets no tenant.
        await conn.begin()
        assert driver.set_tenant_with_begin(a.id)
        await conn.rollback()
    async with database.engine.connect() as conn, conn.begin():
        assert await conn.scalar(CURRENT_TENANT) in (None, "")


async def test_the_tenant_stays_transaction_local(database: Any, make_tenant: Any) -> None:
    _postgresql_only(database)
    a = await make_tenant()
    async with database.engine.connect() as conn:
        async with conn.begin():
            driver = (await conn.get_raw_connection()).driver_connection
            driver.set_tenant_with_begin(a.id)
            assert await conn.scalar(CURRENT_TENANT) == str(a.id)
        async with conn.begin():
            assert await conn.scalar(CURRENT_TENANT) in (None, "")


async def test_binding_a_tenant_inside_an_open_transaction_sets_it_there(
    database: Any, make_tenant: Any
) -> None:
    _postgresql_only(database)
    a = await make_tenant()
    async with database.session(None) as session, session.begin():
        assert await session.scalar(CURRENT_TENANT) == ""  # BEGIN went out: the tenant must follow alone
        await bind_tenant(session, a.id)
        assert await session.scalar(CURRENT_TENANT) == str(a.id)
        assert set(await session.scalars(text("SELECT DISTINCT tenant_id FROM org_node"))) == {a.id}


async def test_only_a_real_tenant_id_reaches_the_sql_text(database: Any) -> None:
    _postgresql_only(database)
    async with database.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        with pytest.raises(ValueError):
            driver.set_tenant_with_begin("x', true); SELECT set_config('quanyu.tenant_id', 'y")  # type: ignore[arg-type]
        assert driver.set_tenant_with_begin(uuid.UUID(int=1))
        driver.forget_tenant()
