"""Auth: log in and out, lockout, suspension, passwords, invitations and resets, duties, scopes, audit."""

from __future__ import annotations

from typing import Any

import pytest

from core.testing import TEST_PASSWORD

API = "/api/v1"
NEW_PASSWORD = "Fresh-Start-2026!"
PROBLEM = "application/problem+json"


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The problem+json body of ``response``, checked for status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert {"type", "title", "status", "code", "detail"} <= set(body), body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"].endswith(code)
    return body


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    """``{field: code}`` of a problem's ``errors``, each with a message."""
    errors = body.get("errors") or []
    for error in errors:
        assert {"field", "code", "message"} <= set(error) and error["message"], error
    return {e["field"]: e["code"] for e in errors}


async def login_raw(client: Any, tenant: Any, username: str, password: str = TEST_PASSWORD) -> Any:
    response = await client.post(
        f"{API}/auth/login", json={"district": tenant.slug, "username": username, "password": password}
    )
    client.cookies.clear()
    return response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def set_tenant_status(database: Any, tenant_id: Any, status: str) -> None:
    from core.tenancy.models import Tenant
    from core.tenancy.service import set_status

    async with database.system_transaction() as session:
        tenant = await session.get_one(Tenant, tenant_id)
        await set_status(session, tenant, status)


# --- logging in -------------------------------------------------------------------------------------


async def test_login_works_with_bearer_token_and_with_cookie(client, make_tenant, make_user):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    response = await client.post(
        f"{API}/auth/login",
        json={"district": tenant.slug, "username": user.username, "password": TEST_PASSWORD},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == user.username
    assert body["user"]["district"] == tenant.slug
    assert [g["role"] for g in body["user"]["grants"]] == ["viewer"]
    set_cookie = response.headers["set-cookie"].lower()
    assert "quanyu_session=" in set_cookie and "httponly" in set_cookie and "samesite=lax" in set_cookie

    by_cookie = await client.get(f"{API}/auth/me")  # the cookie jar holds the session
    assert by_cookie.status_code == 200, by_cookie.text
    assert by_cookie.json()["user_id"] == str(user.id)
    client.cookies.clear()
    problem(await client.get(f"{API}/auth/me"), 401, "unauthorized")

    by_bearer = await client.get(f"{API}/auth/me", headers=bearer(body["token"]))
    assert by_bearer.status_code == 200
    assert by_bearer.json()["username"] == user.username
    problem(await client.get(f"{API}/auth/me", headers=bearer("not-a-token")), 401, "unauthorized")


async def test_wrong_password_unknown_user_and_unknown_district_answer_alike(client, make_tenant, make_user):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    wrong = problem(
        await login_raw(client, tenant, user.username, "Wrong-Password-1"), 401, "bad_credentials"
    )
    unknown_user = problem(await login_raw(client, tenant, "nobody-here"), 401, "bad_credentials")
    other = await client.post(
        f"{API}/auth/login",
        json={"district": "no-such-district", "username": user.username, "password": TEST_PASSWORD},
    )
    unknown_district = problem(other, 401, "bad_credentials")
    assert wrong["detail"] == unknown_user["detail"] == unknown_district["detail"]
    assert "token" not in wrong


async def test_login_input_is_validated_naming_the_field(client, make_tenant):
    tenant = await make_tenant()
    response = await client.post(f"{API}/auth/login", json={"district": tenant.slug, "username": "x"})
    body = problem(response, 422, "invalid")
    assert field_errors(body) == {"password": "missing"}
    response = await client.post(
        f"{API}/auth/login",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    problem(response, 400, "malformed_body")


async def test_lockout_after_the_tenants_number_of_failures(client, make_tenant, make_user):
    tenant = await make_tenant(security={"lockout_attempts": 3, "lockout_minutes": 10})
    user = await make_user(tenant, "viewer")
    for _ in range(3):
        problem(await login_raw(client, tenant, user.username, "Wrong-Password-1"), 401, "bad_credentials")
    locked = problem(await login_raw(client, tenant, user.username), 401, "locked")
    assert "10" in locked["detail"]
    # Another account of the district is not affected.
    other = await make_user(tenant, "viewer")
    assert (await login_raw(client, tenant, other.username)).status_code == 200


async def test_failures_below_the_limit_do_not_lock(client, make_tenant, make_user):
    tenant = await make_tenant(security={"lockout_attempts": 3})
    user = await make_user(tenant, "viewer")
    for _ in range(2):
        problem(await login_raw(client, tenant, user.username, "Wrong-Password-1"), 401, "bad_credentials")
    assert (await login_raw(client, tenant, user.username)).status_code == 200
    # A success resets the count: two more failures still do not lock.
    for _ in range(2):
        problem(await login_raw(client, tenant, user.username, "Wrong-Password-1"), 401, "bad_credentials")
    assert (await login_raw(client, tenant, user.username)).status_code == 200


async def test_logout_invalidates_the_token(client, make_tenant, make_user, login):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    other = await login(tenant, user)
    response = await client.post(f"{API}/auth/logout", headers=headers)
    assert response.status_code == 200, response.text
    assert "quanyu_session=" in response.headers.get("set-cookie", "")
    problem(await client.get(f"{API}/auth/me", headers=headers), 401, "unauthorized")
    problem(await client.post(f"{API}/auth/logout", headers=headers), 401, "unauthorized")
    # Only that session ended.
    assert (await client.get(f"{API}/auth/me", headers=other)).status_code == 200


async def test_suspended_district_refuses_logins_and_ends_sessions(
    client, database, make_tenant, make_user, login
):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    await set_tenant_status(database, tenant.id, "suspended")
    problem(await login_raw(client, tenant, user.username), 403, "tenant_suspended")
    problem(await client.get(f"{API}/auth/me", headers=headers), 401, "unauthorized")
    # A wrong password still answers as a wrong password (nothing revealed beyond it).
    problem(await login_raw(client, tenant, user.username, "Wrong-Password-1"), 401, "bad_credentials")
    await set_tenant_status(database, tenant.id, "active")
    assert (await login_raw(client, tenant, user.username)).status_code == 200


# --- passwords --------------------------------------------------------------------------------------


async def test_password_change(client, make_tenant, make_user, login):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    elsewhere = await login(tenant, user)

    wrong = await client.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": "Not-The-Password-1", "new_password": NEW_PASSWORD},
    )
    assert field_errors(problem(wrong, 422, "invalid")) == {"current_password": "wrong_password"}
    weak = await client.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": TEST_PASSWORD, "new_password": "short"},
    )
    errors = field_errors(problem(weak, 422, "invalid"))
    assert set(errors) == {"new_password"}
    simple = await client.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": TEST_PASSWORD, "new_password": "alllowercaseletters"},
    )
    assert field_errors(problem(simple, 422, "invalid")) == {"new_password": "too_simple"}
    # Nothing changed so far: the other session lives, the old password works.
    assert (await client.get(f"{API}/auth/me", headers=elsewhere)).status_code == 200

    done = await client.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert done.status_code == 200, done.text
    assert (await client.get(f"{API}/auth/me", headers=headers)).status_code == 200
    problem(await client.get(f"{API}/auth/me", headers=elsewhere), 401, "unauthorized")
    problem(await login_raw(client, tenant, user.username), 401, "bad_credentials")
    assert (await login_raw(client, tenant, user.username, NEW_PASSWORD)).status_code == 200


