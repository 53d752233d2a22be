"""``notify``: the one way the core and plugins put a message in users' inboxes; and the inbox itself.

Every function takes the caller's tenant-bound session: a notification is
written in the same transaction as the change that caused it, so it exists
only if that change commits (and a job that rolls back notifies nobody).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import USER_ACTIVE, Role, RoleAssignment, User
from core.db.base import utcnow
from core.db.ids import new_id
from core.db.session import CrossTenantWrite
from core.errors import not_found
from core.notifications.models import Notification
from core.orgs.models import OrgNode, path_ids
from core.web.schemas import PageParams, paginate

Order = Literal["unread_first", "newest"]
# Rows per INSERT statement (SQLite allows 32766 bound parameters per statement; 12 per row).
_CHUNK = 500


def _tenant_of(session: AsyncSession) -> uuid.UUID:
    tenant_id = session.info.get("tenant_id")
    if session.info.get("system") or not isinstance(tenant_id, uuid.UUID):
        raise CrossTenantWrite("notifications are written through a session bound to one district")
    return tenant_id


async def recipients(
    session: AsyncSession,
    *,
    users: Iterable[uuid.UUID] = (),
    role: str | None = None,
    at_node: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> set[uuid.UUID]:
    """The active users of the session's district among: ``users``; every holder of the role ``role``
    at ``at_node`` or at one of its ancestors (a grant covers its node's subtree); the account linked
    to the person ``person_id``. Ids of other districts, unknown ids and inactive accounts drop out.
    """
    if (role is None) != (at_node is None):
        raise ValueError("notify: give role and at_node together")
    tenant_id = _tenant_of(session)
    found = set(users)
    if role is not None and at_node is not None:
        node_path = await session.scalar(
            select(OrgNode.path).where(OrgNode.tenant_id == tenant_id, OrgNode.id == at_node)
        )
        if node_path is not None:
            holders = await session.scalars(
                select(RoleAssignment.user_id)
                .join(
                    Role, (Role.tenant_id == RoleAssignment.tenant_id) & (Role.id == RoleAssignment.role_id)
                )
                .where(
                    RoleAssignment.tenant_id == tenant_id,
                    Role.key == role,
                    RoleAssignment.org_node_id.in_(path_ids(node_path)),
                )
            )
            found |= set(holders)
    if person_id is not None:
        found |= set(
            await session.scalars(
                select(User.id).where(User.tenant_id == tenant_id, User.person_id == person_id)
            )
        )
    if not found:
        return set()
    active = await session.scalars(
        select(User.id).where(User.tenant_id == tenant_id, User.id.in_(found), User.status == USER_ACTIVE)
    )
    return set(active)


@dataclass(frozen=True)
class NotificationTemplate:
    """A notification's words in each language (``zh_CN``, ``en``); ``{name}`` placeholders come from
    the ``params`` given to ``notify``. Each recipient gets it in their own language."""

    key: str
    title: dict[str, str]
    body: dict[str, str] = field(default_factory=dict)

    def render(self, locale: str, params: Mapping[str, Any]) -> tuple[str, str | None]:
        def pick(texts: dict[str, str]) -> str | None:
            text = texts.get(locale) or texts.get("zh_CN") or next(iter(texts.values()), None)
            return text.format(**params) if text is not None else None

        return pick(self.title) or self.key, pick(self.body) if self.body else None


_templates: dict[str, NotificationTemplate] = {}


def register_template(template: NotificationTemplate) -> None:
    """Make ``template`` usable as ``notify(..., template=template.key)`` (register at import time)."""
    if not template.title:
        raise ValueError(f"notification template {template.key!r} has no title")
    _templates[template.key] = template


async def notify(
    session: AsyncSession,
    *,
    kind: str,
    title: str | None = None,
    template: str | None = None,
    params: Mapping[str, Any] | None = None,
    source: str = "core",
    body: str | None = None,
    link: str | None = None,
    org_node_id: uuid.UUID | None = None,
    users: Iterable[uuid.UUID] = (),
    role: str | None = None,
    at_node: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Notify each recipient: a message in their inbox, and over the outside channels they and the
    district chose (email, SMS, WeChat: sent by a job through the outbox, with retries, after the
    district's quiet hours). Returns how many notifications were created.

    Recipients (each once, active accounts of the session's district only):
    the user ids ``users``; every holder of role ``role`` at ``at_node`` or
    above it; the account linked to ``person_id``.

    The words are either ``template`` (a registered ``NotificationTemplate``,
    rendered with ``params`` in each recipient's language) or ``title`` and
    ``body`` as given (write them in the district's language). ``source`` is
    the plugin's slug, ``kind`` a machine name such as ``"meeting_reminder"``
    (users choose channels per kind), ``link`` a console or API path,
    ``org_node_id`` the organisation the message is about.

    With ``dedupe_key`` a user who already has a notification with that key
    gets no second one (nor a second email), even when two runs of a job
    notify at the same time (the database's unique index decides).

    Everything is written through ``session``, in the caller's transaction.
    """
    from core.notifications.delivery import plan

    if (title is None) == (template is None):
        raise ValueError("notify: give either title or template")
    words: NotificationTemplate | None = None
    if template is not None:
        words = _templates.get(template)
        if words is None:
            raise ValueError(f"notify: no notification template {template!r} is registered")
    targets = await recipients(session, users=users, role=role, at_node=at_node, person_id=person_id)
    if not targets:
        return 0
    tenant_id = _tenant_of(session)
    locales: dict[uuid.UUID, str] = {}
    if words is not None:
        locales = dict(
            (await session.execute(select(User.id, User.locale).where(User.id.in_(sorted(targets)))))
            .tuples()
            .all()
        )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for user_id in sorted(targets):
        if words is not None:
            text, text_body = words.render(locales.get(user_id, "zh_CN"), params or {})
        else:
            text, text_body = title or "", body
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": new_id(),
                "user_id": user_id,
                "source": source[:40],
                "kind": kind[:60],
                "title": text[:200],
                "body": text_body,
                "link": link[:300] if link is not None else None,
                "org_node_id": org_node_id,
                "read_at": None,
                "dedupe_key": dedupe_key,
                "created_at": now,
                "updated_at": now,
            }
        )
    table: Table = Notification.__table__  # type: ignore[assignment]
    created: list[tuple[uuid.UUID, uuid.UUID]] = []
    if dedupe_key is None:
        for start in range(0, len(rows), _CHUNK):
            await session.execute(table.insert().values(rows[start : start + _CHUNK]))
        created = [(row["id"], row["user_id"]) for row in rows]
    else:
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        for start in range(0, len(rows), _CHUNK):
            stmt = (
                insert(table)
                .values(rows[start : start + _CHUNK])
                .on_conflict_do_nothing(
                    index_elements=["tenant_id", "user_id", "dedupe_key"],
                    index_where=table.c.dedupe_key.is_not(None),
                )
                .returning(table.c.id, table.c.user_id)
            )
            created += [(row_id, user_id) for row_id, user_id in (await session.execute(stmt)).tuples()]
    await plan(session, tenant_id, created, kind[:60])
    return len(created)


