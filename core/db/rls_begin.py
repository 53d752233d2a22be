"""Send a transaction's row-level-security tenant with its ``BEGIN``: one round trip instead of two.

Every tenant transaction on PostgreSQL must start with ``set_config('quanyu.tenant_id', <tenant>, true)``
(DESIGN.md §2). Issued as its own statement it costs a round trip per transaction: one of a relayed
job's four, one of a list request's seven (docs/performance.md). asyncpg sends ``BEGIN`` as a simple
query, which may carry several statements; this connection class appends the tenant's ``set_config`` to
the ``BEGIN`` of the transaction the session announced it for. The setting stays transaction-local,
exactly as when sent alone.

The tenant is handed over by ``core.db.session`` when a session's transaction begins and taken by that
transaction's ``BEGIN`` only: SQLAlchemy's commit and rollback, and returning the connection to the pool,
drop a tenant no ``BEGIN`` took, so it can never reach another transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

TENANT_SETTING = "quanyu.tenant_id"


class TenantBeginConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection whose next ``BEGIN`` may also set the row-level-security tenant."""

    _tenant_for_begin: str | None = None

    def set_tenant_with_begin(self, tenant_id: uuid.UUID | None) -> bool:
        """Have the next ``BEGIN`` set ``tenant_id`` (``None``: no tenant, which matches no row).

        False if a transaction is already open on the wire: the caller must set the tenant itself."""
        if self.is_in_transaction():
            return False
        # The value is put into SQL text: only the canonical form of a real UUID may get there.
        self._tenant_for_begin = "" if tenant_id is None else str(uuid.UUID(str(tenant_id)))
        return True

    def forget_tenant(self) -> None:
        self._tenant_for_begin = None

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109  (asyncpg's signature)
        tenant = self._tenant_for_begin
        if tenant is not None and not args and query.startswith("BEGIN"):
            self._tenant_for_begin = None
            query = f"{query.rstrip().rstrip(';')}; SELECT set_config('{TENANT_SETTING}', '{tenant}', true);"
        result: str = await super().execute(query, *args, timeout=timeout)
        return result


def driver_connection(dbapi_connection: Any) -> Any:
    """The asyncpg connection behind SQLAlchemy's adapted DBAPI connection (None if there is none)."""
    return getattr(dbapi_connection, "driver_connection", None)


def install(engine: AsyncEngine) -> None:
    """Drop a tenant no ``BEGIN`` took whenever a transaction ends or the connection goes back to the pool."""

    def forget(dbapi_connection: Any) -> None:
        driver = driver_connection(dbapi_connection)
        if isinstance(driver, TenantBeginConnection):
            driver.forget_tenant()

    def on_transaction_end(connection: Any) -> None:
        if not connection.closed and not connection.invalidated:
            forget(connection.connection.dbapi_connection)

    event.listen(engine.sync_engine, "commit", on_transaction_end)
    event.listen(engine.sync_engine, "rollback", on_transaction_end)
    event.listen(
        engine.sync_engine.pool, "checkin", lambda dbapi_connection, _record: forget(dbapi_connection)
    )
