"""Isolation examples of the inbox: a notification belongs to one user of one district.

Each example puts a fresh notification, about branch B1 under S1, in the
inbox of A's system administrator (the owner). Outsiders (B's
administrators, A's sibling-street secretary) list and count their own
inboxes, which must hold none of A's notification ids; marking the owner's
notification read answers them 404 and leaves it unread; their read-all
leaves the owner's unread count as it was.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from core.api import notify
from core.notifications.models import Notification
from tests.isolation.registry import Example, register
from tests.isolation.world import World

API = "/api/v1/notifications"


async def owners_notification(w: World) -> str:
    """A fresh unread notification in the owner's inbox; its id is recorded as A's (under S1)."""
    owner = w.owners["system"]
    assert w.a is not None
    key = f"isolation-{secrets.token_hex(8)}"
    async with w.database.transaction(w.a.id) as session:
        sent = await notify(
            session,
            title="会议提醒",
            kind="isolation",
            users=[owner.user.id],
            org_node_id=w.b1,
            dedupe_key=key,
        )
        assert sent == 1
        notification_id = await session.scalar(select(Notification.id).where(Notification.dedupe_key == key))
    assert notification_id is not None
    w.remember(notification_id, w.paths[w.b1])
    return str(notification_id)


@register("GET", API)
async def notifications_inbox(w: World) -> Example:
    notification = await owners_notification(w)
    return Example(API, params={"limit": 200}, kind="collection", owner_sees=(notification,))


@register("GET", f"{API}/unread-count")
async def notifications_unread(w: World) -> Example:
    await owners_notification(w)
    return Example(f"{API}/unread-count", kind="collection", owner_sees=('"unread":',))


@register("POST", f"{API}/{{notification_id:uuid}}/read")
async def notifications_read(w: World) -> Example:
    notification = await owners_notification(w)
    return Example(f"{API}/{notification}/read", readback=f"{API}/unread-count", owner_sees=(notification,))


@register("POST", f"{API}/read-all")
async def notifications_read_all(w: World) -> Example:
    await owners_notification(w)
    return Example(f"{API}/read-all", kind="local_write", readback=f"{API}/unread-count")


# --- the caller's own channels and contact details ----------------------------------------------------

SETTINGS = f"{API}/settings"


@register("GET", SETTINGS)
async def notification_settings(w: World) -> Example:
    return Example(SETTINGS, kind="collection", own_user=True, owner_sees=('"available":',))


@register("PUT", SETTINGS)
async def notification_settings_choose(w: World) -> Example:
    # Each party (a throwaway account) writes its own choice; A's owner's readback must not see others'.
    return Example(
        SETTINGS,
        json={"kind": "meeting_reminder", "channels": []},
        kind="local_write",
        own_user=True,
        readback=SETTINGS,
    )


@register("GET", f"{SETTINGS}/contact")
async def notification_contact(w: World) -> Example:
    return Example(f"{SETTINGS}/contact", kind="collection", own_user=True, owner_sees=('"locale":',))


@register("PUT", f"{SETTINGS}/contact")
async def notification_contact_change(w: World) -> Example:
    return Example(
        f"{SETTINGS}/contact",
        json={"email": f"iso{secrets.token_hex(3)}@example.cn"},
        kind="local_write",
        own_user=True,
        readback=f"{SETTINGS}/contact",
    )
