"""``notification``: one message in one user's inbox.

Written by ``core.notifications.service.notify`` in the transaction of the
change that caused it; read and marked read only by its own user. A
``dedupe_key`` is unique per user, so a reminder job that runs twice (or
twice at once) never notifies twice.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, Timestamped, tenant_fk


class Notification(TenantScoped, Timestamped, Base):
    __tablename__ = "notification"
    __table_args__ = (
        # The inbox: one user's unread first, newest first; also the unread count.
        Index(
            "ix_notification_tenant_id_user_id_read_at_created_at",
            "tenant_id",
            "user_id",
            "read_at",
            "created_at",
        ),
        # A reminder job that runs twice must not notify twice.
        Index(
            "uq_notification_tenant_id_user_id_dedupe_key",
            "tenant_id",
            "user_id",
            "dedupe_key",
            unique=True,
            sqlite_where=text("dedupe_key IS NOT NULL"),
            postgresql_where=text("dedupe_key IS NOT NULL"),
        ),
    )
    __scope_node__ = "org_node_id"  # what the message is about (optional); the inbox is per user

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE", index=False)
    source: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text, default=None)
    link: Mapped[str | None] = mapped_column(String(300), default=None)
    org_node_id: Mapped[uuid.UUID | None] = tenant_fk("org_node", nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), default=None)
