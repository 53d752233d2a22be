"""``notification``: one message in one user's inbox.

Written by ``core.notifications.service.notify`` in the transaction of the
change that caused it; read and marked read only by its own user. A
``dedupe_key`` is unique per user, so a reminder job that runs twice (or
twice at once) never notifies twice.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String, Text, UniqueConstraint, text
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


class NotificationPreference(TenantScoped, Timestamped, Base):
    """Which channels a user wants for a kind of notification (``kind`` ``"*"``: every kind).

    The in-app inbox always receives; ``channels`` lists the others (``email``,
    ``sms``, ``wechat``) among those the district has switched on.
    """

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "kind"),)

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE", index=False)
    kind: Mapped[str] = mapped_column(String(60))
    channels: Mapped[list[str]] = mapped_column(default=list)


class NotificationDelivery(TenantScoped, Timestamped, Base):
    """One notification sent over one outside channel: pending → sent, or skipped (no address) or failed.

    Sending runs as an outbox job with retries; ``attempts`` and ``last_error``
    say what happened, for the user's inbox and for operators.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (UniqueConstraint("tenant_id", "notification_id", "channel"),)

    notification_id: Mapped[uuid.UUID] = tenant_fk("notification", ondelete="CASCADE", index=False)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
