"""Isolation examples of the inbox: a notification belongs to one user of one district."""

from __future__ import annotations

from core.api import notify
from tests.isolation.registry import Example, register
from tests.isolation.world import World

API = "/api/v1/notifications"


async def owners_notification(w: World) -> str:
    owner = w.owners["system"]
    assert w.a is not None
    async with w.database.transaction(w.a.id) as session:
        await notify(session, title="会议提醒", kind="isolation", users=[owner.user.id], org_node_id=w.b1)
        from sqlalchemy import select

        from core.notifications.models import Notification

        row = (
            await session.scalars(
                select(Notification)
                .where(Notification.user_id == owner.user.id)
                .order_by(Notification.created_at.desc())
            )
        ).first()
    assert row is not None
    w.remember(row.id, w.paths[w.b1])
    return str(row.id)


@register("GET", API)
async def notifications_inbox(w: World) -> Example:
    notification = await owners_notification(w)
    return Example(API, kind="collection", owner_sees=(notification,))


@register("GET", f"{API}/unread-count")
async def notifications_unread(w: World) -> Example:
    await owners_notification(w)
    return Example(f"{API}/unread-count", kind="collection")


@register("POST", f"{API}/{{notification_id:uuid}}/read")
async def notifications_read(w: World) -> Example:
    notification = await owners_notification(w)
    return Example(f"{API}/{notification}/read", readback=f"{API}/unread-count", owner_sees=(notification,))


@register("POST", f"{API}/read-all")
async def notifications_read_all(w: World) -> Example:
    await owners_notification(w)
    return Example(f"{API}/read-all", kind="local_write", readback=f"{API}/unread-count")
