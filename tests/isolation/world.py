"""The world the isolation examples run in.

Tenant A: district root → street S1 → community C1 → branch B1, and a
sibling street S2 → community C2. Parties:

* A's ``system_admin``, ``security_admin`` and ``audit_admin`` at the root:
  the *owners* (separation of duties: each owns the routes of its duty);
* A's ``secretary`` of S2: the *sibling* (same district, other subtree);
* tenant B's ``system_admin``, ``security_admin`` and ``audit_admin``: the
  *outsiders* of another district.

Every object created for tenant A is recorded in ``a_ids`` (and in
``s1_ids`` when it lies under S1), so a response can be searched for any of
them.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec

from core.auth.models import Role, RoleAssignment, User
from core.auth.permissions import BUILTIN_ROLES
from core.auth.service import create_user
from core.orgs.models import OrgNode, segment
from core.tenancy.service import TenantDefinition, provision, root_node
from core.tenancy.settings import TenantSettings
from core.testing import TEST_PASSWORD, TenantHandle


def _role_permissions() -> dict[str, frozenset[str]]:
    """Built-in roles' permissions plus what each installed plugin grants them by default when enabled."""
    from core.plugins.host import get_host

    held = {r.key: set(r.permissions) for r in BUILTIN_ROLES}
    for manifest in get_host().manifests():
        for permission in manifest.permissions:
            for role in permission.default_roles:
                held.setdefault(role, set()).add(permission.key)
    return {role: frozenset(keys) for role, keys in held.items()}


ROLE_PERMISSIONS = _role_permissions()
NO_ID = uuid.UUID(int=0)


@dataclass
class Party:
    """One account of the world, logged in."""

    label: str
    tenant: TenantHandle
    role: str
    node_id: uuid.UUID
    user: Any
    headers: dict[str, str]

    def holds(self, permission: str | None) -> bool:
        return permission is None or permission in ROLE_PERMISSIONS[self.role]


async def provision_tenant(database: Any, name_zh: str) -> TenantHandle:
    for _attempt in range(10):
        definition = TenantDefinition(
            code=str(secrets.randbelow(899_999) + 100_000),
            slug=f"iso{secrets.token_hex(5)}",
            name_zh=name_zh,
            name_en="Isolation district",
            # The parties log in with a password alone; the second factor has its own tests (test_totp.py).
            settings=msgspec.convert({"security": {"totp_required_for_admins": False}}, TenantSettings),
        )
        try:
            async with database.system_transaction() as session:
                tenant = await provision(session, definition)
                root = await root_node(session, tenant.id)
            return TenantHandle(tenant.id, tenant.slug, tenant.code, root.id, root.path)
        except ValueError:
            continue
    raise RuntimeError("could not find a free district code")


