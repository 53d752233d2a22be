"""``audit_record``: append-only (the app role may only INSERT and SELECT it on PostgreSQL), one keyed hash
chain per district (``core.audit.chain``); ``audit_chain_head`` holds where each chain ends and
``audit_checkpoint`` where it continues after a purge."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, utcnow


class AuditRecord(TenantScoped, Base):
    """Who did what to which object, where in the tree, from where, and whether it succeeded.

    ``seq`` numbers the district's records without gaps; ``hash`` is the keyed hash of the record's
    fields with ``prev_hash`` (the hash of record ``seq - 1``, or of the checkpoint a purge left).
    """

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_tenant_id_at", "tenant_id", "at"),
        Index("ix_audit_record_tenant_id_object_id", "tenant_id", "object_id"),
        Index("ix_audit_record_tenant_id_user_id_at", "tenant_id", "user_id", "at"),
        UniqueConstraint("tenant_id", "seq"),
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
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(TenantScoped, Base):
    """Where a district's chain ends: its row is locked by every committing transaction that audits, as
    that transaction's last lock, so districts never wait for each other."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(TenantScoped, Base):
    """A purge's mark: records up to ``seq`` were verified and deleted, the last of them hashed to ``hash``;
    ``mac`` (keyed) covers the tenant, ``seq``, ``hash`` and ``at``, so verification continues from here."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (UniqueConstraint("tenant_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    mac: Mapped[str] = mapped_column(String(64))
