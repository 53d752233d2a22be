"""``/health/live`` and ``/health/ready`` for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get
from sqlalchemy import text

from core.db.migrate import current_revisions, head_revisions
from core.db.session import Database

# A server that does not answer (a dropped packet, not a refused connection) would otherwise hold the
# probe until the orchestrator gives up on it: answer 503 well before its timeout instead.
CHECK_TIMEOUT_SECONDS = 3.0


class HealthOut(msgspec.Struct):
    status: str
    checks: dict[str, str] = {}


@get("/health/live", opt={"exclude_from_auth": True}, tags=["health"], summary="The process is up")
async def live() -> HealthOut:
    return HealthOut(status="ok")


@get(
    "/health/ready",
    opt={"exclude_from_auth": True},
    tags=["health"],
    summary="The database answers and is migrated; Redis answers if configured",
)
async def ready(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    database: Database = request.app.state.database
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            current = await current_revisions(database.engine)
        expected = head_revisions()
        behind = sorted(name for name, heads in expected.items() if set(current.get(name, [])) != set(heads))
        checks["database"] = "ok" if not behind else "migrations pending: " + ", ".join(behind)
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return Response(
        HealthOut(status="ok" if healthy else "unavailable", checks=checks),
        status_code=200 if healthy else 503,
    )
