"""``/api/v1/notifications``: the caller's own inbox (every logged-in user, no permission needed).

A notification belongs to one user: another user's id answers 404, as an
absent one does, even within the same district.
"""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery

from core.notifications import service
from core.notifications.models import Notification
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Output, Page

# The inbox is the caller's own: readable while a password change is still pending.
OWN = {"allowed_before_password_change": True}


class NotificationOut(Output):
    id: uuid.UUID
    source: str
    kind: str
    title: str
    body: str | None
    link: str | None
    org_node_id: uuid.UUID | None
    read_at: dt.datetime | None
    created_at: dt.datetime


class UnreadOut(Output):
    unread: int


def notification_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        source=n.source,
        kind=n.kind,
        title=n.title,
        body=n.body,
        link=n.link,
        org_node_id=n.org_node_id,
        read_at=n.read_at,
        created_at=n.created_at,
    )


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("/", opt=OWN, summary="The caller's inbox: unread first (or newest first), optionally unread only")
    async def inbox(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        unread: FromQuery[bool] = False,
        order: FromQuery[service.Order] = "unread_first",
    ) -> Page[NotificationOut]:
        rows, total = await service.list_for_user(
            db, principal.user_id, page, unread_only=unread, order=order
        )
        return Page(
            items=[notification_out(n) for n in rows], total=total, limit=page.limit, offset=page.offset
        )

    @get("/unread-count", opt=OWN, summary="How many of the caller's notifications are unread")
    async def unread_count(self, db: DB, principal: CurrentPrincipal) -> UnreadOut:
        return UnreadOut(unread=await service.unread_count(db, principal.user_id))

    @post("/{notification_id:uuid}/read", opt=OWN, status_code=200, summary="Mark one notification read")
    async def read_one(
        self, db: DB, principal: CurrentPrincipal, notification_id: FromPath[uuid.UUID]
    ) -> NotificationOut:
        row = await service.get_for_user(db, principal.user_id, notification_id)
        if row.read_at is None:
            await service.mark_read(db, principal.user_id, [row.id])
            await db.refresh(row)
        return notification_out(row)

    @post("/read-all", opt=OWN, status_code=200, summary="Mark every notification of the caller read")
    async def read_all(self, db: DB, principal: CurrentPrincipal) -> UnreadOut:
        await service.mark_all_read(db, principal.user_id)
        return UnreadOut(unread=await service.unread_count(db, principal.user_id))
