"""In-app notifications: who receives them, the inbox, and that nobody reads another's."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, update

from core.api import CrossTenantWrite, notify
from core.auth.models import User
from core.notifications.models import Notification
from core.people.validation import make_id_card

PROBLEM = "application/problem+json"


@pytest.fixture
async def tree(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    sibling = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    return {"street": street, "sibling": sibling, "community": community}


async def inbox(client, headers, **params):
    response = await client.get("/api/v1/notifications", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def unread(client, headers) -> int:
    response = await client.get("/api/v1/notifications/unread-count", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["unread"]


async def count_rows(database, tenant_id, **where) -> int:
    async with database.transaction(tenant_id) as session:
        stmt = select(func.count()).select_from(Notification)
        for column, value in where.items():
            stmt = stmt.where(getattr(Notification, column) == value)
        return int(await session.scalar(stmt) or 0)


# --- recipients ----------------------------------------------------------------------------------


async def test_explicit_users_get_one_each_and_only_active_accounts_of_the_district(
    admin, make_tenant, make_user, database
):
    colleague = await make_user(admin.tenant, "viewer")
    disabled = await make_user(admin.tenant, "viewer")
    other_district = await make_tenant()
    foreigner = await make_user(other_district, "system_admin")
    async with database.transaction(admin.tenant.id) as session:
        await session.execute(update(User).where(User.id == disabled.id).values(status="disabled"))
    async with database.transaction(admin.tenant.id) as session:
        sent = await notify(
            session,
            title="请查收",
            kind="notice",
            users=[admin.user.id, admin.user.id, colleague.id, disabled.id, foreigner.id, uuid.uuid4()],
        )
    assert sent == 2
    assert await count_rows(database, admin.tenant.id, user_id=admin.user.id) == 1
    assert await count_rows(database, admin.tenant.id, user_id=colleague.id) == 1
    assert await count_rows(database, admin.tenant.id, user_id=disabled.id) == 0
    assert await count_rows(database, other_district.id) == 0


async def test_a_role_at_a_node_reaches_holders_there_and_above_only(
    client, admin, tree, make_tenant, make_user, login, database
):
    above = await make_user(admin.tenant, "secretary", node_id=tree["street"].id)
    there = await make_user(admin.tenant, "secretary", node_id=tree["community"].id)
    elsewhere = await make_user(admin.tenant, "secretary", node_id=tree["sibling"].id)
    staff = await make_user(admin.tenant, "staff", node_id=tree["community"].id)
    other_district = await make_tenant()
    foreign_secretary = await make_user(other_district, "secretary")
    async with database.transaction(admin.tenant.id) as session:
        sent = await notify(
            session,
            title="会议提醒：明天9点",
            body="请准时参加联席会议。",
            kind="meeting_reminder",
            source="joint_committees",
            link="/t/x/console/m/joint_committees/meetings/1",
            role="secretary",
            at_node=tree["community"].id,
            org_node_id=tree["community"].id,
        )
    assert sent == 2
    for user, expected in ((above, 1), (there, 1), (elsewhere, 0), (staff, 0)):
        assert (await inbox(client, await login(admin.tenant, user)))["total"] == expected
    (item,) = (await inbox(client, await login(admin.tenant, there)))["items"]
    assert item["title"] == "会议提醒：明天9点" and item["body"] == "请准时参加联席会议。"
    assert (item["source"], item["kind"]) == ("joint_committees", "meeting_reminder")
    assert item["org_node_id"] == str(tree["community"].id) and item["read_at"] is None
    assert (await inbox(client, await login(other_district, foreign_secretary)))["total"] == 0

    # A node of another district is no node here: nobody is notified.
    async with database.transaction(admin.tenant.id) as session:
        assert (
            await notify(session, title="x", kind="k", role="secretary", at_node=other_district.root_id) == 0
        )
    assert await count_rows(database, other_district.id) == 0


async def test_a_person_reaches_the_account_linked_to_them(client, admin, tree, make_user, login, database):
    created = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={
            "name": "王建国",
            "id_card": make_id_card("321111", dt.date(1980, 5, 17), 1, "male"),
            "org_node_id": str(tree["community"].id),
        },
    )
    assert created.status_code == 201, created.text
    person_id = uuid.UUID(created.json()["id"])
    account = await make_user(admin.tenant, "viewer", node_id=tree["community"].id)
    async with database.transaction(admin.tenant.id) as session:
        assert await notify(session, title="无账号", kind="k", person_id=person_id) == 0
        await session.execute(update(User).where(User.id == account.id).values(person_id=person_id))
    async with database.transaction(admin.tenant.id) as session:
        # The person's account and an explicit user who is the same account: one notification.
        assert (
            await notify(session, title="您的报到已确认", kind="k", person_id=person_id, users=[account.id])
            == 1
        )
    items = (await inbox(client, await login(admin.tenant, account)))["items"]
    assert [i["title"] for i in items] == ["您的报到已确认"]


async def test_dedupe_key_and_rollback_leave_no_doubles_or_ghosts(admin, make_user, database):
    colleague = await make_user(admin.tenant, "viewer")
    async with database.transaction(admin.tenant.id) as session:
        assert await notify(session, title="一", kind="k", users=[admin.user.id], dedupe_key="tick-1") == 1
    async with database.transaction(admin.tenant.id) as session:
        # The re-run: only the user without it yet gets one.
        sent = await notify(
            session, title="一", kind="k", users=[admin.user.id, colleague.id], dedupe_key="tick-1"
        )
        assert sent == 1
        assert await notify(session, title="一", kind="k", users=[admin.user.id], dedupe_key="tick-2") == 1
    with pytest.raises(RuntimeError):
        async with database.transaction(admin.tenant.id) as session:
            assert await notify(session, title="二", kind="k", users=[admin.user.id]) == 1
            raise RuntimeError("the change that caused it fails")
    assert await count_rows(database, admin.tenant.id, user_id=admin.user.id) == 2
    assert await count_rows(database, admin.tenant.id, user_id=colleague.id) == 1
    assert await count_rows(database, admin.tenant.id, title="二") == 0


async def test_two_runs_at_once_notify_once(admin, database):
    """A job delivered twice and run concurrently: the unique index decides, neither run fails."""
    first = database.session(admin.tenant.id)
    try:
        async with first.begin():
            assert (
                await notify(session=first, title="一", kind="k", users=[admin.user.id], dedupe_key="d") == 1
            )

            async def second_run() -> int:
                async with database.transaction(admin.tenant.id) as session:
                    return await notify(session, title="一", kind="k", users=[admin.user.id], dedupe_key="d")

            second = asyncio.create_task(second_run())
            await asyncio.sleep(0.2)  # the second run is now waiting on the first's write
            assert not second.done()
        assert await second == 0
    finally:
        await first.close()
    assert await count_rows(database, admin.tenant.id, user_id=admin.user.id) == 1


async def test_notify_refuses_unclear_recipients_and_sessions_of_no_district(admin, database):
    async with database.transaction(admin.tenant.id) as session:
        with pytest.raises(ValueError, match="role and at_node"):
            await notify(session, title="x", kind="k", role="secretary")
        with pytest.raises(ValueError, match="role and at_node"):
            await notify(session, title="x", kind="k", at_node=admin.tenant.root_id)
    async with database.system_transaction() as session:
        with pytest.raises(CrossTenantWrite):
            await notify(session, title="x", kind="k", users=[admin.user.id])
    async with database.transaction(admin.tenant.id) as session:
        assert await notify(session, title="x", kind="k") == 0


# --- the inbox -----------------------------------------------------------------------------------


async def test_inbox_counts_lists_and_marks_read(client, admin, database, make_user, login):
    colleague = await make_user(admin.tenant, "viewer")
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="甲", kind="k", users=[admin.user.id])
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="乙", kind="k", users=[admin.user.id])
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="丙", kind="k", users=[admin.user.id, colleague.id])
    assert await unread(client, admin.headers) == 3
    listed = await inbox(client, admin.headers)
    assert [i["title"] for i in listed["items"]] == ["丙", "乙", "甲"]
    assert listed["total"] == 3
    oldest = listed["items"][2]["id"]

    read = await client.post(f"/api/v1/notifications/{oldest}/read", headers=admin.headers)
    assert read.status_code == 200, read.text
    assert read.json()["id"] == oldest and read.json()["read_at"] is not None
    again = await client.post(f"/api/v1/notifications/{oldest}/read", headers=admin.headers)
    assert again.json()["read_at"] == read.json()["read_at"], "reading twice keeps the first time"
    assert await unread(client, admin.headers) == 2

    assert [i["title"] for i in (await inbox(client, admin.headers, unread="true"))["items"]] == ["丙", "乙"]
    newest_first = await inbox(client, admin.headers, order="newest", limit=2)
    assert [i["title"] for i in newest_first["items"]] == ["丙", "乙"] and newest_first["total"] == 3
    # Unread first: the read one sinks below the unread ones, whatever their age.
    newest = listed["items"][0]["id"]
    assert (
        await client.post(f"/api/v1/notifications/{newest}/read", headers=admin.headers)
    ).status_code == 200
    assert [i["title"] for i in (await inbox(client, admin.headers))["items"]] == ["乙", "丙", "甲"]

    all_read = await client.post("/api/v1/notifications/read-all", headers=admin.headers)
    assert all_read.status_code == 200 and all_read.json() == {"unread": 0}
    assert (await inbox(client, admin.headers, unread="true"))["total"] == 0
    colleague_headers = await login(admin.tenant, colleague)
    assert await unread(client, colleague_headers) == 1, "read-all is the caller's own"


async def test_another_users_notification_is_not_found(client, admin, database, make_user, login):
    colleague = await make_user(admin.tenant, "system_admin")
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="私信", kind="k", users=[admin.user.id])
    (mine,) = (await inbox(client, admin.headers))["items"]
    colleague_headers = await login(admin.tenant, colleague)
    stolen = await client.post(f"/api/v1/notifications/{mine['id']}/read", headers=colleague_headers)
    assert stolen.status_code == 404, "another user's notification, even in the same district"
    assert stolen.headers["content-type"].startswith(PROBLEM)
    assert stolen.json()["code"] == "not_found"
    assert mine["id"] not in (await client.get("/api/v1/notifications", headers=colleague_headers)).text
    assert await unread(client, admin.headers) == 1, "the refused attempt left it unread"
    missing = await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


async def test_notification_bad_input(client, admin):
    not_an_id = await client.post("/api/v1/notifications/not-a-uuid/read", headers=admin.headers)
    assert 400 <= not_an_id.status_code < 500
    assert not_an_id.headers["content-type"].startswith(PROBLEM)
    for params in ({"unread": "maybe"}, {"order": "oldest"}, {"limit": 100_000}):
        wrong = await client.get("/api/v1/notifications", headers=admin.headers, params=params)
        assert wrong.status_code == 422, (params, wrong.text)
        assert wrong.headers["content-type"].startswith(PROBLEM)
        assert [e["field"] for e in wrong.json()["errors"]] == list(params)
    anonymous = await client.get("/api/v1/notifications/unread-count")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(PROBLEM)


async def test_notifications_survive_a_district_export_and_import(admin, database, round_trip):
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="导出", kind="k", users=[admin.user.id], dedupe_key="export")
    assert (await round_trip(admin.tenant))["notification"] == (1, 1)
