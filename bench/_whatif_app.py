"""The platform app with candidate changes applied as patches at start-up: to measure them before making them.

``uvicorn --factory bench._whatif_app:create_app`` with ``BENCH_WHATIF`` set
to a comma-separated list of the changes below (or ``all``). Each patch
imitates, as closely as a patch can, one change proposed for ``core/`` in
``docs/performance.md``; none of them is meant to be kept as a patch.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any


def principal_cache() -> None:
    """Keep the principal of a session for a few seconds instead of loading tenant, user and grants each request.

    Proposed change: cache ``Principal`` per session hash (in process, invalidated by a per-tenant version
    number in Redis bumped when users, roles or grants change, as ``EnabledCache`` does for plugins).
    """
    import core.web.middleware as middleware

    original = middleware.load_principal  # type: ignore[attr-defined]
    cache: dict[tuple[uuid.UUID, uuid.UUID, str | None], tuple[float, Any]] = {}

    async def cached(
        session: Any, tenant_id: uuid.UUID, user_id: uuid.UUID, session_hash: str | None = None
    ) -> Any:
        key = (tenant_id, user_id, session_hash)
        hit = cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        principal = await original(session, tenant_id, user_id, session_hash)
        cache[key] = (time.monotonic() + 10.0, principal)
        return principal

    middleware.load_principal = cached  # type: ignore[attr-defined]


def names_only() -> None:
    """``node_names`` selects (id, name), not whole ``OrgNode`` objects."""
    from sqlalchemy import select

    import core.people.services as services
    from core.orgs.models import OrgNode

    async def node_names(session: Any, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        return dict(
            (await session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(ids))))
            .tuples()
            .all()
        )

    services.node_names = node_names


def no_pre_ping() -> None:
    """Engines without ``pool_pre_ping`` (one round trip less per checked-out connection)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    import core.db.engine as engine

    def create(*args: Any, **kwargs: Any) -> Any:
        kwargs["pool_pre_ping"] = False
        return create_async_engine(*args, **kwargs)

    engine.create_async_engine = create  # type: ignore[attr-defined]


PATCHES: dict[str, Callable[[], None]] = {
    "principal_cache": principal_cache,
    "names_only": names_only,
    "no_pre_ping": no_pre_ping,
}


def apply(names: str) -> list[str]:
    chosen = list(PATCHES) if names.strip() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    for name in chosen:
        PATCHES[name]()
    return chosen


def create_app() -> Any:
    apply(os.environ.get("BENCH_WHATIF", ""))
    from core.web.app import create_app as platform_app

    return platform_app()
