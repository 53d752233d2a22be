"""Login rate limits per account and per client address: 429 problem+json with Retry-After, one audit
record per window, and (with Redis) one count shared by every API process."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import select

from core.audit.models import AuditRecord
from core.settings import override_settings
from core.testing import TEST_PASSWORD
from tests.test_auth import problem

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def limits(test_settings):
    """Set the platform's login limits for one test: ``limits(per_account=3, per_address=0)``."""

    def set_limits(*, per_account: int = 0, per_address: int = 0, window: int = 300) -> None:
        override_settings(
            msgspec.structs.replace(
                test_settings,
                login_limit_per_account=per_account,
                login_limit_per_address=per_address,
                login_window_seconds=window,
            )
        )

    yield set_limits
    override_settings(test_settings)


def new_address() -> str:
    # Counters outlive a test (Redis keeps them for the window): each test comes from its own address.
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


@asynccontextmanager
async def api_process(database: Any, redis: Any, plugin_host: Any, address: str) -> AsyncIterator[Any]:
    """A client of its own app instance (one API process), seen as coming from ``address``."""
    from core.web.app import create_app

    app = create_app(database, redis, plugin_host=plugin_host)
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def attempt(client: Any, district: str, username: str, password: str = "Wrong-Password-1") -> Any:
    response = await client.post(
        LOGIN, json={"district": district, "username": username, "password": password}
    )
    client.cookies.clear()
    return response


async def rate_limit_records(database: Any, tenant_id: Any) -> list[str]:
    async with database.transaction(tenant_id) as session:
        rows = await session.scalars(
            select(AuditRecord.detail).where(
                AuditRecord.action == "auth.login", AuditRecord.detail.like("rate limited%")
            )
        )
        return list(rows)


async def test_an_account_over_its_limit_gets_429_with_retry_after_and_one_audit_record(
    database, redis_client, plugin_host, make_tenant, make_user, limits
):
    limits(per_account=3, window=300)
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    other = await make_user(tenant, "viewer")
    async with api_process(database, redis_client, plugin_host, new_address()) as client:
        for _ in range(3):
            problem(await attempt(client, tenant.slug, user.username), 401, "bad_credentials")
        for password in ("Wrong-Password-1", "Wrong-Password-2", TEST_PASSWORD):
            response = await attempt(client, tenant.slug, user.username, password)
            body = problem(response, 429, "login_rate_limited")
            assert 1 <= int(response.headers["retry-after"]) <= 300
            assert response.headers["retry-after"] in body["detail"]
            assert password not in response.text
        # The username is matched as the login matches it; other accounts are not affected.
        problem(
            await attempt(client, tenant.slug.upper(), f" {user.username.upper()}"), 429, "login_rate_limited"
        )
        assert (await attempt(client, tenant.slug, other.username, TEST_PASSWORD)).status_code == 200

    assert await rate_limit_records(database, tenant.id) == [
        "rate limited: too many attempts for this account"
    ]


async def test_an_address_over_its_limit_is_refused_for_every_district_known_or_not(
    database, redis_client, plugin_host, make_tenant, make_user, limits
):
    limits(per_address=4)
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    noisy = new_address()
    async with api_process(database, redis_client, plugin_host, noisy) as client:
        for index in range(4):
            problem(await attempt(client, f"nowhere{index}", f"nobody{index}"), 401, "bad_credentials")
        refused = await attempt(client, tenant.slug, user.username, TEST_PASSWORD)
        body = problem(refused, 429, "login_rate_limited")
        assert "地址" in body["detail"]  # the address limit, in the default language
        problem(await attempt(client, tenant.slug, user.username, TEST_PASSWORD), 429, "login_rate_limited")
    async with api_process(database, redis_client, plugin_host, new_address()) as elsewhere:
        assert (await attempt(elsewhere, tenant.slug, user.username, TEST_PASSWORD)).status_code == 200

    records = await rate_limit_records(database, tenant.id)
    assert records == ["rate limited: too many attempts for this address"]


async def test_no_limit_when_set_to_zero(database, redis_client, plugin_host, make_tenant, make_user, limits):
    limits(per_account=0, per_address=0)
    tenant = await make_tenant(security={"lockout_attempts": 100})
    user = await make_user(tenant, "viewer")
    async with api_process(database, redis_client, plugin_host, new_address()) as client:
        for _ in range(12):
            problem(await attempt(client, tenant.slug, user.username), 401, "bad_credentials")
    assert await rate_limit_records(database, tenant.id) == []


async def test_the_limit_is_shared_by_api_processes_through_redis(
    backend, database, redis_client, plugin_host, make_tenant, make_user, limits
):
    if redis_client is None:
        pytest.skip("the embedded default runs one process and counts in its memory")
    from redis.asyncio import Redis

    limits(per_account=4)
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    # Two app instances, each with its own connection to the one Redis, as two processes would have.
    second_redis = Redis.from_url(backend.redis_url)
    try:
        async with (
            api_process(database, redis_client, plugin_host, new_address()) as first,
            api_process(database, second_redis, plugin_host, new_address()) as second,
        ):
            for client in (first, second, first, second):
                problem(await attempt(client, tenant.slug, user.username), 401, "bad_credentials")
            # Each process has seen two attempts only; together they reached the limit.
            problem(await attempt(first, tenant.slug, user.username), 429, "login_rate_limited")
            problem(await attempt(second, tenant.slug, user.username), 429, "login_rate_limited")
    finally:
        await second_redis.aclose()
    assert await rate_limit_records(database, tenant.id) == [
        "rate limited: too many attempts for this account"
    ]
