"""A user's own notification settings: contact details and channel choices per kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.auth.models import User
from core.auth.scope import Principal
from core.errors import invalid_field
from core.i18n import _
from core.notifications.channels import configured_channels
from core.notifications.delivery import _policy
from core.notifications.models import NotificationPreference


async def available_channels(session: AsyncSession, tenant_id: Any) -> list[str]:
    policy = await _policy(session, tenant_id)
    return [c for c in policy.channels if c in configured_channels()]


async def preferences(
    session: AsyncSession, principal: Principal
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    rows = await session.scalars(
        select(NotificationPreference)
        .where(NotificationPreference.user_id == principal.user_id)
        .order_by(NotificationPreference.kind)
    )
    return await available_channels(session, principal.tenant_id), [(r.kind, list(r.channels)) for r in rows]


async def set_preference(session: AsyncSession, principal: Principal, kind: str, channels: list[str]) -> None:
    available = await available_channels(session, principal.tenant_id)
    unavailable = sorted(set(channels) - set(available))
    if unavailable:
        raise invalid_field(
            "channels",
            _("The district does not offer {channels}; available: {available}."),
            code="channel_unavailable",
            channels=", ".join(unavailable),
            available=", ".join(available) or "-",
        )
    row = (
        await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id == principal.user_id, NotificationPreference.kind == kind
            )
        )
    ).first()
    if row is None:
        session.add(
            NotificationPreference(user_id=principal.user_id, kind=kind, channels=sorted(set(channels)))
        )
    else:
        row.channels = sorted(set(channels))
    await session.flush()


def _mask(email: str | None) -> str | None:
    if not email:
        return None
    name, _sep, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


async def contact(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    email = crypto.decrypt(user.tenant_id, user.email_encrypted) if user.email_encrypted else None
    return {"email": _mask(email), "wechat_openid": user.wechat_openid, "locale": user.locale}


async def set_contact(session: AsyncSession, principal: Principal, changes: dict[str, Any]) -> None:
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    for key, value in changes.items():
        if key == "email":
            set_email(user, value)
        else:
            setattr(user, key, value)
    await session.flush()
    # Which fields changed, never the values (an email address is personal data).
    await audit.record(
        session, "user.contact", object_type="user", object_id=user.id, changes={"fields": sorted(changes)}
    )


def set_email(user: User, email: str | None) -> None:
    """Store ``email`` (lower-cased, encrypted with the district's key), or clear it."""
    user.email_encrypted = crypto.encrypt(user.tenant_id, email.strip().lower()) if email else None
