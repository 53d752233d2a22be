"""Isolation examples of the core's API routes (see ``registry.py``).

Examples name objects under street S1 (C1, B1 and fresh objects created
there) so the sibling-street secretary's attempts are meaningful too.
Mutating examples create a fresh object on every call.
"""

from __future__ import annotations

import secrets

from core.testing import TEST_PASSWORD
from tests.isolation.registry import Example, register
from tests.isolation.world import World

API = "/api/v1"


def fresh(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


# --- auth: the caller's own session and password -------------------------------------------------


@register("GET", f"{API}/auth/me")
async def auth_me(w: World) -> Example:
    return Example(f"{API}/auth/me", kind="collection", owner_sees=(str(w.owners["system"].user.id),))


@register("POST", f"{API}/auth/logout")
async def auth_logout(w: World) -> Example:
    return Example(f"{API}/auth/logout", kind="local_write", own_user=True, expect=200)


@register("POST", f"{API}/auth/password")
async def auth_password(w: World) -> Example:
    return Example(
        f"{API}/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": "Isolation-Changed-2026!"},
        kind="local_write",
        own_user=True,
        expect=200,
    )


@register("GET", f"{API}/auth/sessions")
async def auth_sessions(w: World) -> Example:
    return Example(f"{API}/auth/sessions", kind="collection", owner_sees=('"current":true',))


@register("DELETE", f"{API}/auth/sessions/{{session_id:str}}")
async def auth_end_session(w: World) -> Example:
    # A second session of A's system administrator, so ending it leaves the world's session alone.
    assert w.a is not None
    second = await w.login(w.a, w.owners["system"].user)
    sessions = await w.client.get(f"{API}/auth/sessions", headers=second)
    session_id = next(s["id"] for s in sessions.json() if s["current"])
    return Example(f"{API}/auth/sessions/{session_id}", kind="object", expect=204)


@register("POST", f"{API}/auth/totp/setup")
async def auth_totp_setup(w: World) -> Example:
    return Example(f"{API}/auth/totp/setup", kind="local_write", own_user=True, expect=200)


@register("POST", f"{API}/auth/totp/confirm")
async def auth_totp_confirm(w: World) -> Example:
    # A fresh account has no set-up to confirm: each party, the owner too, is told so about its own.
    return Example(
        f"{API}/auth/totp/confirm", json={"code": "123456"}, kind="local_write", own_user=True, expect=409
    )


@register("POST", f"{API}/auth/totp/disable")
async def auth_totp_disable(w: World) -> Example:
    return Example(
        f"{API}/auth/totp/disable",
        json={"password": TEST_PASSWORD, "code": "123456"},
        kind="local_write",
        own_user=True,
        expect=409,
    )


# --- organisation tree ---------------------------------------------------------------------------


@register("GET", f"{API}/org/kinds")
async def org_kinds(w: World) -> Example:
    return Example(f"{API}/org/kinds", kind="collection", owner_sees=('"street"',))


@register("GET", f"{API}/org/roots")
async def org_roots(w: World) -> Example:
    return Example(f"{API}/org/roots", kind="collection", owner_sees=(str(w.root),))


@register("POST", f"{API}/org/nodes")
async def org_create(w: World) -> Example:
    return Example(
        f"{API}/org/nodes",
        json={"parent_id": str(w.c1), "kind": "unit", "name": fresh("单位")},
        expect=201,
        readback=f"{API}/org/nodes/{w.c1}/children?limit=200",
    )


@register("GET", f"{API}/org/nodes/{{node_id:uuid}}")
async def org_read(w: World) -> Example:
    return Example(f"{API}/org/nodes/{w.c1}", owner_sees=(str(w.c1),))


@register("PATCH", f"{API}/org/nodes/{{node_id:uuid}}")
async def org_update(w: World) -> Example:
    node = await w.node(w.c1, "unit")
    return Example(
        f"{API}/org/nodes/{node}", json={"name": fresh("改名")}, readback=f"{API}/org/nodes/{node}"
    )


@register("POST", f"{API}/org/nodes/{{node_id:uuid}}/move")
async def org_move(w: World) -> Example:
    node = await w.node(w.c1, "unit")
    return Example(
        f"{API}/org/nodes/{node}/move", json={"parent_id": str(w.s1)}, readback=f"{API}/org/nodes/{node}"
    )


@register("POST", f"{API}/org/nodes/{{node_id:uuid}}/archive")
async def org_archive(w: World) -> Example:
    node = await w.node(w.c1, "unit")
    return Example(f"{API}/org/nodes/{node}/archive", readback=f"{API}/org/nodes/{node}")


@register("GET", f"{API}/org/nodes/{{node_id:uuid}}/children")
async def org_children(w: World) -> Example:
    return Example(f"{API}/org/nodes/{w.c1}/children", owner_sees=(str(w.b1),))


@register("GET", f"{API}/org/nodes/{{node_id:uuid}}/subtree")
async def org_subtree(w: World) -> Example:
    return Example(
        f"{API}/org/nodes/{w.s1}/subtree", params={"limit": 200}, owner_sees=(str(w.c1), str(w.b1))
    )


@register("GET", f"{API}/org/nodes/{{node_id:uuid}}/ancestors")
async def org_ancestors(w: World) -> Example:
    return Example(f"{API}/org/nodes/{w.b1}/ancestors", owner_sees=(str(w.root), str(w.s1), str(w.c1)))


# --- users ---------------------------------------------------------------------------------------


