"""``org_node``: district → street → community/village → branch → group, plus linked organisations.

``parent_id`` is the source of truth; ``path`` (the ids from the root, as
32-hex-digit segments, each followed by ``/``) is the index structure. A
subtree is the range ``path >= p AND path < p[:-1] + '0'``: one indexed
predicate on ``(tenant_id, path)`` whose cost follows the result, portable
to SQLite and PostgreSQL (compared byte-wise, collation "C" there).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ColumnElement, Index, String, and_, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, Timestamped, path_string, tenant_fk, tenant_relationship


def segment(node_id: uuid.UUID) -> str:
    return f"{node_id.hex}/"


def subtree_upper_bound(path: str) -> str:
    """The smallest string greater than every path under ``path`` ('/' + 1 == '0')."""
    return path[:-1] + "0"


def in_subtree(path_column: Any, path: str) -> ColumnElement[bool]:
    """SQL predicate: ``path_column`` lies in the subtree rooted at ``path`` (inclusive)."""
    return and_(path_column >= path, path_column < subtree_upper_bound(path))


def path_ids(path: str) -> list[uuid.UUID]:
    """The node ids along a path, root first."""
    return [uuid.UUID(hex=part) for part in path.split("/") if part]


class OrgNode(TenantScoped, Timestamped, Base):
    """An organisation: a party organisation of the tree or an organisation linked into it."""

    __tablename__ = "org_node"
    __table_args__ = (
        Index("ix_org_node_tenant_id_path", "tenant_id", "path", unique=True),
        Index("ix_org_node_tenant_id_kind_path", "tenant_id", "kind", "path"),
        Index("uq_org_node_tenant_id_code", "tenant_id", "code", unique=True),
        Index(
            "uq_org_node_tenant_id_parent_id_name_active",
            "tenant_id",
            "parent_id",
            "name",
            unique=True,
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64), default=None)
    parent_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)
    path: Mapped[str] = mapped_column(path_string())
    depth: Mapped[int] = mapped_column(default=0)
    attrs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    parent: Mapped[OrgNode | None] = tenant_relationship("OrgNode", "parent_id")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
