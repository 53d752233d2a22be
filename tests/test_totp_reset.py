"""A security administrator resets another account's second factor (a lost phone): the account's sessions
end, its next login may only enrol again, the reset is audited without secrets; the system administrator
may not do it, nor may anyone reset their own, an account without a factor, or one outside their scope or
district."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from core.auth import totp as totp_module
from core.testing import TEST_PASSWORD

API = "/api/v1"
NOW = dt.datetime(2026, 11, 28, 9, 0, 10, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, dt.datetime]:
    now = {"now": NOW}
    monkeypatch.setattr(totp_module, "utcnow", lambda: now["now"])
    return now


def code(secret: str, clock: dict[str, dt.datetime], steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock["now"], counter_offset=steps)


def problem(response: Any, status: int, expected_code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == expected_code, body
    return body


async def enrol(client: Any, headers: dict[str, str], clock: dict[str, dt.datetime]) -> tuple[str, list[str]]:
    setup = await client.post(f"{API}/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    confirmed = await client.post(
        f"{API}/auth/totp/confirm", headers=headers, json={"code": code(secret, clock, -1)}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


async def password_login(client: Any, tenant: Any, user: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/auth/login",
        json={"district": tenant.slug, "username": user.username, "password": TEST_PASSWORD},
    )
    client.cookies.clear()
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_security_administrator_resets_a_lost_second_factor(
    client: Any, database: Any, make_tenant: Any, make_user: Any, login: Any, clock: Any
) -> None:
    from core.audit.models import AuditRecord

    tenant = await make_tenant()
    security = await make_user(tenant, "security_admin")
    user = await make_user(tenant, "viewer")
    secret, recovery = await enrol(client, await login(tenant, user), clock)
    second = await password_login(client, tenant, user)
    step = await client.post(
        f"{API}/auth/login/totp", json={"challenge": second["challenge"], "code": code(secret, clock)}
    )
    client.cookies.clear()
    users_session = bearer(step.json()["token"])
    assert (await client.get(f"{API}/auth/me", headers=users_session)).status_code == 200

    reset = await client.post(f"{API}/users/{user.id}/totp/reset", headers=await login(tenant, security))
    assert reset.status_code == 200, reset.text
    assert reset.json()["totp_enabled"] is False

    assert (await client.get(f"{API}/auth/me", headers=users_session)).status_code == 401, "sessions end"
    # The next login asks for no code (the old authenticator is gone) and may only enrol.
    body = await password_login(client, tenant, user)
    assert "challenge" not in body or not body.get("second_factor_required"), body
    headers = bearer(body["token"])
    assert body["user"]["second_factor_enrolment_required"] is True
    problem(await client.get(f"{API}/org/roots", headers=headers), 403, "second_factor_required")
    # Neither the old codes nor an unfinished set-up lift the requirement; a confirmed enrolment does.
    clock["now"] += dt.timedelta(minutes=5)
    setup = await client.post(f"{API}/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    me = await client.get(f"{API}/auth/me", headers=headers)
    assert me.json()["second_factor_enrolment_required"] is True
    new_secret, _codes = await enrol(client, headers, clock)
    assert new_secret != secret
    again = await password_login(client, tenant, user)
    assert again["second_factor_required"] is True, "the new factor is asked for"
    old_recovery = await client.post(
        f"{API}/auth/login/totp", json={"challenge": again["challenge"], "recovery_code": recovery[1]}
    )
    client.cookies.clear()
    problem(old_recovery, 422, "invalid")
    step = await client.post(
        f"{API}/auth/login/totp",
        json={"challenge": again["challenge"], "code": code(new_secret, clock)},
    )
    client.cookies.clear()
    assert step.status_code == 200, step.text
    assert step.json()["user"]["second_factor_enrolment_required"] is False

    async with database.transaction(tenant.id) as session:
        [record] = list(
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "user.totp_reset"))
        )
    assert (record.user_id, record.object_id, record.success) == (security.id, str(user.id), True)
    said = json.dumps([record.changes, record.detail], default=str)
    assert secret not in said and not [c for c in recovery if c in said]


async def test_who_may_reset_and_whose(
    client: Any, make_tenant: Any, make_user: Any, make_node: Any, login: Any, clock: Any
) -> None:
    tenant = await make_tenant()
    first = await make_node(tenant, tenant.root_id, "street", "和平路街道")
    second = await make_node(tenant, tenant.root_id, "street", "解放路街道")
    user = await make_user(tenant, "viewer", node_id=second.id)
    await enrol(client, await login(tenant, user), clock)
    url = f"{API}/users/{user.id}/totp/reset"

    system = await login(tenant, await make_user(tenant, "system_admin"))
    body = problem(await client.post(url, headers=system), 403, "forbidden")
    assert "grant.write" in body["detail"]
    street_security = await login(tenant, await make_user(tenant, "security_admin", node_id=first.id))
    problem(await client.post(url, headers=street_security), 404, "not_found")
    other = await make_tenant()
    stranger = await login(other, await make_user(other, "security_admin"))
    problem(await client.post(url, headers=stranger), 404, "not_found")

    security_user = await make_user(tenant, "security_admin")
    security = await login(tenant, security_user)
    problem(
        await client.post(f"{API}/users/{security_user.id}/totp/reset", headers=security), 409, "own_account"
    )
    never_enrolled = await make_user(tenant, "viewer")
    problem(
        await client.post(f"{API}/users/{never_enrolled.id}/totp/reset", headers=security),
        409,
        "totp_inactive",
    )
    assert (await client.post(url, headers=security)).status_code == 200, "negative control"
    problem(await client.post(url, headers=security), 409, "totp_inactive")


async def test_a_malformed_account_id_is_a_problem_not_a_crash(
    client: Any, make_tenant: Any, make_user: Any, login: Any
) -> None:
    tenant = await make_tenant()
    security = await login(tenant, await make_user(tenant, "security_admin"))
    for bad in ("not-a-uuid", "1", "%00"):
        response = await client.post(f"{API}/users/{bad}/totp/reset", headers=security)
        assert 400 <= response.status_code < 500, (bad, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), response.text