@register("GET", f"{API}/users")
async def users_list(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    return Example(f"{API}/users", params={"limit": 200}, kind="collection", owner_sees=(str(user.id),))


@register("POST", f"{API}/users")
async def users_create(w: World) -> Example:
    return Example(
        f"{API}/users",
        json={
            "username": fresh("iso"),
            "display_name": "新账号",
            "org_node_id": str(w.c1),
            "roles": ["viewer"],
        },
        expect=201,
        readback=f"{API}/users?limit=200",
    )


@register("GET", f"{API}/users/{{user_id:uuid}}")
async def users_read(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    return Example(f"{API}/users/{user.id}", owner_sees=(str(user.id),))


@register("POST", f"{API}/users/{{user_id:uuid}}/status")
async def users_status(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    return Example(
        f"{API}/users/{user.id}/status", json={"status": "disabled"}, readback=f"{API}/users/{user.id}"
    )


@register("POST", f"{API}/users/{{user_id:uuid}}/reset")
async def users_reset(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    return Example(
        f"{API}/users/{user.id}/reset",
        expect=201,
        readback=f"{API}/users/{user.id}",
        readback_changes=False,
    )


@register("POST", f"{API}/users/{{user_id:uuid}}/totp/reset")
async def users_totp_reset(w: World) -> Example:
    import pyotp

    from core import crypto
    from core.auth.models import User
    from core.db.base import utcnow

    user = await w.user(w.c1, "viewer")
    assert w.a is not None
    async with w.database.transaction(w.a.id) as session:
        enrolled = await session.get_one(User, (w.a.id, user.id))
        enrolled.totp_secret_encrypted = crypto.encrypt(w.a.id, pyotp.random_base32())
        enrolled.totp_enabled_at = utcnow()
    return Example(f"{API}/users/{user.id}/totp/reset", owner="security", readback=f"{API}/users/{user.id}")


@register("GET", f"{API}/users/{{user_id:uuid}}/grants")
async def users_grants(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    (assignment,) = await w.assignments_of(user.id)
    return Example(f"{API}/users/{user.id}/grants", owner="security", owner_sees=(str(assignment),))


# --- roles and grants (security administrator) ---------------------------------------------------


@register("GET", f"{API}/roles")
async def roles_list(w: World) -> Example:
    role = await w.custom_role(["org.read"])
    return Example(f"{API}/roles", owner="security", kind="collection", owner_sees=(str(role),))


@register("GET", f"{API}/roles/permissions")
async def roles_permissions(w: World) -> Example:
    return Example(
        f"{API}/roles/permissions", owner="security", kind="collection", owner_sees=('"grant.write"',)
    )


@register("POST", f"{API}/roles")
async def roles_create(w: World) -> Example:
    return Example(
        f"{API}/roles",
        json={
            "key": fresh("iso_"),
            "name_zh": "新角色",
            "name_en": "New role",
            "permissions": ["org.read"],
        },
        owner="security",
        kind="local_write",
        expect=201,
        readback=f"{API}/roles",
    )


@register("PATCH", f"{API}/roles/{{role_id:uuid}}")
async def roles_update(w: World) -> Example:
    role = await w.custom_role(["org.read"])
    return Example(
        f"{API}/roles/{role}",
        json={"name_en": fresh("Renamed ")},
        owner="security",
        readback=f"{API}/roles",
    )


@register("POST", f"{API}/grants")
async def grants_create(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    return Example(
        f"{API}/grants",
        json={"user_id": str(user.id), "role": "staff", "org_node_id": str(w.c1)},
        owner="security",
        expect=201,
        readback=f"{API}/users/{user.id}/grants",
    )


@register("DELETE", f"{API}/grants/{{assignment_id:uuid}}")
async def grants_delete(w: World) -> Example:
    user = await w.user(w.c1, "viewer")
    (assignment,) = await w.assignments_of(user.id)
    return Example(
        f"{API}/grants/{assignment}",
        owner="security",
        expect=204,
        readback=f"{API}/users/{user.id}/grants",
    )


# --- audit (audit administrator) -----------------------------------------------------------------


@register("GET", f"{API}/audit")
async def audit_list(w: World) -> Example:
    user = await w.user(w.c1, "viewer")  # writes a fresh "user.create" record naming the user
    return Example(
        f"{API}/audit", params={"limit": 200}, owner="audit", kind="collection", owner_sees=(str(user.id),)
    )


# --- the district --------------------------------------------------------------------------------


@register("GET", f"{API}/district")
async def district_read(w: World) -> Example:
    assert w.a is not None
    return Example(f"{API}/district", kind="collection", owner_sees=(str(w.a.id), str(w.root)))


@register("PUT", f"{API}/district/settings")
async def district_settings(w: World) -> Example:
    current = await w.call(w.owners["system"], "GET", f"{API}/district")
    months = current.json()["settings"]["security"]["lost_contact_months"]
    settings = current.json()["settings"]
    settings["security"]["lost_contact_months"] = 7 + (months - 6) % 50  # always a different value
    return Example(f"{API}/district/settings", json=settings, kind="local_write", readback=f"{API}/district")


@register("GET", "/api/v1/map")
async def red_map(w: World) -> Example:
    await w.ensure_plugin("hello", enabled=True)  # its places name the subtree's root
    return Example("/api/v1/map", params={"node": str(w.b1)}, owner_sees=(str(w.b1),))


@register("GET", "/api/v1/dashboard")
async def dashboard(w: World) -> Example:
    return Example("/api/v1/dashboard", params={"node": str(w.b1)}, owner_sees=(str(w.b1),))
