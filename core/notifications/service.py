"""``notify``: the one way the core and plugins put a message in users' inboxes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import USER_ACTIVE, Role, RoleAssignment, User
from core.db.base import utcnow
from core.notifications.models import Notification
from core.orgs.models import OrgNode, path_ids


async def recipients(
    session: AsyncSession,
    *,
    users: Iterable[uuid.UUID] = (),
    role: str | None = None,
    at_node: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> set[uuid.UUID]:
    """Active users among: ``users``; holders of ``role`` at ``at_node`` or above it; the account of ``person_id``."""
    found = set(users)
    if role is not None and at_node is not None:
        node = (await session.scalars(select(OrgNode).where(OrgNode.id == at_node))).first()
        if node is not None:
            holders = await session.scalars(
                select(RoleAssignment.user_id)
                .join(Role, Role.id == RoleAssignment.role_id)
                .where(Role.key == role, RoleAssignment.org_node_id.in_(path_ids(node.path)))
            )
            found |= set(holders)
    if person_id is not None:
        found |= set(await session.scalars(select(User.id).where(User.person_id == person_id)))
    if not found:
        return set()
    active = await session.scalars(select(User.id).where(User.id.in_(found), User.status == USER_ACTIVE))
    return set(active)


async def notify(
    session: AsyncSession,
    *,
    title: str,
    kind: str,
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
    """Notify users in the caller's transaction (it exists only if that commits); returns how many got it.

    With ``dedupe_key``, a user who already has a notification with that key gets no second one.
    """
    targets = await recipients(session, users=users, role=role, at_node=at_node, person_id=person_id)
    if dedupe_key is not None and targets:
        already = await session.scalars(
            select(Notification.user_id).where(
                Notification.dedupe_key == dedupe_key, Notification.user_id.in_(targets)
            )
        )
        targets -= set(already)
    for user_id in sorted(targets):
        session.add(
            Notification(
                user_id=user_id,
                source=source[:40],
                kind=kind[:60],
                title=title[:200],
                body=body,
                link=link,
                org_node_id=org_node_id,
                dedupe_key=dedupe_key,
            )
        )
    await session.flush()
    return len(targets)


async def mark_read(session: AsyncSession, user_id: uuid.UUID, ids: Iterable[uuid.UUID] | None = None) -> int:
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(list(ids)))
    result = await session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