async def test_must_change_password_blocks_everything_but_me_and_password(client, database, make_tenant):
    from core.auth.service import create_user
    from core.orgs.models import OrgNode

    tenant = await make_tenant()
    async with database.transaction(tenant.id) as session:
        root = await session.get_one(OrgNode, (tenant.id, tenant.root_id))
        user = await create_user(
            session,
            username="first-login",
            display_name="初次登录",
            org_node=root,
            password=TEST_PASSWORD,
            role_keys=["viewer"],
            must_change_password=True,
        )
    response = await login_raw(client, tenant, user.username)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["must_change_password"] is True
    headers = bearer(response.json()["token"])

    problem(await client.get(f"{API}/org/roots", headers=headers), 403, "password_change_required")
    problem(await client.get(f"{API}/district", headers=headers), 403, "password_change_required")
    me = await client.get(f"{API}/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    changed = await client.post(
        f"{API}/auth/password",
        headers=headers,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    roots = await client.get(f"{API}/org/roots", headers=headers)
    assert roots.status_code == 200
    assert [n["id"] for n in roots.json()] == [str(tenant.root_id)]
    assert (await client.get(f"{API}/auth/me", headers=headers)).json()["must_change_password"] is False


# --- invitations and resets -------------------------------------------------------------------------


async def test_invitation_flow(client, admin, make_tenant):
    created = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={
            "username": "new-colleague",
            "display_name": "新同事",
            "org_node_id": str(admin.tenant.root_id),
            "roles": ["viewer"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["user"]["status"] == "invited"
    assert body["invitation_expires_in_days"] == 7
    token = body["invitation_token"]
    assert len(token) >= 24
    # Not usable before the invitation is accepted.
    problem(await login_raw(client, admin.tenant, "new-colleague", NEW_PASSWORD), 401, "bad_credentials")

    # A token of this district is unknown in another one.
    other = await make_tenant()
    foreign = await client.post(
        f"{API}/auth/redeem", json={"district": other.slug, "token": token, "password": NEW_PASSWORD}
    )
    assert field_errors(problem(foreign, 422, "invalid")) == {"token": "invalid_token"}
    weak = await client.post(
        f"{API}/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": "weak"}
    )
    assert set(field_errors(problem(weak, 422, "invalid"))) == {"password"}

    redeemed = await client.post(
        f"{API}/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": NEW_PASSWORD}
    )
    assert redeemed.status_code == 200, redeemed.text
    logged_in = await login_raw(client, admin.tenant, "new-colleague", NEW_PASSWORD)
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["user"]["must_change_password"] is False
    user = await client.get(f"{API}/users/{body['user']['id']}", headers=admin.headers)
    assert user.json()["status"] == "active"

    reused = await client.post(
        f"{API}/auth/redeem",
        json={"district": admin.tenant.slug, "token": token, "password": "Another-One-2026!"},
    )
    assert field_errors(problem(reused, 422, "invalid")) == {"token": "invalid_token"}
    assert (await login_raw(client, admin.tenant, "new-colleague", NEW_PASSWORD)).status_code == 200


async def test_admin_reset_then_redeem(client, admin, make_user, login):
    user = await make_user(admin.tenant, "viewer")
    session = await login(admin.tenant, user)
    reset = await client.post(f"{API}/users/{user.id}/reset", headers=admin.headers)
    assert reset.status_code == 201, reset.text
    token = reset.json()["token"]
    # Issuing the token alone changes nothing.
    assert (await login_raw(client, admin.tenant, user.username)).status_code == 200
    redeemed = await client.post(
        f"{API}/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": NEW_PASSWORD}
    )
    assert redeemed.status_code == 200, redeemed.text
    problem(await client.get(f"{API}/auth/me", headers=session), 401, "unauthorized")
    problem(await login_raw(client, admin.tenant, user.username), 401, "bad_credentials")
    assert (await login_raw(client, admin.tenant, user.username, NEW_PASSWORD)).status_code == 200


