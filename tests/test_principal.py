"""The principal of a session, loaded in one statement: the user, their district and their grants."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.auth.models import USER_DISABLED, Role, RoleAssignment, User
from core.auth.principal import load_principal
from core.orgs.models import OrgNode
from core.tenancy.models import TENANT_SUSPENDED, Tenant


async def test_every_grant_on_a_live_node_and_none_on_an_archived_one(
    database, make_tenant, make_user, make_node
):
    tenant = await make_tenant()
    street = await make_node(tenant, tenant.root_id, "street", "和平路街道")
    closed = await make_node(tenant, tenant.root_id, "street", "宝塔路街道")
    user = await make_user(tenant, "secretary", node_id=street.id)
    async with database.transaction(tenant.id) as session:
        role = (await session.scalars(select(Role).where(Role.key == "viewer"))).one()
        session.add(RoleAssignment(user_id=user.id, role_id=role.id, org_node_id=closed.id))
        session.add(RoleAssignment(user_id=user.id, role_id=role.id, org_node_id=street.id))

    async with database.transaction(tenant.id) as session:
        principal = await load_principal(session, tenant.id, user.id)
    assert principal is not None
    assert sorted((g.role_key, g.node_id == street.id) for g in principal.grants) == [
        ("secretary", True),
        ("viewer", False),
        ("viewer", True),
    ]
    assert principal.tenant_slug == tenant.slug and principal.username == user.username

    async with database.transaction(tenant.id) as session:
        await session.execute(
            update(OrgNode).where(OrgNode.id == closed.id).values(archived_at=dt.datetime.now(dt.UTC))
        )
    async with database.transaction(tenant.id) as session:
        principal = await load_principal(session, tenant.id, user.id)
    assert principal is not None
    assert all(g.node_id == street.id for g in principal.grants), (
        "a grant on an archived node no longer counts"
    )
    assert len(principal.grants) == 2


async def test_an_account_without_roles_still_has_a_principal(database, make_tenant, make_user):
    tenant = await make_tenant()
    user = await make_user(tenant)
    async with database.transaction(tenant.id) as session:
        principal = await load_principal(session, tenant.id, user.id)
        assert session.info["tenant"].id == tenant.id, "the request reuses the district row"
    assert principal is not None and principal.grants == ()


async def test_no_principal_for_a_disabled_account_a_suspended_district_or_another_district(
    database, make_tenant, make_user
):
    tenant, other = await make_tenant(), await make_tenant()
    user = await make_user(tenant, "system_admin")
    async with database.transaction(other.id) as session:
        assert await load_principal(session, other.id, user.id) is None, "the account is not in that district"

    async with database.transaction(tenant.id) as session:
        await session.execute(update(User).where(User.id == user.id).values(status=USER_DISABLED))
    async with database.transaction(tenant.id) as session:
        assert await load_principal(session, tenant.id, user.id) is None

    async with database.transaction(tenant.id) as session:
        await session.execute(update(User).where(User.id == user.id).values(status="active"))
    async with database.system_transaction() as session:
        await session.execute(update(Tenant).where(Tenant.id == tenant.id).values(status=TENANT_SUSPENDED))
    async with database.transaction(tenant.id) as session:
        assert await load_principal(session, tenant.id, user.id) is None
