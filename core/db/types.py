"""Portable column types: JSONB on PostgreSQL, JSON elsewhere; UTC-aware timestamps."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class JSONDocument(TypeDecorator[Any]):
    """A JSON document column (JSONB on PostgreSQL)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


__all__ = ["DateTimeUTC", "JSONDocument"]
