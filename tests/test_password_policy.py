"""The district's password policy (等保 2.0 level 3 defaults): length, character classes, common
passwords, no reuse of the last N, and a maximum age after which a login may only change the password."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import func, select, update

from core.auth.models import PasswordHistory, User
from core.auth.passwords import check_policy, common_passwords, is_common
from core.errors import Invalid
from core.tenancy.settings import SecurityPolicy
from core.testing import TEST_PASSWORD
from tests.test_auth import bearer, field_errors, login_raw, problem

API = "/api/v1"
DEFAULTS = SecurityPolicy()


def refusals(password: str, policy: SecurityPolicy = DEFAULTS, username: str | None = None) -> dict[str, str]:
    """``{field: code}`` for each rule ``password`` breaks (empty when it passes)."""
    try:
        check_policy(password, policy, username=username)
    except Invalid as exc:
        return {e.code: e.field for e in exc.errors}
    return {}


# --- the rules ------------------------------------------------------------------------------------


def test_defaults_are_the_mlps_level_3_rules():
    assert DEFAULTS.password_min_length == 8
    assert DEFAULTS.password_min_classes == 3
    assert DEFAULTS.password_max_age_days == 90
    assert DEFAULTS.password_history == 5
    assert DEFAULTS.lockout_attempts == 5 and DEFAULTS.lockout_minutes == 15


def test_each_broken_rule_is_named_on_the_field():
    assert refusals("Ab1!xyz") == {"too_short": "password"}
    assert refusals("kxqvbnmt12") == {"too_simple": "password"}
    assert refusals("Zhang-San-2026", username="zhang-san") == {"contains_username": "password"}
    assert refusals("Ruo-Kou-Ling-7q") == {}


@pytest.mark.parametrize(
    "password",
    [
        "Password123!",  # English list, trailing digits and symbols dropped
        "P@ssw0rd",
        "Qwerty123!",
        "Woaini1314!",  # Chinese-context entries, from either list
        "Qq123456.",
        "A1234567!",
        "Admin@123",
        "Huawei@123",
        "1qaz@WSX",
        "Zhongguo123!",
    ],
)
def test_common_passwords_are_refused_even_when_they_mix_classes(password):
    assert refusals(password) == {"common_password": "password"}


def test_the_common_list_ships_as_package_data_and_is_read_once():
    listed = common_passwords()
    assert isinstance(listed, frozenset) and len(listed) > 19_000
    assert {"123456", "password", "woaini1314", "5201314", "qq123456", "a1234567", "admin@123"} <= listed
    assert not any(entry.startswith("# ") for entry in listed)  # the header is not a password
    assert common_passwords() is listed
    assert not is_common("Ruo-Kou-Ling-7q")


def test_a_district_may_follow_asvs_instead():
    asvs = SecurityPolicy(password_min_length=12, password_min_classes=1, password_max_age_days=0)
    assert refusals("correct horse battery staple", asvs) == {}
    assert refusals("Ruo-Kou-7q", asvs) == {"too_short": "password"}
    # The common list holds whatever the classes rule says.
    assert refusals("iloveyou1314", asvs) == {"common_password": "password"}


# --- over the API: change, reset, invitation --------------------------------------------------------


async def change(client: Any, headers: dict[str, str], current: str, new: str) -> Any:
    return await client.post(
        f"{API}/auth/password", headers=headers, json={"current_password": current, "new_password": new}
    )


async def test_a_common_password_is_refused_naming_the_field_and_never_echoed(
    client, make_tenant, make_user, login
):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    response = await change(client, headers, TEST_PASSWORD, "Woaini1314!")
    assert field_errors(problem(response, 422, "invalid")) == {"new_password": "common_password"}
    assert "Woaini1314" not in response.text and "woaini1314" not in response.text
    assert "常用密码" in response.json()["errors"][0]["message"]  # zh-CN by default


async def test_the_last_passwords_cannot_be_chosen_again(client, database, make_tenant, make_user, login):
    tenant = await make_tenant(security={"password_history": 3})
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    passwords = [TEST_PASSWORD, "Di-Er-Ge-Mima-2", "Di-San-Ge-Mima-3", "Di-Si-Ge-Mima-4"]
    for current, new in itertools.pairwise(passwords):
        assert (await change(client, headers, current, new)).status_code == 200

    # The last 3 are the current one and the two before it ...
    for reused in passwords[-3:-1]:
        response = await change(client, headers, passwords[-1], reused)
        body = problem(response, 422, "invalid")
        assert field_errors(body) == {"new_password": "password_reused"}
        assert "3" in body["errors"][0]["message"] and reused not in response.text
    # ... the fourth-last is free again, and only 3 hashes are kept.
    async with database.transaction(tenant.id) as session:
        kept = await session.scalar(
            select(func.count()).select_from(PasswordHistory).where(PasswordHistory.user_id == user.id)
        )
    assert kept == 3
    assert (await change(client, headers, passwords[-1], passwords[0])).status_code == 200


async def test_without_history_a_former_password_is_accepted(client, database, make_tenant, make_user, login):
    tenant = await make_tenant(security={"password_history": 0})
    user = await make_user(tenant, "viewer")
    headers = await login(tenant, user)
    assert (await change(client, headers, TEST_PASSWORD, "Di-Er-Ge-Mima-2")).status_code == 200
    assert (await change(client, headers, "Di-Er-Ge-Mima-2", TEST_PASSWORD)).status_code == 200
    async with database.transaction(tenant.id) as session:
        assert not (
            await session.scalars(select(PasswordHistory).where(PasswordHistory.user_id == user.id))
        ).all()


async def test_a_reset_refuses_a_recent_password_naming_the_field(client, admin, make_user):
    user = await make_user(admin.tenant, "viewer")
    reset = await client.post(f"{API}/users/{user.id}/reset", headers=admin.headers)
    token = reset.json()["token"]
    same = await client.post(
        f"{API}/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": TEST_PASSWORD}
    )
    assert field_errors(problem(same, 422, "invalid")) == {"password": "password_reused"}
    common = await client.post(
        f"{API}/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": "Admin@123"}
    )
    assert field_errors(problem(common, 422, "invalid")) == {"password": "common_password"}
    done = await client.post(
        f"{API}/auth/redeem",
        json={"district": admin.tenant.slug, "token": token, "password": "Xin-Mima-2026#"},
    )
    assert done.status_code == 200, done.text


async def test_an_invitation_applies_the_districts_length(client, make_actor, make_tenant):
    tenant = await make_tenant(security={"password_min_length": 14})
    admin = await make_actor(tenant=tenant)
    created = await client.post(
        f"{API}/users",
        headers=admin.headers,
        json={
            "username": "xinren",
            "display_name": "新人",
            "org_node_id": str(tenant.root_id),
            "roles": ["viewer"],
        },
    )
    token = created.json()["invitation_token"]
    short = await client.post(
        f"{API}/auth/redeem", json={"district": tenant.slug, "token": token, "password": "Ruo-Kou-Ling7"}
    )
    body = problem(short, 422, "invalid")
    assert field_errors(body) == {"password": "too_short"} and "14" in body["errors"][0]["message"]
    ok = await client.post(
        f"{API}/auth/redeem", json={"district": tenant.slug, "token": token, "password": "Ruo-Kou-Ling-7q!"}
    )
    assert ok.status_code == 200, ok.text


def test_the_cli_refuses_a_common_password(cli, tmp_path):
    from tests.test_cli import definition, unique, write

    slug, code = unique("pw")
    created = cli("tenant", "create", "--from", str(write(tmp_path, definition(code, slug))))
    assert created.exit_code == 0, created.output
    args = [
        "user",
        "create",
        "--tenant",
        slug,
        "--username",
        "pw-cli",
        "--name",
        "命令行",
        "--role",
        "viewer",
    ]
    refused = cli(*args, "--password-stdin", input="Password123!\n")
    assert refused.exit_code != 0 and "password" in refused.output and "Password123!" not in refused.output
    accepted = cli(*args, "--password-stdin", input="Ruo-Kou-Ling-7q\n")
    assert accepted.exit_code == 0, accepted.output


# --- maximum age --------------------------------------------------------------------------------------


async def age_password(database: Any, tenant_id: Any, user_id: Any, days: int) -> None:
    """Date the user's password ``days`` back, as if that many days had passed since it was set."""
    async with database.transaction(tenant_id) as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_changed_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
        )


