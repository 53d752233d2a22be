"""From an inbox notification to email, SMS or WeChat: which channels, when, and the sending job.

``plan`` runs inside ``notify`` (the caller's transaction): for each new
notification it picks the user's channels (their preference for the kind,
else for every kind, else the district's default) among those the district
switched on and the platform is configured for, writes a pending delivery
and enqueues its job, delayed past the district's quiet hours where they
apply. So a delivery exists only if the change that caused it commits.

``deliver`` is that job: it resolves the address when it runs (a user who
changed their email gets the new one), sends, and records the outcome. A
failure is counted and retried by a new job with a growing delay; a dead mail
server never fails the request that caused the notification.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.auth.models import User
from core.clock import DISTRICT_TIMEZONE
from core.db.base import utcnow
from core.notifications.channels import DeliveryError, OutgoingMessage, configured_channels
from core.notifications.models import Notification, NotificationDelivery, NotificationPreference

log = logging.getLogger("quanyu.notifications")
DELIVER_JOB = "notifications.deliver"
MAX_ATTEMPTS = 6
RETRY_BASE = dt.timedelta(seconds=30)  # then 1, 2, 4, 8 minutes
ALL_KINDS = "*"


async def _policy(session: AsyncSession, tenant_id: uuid.UUID) -> Any:
    from core.tenancy.models import Tenant
    from core.tenancy.settings import parse_tenant_settings

    tenant = await session.get_one(Tenant, tenant_id)
    return parse_tenant_settings(tenant.settings).notifications


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def quiet_delay(now: dt.datetime, start: str, end: str) -> dt.timedelta:
    """How long a message due at ``now`` waits for the quiet hours ``start``–``end`` (district time) to end."""
    local = now.astimezone(DISTRICT_TIMEZONE)
    current = local.hour * 60 + local.minute
    begin, finish = _minutes(start), _minutes(end)
    if begin == finish:
        return dt.timedelta()
    quiet = begin <= current < finish if begin < finish else (current >= begin or current < finish)
    if not quiet:
        return dt.timedelta()
    wake = local.replace(hour=finish // 60, minute=finish % 60, second=0, microsecond=0)
    if wake <= local:
        wake += dt.timedelta(days=1)
    return wake - local


async def channels_for(
    session: AsyncSession, tenant_id: uuid.UUID, users: Sequence[uuid.UUID], kind: str
) -> dict[uuid.UUID, list[str]]:
    """Each user's outside channels for notifications of ``kind`` (possibly none)."""
    policy = await _policy(session, tenant_id)
    available = [c for c in policy.channels if c in configured_channels()]
    if not available or not users:
        return {}
    preferences: dict[tuple[uuid.UUID, str], list[str]] = {
        (p.user_id, p.kind): list(p.channels)
        for p in await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_(list(users)),
                NotificationPreference.kind.in_([kind, ALL_KINDS]),
            )
        )
    }
    chosen = {}
    for user_id in users:
        wanted = preferences.get(
            (user_id, kind), preferences.get((user_id, ALL_KINDS), policy.default_channels)
        )
        chosen[user_id] = [c for c in available if c in wanted]
    return chosen


async def plan(
    session: AsyncSession, tenant_id: uuid.UUID, created: Sequence[tuple[uuid.UUID, uuid.UUID]], kind: str
) -> int:
    """Pending deliveries and their jobs for new notifications ``(notification id, user id)``; returns how many."""
    from core.jobs.service import enqueue

    if not created:
        return 0
    by_user = await channels_for(session, tenant_id, sorted({user for _n, user in created}), kind)
    if not any(by_user.values()):
        return 0
    policy = await _policy(session, tenant_id)
    now = utcnow()
    planned = 0
    for notification_id, user_id in created:
        for channel in by_user.get(user_id, []):
            delivery = NotificationDelivery(
                notification_id=notification_id, channel=channel, status="pending"
            )
            session.add(delivery)
            await session.flush()
            delay = (
                quiet_delay(now, policy.quiet_start, policy.quiet_end)
                if channel in policy.quiet_channels
                else dt.timedelta()
            )
            await enqueue(
                session,
                DELIVER_JOB,
                {"delivery_id": str(delivery.id)},
                delay=delay,
                max_attempts=MAX_ATTEMPTS,
            )
            planned += 1
    return planned


async def address_of(session: AsyncSession, user: User, channel: str) -> str | None:
    """Where ``channel`` reaches ``user`` now, or None."""
    if channel == "email":
        return crypto.decrypt(user.tenant_id, user.email_encrypted) if user.email_encrypted else None
    if channel == "wechat":
        return user.wechat_openid
    if channel == "sms" and user.person_id is not None:
        from core.people.models import Person

        person = await session.get(Person, (user.tenant_id, user.person_id))
        if person is not None and person.phone_encrypted:
            return crypto.decrypt(user.tenant_id, person.phone_encrypted)
    return None


def absolute(link: str | None) -> str | None:
    from core.settings import get_settings

    if link and link.startswith("/"):
        return get_settings().public_url.rstrip("/") + link
    return link


async def deliver(ctx: Any) -> str:
    """Job: send one pending delivery; returns its new status (a retryable failure raises)."""
    session: AsyncSession = ctx.session
    delivery_id = uuid.UUID(ctx.payload["delivery_id"])
    delivery = (
        await session.scalars(select(NotificationDelivery).where(NotificationDelivery.id == delivery_id))
    ).first()
    if delivery is None or delivery.status != "pending":
        return "gone" if delivery is None else delivery.status
    notification = await session.get_one(Notification, (delivery.tenant_id, delivery.notification_id))
    user = await session.get_one(User, (delivery.tenant_id, notification.user_id))
    channel = configured_channels().get(delivery.channel)
    address = await address_of(session, user, delivery.channel) if channel is not None else None
    if channel is None or address is None or user.status != "active":
        delivery.status = "skipped"
        delivery.last_error = (
            "channel not configured"
            if channel is None
            else "no address"
            if address is None
            else "account inactive"
        )
        return delivery.status
    message = OutgoingMessage(
        channel=delivery.channel,
        address=address,
        subject=notification.title,
        body=notification.body or notification.title,
        link=absolute(notification.link),
        kind=notification.kind,
        recipient_name=user.display_name,
    )
    try:
        await channel.send(message)
    except DeliveryError as exc:
        delivery.status = "failed"
        delivery.attempts += 1
        delivery.last_error = str(exc)[:300]
        return delivery.status
    except Exception as exc:
        # Worth another try: count it here and schedule the next attempt with a growing delay, in this
        # job's transaction (the outbox makes the retry exactly as durable as the failure record).
        from core.jobs.service import enqueue

        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning(
            "delivery %s over %s failed (attempt %d): %s",
            delivery.id,
            delivery.channel,
            delivery.attempts,
            exc,
        )
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            return delivery.status
        await enqueue(
            session,
            DELIVER_JOB,
            {"delivery_id": str(delivery.id)},
            delay=RETRY_BASE * 2 ** (delivery.attempts - 1),
            max_attempts=MAX_ATTEMPTS,
        )
        return "retrying"
    delivery.status = "sent"
    delivery.attempts += 1
    delivery.sent_at = utcnow()
    delivery.last_error = None
    return delivery.status


def _register_jobs() -> None:
    from core.jobs.service import register_job

    register_job(DELIVER_JOB, deliver)


_register_jobs()
