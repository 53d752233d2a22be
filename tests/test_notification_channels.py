"""Notifications beyond the inbox: email over a real SMTP server, SMS and WeChat through adapters,
per-user channel choices, the district's quiet hours, retries when a provider is down."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import msgspec
import pytest
from sqlalchemy import select, update

from core.api import NotificationTemplate, notify, register_template
from core.notifications.channels import configured_channels
from core.notifications.delivery import quiet_delay
from core.notifications.models import NotificationDelivery
from core.notifications.settings import set_email
from core.settings import override_settings

register_template(
    NotificationTemplate(
        "tests.meeting",
        title={"zh_CN": "会议提醒：{title}", "en": "Meeting reminder: {title}"},
        body={"zh_CN": "{when} 在 {place} 召开", "en": "At {place}, {when}"},
    )
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) collecting what it receives."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def channels(smtp_server, test_settings):
    controller, mailbox = smtp_server
    settings = msgspec.structs.replace(
        test_settings,
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        mail_from="党建平台 <noreply@quanyu.test>",
        sms_adapter="fake",
        wechat_adapter="fake",
        public_url="https://dj.example.gov.cn",
    )
    override_settings(settings)
    configured = configured_channels()
    for name in ("sms", "wechat"):
        configured[name].sent.clear()
        configured[name].fail_next = 0
    yield mailbox, configured
    override_settings(test_settings)


async def user_with(database, tenant, make_user, *, email=None, locale="zh_CN", role="viewer"):
    from core.auth.models import User

    user = await make_user(tenant, role)
    async with database.transaction(tenant.id) as session:
        row = await session.get_one(User, (tenant.id, user.id))
        set_email(row, email)
        row.locale = locale
        row.wechat_openid = f"o{uuid.uuid4().hex[:20]}"
    return user


async def send(database, tenant, *users, **kwargs):
    async with database.transaction(tenant.id) as session:
        defaults = {"title": "请参加联席会议", "kind": "meeting_reminder", "link": "/t/x/console/m/jc/1"}
        return await notify(session, users=[u.id for u in users], **{**defaults, **kwargs})


async def deliveries(database, tenant):
    async with database.transaction(tenant.id) as session:
        return list(
            await session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.channel))
        )


async def test_an_email_goes_out_after_the_change_commits(
    channels, make_tenant, make_user, database, run_jobs
):
    mailbox, _ = channels
    tenant = await make_tenant()
    user = await user_with(database, tenant, make_user, email="Zhang.San@Example.cn")
    assert await send(database, tenant, user) == 1
    assert mailbox.messages == [], "sent by a job, not inside the request"
    await run_jobs()
    [(sender, recipients, content)] = mailbox.messages
    assert recipients == ["zhang.san@example.cn"]
    text = content.decode()
    assert "noreply@quanyu.test" in sender
    assert "https://dj.example.gov.cn/t/x/console/m/jc/1" in text
    [delivery] = await deliveries(database, tenant)
    assert (delivery.channel, delivery.status, delivery.attempts) == ("email", "sent", 1)


async def test_a_rolled_back_change_sends_nothing(channels, make_tenant, make_user, database, run_jobs):
    mailbox, _ = channels
    tenant = await make_tenant()
    user = await user_with(database, tenant, make_user, email="li@example.cn")
    with pytest.raises(RuntimeError):
        async with database.transaction(tenant.id) as session:
            await notify(session, users=[user.id], title="不会发出", kind="test")
            raise RuntimeError("the change fails")
    await run_jobs()
    assert mailbox.messages == []


async def test_each_user_chooses_channels_per_kind_among_the_districts(
    channels, client, make_tenant, make_user, login, database, run_jobs
):
    mailbox, configured = channels
    # No quiet channels: with the default (wechat quiet 22:00-07:00) this test failed every evening.
    tenant = await make_tenant(
        notifications={"channels": ["email", "wechat"], "default_channels": ["email"], "quiet_channels": []}
    )
    user = await user_with(database, tenant, make_user, email="wang@example.cn")
    headers = await login(tenant, user)
    offered = await client.get("/api/v1/notifications/settings", headers=headers)
    assert offered.json()["available"] == ["email", "wechat"]
    refused = await client.put("/api/v1/notifications/settings", headers=headers, json={"channels": ["sms"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "channels"
    unknown = await client.put("/api/v1/notifications/settings", headers=headers, json={"channels": ["fax"]})
    assert unknown.status_code in (400, 422)
    chosen = await client.put(
        "/api/v1/notifications/settings",
        headers=headers,
        json={"kind": "meeting_reminder", "channels": ["wechat"]},
    )
    assert chosen.json()["preferences"] == [{"kind": "meeting_reminder", "channels": ["wechat"]}]
    await client.put("/api/v1/notifications/settings", headers=headers, json={"kind": "*", "channels": []})

    await send(database, tenant, user, kind="meeting_reminder")
    await send(database, tenant, user, kind="decision_escalated", title="逾期督办")
    await run_jobs()
    assert [m.subject for m in configured["wechat"].sent] == ["请参加联席会议"]
    assert mailbox.messages == [], "every other kind: no outside channel at all"


async def test_sms_waits_for_the_end_of_the_districts_quiet_hours(
    channels, make_tenant, make_user, database, run_jobs
):
    tenant = await make_tenant(
        notifications={
            "channels": ["email", "sms"],
            "default_channels": ["email", "sms"],
            "quiet_start": "00:00",
            "quiet_end": "23:59",
            "quiet_channels": ["sms"],
        }
    )
    user = await user_with(database, tenant, make_user, email="zhao@example.cn")
    await send(database, tenant, user)
    await run_jobs()
    by_channel = {d.channel: d.status for d in await deliveries(database, tenant)}
    assert by_channel == {"email": "sent", "sms": "pending"}, "email is not in the quiet channels"


def test_quiet_hours_across_midnight():
    at = lambda h, m: dt.datetime(2026, 11, 27, h, m, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # noqa: E731
    assert quiet_delay(at(23, 0), "22:00", "07:00") == dt.timedelta(hours=8)
    assert quiet_delay(at(6, 30), "22:00", "07:00") == dt.timedelta(minutes=30)
    assert quiet_delay(at(12, 0), "22:00", "07:00") == dt.timedelta()
    assert quiet_delay(at(13, 0), "12:00", "14:00") == dt.timedelta(hours=1)


async def test_a_dead_mail_server_is_retried_and_the_causing_request_still_succeeds(
    channels, smtp_server, test_settings, make_tenant, make_user, database, run_jobs
):
    from core.jobs.models import OutboxEntry

    dead = msgspec.structs.replace(test_settings, smtp_url=f"smtp://127.0.0.1:{free_port()}?timeout=2")
    override_settings(dead)
    tenant = await make_tenant()
    user = await user_with(database, tenant, make_user, email="sun@example.cn")
    assert await send(database, tenant, user) == 1, "the notifying change commits"
    await run_jobs()
    [delivery] = await deliveries(database, tenant)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "Connection" in (delivery.last_error or "") or "refused" in (delivery.last_error or "").lower()

    mailbox, _ = channels
    override_settings(msgspec.structs.replace(dead, smtp_url=f"smtp://127.0.0.1:{smtp_server[0].port}"))
    async with database.system_transaction() as session:  # the backoff has passed
        await session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.name == "notifications.deliver")
            .values(available_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    await run_jobs()
    [delivery] = await deliveries(database, tenant)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(mailbox.messages) == 1


async def test_templates_speak_each_recipients_language(
    channels, make_tenant, make_user, database, run_jobs, client, login
):
    mailbox, _ = channels
    tenant = await make_tenant()
    chinese = await user_with(database, tenant, make_user, email="a@example.cn")
    english = await user_with(database, tenant, make_user, email="b@example.cn", locale="en")
    params = {"title": "第三季度联席会议", "when": "10月8日 9:00", "place": "和平路街道"}
    async with database.transaction(tenant.id) as session:
        assert (
            await notify(
                session,
                users=[chinese.id, english.id],
                template="tests.meeting",
                params=params,
                kind="meeting_reminder",
            )
            == 2
        )
    titles = {}
    for user in (chinese, english):
        headers = await login(tenant, user)
        titles[user.id] = (await client.get("/api/v1/notifications", headers=headers)).json()["items"][0][
            "title"
        ]
    assert titles == {
        chinese.id: "会议提醒：第三季度联席会议",
        english.id: "Meeting reminder: 第三季度联席会议",
    }
    await run_jobs()
    assert len(mailbox.messages) == 2


async def test_the_same_reminder_twice_sends_one_email(channels, make_tenant, make_user, database, run_jobs):
    mailbox, _ = channels
    tenant = await make_tenant()
    user = await user_with(database, tenant, make_user, email="qian@example.cn")
    assert await send(database, tenant, user, dedupe_key="meeting-42") == 1
    assert await send(database, tenant, user, dedupe_key="meeting-42") == 0
    await run_jobs()
    assert len(mailbox.messages) == 1


async def test_contact_details_are_the_callers_own_masked_and_not_audited_in_clear(
    channels, client, admin, make_actor
):
    changed = await client.put(
        "/api/v1/notifications/settings/contact",
        headers=admin.headers,
        json={"email": "Zhou@Example.cn", "locale": "en"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"email": "z***@example.cn", "wechat_openid": None, "locale": "en"}
    bad = await client.put(
        "/api/v1/notifications/settings/contact", headers=admin.headers, json={"email": "不是邮箱"}
    )
    assert bad.status_code in (400, 422)
    auditor = await make_actor("audit_admin", tenant=admin.tenant)
    records = await client.get("/api/v1/audit", headers=auditor.headers, params={"action": "user.contact"})
    assert "example.cn" not in records.text.lower()
    assert records.json()["total"] == 1