@dataclass
class World:
    client: Any
    database: Any
    app: Any
    a: TenantHandle | None = None
    b: TenantHandle | None = None
    paths: dict[uuid.UUID, str] = field(default_factory=dict)
    a_ids: set[str] = field(default_factory=set)
    s1_ids: set[str] = field(default_factory=set)
    owners: dict[str, Party] = field(default_factory=dict)
    outsiders: dict[str, Party] = field(default_factory=dict)
    sibling: Party | None = None
    root: uuid.UUID = NO_ID
    s1: uuid.UUID = NO_ID
    c1: uuid.UUID = NO_ID
    b1: uuid.UUID = NO_ID
    s2: uuid.UUID = NO_ID
    c2: uuid.UUID = NO_ID

    # -- building -----------------------------------------------------------------------------------

    @classmethod
    async def build(cls, client: Any, database: Any, app: Any) -> World:
        world = cls(client, database, app)
        world.a = await provision_tenant(database, "甲区")
        world.b = await provision_tenant(database, "乙区")
        world.paths[world.a.root_id] = world.a.root_path
        world.paths[world.b.root_id] = world.b.root_path
        world.remember(world.a.id)
        world.remember(world.a.root_id)
        world.root = world.a.root_id
        world.s1 = await world.node(world.root, "street", "一街道")
        world.s1_ids.add(str(world.s1))
        world.c1 = await world.node(world.s1, "community", "一社区")
        world.b1 = await world.node(world.c1, "branch", "一支部")
        world.s2 = await world.node(world.root, "street", "二街道")
        world.c2 = await world.node(world.s2, "community", "二社区")
        for role, label in (
            ("system_admin", "system"),
            ("security_admin", "security"),
            ("audit_admin", "audit"),
        ):
            world.owners[label] = await world.party(f"A.{role}", world.a, role, world.root)
            world.outsiders[label] = await world.party(f"B.{role}", world.b, role, world.b.root_id)
        world.sibling = await world.party("A.secretary@S2", world.a, "secretary", world.s2)
        return world

    def remember(self, object_id: uuid.UUID, path: str | None = None) -> None:
        self.a_ids.add(str(object_id))
        if path is not None and self.in_s1_path(path):
            self.s1_ids.add(str(object_id))

    def in_s1_path(self, path: str) -> bool:
        return self.s1 in self.paths and path.startswith(self.paths[self.s1])

    async def node(self, parent_id: uuid.UUID, kind: str, name: str | None = None) -> uuid.UUID:
        """A fresh node of tenant A under ``parent_id`` (written directly)."""
        tenant = self.a
        assert tenant is not None
        async with self.database.transaction(tenant.id) as session:
            parent = await session.get_one(OrgNode, (tenant.id, parent_id))
            node = OrgNode(
                kind=kind,
                name=name or f"{kind}-{secrets.token_hex(4)}",
                parent_id=parent.id,
                depth=parent.depth + 1,
                attrs={},
            )
            node.path = parent.path + segment(node.id)
            session.add(node)
        self.paths[node.id] = node.path
        self.remember(node.id, node.path)
        return node.id

    async def user(
        self, node_id: uuid.UUID | None = None, *roles: str, tenant: TenantHandle | None = None
    ) -> User:
        """A fresh active account (tenant A by default) holding ``roles`` at ``node_id``."""
        tenant = tenant or self.a
        assert tenant is not None
        node_id = node_id or tenant.root_id
        async with self.database.transaction(tenant.id) as session:
            node = await session.get_one(OrgNode, (tenant.id, node_id))
            user = await create_user(
                session,
                username=f"iso{secrets.token_hex(5)}",
                display_name="隔离测试",
                org_node=node,
                password=TEST_PASSWORD,
                role_keys=list(roles),
                must_change_password=False,
            )
        if tenant is self.a:
            self.remember(user.id, self.paths.get(node_id))
        return user

    async def assignments_of(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """Ids of the role assignments of a tenant-A user (recorded as A's objects)."""
        from sqlalchemy import select

        assert self.a is not None
        async with self.database.transaction(self.a.id) as session:
            rows = list(
                await session.execute(
                    select(RoleAssignment.id, RoleAssignment.org_node_id).where(
                        RoleAssignment.user_id == user_id
                    )
                )
            )
        for assignment_id, node_id in rows:
            self.remember(assignment_id, self.paths.get(node_id))
        return [r[0] for r in rows]

    async def custom_role(self, permissions: list[str]) -> uuid.UUID:
        """A fresh custom role of tenant A."""
        assert self.a is not None
        async with self.database.transaction(self.a.id) as session:
            role = Role(
                key=f"iso_{secrets.token_hex(4)}",
                name_zh="隔离角色",
                name_en="Isolation role",
                permissions=sorted(permissions),
            )
            session.add(role)
        self.remember(role.id)
        return role.id

    async def login(self, tenant: TenantHandle, user: Any) -> dict[str, str]:
        response = await self.client.post(
            "/api/v1/auth/login",
            json={"district": tenant.slug, "username": user.username, "password": TEST_PASSWORD},
        )
        assert response.status_code == 200, response.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    async def party(self, label: str, tenant: TenantHandle, role: str, node_id: uuid.UUID) -> Party:
        user = await self.user(node_id, role, tenant=tenant)
        return Party(label, tenant, role, node_id, user, await self.login(tenant, user))

    async def throwaway(self, party: Party) -> Party:
        """A new account like ``party`` (same district, role and node), logged in."""
        return await self.party(party.label + "(throwaway)", party.tenant, party.role, party.node_id)

    async def call(
        self,
        party: Party,
        method: str,
        url: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": party.headers}
        if json is not None:
            kwargs["data" if files is not None else "json"] = json  # with files: the form's other fields
        if params is not None:
            kwargs["params"] = params
        if files is not None:
            kwargs["files"] = files
        response = await self.client.request(method, url, **kwargs)
        self.client.cookies.clear()
        return response

    async def ensure_plugin(self, slug: str, *, enabled: bool) -> None:
        """Put plugin ``slug`` in the wanted state for tenant A, and for tenant B too (its requirements
        first): B's administrators then reach the routes themselves, so what keeps them out of A's
        records is the tenancy and the scope, not the plugin gate."""
        for party in (self.owners["system"], self.outsiders["system"]):
            await self._ensure_plugin_for(party, slug, enabled=enabled)

    async def _ensure_plugin_for(self, owner: Party, slug: str, *, enabled: bool) -> None:
        current = await self.call(owner, "GET", f"/api/v1/plugins/{slug}")
        assert current.status_code == 200, current.text
        if current.json()["enabled"] == enabled:
            return
        if enabled:
            for required in current.json()["requires"]:
                await self._ensure_plugin_for(owner, required, enabled=True)
        response = await self.call(
            owner, "POST", f"/api/v1/plugins/{slug}/{'enable' if enabled else 'disable'}"
        )
        assert response.status_code == 200, response.text

    def leaked(self, text: str, ids: set[str]) -> list[str]:
        """The ids of ``ids`` that appear in ``text``."""
        return sorted(i for i in ids if i in text)
