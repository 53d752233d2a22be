"""The isolation world, built once per backend for the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.isolation.world import World


@pytest.fixture(scope="module")
async def world(database: Any, redis_client: Any) -> AsyncIterator[World]:
    import httpx

    from core.web.app import create_app

    app = create_app(database, redis_client)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield await World.build(client, database, app)
