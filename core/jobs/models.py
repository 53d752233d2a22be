"""``outbox``: jobs and events written in the transaction of the change that caused them.

A platform table (no row-level security): every row names its tenant, and
only ``core.jobs`` reads it. ``pending`` → (claimed) ``running`` → ``done``;
a job that raises goes back to ``pending`` with a later ``available_at``
until ``max_attempts``, then ``failed``. A ``running`` row whose lease ran
out (its worker died) is claimed again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, utcnow
from core.db.ids import new_id

JOB_PENDING = "pending"
JOB_RUNNING = "running"
JOB_DONE = "done"
JOB_FAILED = "failed"


class OutboxEntry(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status"),
        Index("ix_outbox_status_available_at", "status", "available_at"),
        Index(
            "uq_outbox_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid(), ForeignKey("tenant.id", ondelete="CASCADE"), default=None, index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JOB_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    available_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
