"""Identifiers: random, time-ordered UUIDv7 (never sequential integers in URLs)."""

from __future__ import annotations

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    """A new UUIDv7 as a standard-library ``uuid.UUID``."""
    return uuid7()
