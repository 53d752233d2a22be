"""Engines for the embedded default (SQLite) and production (PostgreSQL).

SQLite gets the settings DESIGN.md §2 asks for at every connect: foreign keys
on, WAL, a busy timeout, and every transaction opened with ``BEGIN IMMEDIATE``
(SQLAlchemy's recipe for pysqlite/aiosqlite) so that a read that later writes
never fails with "database is locked" on lock upgrade.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite_url(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, application_name: str = "quanyu", pre_ping: bool = True
) -> AsyncEngine:
    """An async engine configured for Quanyu on SQLite or PostgreSQL.

    ``pre_ping`` tests each connection as it leaves the pool (on asyncpg: ``BEGIN``, ``;``, ``ROLLBACK``,
    three round trips); an engine whose user retries on a dropped connection instead can turn it off."""
    sa_url = make_url(url)
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        if sa_url.drivername == "sqlite":
            sa_url = sa_url.set(drivername="sqlite+aiosqlite")
        engine = create_async_engine(
            sa_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, poolclass=NullPool
        )
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if sa_url.drivername in ("postgresql", "postgres"):
            sa_url = sa_url.set(drivername="postgresql+asyncpg")
        from core.db.rls_begin import TenantBeginConnection, install

        engine = create_async_engine(
            sa_url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
            connect_args={
                "server_settings": {"application_name": application_name},
                "connection_class": TenantBeginConnection,
            },
        )
        install(engine)
        return engine
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
