"""Invitations and password resets by email: one-time, expiring links sent through the email channel.

The token travels to the sending job encrypted with the district's key (the
outbox is a table like any other); the job renders the message in the user's
language and sends it over the configured email channel, retried by the
outbox if the mail server is down.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.auth.models import User, UserToken
from core.db.base import utcnow
from core.notifications.channels import OutgoingMessage, configured_channels
from core.notifications.delivery import absolute

log = logging.getLogger("quanyu.auth")
TOKEN_EMAIL_JOB = "auth.token_email"

SUBJECTS = {
    "invitation": {"zh_CN": "{district}党建平台账号邀请", "en": "Your account on the {district} platform"},
    "reset": {"zh_CN": "{district}党建平台密码重置", "en": "Reset your password on the {district} platform"},
}
BODIES = {
    "invitation": {
        "zh_CN": "{name}，您好：\n\n已为您开通{district}党建平台账号（用户名 {username}）。"
        "请在 {expires} 前打开下面的链接设置密码，链接只能使用一次。",
        "en": "Hello {name},\n\nan account ({username}) has been created for you on the {district} platform. "
        "Open the link below before {expires} to set your password; it works once.",
    },
    "reset": {
        "zh_CN": "{name}，您好：\n\n有人申请重置您在{district}党建平台的密码（用户名 {username}）。"
        "如是您本人，请在 {expires} 前打开下面的链接设置新密码，链接只能使用一次，设置后其他登录会话将退出。"
        "如不是您本人，请忽略本邮件。",
        "en": "Hello {name},\n\nsomeone asked to reset the password of {username} on the {district} platform. "
        "If it was you, open the link below before {expires}; it works once and ends your other sessions. "
        "If not, ignore this email.",
    },
}


async def send_token_email(
    session: AsyncSession, user: User, purpose: str, token: str, expires_at: dt.datetime
) -> bool:
    """Queue the email carrying ``token`` to ``user`` (caller's transaction); False if they have no email."""
    from core.jobs.service import enqueue

    if not user.email_encrypted or "email" not in configured_channels():
        return False
    await enqueue(
        session,
        TOKEN_EMAIL_JOB,
        {
            "user_id": str(user.id),
            "purpose": purpose,
            "token": crypto.encrypt(user.tenant_id, token),
            "expires_at": expires_at.isoformat(),
        },
    )
    return True


async def deliver_token_email(ctx: Any) -> str:
    """Job: send an invitation or reset email, unless the token was used or expired meanwhile."""
    from core.clock import DISTRICT_TIMEZONE
    from core.tenancy.models import Tenant

    session: AsyncSession = ctx.session
    payload = ctx.payload
    user = (await session.scalars(select(User).where(User.id == uuid.UUID(payload["user_id"])))).first()
    channel = configured_channels().get("email")
    if user is None or channel is None or not user.email_encrypted:
        return "skipped"
    token = crypto.decrypt(user.tenant_id, payload["token"])
    row = (
        await session.scalars(select(UserToken).where(UserToken.token_hash == crypto.token_hash(token)))
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return "stale"
    tenant = await session.get_one(Tenant, user.tenant_id)
    locale = user.locale if user.locale in ("zh_CN", "en") else "zh_CN"
    expires = dt.datetime.fromisoformat(payload["expires_at"]).astimezone(DISTRICT_TIMEZONE)
    words = {
        "district": tenant.name_zh if locale == "zh_CN" else tenant.name_en,
        "name": user.display_name,
        "username": user.username,
        "expires": f"{expires:%Y-%m-%d %H:%M}",
    }
    purpose = payload["purpose"]
    link = absolute(f"/t/{tenant.slug}/console/password?purpose={purpose}&token={quote(token)}")
    await channel.send(
        OutgoingMessage(
            channel="email",
            address=crypto.decrypt(user.tenant_id, user.email_encrypted),
            subject=SUBJECTS[purpose][locale].format(**words),
            body=BODIES[purpose][locale].format(**words),
            link=link,
            kind=f"auth.{purpose}",
            recipient_name=user.display_name,
        )
    )
    log.info("sent %s email to user %s", purpose, user.id)
    return "sent"


def _register_jobs() -> None:
    from core.jobs.service import register_job

    register_job(TOKEN_EMAIL_JOB, deliver_token_email)


_register_jobs()
