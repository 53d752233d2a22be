"""Permission × scope: the principal of a request and the one object-level guard.

A role assignment gives a user a role at an org node, valid for the node's
whole subtree. ``Principal`` holds the user's grants as (permissions, path)
pairs; ``scope_predicate`` turns them into one SQL predicate on a node path,
and ``load_in_scope`` / ``node_in_scope`` fetch an object only if its node
lies inside a scope that carries the permission — otherwise ``NotFound``,
the same answer as for an object that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import AccessCheck, Forbidden, not_found
from core.i18n import _
from core.orgs.models import OrgNode, in_subtree


class Grant(msgspec.Struct, frozen=True):
    role_key: str
    permissions: frozenset[str]
    node_id: uuid.UUID
    path: str


class Principal(msgspec.Struct, frozen=True):
    """Who is calling: one user of one tenant, with the grants they hold."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str
    username: str
    display_name: str
    grants: tuple[Grant, ...]
    session_hash: str | None = None
    must_change_password: bool = False
    # An administrator without the second factor their district requires: may only enrol.
    second_factor_enrolment_required: bool = False

    def has(self, permission: str) -> bool:
        """Holds ``permission`` somewhere (route-level check)."""
        return any(permission in g.permissions for g in self.grants)

    def scope_paths(self, permission: str) -> list[str]:
        """The minimal set of subtree roots where ``permission`` holds."""
        paths = sorted({g.path for g in self.grants if permission in g.permissions})
        minimal: list[str] = []
        for path in paths:
            if not any(path.startswith(root) for root in minimal):
                minimal.append(path)
        return minimal

    def can_at(self, permission: str, path: str) -> bool:
        """``permission`` holds at the node with ``path``."""
        return any(path.startswith(root) for root in self.scope_paths(permission))

    @property
    def role_keys(self) -> set[str]:
        return {g.role_key for g in self.grants}


def require(principal: Principal, permission: str) -> None:
    if not principal.has(permission):
        raise Forbidden(_("You do not have the permission {permission}."), permission=permission).failing(
            AccessCheck("permission", permission)
        )


def scope_predicate(principal: Principal, permission: str, path_column: Any) -> ColumnElement[bool]:
    """SQL: the node whose path is ``path_column`` lies in one of the caller's scopes for ``permission``."""
    paths = principal.scope_paths(permission)
    if not paths:
        return false()
    return or_(*(in_subtree(path_column, p) for p in paths))


T = TypeVar("T")


def scoped_select(model: type[T], principal: Principal, permission: str) -> Select[tuple[T]]:
    """``SELECT model`` limited to the caller's scopes (joins the owning node unless ``model`` is OrgNode).

    A model names the column holding its owning node in ``__scope_node__``
    (default ``org_node_id``).
    """
    if model is OrgNode:
        return select(model).where(scope_predicate(principal, permission, OrgNode.path))
    column = getattr(model, getattr(model, "__scope_node__", "org_node_id"))
    owner = OrgNode.__table__.alias("scope_node")
    return (
        select(model)
        .join(owner, and_(owner.c.tenant_id == model.tenant_id, owner.c.id == column))  # type: ignore[attr-defined]
        .where(scope_predicate(principal, permission, owner.c.path))
    )


async def load_in_scope(
    session: AsyncSession, principal: Principal, model: type[T], object_id: uuid.UUID, permission: str
) -> T:
    """The object with ``object_id`` if the caller may ``permission`` it; NotFound otherwise."""
    stmt = scoped_select(model, principal, permission).where(model.id == object_id)  # type: ignore[attr-defined]
    obj = (await session.scalars(stmt)).first()
    if obj is None:
        table = getattr(model, "__tablename__", None)
        raise not_found().failing(AccessCheck("scope", permission, object_type=table))
    return obj


async def node_in_scope(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, permission: str
) -> OrgNode:
    """The org node ``node_id`` if inside the caller's scope for ``permission``; NotFound otherwise."""
    return await load_in_scope(session, principal, OrgNode, node_id, permission)
