"""Idempotent money-moving requests: the ``Idempotency-Key`` header.

Self-contained, so that it can move to the core later (``core.api`` has no idempotency facility yet):
it needs only a tenant-scoped table (``CareFundIdempotencyKey``: tenant, key, route, request hash,
stored response) and the request's session.

The rules:

* the same key on the same route with the same body answers the first response again (status and
  body, byte for byte, with ``Idempotent-Replayed: true``) and does nothing;
* the same key with a different body is refused (422 problem+json naming ``Idempotency-Key``);
* the key's row is inserted *before* the work, in the same transaction: a concurrent request with the
  same key blocks on the unique key until the first commits, then replays its response (or, if the
  first rolled back, does the work itself). Two requests never both post;
* a request that fails (4xx) rolls back with its key: the key may be used again to retry;
* keys are kept at least 24 hours (``purge_expired``, run by a daily job).

Without the header a request runs once per call, as any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import Conflict, FieldProblem, Invalid, _, utcnow
from plugins.care_fund.models import KEY_MAX, ROUTE_MAX, CareFundIdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def request_hash(body: Any) -> str:
    """A stable hash of the request's decoded body (keys sorted)."""
    return hashlib.sha256(msgspec.json.encode(msgspec.to_builtins(body), order="sorted")).hexdigest()


def _check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or not key.isprintable() or key != key.strip():
        raise Invalid(
            _("The input is not valid."),
            errors=[
                FieldProblem(
                    HEADER,
                    "invalid",
                    _("An idempotency key is 1 to {max} printable characters."),
                    {"max": KEY_MAX},
                )
            ],
        )
    return key


def _mismatch() -> Invalid:
    return Invalid(
        _("The input is not valid."),
        code="idempotency_key_reused",
        errors=[
            FieldProblem(
                HEADER,
                "reused",
                _("This idempotency key was used with a different request; use a new key for a new request."),
            )
        ],
    )


def _replay(row: CareFundIdempotencyKey, digest: str) -> Response[bytes]:
    if row.request_hash != digest:
        raise _mismatch()
    if row.response_status is None or row.response_body is None:
        raise Conflict(_("A request with this idempotency key is still being processed."), code="in_progress")
    return Response(
        content=row.response_body.encode(),
        status_code=row.response_status,
        media_type="application/json",
        headers={REPLAYED: "true"},
    )


async def _find(session: AsyncSession, key: str, route: str) -> CareFundIdempotencyKey | None:
    return (
        await session.scalars(
            select(CareFundIdempotencyKey)
            .where(CareFundIdempotencyKey.key == key, CareFundIdempotencyKey.route == route)
            .execution_options(populate_existing=True)
        )
    ).first()


async def run_once(
    session: AsyncSession,
    *,
    key: str | None,
    route: str,
    body: Any,
    status_code: int,
    action: Callable[[], Awaitable[Any]],
) -> Response[bytes]:
    """Run ``action`` (which writes through ``session`` and returns the response's struct) once per
    ``key`` and ``route`` in the session's district; answer its JSON with ``status_code``."""
    if key is None:
        return Response(
            content=msgspec.json.encode(await action()),
            status_code=status_code,
            media_type="application/json",
        )
    key = _check_key(key)
    route = route[:ROUTE_MAX]
    digest = request_hash(body)
    found = await _find(session, key, route)
    if found is not None:
        return _replay(found, digest)
    row = CareFundIdempotencyKey(key=key, route=route, request_hash=digest)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        # A concurrent request with the key committed first: answer what it answered.
        found = await _find(session, key, route)
        if found is None:  # pragma: no cover - it committed, so it is there
            raise Conflict(
                _("A request with this idempotency key is still being processed."), code="in_progress"
            ) from None
        return _replay(found, digest)
    encoded = msgspec.json.encode(await action())
    row.response_status = status_code
    row.response_body = encoded.decode()
    await session.flush()
    return Response(content=encoded, status_code=status_code, media_type="application/json")


async def purge_expired(session: AsyncSession, hours: int, now: dt.datetime | None = None) -> int:
    """Delete the district's keys older than ``hours`` (at least 24). Returns how many went."""
    cutoff = (now or utcnow()) - dt.timedelta(hours=max(hours, 24))
    result = await session.execute(
        delete(CareFundIdempotencyKey)
        .where(CareFundIdempotencyKey.created_at < cutoff)
        .returning(CareFundIdempotencyKey.id)
    )
    return len(result.all())


def new_key() -> str:
    """A fresh key (for forms that post money: the console puts one in each form it renders)."""
    return str(uuid.uuid4())
