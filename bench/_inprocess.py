"""The platform app in this process (httpx's ASGI transport), with a counter of the SQL statements it issues."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bench._common import REDIS_URL, RUN_VAR_DIR, SECRET_KEY, role_url


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


def bench_settings(database: str) -> Any:
    from core.settings import Settings

    return Settings(
        var_dir=str(RUN_VAR_DIR),
        secret_key=SECRET_KEY,
        database_url=role_url("app", database),
        database_system_url=role_url("system", database),
        database_owner_url=role_url("owner", database),
        redis_url=REDIS_URL,
        embedded_worker=False,
        log_level="WARNING",
    )


@asynccontextmanager
async def platform_client(database: str) -> AsyncIterator[tuple[Any, StatementCounter]]:
    """An HTTP client of the whole platform app on ``database``; the counter sees every SQL statement."""
    import httpx
    from redis.asyncio import Redis
    from sqlalchemy import event

    from core.db.session import Database, set_database
    from core.settings import override_settings
    from core.web.app import create_app

    override_settings(bench_settings(database))
    db = Database(role_url("app", database), role_url("system", database))
    set_database(db)
    redis = Redis.from_url(REDIS_URL)
    counter = StatementCounter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counter.statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    event.listen(db.system_engine.sync_engine, "before_cursor_execute", count)
    app = create_app(db, redis)
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client, counter
    finally:
        await redis.aclose()
        await db.dispose()
        set_database(None)
        override_settings(None)
