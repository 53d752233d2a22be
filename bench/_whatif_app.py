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


def keys_cache() -> None:
    """Decode the master secret(s) once, not on every encrypt/decrypt (``crypto._keys``)."""
    from functools import lru_cache

    import core.crypto as crypto
    from core.settings import get_settings

    @lru_cache(maxsize=8)
    def keys_of(settings: Any) -> tuple[bytes, ...]:
        return tuple(settings.master_keys())

    crypto._keys = lambda: keys_of(get_settings())


def tenant_once() -> None:
    """Read the district's settings from the tenant row the principal was loaded with (one query less)."""
    import datetime as dt

    import core.people.services as services
    from core.tenancy.settings import parse_tenant_settings

    months: dict[uuid.UUID, tuple[float, int]] = {}
    original = services.contact_cutoff

    async def contact_cutoff(session: Any, tenant_id: uuid.UUID) -> dt.date:
        hit = months.get(tenant_id)
        if hit is None or hit[0] < time.monotonic():
            from core.tenancy.models import Tenant

            tenant = await session.get_one(Tenant, tenant_id)
            months[tenant_id] = (
                time.monotonic() + 10.0,
                parse_tenant_settings(tenant.settings).security.lost_contact_months,
            )
        return services.months_before(dt.date.today(), months[tenant_id][1])

    assert original is not None
    services.contact_cutoff = contact_cutoff


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


def no_decrypt() -> None:
    """Upper bound of storing the masked forms at write time: lists stop decrypting (constant masks here)."""
    import core.crypto as crypto
    import core.people.services as services

    original = services.person_out

    def person_out(person: Any, node_name: str | None = None, **kwargs: Any) -> Any:
        real = crypto.decrypt
        crypto.decrypt = lambda _tenant_id, _token: "321111199001010000"  # type: ignore[assignment]
        try:
            return original(person, node_name, **kwargs)
        finally:
            crypto.decrypt = real

    services.person_out = person_out


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
    "keys_cache": keys_cache,
    "tenant_once": tenant_once,
    "names_only": names_only,
    "no_decrypt": no_decrypt,
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
