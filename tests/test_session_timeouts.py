"""A session ends after the district's idle timeout or its absolute lifetime, whichever comes first (等保 L3
身份鉴别 b: 登录连接超时自动退出). The clock is moved by replacing the sessions' ``utcnow``; Redis key
lifetimes are not waited for, so this checks the platform's own rule on both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth import sessions

ME = "/api/v1/auth/me"


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved forward by ``clock.advance(minutes=...)``."""

    class Clock:
        def __init__(self) -> None:
            self.now = dt.datetime.now(dt.UTC)

        def advance(self, **delta: float) -> None:
            self.now += dt.timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(sessions, "utcnow", lambda: moved.now)
    return moved


async def test_a_session_idle_for_longer_than_the_districts_timeout_ends(
    client, make_tenant, make_user, login, clock
):
    tenant = await make_tenant(security={"session_idle_minutes": 30})
    headers = await login(tenant, await make_user(tenant, "viewer"))
    for _step in range(4):  # two hours of activity, a request every 29 minutes
        clock.advance(minutes=29)
        assert (await client.get(ME, headers=headers)).status_code == 200, "activity keeps the session"
    clock.advance(minutes=31)
    ended = await client.get(ME, headers=headers)
    assert ended.status_code == 401
    clock.advance(minutes=-30)
    assert (await client.get(ME, headers=headers)).status_code == 401, "an ended session stays ended"


async def test_a_district_sets_a_shorter_idle_timeout(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant(security={"session_idle_minutes": 5})
    headers = await login(tenant, await make_user(tenant, "viewer"))
    clock.advance(minutes=4)
    assert (await client.get(ME, headers=headers)).status_code == 200
    clock.advance(minutes=6)
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_a_session_ends_at_its_absolute_lifetime_however_active(
    client, make_tenant, make_user, login, clock
):
    tenant = await make_tenant(security={"session_idle_minutes": 30, "session_absolute_hours": 12})
    headers = await login(tenant, await make_user(tenant, "viewer"))
    for _step in range(28):  # 11 h 40 min, a request every 25 minutes
        clock.advance(minutes=25)
        assert (await client.get(ME, headers=headers)).status_code == 200
    clock.advance(minutes=21)  # 12 h 1 min after the login, 21 minutes after the last request
    assert (await client.get(ME, headers=headers)).status_code == 401


async def test_the_timeouts_are_validated_naming_the_field(client, admin):
    for field, value in (("session_idle_minutes", 0), ("session_absolute_hours", 169)):
        refused = await client.put(
            "/api/v1/district/settings", headers=admin.headers, json={"security": {field: value}}
        )
        assert refused.status_code in (400, 422), refused.text
        assert field in refused.text


async def test_the_hourly_purge_removes_ended_sessions_of_every_district_and_keeps_live_ones(
    database, make_tenant, fire_schedule
):
    import uuid

    from sqlalchemy import select

    from core.auth.models import AuthSession

    now = dt.datetime.now(dt.UTC)

    def record(tenant_id, *, seen_minutes_ago: int, created_hours_ago: float = 1) -> sessions.SessionRecord:
        created = now - dt.timedelta(hours=created_hours_ago)
        return sessions.SessionRecord(
            token_hash=uuid.uuid4().hex,
            tenant_id=tenant_id,
            user_id=uuid.uuid4(),
            created_at=created,
            last_seen_at=now - dt.timedelta(minutes=seen_minutes_ago),
            expires_at=created + dt.timedelta(hours=12),
            idle_seconds=30 * 60,
            address="10.1.2.3",
        )

    first, second = await make_tenant(), await make_tenant()
    live = record(first.id, seen_minutes_ago=5)
    idle = record(first.id, seen_minutes_ago=45)
    too_old = record(first.id, seen_minutes_ago=1, created_hours_ago=12.5)
    elsewhere = record(second.id, seen_minutes_ago=90)
    for item in (live, idle, too_old, elsewhere):
        async with database.transaction(item.tenant_id) as session:
            await sessions.DatabaseSessionStore(session).save(item)

    await fire_schedule("auth.session_purge")
    async with database.system_transaction() as session:
        left = set(
            await session.scalars(
                select(AuthSession.token_hash).where(AuthSession.tenant_id.in_([first.id, second.id]))
            )
        )
    assert left == {live.token_hash}
