"""Login rate limits (等保 2.0 身份鉴别: 限制非法登录次数), per account and per client address.

Two moving-window limits from the process settings, counted on every attempt
before the password is checked: ``QUANYU_LOGIN_LIMIT_PER_ACCOUNT`` attempts
per district and username, and ``QUANYU_LOGIN_LIMIT_PER_ADDRESS`` per client
address, in ``QUANYU_LOGIN_WINDOW_SECONDS``. They are platform settings, not
district ones: the district is only known from the request body, and one
address may try many districts. Unknown districts and usernames are counted
like real ones, so the answer reveals nothing about which exist.

The counters live where the session store lives: in Redis when the platform
has one (every API process shares them; the ``limits`` library keeps them
atomic with Lua scripts), otherwise in this process's memory (the embedded
default runs one process).

The district's lockout (``SecurityPolicy.lockout_attempts``) is the other,
per-account guard: it counts failed passwords only and is kept in the database.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from typing import Any

import msgspec
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from core.auth.sessions import RedisSessionStore, SessionStore
from core.settings import get_settings

ACCOUNT = "account"
ADDRESS = "address"
KEY_PREFIX = "quanyu:login-limit"


class Refusal(msgspec.Struct, frozen=True):
    """An attempt over a limit: which one, and when the caller may try again."""

    limit: str  # ACCOUNT or ADDRESS
    retry_after: int  # seconds
    # The first refusal of this key in the window: the one worth an audit record.
    first_in_window: bool


class LoginThrottle:
    """Counts login attempts against the platform's per-account and per-address limits."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    async def admit(self, *, district: str, username: str, address: str | None) -> Refusal | None:
        """Count one attempt; a ``Refusal`` when it goes over a limit (the password is then not checked)."""
        settings = get_settings()
        window = settings.login_window_seconds
        # Bounded like the login's own fields, so a huge form field cannot make a huge key.
        account = (district.strip().lower()[:64], username.strip().lower()[:64])
        keys: list[tuple[str, int, tuple[str, ...]]] = [(ACCOUNT, settings.login_limit_per_account, account)]
        if address:
            keys.insert(0, (ADDRESS, settings.login_limit_per_address, (address[:64],)))
        for limit, amount, identifiers in keys:
            if amount <= 0:
                continue
            item = RateLimitItemPerSecond(amount, window, namespace=limit)
            if await self.limiter.hit(item, *identifiers):
                continue
            stats = await self.limiter.get_window_stats(item, *identifiers)
            # One audit record per key and window, however many attempts are refused in it.
            marker = RateLimitItemPerSecond(1, window, namespace=f"{limit}-refused")
            return Refusal(
                limit=limit,
                retry_after=max(1, math.ceil(stats.reset_time - time.time())),
                first_in_window=await self.limiter.hit(marker, *identifiers),
            )
        return None


_shared: weakref.WeakKeyDictionary[Any, LoginThrottle] = weakref.WeakKeyDictionary()
# The memory storage's locks and expiry task belong to one event loop (a process serves from one).
_local: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoginThrottle] = weakref.WeakKeyDictionary()


def login_throttle(store: SessionStore) -> LoginThrottle:
    """The throttle that keeps its counters beside ``store``'s sessions (Redis, or this process)."""
    if isinstance(store, RedisSessionStore):
        throttle = _shared.get(store.redis)
        if throttle is None:
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                connection_pool=store.redis.connection_pool,  # type: ignore[attr-defined]
            )
            throttle = _shared[store.redis] = LoginThrottle(storage)
        return throttle
    loop = asyncio.get_running_loop()
    throttle = _local.get(loop)
    if throttle is None:
        throttle = _local[loop] = LoginThrottle(MemoryStorage())
    return throttle
