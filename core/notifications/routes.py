"""``/api/v1/notifications``: the caller's own inbox."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery
from sqlalchemy import func, select

from core.errors import not_found
from core.notifications.models import Notification
from core.notifications.service import mark_read
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Output, Page, paginate


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

    @get("/", opt={"allowed_before_password_change": True}, summary="The caller's inbox, unread first")
    async def inbox(
        self, db: DB, principal: CurrentPrincipal, page: Paging, unread: FromQuery[bool] = False
    ) -> Page[NotificationOut]:
        stmt = select(Notification).where(Notification.user_id == principal.user_id)
        if unread:
            stmt = stmt.where(Notification.read_at.is_(None))
        stmt = stmt.order_by(
            Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id
        )
        rows, total = await paginate(db, stmt, page)
        return Page(
            items=[notification_out(n) for n in rows], total=total, limit=page.limit, offset=page.offset
        )

    @get("/unread-count", opt={"allowed_before_password_change": True}, summary="How many are unread")
    async def unread_count(self, db: DB, principal: CurrentPrincipal) -> UnreadOut:
        count = await db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        )
        return UnreadOut(unread=int(count or 0))

    @post("/{notification_id:uuid}/read", status_code=200, summary="Mark one notification read")
    async def read_one(
        self, db: DB, principal: CurrentPrincipal, notification_id: FromPath[uuid.UUID]
    ) -> NotificationOut:
        row = (
            await db.scalars(
                select(Notification).where(
                    Notification.id == notification_id, Notification.user_id == principal.user_id
                )
            )
        ).first()
        if row is None:
            raise not_found()
        await mark_read(db, principal.user_id, [row.id])
        await db.refresh(row)
        return notification_out(row)

    @post("/read-all", status_code=200, summary="Mark every notification read")
    async def read_all(self, db: DB, principal: CurrentPrincipal) -> UnreadOut:
        await mark_read(db, principal.user_id)
        return UnreadOut(unread=0)