async def test_user_creation_input_is_checked(client, admin):
    root = str(admin.tenant.root_id)
    bad_name = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={"username": "Bad Name!", "display_name": "x", "org_node_id": root},
    )
    assert field_errors(problem(bad_name, 422, "invalid")) == {"username": "username_format"}
    unknown_role = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={"username": "someone", "display_name": "x", "org_node_id": root, "roles": ["wizard"]},
    )
    assert field_errors(problem(unknown_role, 422, "invalid")) == {"roles[0]": "unknown_role"}
    first = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={"username": "twice", "display_name": "x", "org_node_id": root},
    )
    assert first.status_code == 201
    second = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={"username": "twice", "display_name": "y", "org_node_id": root},
    )
    assert field_errors(problem(second, 409, "conflict")) == {"username": "duplicate"}


# --- separation of duties ---------------------------------------------------------------------------


async def test_separation_of_duties(client, database, admin, make_user, login):
    from core.auth.service import create_user
    from core.errors import Conflict
    from core.orgs.models import OrgNode

    # Through the API a system administrator cannot even hand out the audit duty: 403 naming the role.
    both = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={
            "username": "all-powerful",
            "display_name": "全能",
            "org_node_id": str(admin.tenant.root_id),
            "roles": ["system_admin", "audit_admin"],
        },
    )
    assert field_errors(problem(both, 403, "grant_requires_security_admin")) == {"roles[1]": "not_allowed"}
    listed = await client.get(f"{API}/users", headers=admin.headers, params={"limit": 200})
    assert "all-powerful" not in listed.text
    # Whoever asks (the operator CLI passes no creator), the two duties never go to one account.
    with pytest.raises(Conflict) as refused:
        async with database.transaction(admin.tenant.id) as session:
            root = await session.get_one(OrgNode, (admin.tenant.id, admin.tenant.root_id))
            await create_user(
                session,
                username="all-powerful",
                display_name="全能",
                org_node=root,
                password=TEST_PASSWORD,
                role_keys=["system_admin", "audit_admin"],
            )
    assert (refused.value.status, refused.value.code) == (409, "separation_of_duties")
    assert "all-powerful" not in (await client.get(f"{API}/users", headers=admin.headers)).text

    security = await make_user(admin.tenant, "security_admin")
    security_headers = await login(admin.tenant, security)
    other_system = await make_user(admin.tenant, "system_admin")
    grant = await client.post(
        f"{API}/grants",
        headers=security_headers,
        json={
            "user_id": str(other_system.id),
            "role": "audit_admin",
            "org_node_id": str(admin.tenant.root_id),
        },
    )
    problem(grant, 409, "separation_of_duties")
    grants = await client.get(f"{API}/users/{other_system.id}/grants", headers=security_headers)
    assert [g["role"] for g in grants.json()] == ["system_admin"]
    # A business role may be added to the same account.
    ok = await client.post(
        f"{API}/grants",
        headers=security_headers,
        json={"user_id": str(other_system.id), "role": "viewer", "org_node_id": str(admin.tenant.root_id)},
    )
    assert ok.status_code == 201, ok.text

    mixed_role = await client.post(
        f"{API}/roles",
        headers=security_headers,
        json={
            "key": "everything",
            "name_zh": "全部",
            "name_en": "All",
            "permissions": ["org.write", "audit.read"],
        },
    )
    problem(mixed_role, 409, "separation_of_duties")
    # The system administrator holds no security duty: it cannot grant at all.
    problem(
        await client.post(
            f"{API}/grants",
            headers=admin.headers,
            json={"user_id": str(security.id), "role": "viewer", "org_node_id": str(admin.tenant.root_id)},
        ),
        403,
        "forbidden",
    )


