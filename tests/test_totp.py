"""Two-step verification (TOTP) and one's own sessions: enrolment, the two-step login, replay, lockout,
recovery codes, administrators limited to enrolment, turning it off, audit without secrets, the console."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from core.auth import totp as totp_module
from core.testing import TEST_PASSWORD

API = "/api/v1"
# The server's clock for TOTP, pinned so which time step a code belongs to never depends on timing.
NOW = dt.datetime(2026, 11, 28, 9, 0, 10, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, dt.datetime]:
    """The time core.auth.totp sees; a test moves it with ``clock["now"] += ...``."""
    now = {"now": NOW}
    monkeypatch.setattr(totp_module, "utcnow", lambda: now["now"])
    return now


def code(secret: str, clock: dict[str, dt.datetime], steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock["now"], counter_offset=steps)


def wrong_code(secret: str, clock: dict[str, dt.datetime]) -> str:
    """A well-formed code that no step of the accepted window yields."""
    window = {code(secret, clock, s) for s in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in window)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def password_login(client: Any, tenant: Any, user: Any) -> Any:
    response = await client.post(
        f"{API}/auth/login",
        json={"district": tenant.slug, "username": user.username, "password": TEST_PASSWORD},
    )
    client.cookies.clear()
    return response


async def challenge_of(client: Any, tenant: Any, user: Any) -> str:
    response = await password_login(client, tenant, user)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["second_factor_required"] is True and "token" not in body, body
    assert "set-cookie" not in response.headers, "no session before the second step"
    return str(body["challenge"])


async def second_step(client: Any, challenge: str, **factor: str) -> Any:
    response = await client.post(f"{API}/auth/login/totp", json={"challenge": challenge, **factor})
    client.cookies.clear()
    return response


async def enrol(client: Any, headers: dict[str, str], clock: dict[str, dt.datetime]) -> tuple[str, list[str]]:
    """Turn TOTP on for the caller (confirming with the previous step's code); the secret and the codes."""
    setup = await client.post(f"{API}/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    confirmed = await client.post(
        f"{API}/auth/totp/confirm", headers=headers, json={"code": code(secret, clock, -1)}
    )
    assert confirmed.status_code == 200, confirmed.text
    return secret, confirmed.json()["recovery_codes"]


# --- enrolment and the two-step login --------------------------------------------------------------


async def test_enrolment_then_login_with_the_code(client, database, make_tenant, make_user, login, clock):
    from core import crypto
    from core.auth.models import RecoveryCode, User

    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    elsewhere = await login(tenant, user)
    assert (await client.get(f"{API}/auth/me", headers=headers)).json()["totp_enabled"] is False

    problem(
        await client.post(f"{API}/auth/totp/confirm", headers=headers, json={"code": "123456"}),
        409,
        "totp_not_started",
    )
    setup = await client.post(f"{API}/auth/totp/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret, uri = setup.json()["secret"], setup.json()["provisioning_uri"]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=Quanyu" in uri
    refused = await client.post(
        f"{API}/auth/totp/confirm", headers=headers, json={"code": wrong_code(secret, clock)}
    )
    assert [e["field"] for e in problem(refused, 422, "invalid")["errors"]] == ["code"]
    # Not on yet: the password alone still logs in.
    assert "token" in (await password_login(client, tenant, user)).json()

    confirmed = await client.post(
        f"{API}/auth/totp/confirm", headers=headers, json={"code": code(secret, clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    recovery = confirmed.json()["recovery_codes"]
    assert len(recovery) == len(set(recovery)) == 10
    assert (await client.get(f"{API}/auth/me", headers=headers)).json()["totp_enabled"] is True
    problem(await client.get(f"{API}/auth/me", headers=elsewhere), 401, "unauthorized")
    problem(await client.post(f"{API}/auth/totp/setup", headers=headers), 409, "totp_active")

    async with database.transaction(tenant.id) as session:
        row = await session.get_one(User, (tenant.id, user.id))
        assert row.totp_secret_encrypted and secret not in row.totp_secret_encrypted
        assert crypto.decrypt(tenant.id, row.totp_secret_encrypted) == secret
        hashes = set(
            await session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))
        )
        assert len(hashes) == 10 and not hashes & set(recovery), "recovery codes are stored hashed"

    challenge = await challenge_of(client, tenant, user)
    done = await second_step(client, challenge, code=code(secret, clock, 1))
    assert done.status_code == 200, done.text
    assert done.json()["user"]["username"] == user.username
    assert "quanyu_session=" in done.headers["set-cookie"]
    me = await client.get(f"{API}/auth/me", headers=bearer(done.json()["token"]))
    assert me.status_code == 200 and me.json()["totp_enabled"] is True
    clock["now"] += dt.timedelta(seconds=30)
    problem(await second_step(client, challenge, code=code(secret, clock, 1)), 401, "bad_challenge")
    problem(await second_step(client, "nonsense", code="123456"), 401, "bad_challenge")


async def test_a_code_is_accepted_once_and_only_later_ones_after_it(
    client, make_tenant, make_user, login, clock
):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    secret, _codes = await enrol(client, await login(tenant, user), clock)

    current = code(secret, clock)
    assert (
        await second_step(client, await challenge_of(client, tenant, user), code=current)
    ).status_code == 200
    replay = await second_step(client, await challenge_of(client, tenant, user), code=current)
    problem(replay, 422, "invalid")
    # The previous step's code is inside the window but older than the one used: refused as well.
    problem(
        await second_step(client, await challenge_of(client, tenant, user), code=code(secret, clock, -1)),
        422,
        "invalid",
    )
    later = await second_step(client, await challenge_of(client, tenant, user), code=code(secret, clock, 1))
    assert later.status_code == 200, later.text
    clock["now"] += dt.timedelta(minutes=10)  # far outside the window: the old code means nothing
    problem(await second_step(client, await challenge_of(client, tenant, user), code=current), 422, "invalid")


async def test_a_challenge_expires(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    secret, _codes = await enrol(client, await login(tenant, user), clock)
    challenge = await challenge_of(client, tenant, user)
    clock["now"] += totp_module.CHALLENGE_LIFETIME + dt.timedelta(seconds=1)
    problem(await second_step(client, challenge, code=code(secret, clock)), 401, "bad_challenge")


async def test_wrong_codes_count_toward_the_password_lockout(
    client, database, make_tenant, make_user, login, clock
):
    from core.auth.models import User

    tenant = await make_tenant(security={"lockout_attempts": 3, "lockout_minutes": 10})
    user = await make_user(tenant, "viewer")
    secret, _codes = await enrol(client, await login(tenant, user), clock)

    async def failures() -> int:
        async with database.transaction(tenant.id) as session:
            return (await session.get_one(User, (tenant.id, user.id))).failed_logins

    challenge = await challenge_of(client, tenant, user)
    for _ in range(2):
        problem(await second_step(client, challenge, code=wrong_code(secret, clock)), 422, "invalid")
    assert await failures() == 2
    # The right password again does not wipe the count while the second step is outstanding.
    challenge = await challenge_of(client, tenant, user)
    assert await failures() == 2
    problem(await second_step(client, challenge, code=wrong_code(secret, clock)), 422, "invalid")
    problem(await password_login(client, tenant, user), 401, "locked")
    problem(await second_step(client, challenge, code=code(secret, clock)), 401, "bad_challenge")

    # Negative control: below the limit, a right code clears the count.
    other = await make_user(tenant, "viewer")
    other_secret, _ = await enrol(client, await login(tenant, other), clock)
    challenge = await challenge_of(client, tenant, other)
    problem(await second_step(client, challenge, code=wrong_code(other_secret, clock)), 422, "invalid")
    assert (await second_step(client, challenge, code=code(other_secret, clock))).status_code == 200
    async with database.transaction(tenant.id) as session:
        assert (await session.get_one(User, (tenant.id, other.id))).failed_logins == 0


async def test_a_recovery_code_logs_in_once(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    _secret, recovery = await enrol(client, await login(tenant, user), clock)

    both = await second_step(
        client, await challenge_of(client, tenant, user), code="123456", recovery_code="x"
    )
    assert [e["field"] for e in problem(both, 422, "invalid")["errors"]] == ["code"]
    typed = recovery[0].upper().replace("-", " ")  # as a person might type it
    used = await second_step(client, await challenge_of(client, tenant, user), recovery_code=typed)
    assert used.status_code == 200, used.text
    again = await second_step(client, await challenge_of(client, tenant, user), recovery_code=recovery[0])
    assert [e["field"] for e in problem(again, 422, "invalid")["errors"]] == ["recovery_code"]
    assert (
        await second_step(client, await challenge_of(client, tenant, user), recovery_code=recovery[1])
    ).status_code == 200


# --- administrators ----------------------------------------------------------------------------------


async def test_an_administrator_without_totp_may_only_enrol(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant(security={"totp_required_for_admins": True})
    for role in ("system_admin", "security_admin", "audit_admin"):
        admin = await make_user(tenant, role)
        headers = await login(tenant, admin)
        me = await client.get(f"{API}/auth/me", headers=headers)
        assert me.status_code == 200 and me.json()["second_factor_enrolment_required"] is True
        own = {"system_admin": "/users/", "security_admin": "/roles/", "audit_admin": "/audit/"}[role]
        problem(await client.get(f"{API}{own}", headers=headers), 403, "second_factor_required")
        problem(await client.get(f"{API}/org/roots", headers=headers), 403, "second_factor_required")
        assert (await client.get(f"{API}/auth/sessions", headers=headers)).status_code == 200

    await enrol(client, headers, clock)
    assert (await client.get(f"{API}/audit/", headers=headers)).status_code == 200, (
        "the same session, now whole"
    )
    assert (await client.get(f"{API}/auth/me", headers=headers)).json()[
        "second_factor_enrolment_required"
    ] is False
    assert "challenge" in (await password_login(client, tenant, admin)).json()

    # Not administrators: a viewer, and (negative control) an administrator where the district does not
    # require it, use everything with a password alone.
    viewer = await login(tenant, await make_user(tenant, "viewer"))
    assert (await client.get(f"{API}/org/roots", headers=viewer)).status_code == 200
    relaxed = await make_tenant(security={"totp_required_for_admins": False})
    relaxed_admin = await login(relaxed, await make_user(relaxed, "system_admin"))
    assert (await client.get(f"{API}/users/", headers=relaxed_admin)).status_code == 200


async def test_a_custom_role_touching_a_duty_counts_as_administrator(
    client, database, make_tenant, make_user, login
):
    from core.auth.models import Role

    tenant = await make_tenant(security={"totp_required_for_admins": True})
    async with database.transaction(tenant.id) as session:
        session.add(Role(key="exporter", name_zh="导出员", name_en="Exporter", permissions=["person.export"]))
    headers = await login(tenant, await make_user(tenant, "exporter"))
    problem(await client.get(f"{API}/org/roots", headers=headers), 403, "second_factor_required")


async def test_turning_it_off(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant(security={"totp_required_for_admins": True})
    admin = await make_user(tenant, "system_admin")
    admin_secret, _ = await enrol(client, await login(tenant, admin), clock)
    admin_session = await second_step(
        client, await challenge_of(client, tenant, admin), code=code(admin_secret, clock)
    )
    refused = await client.post(
        f"{API}/auth/totp/disable",
        headers=bearer(admin_session.json()["token"]),
        json={"password": TEST_PASSWORD, "code": code(admin_secret, clock, 1)},
    )
    problem(refused, 403, "totp_required")

    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    problem(
        await client.post(
            f"{API}/auth/totp/disable", headers=headers, json={"password": TEST_PASSWORD, "code": "123456"}
        ),
        409,
        "totp_inactive",
    )
    secret, _ = await enrol(client, headers, clock)
    wrong_password = await client.post(
        f"{API}/auth/totp/disable",
        headers=headers,
        json={"password": "Not-It-2026!", "code": code(secret, clock)},
    )
    assert [e["field"] for e in problem(wrong_password, 422, "invalid")["errors"]] == ["password"]
    wrong = await client.post(
        f"{API}/auth/totp/disable",
        headers=headers,
        json={"password": TEST_PASSWORD, "code": wrong_code(secret, clock)},
    )
    assert [e["field"] for e in problem(wrong, 422, "invalid")["errors"]] == ["code"]
    off = await client.post(
        f"{API}/auth/totp/disable",
        headers=headers,
        json={"password": TEST_PASSWORD, "code": code(secret, clock)},
    )
    assert off.status_code == 200, off.text
    assert "token" in (await password_login(client, tenant, user)).json()
    assert (await client.get(f"{API}/auth/me", headers=headers)).json()["totp_enabled"] is False


# --- audit ----------------------------------------------------------------------------------------


async def test_each_step_is_audited_and_no_secret_is_recorded_or_logged(
    client, database, make_tenant, make_user, login, clock, caplog
):
    from core.audit.models import AuditRecord

    caplog.set_level(logging.DEBUG)
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    secret, recovery = await enrol(client, await login(tenant, user), clock)
    challenge = await challenge_of(client, tenant, user)
    bad = wrong_code(secret, clock)
    problem(await second_step(client, challenge, code=bad), 422, "invalid")
    good = code(secret, clock)
    assert (await second_step(client, challenge, code=good)).status_code == 200
    challenge = await challenge_of(client, tenant, user)
    assert (await second_step(client, challenge, recovery_code=recovery[0])).status_code == 200

    async with database.transaction(tenant.id) as session:
        records = list(await session.scalars(select(AuditRecord).order_by(AuditRecord.id)))
    seen = {(r.action, r.success, r.detail) for r in records}
    for expected in (
        ("auth.totp_setup", True, None),
        ("auth.totp_confirm", True, None),
        ("auth.login_password", True, None),
        ("auth.login_totp", False, "wrong code"),
        ("auth.login_totp", True, "by code"),
        ("auth.login_totp", True, "by recovery code"),
        ("auth.login", True, None),
    ):
        assert expected in seen, (expected, seen)
    said = json.dumps([[r.action, r.detail, r.changes, r.username] for r in records], default=str)
    # Six digits may turn up by chance in timestamps of the debug log; the long secrets may not.
    long_secrets = [secret, challenge, *recovery, *(c.replace("-", "") for c in recovery)]
    assert not [s for s in [*long_secrets, bad, good] if s in said], "a secret reached the audit log"
    assert not [s for s in long_secrets if s in caplog.text], "a secret reached the logs"
    # Negative controls: the audit text holds the records' words, and the capture holds the requests.
    assert user.username in said and "/api/v1/auth/login/totp" in caplog.text


# --- one's own sessions -------------------------------------------------------------------------------


async def test_users_list_and_end_their_own_sessions(client, make_tenant, make_user, login):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    here = await login(tenant, user)
    there = await login(tenant, user)
    assert here != there, "every login is a new session id"
    listed = await client.get(f"{API}/auth/sessions", headers=here)
    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    assert len(sessions) == 2 and [s["current"] for s in sessions].count(True) == 1
    assert not {here["Authorization"][7:], there["Authorization"][7:]} & {s["id"] for s in sessions}
    other_id = next(s["id"] for s in sessions if not s["current"])

    stranger = await login(tenant, await make_user(tenant, "viewer"))
    problem(await client.delete(f"{API}/auth/sessions/{other_id}", headers=stranger), 404, "not_found")
    assert (await client.get(f"{API}/auth/me", headers=there)).status_code == 200
    ended = await client.delete(f"{API}/auth/sessions/{other_id}", headers=here)
    assert ended.status_code == 204, ended.text
    problem(await client.get(f"{API}/auth/me", headers=there), 401, "unauthorized")
    assert [s["current"] for s in (await client.get(f"{API}/auth/sessions", headers=here)).json()] == [True]
    problem(await client.delete(f"{API}/auth/sessions/{other_id}", headers=here), 404, "not_found")


async def test_a_login_sent_with_a_session_cookie_gets_a_new_session(client, make_tenant, make_user):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    body = {"district": tenant.slug, "username": user.username, "password": TEST_PASSWORD}
    first = await client.post(f"{API}/auth/login", json=body)
    assert client.cookies.get("quanyu_session") == first.json()["token"]
    second = await client.post(f"{API}/auth/login", json=body)  # the first session's cookie rides along
    assert second.json()["token"] != first.json()["token"]
    assert client.cookies.get("quanyu_session") == second.json()["token"]
    client.cookies.clear()


# --- console -------------------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_the_console_asks_for_the_code_after_the_password(client, make_tenant, make_user, login, clock):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    secret, _codes = await enrol(client, await login(tenant, user), clock)
    base = f"/t/{tenant.slug}/console"
    form = await client.get(f"{base}/login")
    step = await client.post(
        f"{base}/login",
        data={"_csrf_token": _csrf(form.text), "username": user.username, "password": TEST_PASSWORD},
    )
    assert step.status_code == 200 and 'name="challenge"' in step.text, step.text
    assert client.cookies.get("quanyu_session") is None
    challenge = re.search(r'name="challenge" value="([^"]+)"', step.text).group(1)
    wrong = await client.post(
        f"{base}/login/totp",
        data={"_csrf_token": _csrf(step.text), "challenge": challenge, "code": wrong_code(secret, clock)},
    )
    assert wrong.status_code == 200 and 'data-testid="login-error"' in wrong.text
    done = await client.post(
        f"{base}/login/totp",
        data={"_csrf_token": _csrf(wrong.text), "challenge": challenge, "code": code(secret, clock)},
    )
    assert done.status_code == 303 and done.headers["location"] == base, done.text
    assert (await client.get(base)).status_code == 200
    client.cookies.clear()


async def test_the_console_sends_an_administrator_to_enrol_and_enrols_them(
    client, make_tenant, make_user, clock
):
    tenant = await make_tenant(security={"totp_required_for_admins": True})
    admin = await make_user(tenant, "system_admin")
    base = f"/t/{tenant.slug}/console"
    form = await client.get(f"{base}/login")
    logged_in = await client.post(
        f"{base}/login",
        data={"_csrf_token": _csrf(form.text), "username": admin.username, "password": TEST_PASSWORD},
    )
    assert logged_in.status_code == 303
    dashboard = await client.get(base)
    assert dashboard.status_code == 303 and dashboard.headers["location"] == f"{base}/totp"
    page = await client.get(f"{base}/totp")
    assert 'data-testid="totp-required"' in page.text
    setup = await client.post(f"{base}/totp/setup", data={"_csrf_token": _csrf(page.text)})
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', setup.text).group(1)
    retry = await client.post(
        f"{base}/totp/confirm", data={"_csrf_token": _csrf(setup.text), "code": wrong_code(secret, clock)}
    )
    assert 'data-testid="totp-error"' in retry.text and secret in retry.text, "the same secret, asked again"
    confirmed = await client.post(
        f"{base}/totp/confirm", data={"_csrf_token": _csrf(retry.text), "code": code(secret, clock)}
    )
    assert confirmed.status_code == 200 and 'data-testid="recovery-codes"' in confirmed.text
    assert (await client.get(base)).status_code == 200
    client.cookies.clear()
