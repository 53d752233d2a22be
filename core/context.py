"""What the code running now is acting for: principal, client address, request id.

Set by the web layer for each request and by the job runner for each job;
read by the audit log and the logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from core.auth.scope import Principal


class RequestContext(msgspec.Struct):
    request_id: str | None = None
    address: str | None = None
    principal: Principal | None = None
    # The mechanism whose route or job is running (logs and metrics name it), None for the core's own.
    plugin: str | None = None
    job: str | None = None


_context: ContextVar[RequestContext | None] = ContextVar("quanyu_request", default=None)


def current_context() -> RequestContext:
    ctx = _context.get()
    if ctx is None:
        ctx = RequestContext()
        _context.set(ctx)
    return ctx


def set_context(ctx: RequestContext) -> None:
    _context.set(ctx)


def current_principal() -> Principal | None:
    return current_context().principal


@contextmanager
def acting_as_job(name: str | None, plugin: str | None) -> Iterator[RequestContext]:
    """The context of one job while it runs (no principal: jobs act for the platform); the caller's after."""
    token = _context.set(RequestContext(plugin=plugin, job=name))
    try:
        yield current_context()
    finally:
        _context.reset(token)
