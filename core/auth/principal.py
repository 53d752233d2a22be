"""Load the principal of a session: the user, their tenant and their grants."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import USER_ACTIVE, Role, RoleAssignment, User
from core.auth.scope import Grant, Principal
from core.auth.totp import enrolment_required
from core.orgs.models import OrgNode
from core.tenancy.models import Tenant
from core.tenancy.settings import parse_tenant_settings


async def load_grants(session: AsyncSession, user_id: uuid.UUID) -> tuple[Grant, ...]:
    rows = await session.execute(
        select(Role.key, Role.permissions, OrgNode.id, OrgNode.path)
        .select_from(RoleAssignment)
        .join(Role, (Role.tenant_id == RoleAssignment.tenant_id) & (Role.id == RoleAssignment.role_id))
        .join(
            OrgNode,
            (OrgNode.tenant_id == RoleAssignment.tenant_id) & (OrgNode.id == RoleAssignment.org_node_id),
        )
        .where(RoleAssignment.user_id == user_id, OrgNode.archived_at.is_(None))
    )
    return tuple(
        Grant(role_key=key, permissions=frozenset(perms or ()), node_id=node_id, path=path)
        for key, perms, node_id, path in rows
    )


async def load_principal(
    session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, session_hash: str | None = None
) -> Principal | None:
    """The principal for a live session, or None if the user or the tenant may no longer act."""
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None or not tenant.is_active:
        return None
    # The identity map holds rows weakly; keeping the tenant here spares the request reading it again
    # (the district's settings, e.g. in people.services.contact_cutoff).
    session.info["tenant"] = tenant
    user = (await session.scalars(select(User).where(User.id == user_id))).first()
    if user is None or user.status != USER_ACTIVE:
        return None
    grants = await load_grants(session, user.id)
    policy = parse_tenant_settings(tenant.settings).security
    return Principal(
        user_id=user.id,
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        username=user.username,
        display_name=user.display_name,
        grants=grants,
        session_hash=session_hash,
        must_change_password=user.must_change_password,
        second_factor_enrolment_required=enrolment_required(policy, user, grants),
    )
