"""Server-side login sessions, usable as a cookie and as a bearer token.

The token is random and only its SHA-256 is stored. Two stores behind one
interface: the database (embedded default; the platform table
``auth_session``) and Redis (production; several API processes share it).
A session ends at its idle timeout or its absolute lifetime, whichever
comes first.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Protocol

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import AuthSession
from core.crypto import token_hash
from core.db.base import utcnow

SESSION_COOKIE = "quanyu_session"
# Write last-seen at most this often, so reading a page is not a write each time.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


class SessionRecord(msgspec.Struct):
    token_hash: str
    tenant_id: uuid.UUID
    user_id: uuid.UUID
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    idle_seconds: int
    address: str | None = None
    user_agent: str | None = None

    def is_live(self, now: dt.datetime) -> bool:
        return now < self.expires_at and now < self.last_seen_at + dt.timedelta(seconds=self.idle_seconds)


class SessionStore(Protocol):
    async def save(self, record: SessionRecord) -> None: ...
    async def get(self, hashed: str) -> SessionRecord | None: ...
    async def touch(self, record: SessionRecord, now: dt.datetime) -> None: ...
    async def delete(self, hashed: str) -> None: ...
    async def delete_for_user(
        self, tenant_id: uuid.UUID, user_id: uuid.UUID, keep: str | None = None
    ) -> int: ...
    async def list_for_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[SessionRecord]: ...
    async def delete_for_tenant(self, tenant_id: uuid.UUID) -> int: ...


class DatabaseSessionStore:
    """Sessions in ``auth_session``; each call runs in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, record: SessionRecord) -> None:
        self.session.add(AuthSession(**msgspec.structs.asdict(record)))
        await self.session.flush()

    async def get(self, hashed: str) -> SessionRecord | None:
        row = await self.session.get(AuthSession, hashed)
        if row is None:
            return None
        return SessionRecord(**{f: getattr(row, f) for f in SessionRecord.__struct_fields__})

    async def touch(self, record: SessionRecord, now: dt.datetime) -> None:
        await self.session.execute(
            update(AuthSession).where(AuthSession.token_hash == record.token_hash).values(last_seen_at=now)
        )

    async def delete(self, hashed: str) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.token_hash == hashed))

    async def delete_for_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID, keep: str | None = None) -> int:
        stmt = delete(AuthSession).where(AuthSession.tenant_id == tenant_id, AuthSession.user_id == user_id)
        if keep:
            stmt = stmt.where(AuthSession.token_hash != keep)
        result = await self.session.execute(stmt)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_for_tenant(self, tenant_id: uuid.UUID) -> int:
        result = await self.session.execute(delete(AuthSession).where(AuthSession.tenant_id == tenant_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def list_for_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[SessionRecord]:
        rows = await self.session.scalars(
            select(AuthSession).where(AuthSession.tenant_id == tenant_id, AuthSession.user_id == user_id)
        )
        return [SessionRecord(**{f: getattr(r, f) for f in SessionRecord.__struct_fields__}) for r in rows]

    async def delete_ended(self, tenant_id: uuid.UUID, now: dt.datetime) -> int:
        """Remove the district's sessions past their idle timeout or lifetime (Redis expires its own keys).

        An ended session is refused whether or not its row is there; removing it drops the address and
        browser it recorded, which nobody needs once it can no longer be used."""
        rows = await self.session.scalars(
            select(AuthSession).where(
                AuthSession.tenant_id == tenant_id, AuthSession.last_seen_at < now - TOUCH_INTERVAL
            )
        )
        ended = [
            row.token_hash
            for row in rows
            if not SessionRecord(**{f: getattr(row, f) for f in SessionRecord.__struct_fields__}).is_live(now)
        ]
        if ended:
            await self.session.execute(delete(AuthSession).where(AuthSession.token_hash.in_(ended)))
        return len(ended)


class RedisSessionStore:
    """Sessions in Redis: one key per session with a TTL, and a set of a user's sessions."""

    def __init__(self, redis: object, prefix: str = "quanyu") -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, hashed: str) -> str:
        return f"{self.prefix}:session:{hashed}"

    def _user_key(self, tenant_id: uuid.UUID, user_id: uuid.UUID | str) -> str:
        return f"{self.prefix}:t:{tenant_id}:user_sessions:{user_id}"

    @staticmethod
    def _ttl(record: SessionRecord, now: dt.datetime) -> int:
        remaining = min(
            record.expires_at - now, record.last_seen_at + dt.timedelta(seconds=record.idle_seconds) - now
        )
        return max(1, int(remaining.total_seconds()))

    async def save(self, record: SessionRecord) -> None:
        now = utcnow()
        pipe = self.redis.pipeline()  # type: ignore[attr-defined]
        pipe.set(self._key(record.token_hash), msgspec.json.encode(record), ex=self._ttl(record, now))
        user_key = self._user_key(record.tenant_id, record.user_id)
        pipe.sadd(user_key, record.token_hash)
        pipe.expire(user_key, int((record.expires_at - now).total_seconds()) + 60)
        await pipe.execute()

    async def get(self, hashed: str) -> SessionRecord | None:
        raw = await self.redis.get(self._key(hashed))  # type: ignore[attr-defined]
        return None if raw is None else msgspec.json.decode(raw, type=SessionRecord)

    async def touch(self, record: SessionRecord, now: dt.datetime) -> None:
        record.last_seen_at = now
        await self.redis.set(  # type: ignore[attr-defined]
            self._key(record.token_hash), msgspec.json.encode(record), ex=self._ttl(record, now)
        )

    async def delete(self, hashed: str) -> None:
        record = await self.get(hashed)
        await self.redis.delete(self._key(hashed))  # type: ignore[attr-defined]
        if record is not None:
            await self.redis.srem(self._user_key(record.tenant_id, record.user_id), hashed)  # type: ignore[attr-defined]

    async def delete_for_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID, keep: str | None = None) -> int:
        user_key = self._user_key(tenant_id, user_id)
        members = [m.decode() if isinstance(m, bytes) else m for m in await self.redis.smembers(user_key)]  # type: ignore[attr-defined]
        doomed = [m for m in members if m != keep]
        if doomed:
            await self.redis.delete(*(self._key(m) for m in doomed))  # type: ignore[attr-defined]
            await self.redis.srem(user_key, *doomed)  # type: ignore[attr-defined]
        return len(doomed)

    async def delete_for_tenant(self, tenant_id: uuid.UUID) -> int:
        """End every session of a district (suspension): each user's set names their sessions."""
        deleted = 0
        pattern = self._user_key(tenant_id, "*")
        async for user_key in self.redis.scan_iter(pattern):  # type: ignore[attr-defined]
            members = [m.decode() if isinstance(m, bytes) else m for m in await self.redis.smembers(user_key)]  # type: ignore[attr-defined]
            if members:
                await self.redis.delete(*(self._key(m) for m in members))  # type: ignore[attr-defined]
            await self.redis.delete(user_key)  # type: ignore[attr-defined]
            deleted += len(members)
        return deleted

    async def list_for_user(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> list[SessionRecord]:
        user_key = self._user_key(tenant_id, user_id)
        members = [m.decode() if isinstance(m, bytes) else m for m in await self.redis.smembers(user_key)]  # type: ignore[attr-defined]
        records = []
        for hashed in members:
            record = await self.get(hashed)
            if record is None:
                await self.redis.srem(user_key, hashed)  # type: ignore[attr-defined]
            else:
                records.append(record)
        return records


def public_id(hashed: str) -> str:
    """The id a user sees of their session (to end it): derived from the stored hash, never the token."""
    return token_hash(f"session-id:{hashed}")[:32]


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def open_session(
    store: SessionStore,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    idle_minutes: int,
    absolute_hours: int,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, SessionRecord]:
    """Create a session; returns the token (shown once) and the stored record."""
    token = new_token()
    now = utcnow()
    record = SessionRecord(
        token_hash=token_hash(token),
        tenant_id=tenant_id,
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=absolute_hours),
        idle_seconds=idle_minutes * 60,
        address=address,
        user_agent=(user_agent or "")[:300] or None,
    )
    await store.save(record)
    return token, record


async def resolve_session(store: SessionStore, token: str) -> SessionRecord | None:
    """The live session of a token, touched; None (and deleted if stale) otherwise."""
    hashed = token_hash(token)
    record = await store.get(hashed)
    if record is None:
        return None
    now = utcnow()
    if not record.is_live(now):
        await store.delete(hashed)
        return None
    if now - record.last_seen_at >= TOUCH_INTERVAL:
        await store.touch(record, now)
    return record
