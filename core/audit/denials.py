"""Access-control failures in the district's audit log (等保 安全审计; ASVS 4.0 7.1.3 and 7.2.2, "all
failed access control decisions are logged"): ``access.denied`` records.

One hook for every route, the core's and the plugins', API and console alike: ``record_refusal`` is the
app's ``after_exception`` hook, so it sees every refusal whichever guard or service raised it:

- 403: a permission check (``core.auth.scope.require``, the route guard), a precondition guard
  (password change, second factor), CSRF, or any other ``Forbidden``;
- 404 after authentication: the object guard (``load_in_scope``: absent, or outside the caller's
  subtree or district, which the answer never tells apart), a hand-written scope check, a plugin the
  district has not enabled, a cross-district write refused by the session;
- 401 of a session whose district is known (its account was disabled, or the district suspended).
  A request with no session, or an unknown or expired token, names no district: nothing to record.

Hooks run after the handler's own transaction has rolled back, and the record is written in a
transaction of its own (``record_detached``), so it survives the refusal. The request's session is
rolled back first: on SQLite its open transaction (every one begins IMMEDIATE) would hold the lock
the record needs.

What is recorded: the method, the route's path template (never the raw path), the status, the check
(``permission``, ``scope`` or the refusal's code), the permission and the kind of object when known
and, as on every record, the user, address and request id. Never a body, a query string or a value
from the path: not even the object's id, which may be another district's (a district's log holds only
its own ids; the isolation suite checks that its audit list shows none of another's). The request id
ties the record to the request's entries in the platform's structured logs.

Noise: identical refusals (same district, user, method, route, status and check) are recorded once
per ``WINDOW_SECONDS``; the rest are counted in the ``quanyu_access_denied`` metric only, so a flood of
404s cannot turn into a flood of audit writes serialised on the district's chain head. The window's
counters live where the login limits' do (Redis, else this process).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import weakref
from typing import Any

import msgspec
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.types import Scope
from prometheus_client import Counter

from core.audit import service as audit
from core.auth.scope import Principal
from core.db.session import CrossTenantWrite
from core.errors import ProblemError

ACTION = "access.denied"
WINDOW_SECONDS = 60
KEY_PREFIX = "quanyu:access-denied"
# Set by the session middleware when a live session's account or district may no longer act.
REFUSED_SESSION_KEY = "quanyu_refused_session"
AUDITED_STATUSES = (401, 403, 404)

log = logging.getLogger("quanyu.audit")

ACCESS_DENIED = Counter(
    "quanyu_access_denied",
    "Refused requests attributed to a district, by status and whether an audit record was written "
    "(recorded) or an identical one was already written in the window (repeated)",
    ["status", "outcome"],
)


class Refusal(msgspec.Struct, frozen=True):
    """One refused request, as its audit record will tell it."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID | None
    username: str | None
    method: str
    route: str
    status: int
    check: str
    permission: str | None = None
    object_type: str | None = None

    def changes(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "check": self.check,
        }
        if self.permission:
            described["permission"] = self.permission
        return described


def _status_and_check(exc: BaseException) -> tuple[int, str] | None:
    if isinstance(exc, ProblemError):
        check = exc.failed_check.kind if exc.failed_check else exc.code
        return exc.status, check
    if isinstance(exc, CrossTenantWrite):
        return 404, "tenant"
    if isinstance(exc, NotAuthorizedException):
        return 401, "session"
    if isinstance(exc, HTTPException):
        if exc.status_code == 403 and "csrf" in str(exc.detail).lower():
            return 403, "csrf"
        return exc.status_code, f"http_{exc.status_code}"
    return None


def refusal_of(exc: BaseException, scope: Scope) -> Refusal | None:
    """The refusal ``exc`` answers, if it is one to record and a district can be named; else None."""
    if str(scope.get("type")) != "http":
        return None
    status_check = _status_and_check(exc)
    if status_check is None or status_check[0] not in AUDITED_STATUSES:
        return None
    status, check = status_check
    principal = scope.get("user")
    if isinstance(principal, Principal):
        tenant_id, user_id, username = principal.tenant_id, principal.user_id, principal.username
    elif status == 401 and (refused := scope.get("state", {}).get(REFUSED_SESSION_KEY)):
        tenant_id, user_id = refused
        username = None
    else:
        return None
    failed = exc.failed_check if isinstance(exc, ProblemError) else None
    permission = failed.permission if failed else None
    if permission is None and isinstance(exc, ProblemError) and status == 403:
        permission = exc.params.get("permission")
    return Refusal(
        tenant_id=tenant_id,
        user_id=user_id,
        username=username,
        method=str(scope.get("method", "")),
        route=str(scope.get("path_template") or "")[:200],
        status=status,
        check=check[:60],
        permission=permission,
        object_type=failed.object_type if failed else None,
    )


_shared: weakref.WeakKeyDictionary[Any, MovingWindowRateLimiter] = weakref.WeakKeyDictionary()
_local: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MovingWindowRateLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter(redis: Any) -> MovingWindowRateLimiter:
    if redis is not None:
        limiter = _shared.get(redis)
        if limiter is None:
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                connection_pool=redis.connection_pool,
            )
            limiter = _shared[redis] = MovingWindowRateLimiter(storage)
        return limiter
    loop = asyncio.get_running_loop()
    limiter = _local.get(loop)
    if limiter is None:
        limiter = _local[loop] = MovingWindowRateLimiter(MemoryStorage())
    return limiter


async def first_in_window(redis: Any, refusal: Refusal) -> bool:
    """The first refusal like this one (district, user, method, route, status, check) in the window."""
    item = RateLimitItemPerSecond(1, WINDOW_SECONDS, namespace="refusal")
    return await _limiter(redis).hit(
        item,
        str(refusal.tenant_id),
        str(refusal.user_id or "-"),
        refusal.method,
        refusal.route,
        str(refusal.status),
        refusal.check,
        refusal.permission or "-",
    )


async def record_refusal(exc: BaseException, scope: Scope) -> None:
    """``after_exception`` hook: audit the refusal ``exc`` answers (never raises: a refusal stays one)."""
    try:
        refusal = refusal_of(exc, scope)
        if refusal is None:
            return
        state = scope["litestar_app"].state
        if not await first_in_window(getattr(state, "redis", None), refusal):
            ACCESS_DENIED.labels(str(refusal.status), "repeated").inc()
            return
        from core.web.middleware import DB_SESSION_KEY

        request_session = scope.get("state", {}).get(DB_SESSION_KEY)
        if request_session is not None:
            await request_session.rollback()
        await audit.record_detached(
            refusal.tenant_id,
            ACTION,
            object_type=refusal.object_type,
            changes=refusal.changes(),
            success=False,
            user_id=refusal.user_id,
            username=refusal.username,
            database=state.database,
        )
        ACCESS_DENIED.labels(str(refusal.status), "recorded").inc()
    except Exception:
        log.exception("could not audit a refused request")
