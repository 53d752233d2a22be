"""Tenant-bound ORM sessions: the one tenant filter of the platform.

A session is bound to one tenant (``session.info["tenant_id"]``). Every ORM
SELECT, UPDATE and DELETE it runs gets ``tenant_id = <bound tenant>`` on every
``TenantScoped`` entity (aliases and relationship loads included); with no
tenant bound, the criterion is ``tenant_id IS NULL`` and matches nothing, so a
forgotten binding fails closed. New objects are stamped with the tenant at
flush and an object of another tenant is refused. On PostgreSQL the tenant is
also set for row-level security when each transaction begins.

A *system* session (operator commands, the outbox relay, the scheduler's
fan-out) is unfiltered; on PostgreSQL it uses the BYPASSRLS ``system`` role.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from core.db.base import TenantScoped
from core.db.engine import create_engine
from core.db.rls_begin import TENANT_SETTING, TenantBeginConnection, driver_connection
from core.tenancy.context import current_tenant_id

SET_TENANT_SQL = text(f"SELECT set_config('{TENANT_SETTING}', :tenant_id, true)")


class CrossTenantWrite(RuntimeError):
    """An object of one tenant was about to be written through another tenant's session."""


class TenantSession(Session):
    """The synchronous session behind every ``AsyncSession`` of the platform."""


@event.listens_for(TenantSession, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return
    if state.session.info.get("system"):
        return
    tenant_id = state.session.info.get("tenant_id")
    # Two lambdas, not one: SQLAlchemy caches a criteria lambda's SQL by its code, so one
    # lambda seen first with ``None`` (rendered ``IS NULL``) would be reused for a real
    # tenant with an untyped parameter (on SQLite: "type 'UUID' is not supported").
    if tenant_id is None:
        criteria = with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id.is_(None), include_aliases=True
        )
    else:
        criteria = with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    state.statement = state.statement.options(criteria)


@event.listens_for(TenantSession, "before_flush")
def _stamp_tenant(session: Session, _flush_context: Any, _instances: Any) -> None:
    if session.info.get("system"):
        for obj in session.new:
            if isinstance(obj, TenantScoped) and obj.tenant_id is None:
                raise CrossTenantWrite(f"{type(obj).__name__} written by a system session without tenant_id")
        return
    tenant_id = session.info.get("tenant_id")
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if tenant_id is None:
            raise CrossTenantWrite(f"{type(obj).__name__} added to a session bound to no tenant")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of another tenant added to this session")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.tenant_id != tenant_id:
            raise CrossTenantWrite(f"{type(obj).__name__} of another tenant changed through this session")


@event.listens_for(TenantSession, "after_begin")
def _set_rls_tenant(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name != "postgresql" or session.info.get("system"):
        return
    tenant_id = session.info.get("tenant_id")
    driver = driver_connection(connection.connection.dbapi_connection)
    if isinstance(driver, TenantBeginConnection) and driver.set_tenant_with_begin(tenant_id):
        return  # sent with the transaction's BEGIN (core.db.rls_begin)
    connection.execute(SET_TENANT_SQL, {"tenant_id": str(tenant_id) if tenant_id else ""})


class Database:
    """Engines and session factories of one process.

    ``app`` serves requests and jobs (the non-superuser ``app`` role on
    PostgreSQL); ``system`` is used only for cross-tenant operator work.
    """

    def __init__(
        self,
        app_url: str,
        system_url: str | None = None,
        *,
        pool_size: int = 10,
        pre_ping: bool = True,
        application_name: str = "quanyu",
    ) -> None:
        import core.models  # noqa: F401  (every mapper must exist before the first flush)

        self.app_url = app_url
        self.system_url = system_url or app_url
        self.engine: AsyncEngine = create_engine(
            app_url, pool_size=pool_size, pre_ping=pre_ping, application_name=application_name
        )
        self._system_engine: AsyncEngine | None = self.engine if self.system_url == app_url else None
        self._pool_size = pool_size
        self._pre_ping = pre_ping
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, sync_session_class=TenantSession, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def system_engine(self) -> AsyncEngine:
        if self._system_engine is None:
            self._system_engine = create_engine(
                self.system_url,
                pool_size=max(2, self._pool_size // 4),
                application_name="quanyu-system",
                pre_ping=self._pre_ping,
            )
        return self._system_engine

    def session(self, tenant_id: uuid.UUID | None = None) -> AsyncSession:
        """A session bound to ``tenant_id`` (default: the current tenant context)."""
        session = self._sessions()
        session.info["tenant_id"] = tenant_id if tenant_id is not None else current_tenant_id()
        return session

    def system_session(self) -> AsyncSession:
        """An unfiltered session on the ``system`` role: operator and cross-tenant work only."""
        session = AsyncSession(self.system_engine, sync_session_class=TenantSession, expire_on_commit=False)
        session.info["system"] = True
        return session

    @asynccontextmanager
    async def transaction(self, tenant_id: uuid.UUID | None = None) -> AsyncIterator[AsyncSession]:
        """A tenant-bound session in one transaction: committed on success, rolled back on error."""
        async with self.session(tenant_id) as session, session.begin():
            yield session

    @asynccontextmanager
    async def system_transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.system_session() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._system_engine is not None and self._system_engine is not self.engine:
            await self._system_engine.dispose()


async def bind_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Bind a session that started without a tenant (login, invitations) to one.

    Re-sets the row-level-security tenant of a transaction already open.
    """
    bound = session.info.get("tenant_id")
    if bound is not None and bound != tenant_id:
        raise CrossTenantWrite("a session bound to one tenant cannot be re-bound to another")
    session.info["tenant_id"] = tenant_id
    if session.in_transaction() and session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(SET_TENANT_SQL, {"tenant_id": str(tenant_id)})


_database: Database | None = None


def get_database() -> Database:
    """The process's database, created from settings on first use."""
    global _database
    if _database is None:
        from core.settings import get_settings

        settings = get_settings()
        _database = Database(
            settings.app_database_url, settings.system_database_url, pool_size=settings.database_pool_size
        )
    return _database


def current_database() -> Database | None:
    """The process's database if one was created or set, without creating one."""
    return _database


def set_database(database: Database | None) -> None:
    """Replace the process's database (tests, CLI)."""
    global _database
    _database = database