# --- the inbox: always one user's own ------------------------------------------------------------


def _inbox(user_id: uuid.UUID, *, unread_only: bool = False) -> Select[tuple[Notification]]:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    """How many of ``user_id``'s notifications are unread."""
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def list_for_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    page: PageParams,
    *,
    unread_only: bool = False,
    order: Order = "unread_first",
) -> tuple[list[Notification], int]:
    """One page of ``user_id``'s inbox and the total: unread first (then newest first), or newest first."""
    stmt = _inbox(user_id, unread_only=unread_only)
    # Ids are time-ordered (UUIDv7): they break ties between notifications of one instant.
    newest = (Notification.created_at.desc(), Notification.id.desc())
    if order == "unread_first":
        stmt = stmt.order_by(Notification.read_at.is_not(None), *newest)
    else:
        stmt = stmt.order_by(*newest)
    return await paginate(session, stmt, page)


async def get_for_user(session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """``user_id``'s notification ``notification_id``; NotFound for anyone else's, as for none at all."""
    row = (await session.scalars(_inbox(user_id).where(Notification.id == notification_id))).first()
    if row is None:
        raise not_found()
    return row


async def mark_read(session: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Mark those of ``ids`` that are ``user_id``'s and unread as read; returns how many changed."""
    if not ids:
        return 0
    return await _mark(session, user_id, list(ids))


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Mark every unread notification of ``user_id`` read; returns how many changed."""
    return await _mark(session, user_id, None)


async def _mark(session: AsyncSession, user_id: uuid.UUID, ids: list[uuid.UUID] | None) -> int:
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    now = utcnow()
    result = await session.execute(
        stmt.values(read_at=now, updated_at=now).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
