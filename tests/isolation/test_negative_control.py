"""The isolation suite catches a route that forgets its scope guard (a deliberately unguarded test route),
and passes its guarded twin: the suite's check can fail."""

from __future__ import annotations

from typing import Any

import pytest

from core.isolation import Example
from tests.isolation.registry import RouteKey
from tests.isolation.test_isolation import assert_route_isolated
from tests.isolation.world import World


@pytest.fixture(scope="module")
async def leaky_world(database: Any, redis_client: Any) -> Any:
    import httpx

    from core.plugins.host import get_host, set_host
    from core.web.app import create_app
    from tests.conftest import build_test_host
    from tests.fixture_plugins import leaky

    suite_host = get_host()
    host = build_test_host()
    assert host.register(leaky, source="tests (leaky)") is not None
    set_host(host)
    try:
        app = create_app(database, redis_client)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            world = await World.build(client, database, app)
            await world.ensure_plugin("leaky", enabled=True)
            yield world
    finally:
        set_host(suite_host)


async def test_a_route_without_the_scope_guard_fails_the_isolation_check(leaky_world: World) -> None:
    key = RouteKey("GET", "/api/v1/m/leaky/unguarded/{node_id:uuid}")
    example = Example(f"/api/v1/m/leaky/unguarded/{leaky_world.b1}", owner_sees=(str(leaky_world.b1),))
    with pytest.raises(AssertionError, match=r"GET /api/v1/m/leaky/unguarded/\S+ -> 200"):
        await assert_route_isolated(leaky_world, key, example)


async def test_its_guarded_twin_passes(leaky_world: World) -> None:
    key = RouteKey("GET", "/api/v1/m/leaky/guarded/{node_id:uuid}")
    example = Example(f"/api/v1/m/leaky/guarded/{leaky_world.b1}", owner_sees=(str(leaky_world.b1),))
    await assert_route_isolated(leaky_world, key, example)
