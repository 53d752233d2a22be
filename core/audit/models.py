"""``audit_record``: append-only (the app role may only INSERT and SELECT it on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, utcnow


class AuditRecord(TenantScoped, Base):
    """Who did what to which object, where in the tree, from where, and whether it succeeded."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_tenant_id_at", "tenant_id", "at"),
        Index("ix_audit_record_tenant_id_object_id", "tenant_id", "object_id"),
        Index("ix_audit_record_tenant_id_user_id_at", "tenant_id", "user_id", "at"),
    )

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    username: Mapped[str | None] = mapped_column(String(64), default=None)
    org_node_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str | None] = mapped_column(String(60), default=None)
    object_id: Mapped[str | None] = mapped_column(String(64), default=None)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    success: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str | None] = mapped_column(String(300), default=None)
