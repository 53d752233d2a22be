"""Base structs and the one pagination helper of the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused, naming the field."""


class Output(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list: ``items``, the ``total`` matching, and where this page starts."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(msgspec.Struct, frozen=True):
    limit: int
    offset: int


def provide_page_params(
    limit: Annotated[
        int, Parameter(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Parameter(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


async def paginate(session: AsyncSession, stmt: Select[Any], page: PageParams) -> tuple[list[Any], int]:
    """Rows of ``stmt`` for ``page`` and the total count (one COUNT over the same filter)."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list((await session.scalars(stmt.limit(page.limit).offset(page.offset))).all())
    return rows, int(total or 0)


# A date and time in the query string, as the document says: RFC 3339 text. Litestar converts query
# values leniently, so without this a bare number (``?until=-9e-99``) passed as a Unix timestamp.
QueryDateTime = Annotated[
    str | None,
    Parameter(schema_extra={"format": "date-time"}, description="RFC 3339, e.g. 2026-01-31T08:00:00+08:00"),
]


def parse_query_datetime(field: str, value: str | None) -> dt.datetime | None:
    """The ``QueryDateTime`` parameter ``field`` as a datetime; 422 naming the field when it is not one."""
    from core.errors import invalid_field
    from core.i18n import _

    if value is None:
        return None
    try:
        return msgspec.convert(value, dt.datetime, strict=True)
    except msgspec.ValidationError:
        raise invalid_field(
            field, _("Expected a value of type {type}."), code="wrong_type", type="datetime"
        ) from None
