"""Declarative base and the ``TenantScoped`` mixin (DESIGN.md §2).

Every tenant table has the primary key ``(tenant_id, id)``; every unique
constraint and every foreign key between tenant tables includes ``tenant_id``.
``tenant_fk`` declares such a foreign key from a single column, so a plugin
author never writes a composite key by hand, and ``tenant_relationship``
builds the matching relationship whose join marks only the id column as
foreign (no overlap warnings, ``tenant_id`` is never nulled).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Table,
    Uuid,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column, relationship

from core.db.ids import new_id
from core.db.types import DateTimeUTC, JSONDocument

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Base of every table, core and plugins alike (one metadata)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid(),
        dt.datetime: DateTimeUTC(),
        dict[str, Any]: JSONDocument(),
        list[Any]: JSONDocument(),
        list[str]: JSONDocument(),
    }


def path_string(length: int = 1024) -> String:
    """A string compared byte-wise on both databases (materialised paths, range queries)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class TenantScoped:
    """Mixin for every tenant-scoped table: primary key ``(tenant_id, id)``.

    ``tenant_id`` is stamped by the tenant-bound session on insert and every
    ORM query is filtered on it (``core.db.session``); on PostgreSQL,
    row-level security enforces the same below the ORM.
    """

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True, sort_order=-100
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-99)

    def __init__(self, **kwargs: Any) -> None:
        # The id is known before flush, so a service can reference it at once.
        kwargs.setdefault("id", new_id())
        super().__init__(**kwargs)


class Timestamped:
    """``created_at`` / ``updated_at`` columns kept by the ORM."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, sort_order=900)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=901)


_TENANT_FK_INFO = "quanyu_tenant_fk"


def tenant_fk(
    target_table: str,
    *,
    nullable: bool = False,
    ondelete: str | None = None,
    index: bool = True,
    **kwargs: Any,
) -> Any:
    """A column referring to a row of another tenant table.

    The foreign key is emitted as ``(tenant_id, <column>) -> target(tenant_id, id)``,
    so the database itself refuses a reference across districts; with
    ``index`` (the default) an index on ``(tenant_id, <column>)`` is added.
    ``ondelete="SET NULL"`` is refused: on a composite key it would null
    ``tenant_id`` too (PostgreSQL 15 can name the column, SQLite cannot).
    """
    if ondelete is not None and ondelete.upper() not in ("CASCADE", "RESTRICT", "NO ACTION"):
        raise ValueError(
            f"tenant_fk to {target_table}: ondelete={ondelete!r} is not allowed; use CASCADE, RESTRICT "
            "or NO ACTION and clear the reference in the service"
        )
    return mapped_column(
        Uuid(),
        nullable=nullable,
        info={_TENANT_FK_INFO: {"table": target_table, "ondelete": ondelete, "index": index}},
        **kwargs,
    )


@event.listens_for(TenantScoped, "instrument_class", propagate=True)
def _add_tenant_foreign_keys(mapper: Mapper[Any], class_: type) -> None:
    table = mapper.local_table
    if not isinstance(table, Table):
        return
    if table.info.get("quanyu_fk_done"):
        return
    for column in list(table.columns):
        spec = column.info.get(_TENANT_FK_INFO)
        if not spec:
            continue
        target = spec["table"]
        table.append_constraint(
            ForeignKeyConstraint(
                ["tenant_id", column.name],
                [f"{target}.tenant_id", f"{target}.id"],
                ondelete=spec["ondelete"],
            )
        )
        if spec["index"]:
            Index(f"ix_{table.name}_tenant_id_{column.name}", table.c.tenant_id, column)
    table.info["quanyu_fk_done"] = True


def tenant_relationship(target: str, fk_column: str, **kwargs: Any) -> Any:
    """A many-to-one relationship along a ``tenant_fk`` column.

    The join is ``fk == target.id AND tenant_id == target.tenant_id``, with
    only ``fk`` marked foreign: assigning the relationship sets ``fk`` and
    never touches ``tenant_id``.
    """

    @declared_attr
    def build(cls: type) -> Any:
        own = cls.__name__
        if target == own:
            join = (
                f"and_(foreign({own}.{fk_column}) == remote({own}.id), "
                f"{own}.tenant_id == remote({own}.tenant_id))"
            )
        else:
            join = f"and_(foreign({own}.{fk_column}) == {target}.id, {own}.tenant_id == {target}.tenant_id)"
        kwargs.setdefault("lazy", "raise")
        return relationship(target, primaryjoin=join, **kwargs)

    return build


# ``__table_args__ = ({"info": {PLATFORM_TABLE: True}},)`` marks a platform table keyed by tenant
# (no row-level security; core code filters it by tenant explicitly).
PLATFORM_TABLE = "quanyu_platform_table"


def tenant_tables() -> list[str]:
    """Names of every table in the metadata that carries ``tenant_id`` in its key."""
    return sorted(
        t.name
        for t in Base.metadata.sorted_tables
        if "tenant_id" in t.c and t.c.tenant_id.primary_key and not t.info.get(PLATFORM_TABLE)
    )
