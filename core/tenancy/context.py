"""The tenant of the code running now (a request or a job), in a ContextVar.

ContextVars (not thread-locals) because async actors run on dramatiq's own
event-loop thread and the value must follow the task.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current_tenant: ContextVar[uuid.UUID | None] = ContextVar("quanyu_tenant", default=None)


def current_tenant_id() -> uuid.UUID | None:
    """The current tenant's id, or None outside any tenant."""
    return _current_tenant.get()


@contextmanager
def tenant_context(tenant_id: uuid.UUID | None) -> Iterator[None]:
    """Run a block as ``tenant_id``."""
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


def set_current_tenant(tenant_id: uuid.UUID | None) -> None:
    _current_tenant.set(tenant_id)