async def test_an_expired_password_limits_the_session_to_changing_it(
    client, database, make_tenant, make_user
):
    tenant = await make_tenant()
    user = await make_user(tenant, "viewer")
    await age_password(database, tenant.id, user.id, 89)
    fresh = await login_raw(client, tenant, user.username)
    assert fresh.json()["user"]["must_change_password"] is False

    await age_password(database, tenant.id, user.id, 91)
    response = await login_raw(client, tenant, user.username)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["must_change_password"] is True
    headers = bearer(response.json()["token"])
    problem(await client.get(f"{API}/org/roots", headers=headers), 403, "password_change_required")
    assert (await client.get(f"{API}/auth/me", headers=headers)).status_code == 200

    assert (await change(client, headers, TEST_PASSWORD, "Xin-Mima-2026#")).status_code == 200
    assert (await client.get(f"{API}/org/roots", headers=headers)).status_code == 200
    again = await login_raw(client, tenant, user.username, "Xin-Mima-2026#")
    assert again.json()["user"]["must_change_password"] is False


async def test_a_district_without_maximum_age_never_expires_passwords(
    client, database, make_tenant, make_user
):
    tenant = await make_tenant(security={"password_max_age_days": 0})
    user = await make_user(tenant, "viewer")
    await age_password(database, tenant.id, user.id, 3650)
    response = await login_raw(client, tenant, user.username)
    assert response.json()["user"]["must_change_password"] is False


async def test_the_expired_login_is_audited(client, database, make_tenant, make_user):
    from core.audit.models import AuditRecord

    tenant = await make_tenant(security={"password_max_age_days": 30})
    user = await make_user(tenant, "viewer")
    await age_password(database, tenant.id, user.id, 31)
    assert (await login_raw(client, tenant, user.username)).status_code == 200
    async with database.transaction(tenant.id) as session:
        details = (
            await session.scalars(
                select(AuditRecord.detail).where(
                    AuditRecord.action == "auth.login", AuditRecord.success.is_(True)
                )
            )
        ).all()
    assert details == ["password expired; change required"]


def test_policy_fields_are_validated():
    import msgspec

    from core.tenancy.settings import TenantSettings

    for bad in ({"password_min_length": 6}, {"password_min_classes": 5}, {"password_history": -1}):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert({"security": bad}, TenantSettings)
