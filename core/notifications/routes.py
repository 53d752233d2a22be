"""``/api/v1/notifications``: the caller's own inbox (every logged-in user, no permission needed).

A notification belongs to one user: another user's id answers 404, as an
absent one does, even within the same district.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import UNSET, Meta, UnsetType

from core.notifications import service
from core.notifications import settings as delivery_settings
from core.notifications.models import Notification
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Input, Output, Page

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


Channel = Literal["email", "sms", "wechat"]
Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class PreferenceIn(Input):
    channels: list[Channel]
    kind: Annotated[str, Meta(min_length=1, max_length=60, pattern=r"^(\*|[a-z0-9_.]+)$")] = "*"


class PreferenceOut(Output):
    kind: str
    channels: list[str]


class PreferencesOut(Output):
    available: list[str]
    preferences: list[PreferenceOut]


class ContactIn(Input):
    email: Email | UnsetType | None = UNSET
    wechat_openid: Annotated[str, Meta(min_length=1, max_length=64)] | UnsetType | None = UNSET
    locale: Literal["zh_CN", "en"] | UnsetType = UNSET


class ContactOut(Output):
    email: str | None
    wechat_openid: str | None
    locale: str


async def preferences_out(db: Any, principal: Any) -> PreferencesOut:
    available, chosen = await delivery_settings.preferences(db, principal)
    return PreferencesOut(
        available=available, preferences=[PreferenceOut(kind=k, channels=c) for k, c in chosen]
    )


class PreferenceController(Controller):
    """The caller's own channels: where notifications reach them, and which channels for which kinds."""

    path = "/notifications/settings"
    tags = ["notifications"]

    @get("/", opt=OWN, summary="The outside channels the district offers and the caller's choices")
    async def read(self, db: DB, principal: CurrentPrincipal) -> PreferencesOut:
        return await preferences_out(db, principal)

    @put("/", opt=OWN, summary="Choose the channels for one kind of notification (kind * for every kind)")
    async def choose(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[PreferenceIn]
    ) -> PreferencesOut:
        await delivery_settings.set_preference(db, principal, data.kind, list(data.channels))
        return await preferences_out(db, principal)

    @get("/contact", opt=OWN, summary="Where outside notifications reach the caller")
    async def contact(self, db: DB, principal: CurrentPrincipal) -> ContactOut:
        return ContactOut(**await delivery_settings.contact(db, principal))

    @put("/contact", opt=OWN, summary="Change the caller's email, WeChat openid or language")
    async def set_contact(self, db: DB, principal: CurrentPrincipal, data: JSONBody[ContactIn]) -> ContactOut:
        changes = {
            k: getattr(data, k) for k in ("email", "wechat_openid", "locale") if getattr(data, k) is not UNSET
        }
        await delivery_settings.set_contact(db, principal, changes)
        return ContactOut(**await delivery_settings.contact(db, principal))
