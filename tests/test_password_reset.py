"""Invitations and forgotten passwords by email: one-time, expiring links; a reset ends other sessions."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import msgspec
import pytest
from sqlalchemy import update

from core.settings import override_settings
from tests.test_notification_channels import smtp_server  # noqa: F401  (the real SMTP server fixture)

NEW_PASSWORD = "Xin-Mima#2026!safe"


@pytest.fixture
def mailbox(smtp_server, test_settings):  # noqa: F811
    controller, box = smtp_server
    override_settings(
        msgspec.structs.replace(
            test_settings,
            smtp_url=f"smtp://127.0.0.1:{controller.port}",
            public_url="https://dj.example.gov.cn",
        )
    )
    yield box
    override_settings(test_settings)


def token_in(message: bytes) -> str:
    import email

    text = email.message_from_bytes(message).get_payload(decode=True).decode()
    match = re.search(
        r"https://dj\.example\.gov\.cn/t/[a-z0-9]+/console/password\?purpose=\w+&token=(\S+)", text
    )
    assert match, text
    return unquote(match.group(1))


async def forgot(client, district, username):
    response = await client.post("/api/v1/auth/forgot", json={"district": district, "username": username})
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "accepted"}


async def test_an_invited_user_gets_the_link_by_email(client, admin, mailbox, run_jobs):
    created = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={
            "username": "liming",
            "display_name": "李明",
            "org_node_id": str(admin.tenant.root_id),
            "roles": ["viewer"],
            "email": "liming@example.cn",
        },
    )
    assert created.status_code == 201, created.text
    await run_jobs()
    [(_sender, recipients, content)] = mailbox.messages
    assert recipients == ["liming@example.cn"]
    assert token_in(content) == created.json()["invitation_token"]
    redeemed = await client.post(
        "/api/v1/auth/redeem",
        json={"district": admin.tenant.slug, "token": token_in(content), "password": NEW_PASSWORD},
    )
    assert redeemed.status_code == 200, redeemed.text


async def test_a_bad_email_is_refused_naming_the_field(client, admin):
    refused = await client.post(
        "/api/v1/users",
        headers=admin.headers,
        json={
            "username": "wangwu",
            "display_name": "王五",
            "org_node_id": str(admin.tenant.root_id),
            "email": "王五",
        },
    )
    assert refused.status_code in (400, 422)
    assert "email" in refused.text


async def test_a_forgotten_password_is_reset_once_and_other_sessions_end(
    client, admin, login, mailbox, run_jobs, make_user, database
):
    from core.auth.models import User
    from core.notifications.settings import set_email

    user = await make_user(admin.tenant, "viewer")
    async with database.transaction(admin.tenant.id) as session:
        set_email(await session.get_one(User, (admin.tenant.id, user.id)), "zhou@example.cn")
    old_session = await login(admin.tenant, user)
    await forgot(client, admin.tenant.slug, user.username.upper())
    await run_jobs()
    [(_s, recipients, content)] = mailbox.messages
    assert recipients == ["zhou@example.cn"]
    token = token_in(content)
    body = {"district": admin.tenant.slug, "token": token, "password": NEW_PASSWORD}
    assert (await client.post("/api/v1/auth/redeem", json=body)).status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=old_session)).status_code == 401, (
        "other sessions ended"
    )
    again = await client.post("/api/v1/auth/redeem", json=body)
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "invalid_token", "single use"
    assert (
        await client.post(
            "/api/v1/auth/login",
            json={"district": admin.tenant.slug, "username": user.username, "password": NEW_PASSWORD},
        )
    ).status_code == 200


async def test_a_reset_link_expires(client, admin, mailbox, run_jobs, make_user, database):
    from core.auth.models import User, UserToken
    from core.notifications.settings import set_email

    user = await make_user(admin.tenant, "viewer")
    async with database.transaction(admin.tenant.id) as session:
        set_email(await session.get_one(User, (admin.tenant.id, user.id)), "wu@example.cn")
    await forgot(client, admin.tenant.slug, user.username)
    await run_jobs()
    token = token_in(mailbox.messages[0][2])
    async with database.transaction(admin.tenant.id) as session:
        await session.execute(
            update(UserToken)
            .where(UserToken.user_id == user.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    late = await client.post(
        "/api/v1/auth/redeem", json={"district": admin.tenant.slug, "token": token, "password": NEW_PASSWORD}
    )
    assert late.status_code == 422


async def test_nobody_learns_whether_an_account_exists_and_links_are_not_sent_twice_at_once(
    client, admin, make_tenant, make_user, mailbox, run_jobs, database
):
    from core.auth.models import User
    from core.notifications.settings import set_email

    with_email = await make_user(admin.tenant, "viewer")
    without_email = await make_user(admin.tenant, "viewer")
    other_district = await make_tenant()
    async with database.transaction(admin.tenant.id) as session:
        set_email(await session.get_one(User, (admin.tenant.id, with_email.id)), "qian@example.cn")
    await forgot(client, admin.tenant.slug, "nobody-here")
    await forgot(client, admin.tenant.slug, without_email.username)
    await forgot(client, other_district.slug, with_email.username)
    await forgot(client, "no-such-district", with_email.username)
    await forgot(client, admin.tenant.slug, with_email.username)
    await forgot(client, admin.tenant.slug, with_email.username)
    await run_jobs()
    assert [m[1] for m in mailbox.messages] == [["qian@example.cn"]]