# --- subtree grants ---------------------------------------------------------------------------------


async def test_a_grant_covers_its_subtree_only(client, admin, make_node, make_user, login):
    tenant = admin.tenant
    s1 = await make_node(tenant, tenant.root_id, "street", "一街道")
    c1 = await make_node(tenant, s1.id, "community", "一社区")
    b1 = await make_node(tenant, c1.id, "branch", "一支部")
    s2 = await make_node(tenant, tenant.root_id, "street", "二街道")
    c2 = await make_node(tenant, s2.id, "community", "二社区")
    security = await make_user(tenant, "security_admin")
    secretary = await make_user(tenant, node_id=s1.id)  # placed at S1, no role yet
    security_headers = await login(tenant, security)
    granted = await client.post(
        f"{API}/grants",
        headers=security_headers,
        json={"user_id": str(secretary.id), "role": "secretary", "org_node_id": str(s1.id)},
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["role"] == "secretary"

    headers = await login(tenant, secretary)
    roots = await client.get(f"{API}/org/roots", headers=headers)
    assert [n["id"] for n in roots.json()] == [str(s1.id)]
    subtree = await client.get(f"{API}/org/nodes/{s1.id}/subtree", headers=headers)
    assert subtree.status_code == 200
    assert [n["id"] for n in subtree.json()["items"]] == [str(s1.id), str(c1.id), str(b1.id)]
    assert (await client.get(f"{API}/org/nodes/{b1.id}", headers=headers)).status_code == 200
    for outside in (c2.id, s2.id, tenant.root_id):
        problem(await client.get(f"{API}/org/nodes/{outside}", headers=headers), 404, "not_found")
    problem(await client.get(f"{API}/org/nodes/{c2.id}/children", headers=headers), 404, "not_found")
    # The ancestors of a node in scope stop at nothing secret: the chain is the node's own.
    ancestors = await client.get(f"{API}/org/nodes/{b1.id}/ancestors", headers=headers)
    assert [n["id"] for n in ancestors.json()] == [str(tenant.root_id), str(s1.id), str(c1.id)]
    # No org.write: reading is all the secretary does with the tree.
    problem(
        await client.patch(f"{API}/org/nodes/{c1.id}", headers=headers, json={"name": "改"}), 403, "forbidden"
    )

    # Revoking the grant removes the scope at once.
    assignment = granted.json()["id"]
    revoked = await client.delete(f"{API}/grants/{assignment}", headers=security_headers)
    assert revoked.status_code == 204, revoked.text
    problem(await client.get(f"{API}/org/nodes/{s1.id}", headers=headers), 403, "forbidden")


# --- disabling accounts -----------------------------------------------------------------------------


async def test_disabling_a_user_ends_their_sessions(client, admin, make_user, login):
    user = await make_user(admin.tenant, "viewer")
    headers = await login(admin.tenant, user)
    disabled = await client.post(
        f"{API}/users/{user.id}/status", headers=admin.headers, json={"status": "disabled"}
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["status"] == "disabled"
    problem(await client.get(f"{API}/auth/me", headers=headers), 401, "unauthorized")
    problem(await login_raw(client, admin.tenant, user.username), 401, "bad_credentials")
    own = await client.post(
        f"{API}/users/{admin.user.id}/status", headers=admin.headers, json={"status": "disabled"}
    )
    problem(own, 409, "own_account")
    bad = await client.post(f"{API}/users/{user.id}/status", headers=admin.headers, json={"status": "gone"})
    assert set(field_errors(problem(bad, 422, "invalid"))) == {"status"}
    enabled = await client.post(
        f"{API}/users/{user.id}/status", headers=admin.headers, json={"status": "active"}
    )
    assert enabled.status_code == 200
    assert (await login_raw(client, admin.tenant, user.username)).status_code == 200


# --- audit ------------------------------------------------------------------------------------------


async def test_audit_admin_reads_logins_and_filters(client, admin, make_user, login):
    auditor = await make_user(admin.tenant, "audit_admin")
    problem(
        await login_raw(client, admin.tenant, admin.user.username, "Wrong-Password-1"), 401, "bad_credentials"
    )
    headers = await login(admin.tenant, auditor)

    everything = await client.get(f"{API}/audit", headers=headers, params={"limit": 200})
    assert everything.status_code == 200, everything.text
    actions = {r["action"] for r in everything.json()["items"]}
    assert {"auth.login", "user.create"} <= actions

    logins = await client.get(f"{API}/audit", headers=headers, params={"action": "auth.login"})
    items = logins.json()["items"]
    assert items and {r["action"] for r in items} == {"auth.login"}
    admin_logins = [r for r in items if r["username"] == admin.user.username]
    assert {r["success"] for r in admin_logins} == {True, False}
    failed = [r for r in admin_logins if not r["success"]]
    assert failed[0]["detail"] == "wrong password" and failed[0]["address"] == "127.0.0.1"

    prefix = await client.get(f"{API}/audit", headers=headers, params={"action": "auth."})
    assert prefix.json()["total"] >= logins.json()["total"]
    assert all(r["action"].startswith("auth.") for r in prefix.json()["items"])
    only_failed = await client.get(
        f"{API}/audit", headers=headers, params={"action": "auth.login", "success": "false"}
    )
    assert {r["success"] for r in only_failed.json()["items"]} == {False}
    by_user = await client.get(f"{API}/audit", headers=headers, params={"user_id": str(auditor.id)})
    assert {r["user_id"] for r in by_user.json()["items"]} == {str(auditor.id)}

    bad_range = await client.get(
        f"{API}/audit",
        headers=headers,
        params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
    )
    assert field_errors(problem(bad_range, 422, "invalid")) == {"since": "range"}

    problem(await client.get(f"{API}/audit", headers=admin.headers), 403, "forbidden")


@pytest.mark.parametrize("role", ["security_admin", "viewer", "secretary"])
async def test_only_audit_readers_read_the_audit_log(client, admin, make_user, login, role):
    user = await make_user(admin.tenant, role)
    problem(await client.get(f"{API}/audit", headers=await login(admin.tenant, user)), 403, "forbidden")


async def test_ending_a_districts_sessions_leaves_other_districts_logged_in(
    client, database, redis_client, make_tenant, make_user, login
):
    """What `quanyu tenant suspend` does to sessions, in whichever store this backend uses."""
    from core.auth.sessions import DatabaseSessionStore, RedisSessionStore

    suspended, other = await make_tenant(), await make_tenant()
    doomed = await login(suspended, await make_user(suspended, "viewer"))
    kept = await login(other, await make_user(other, "viewer"))
    async with database.system_transaction() as session:
        store = RedisSessionStore(redis_client) if redis_client is not None else DatabaseSessionStore(session)
        assert await store.delete_for_tenant(suspended.id) == 1
    assert (await client.get("/api/v1/auth/me", headers=doomed)).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=kept)).status_code == 200
