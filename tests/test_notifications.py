"""In-app notifications: who receives them, the inbox, and that nobody reads another's."""

from __future__ import annotations

import uuid

import pytest

from core.api import notify


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


async def test_a_role_at_a_node_reaches_holders_there_and_above_only(
    client, admin, tree, make_user, login, database
):
    above = await make_user(admin.tenant, "secretary", node_id=tree["street"].id)
    there = await make_user(admin.tenant, "secretary", node_id=tree["community"].id)
    elsewhere = await make_user(admin.tenant, "secretary", node_id=tree["sibling"].id)
    staff = await make_user(admin.tenant, "staff", node_id=tree["community"].id)
    async with database.transaction(admin.tenant.id) as session:
        sent = await notify(
            session,
            title="会议提醒：明天9点",
            kind="meeting_reminder",
            source="joint_committees",
            role="secretary",
            at_node=tree["community"].id,
            org_node_id=tree["community"].id,
        )
    assert sent == 2
    for user, expected in ((above, 1), (there, 1), (elsewhere, 0), (staff, 0)):
        assert (await inbox(client, await login(admin.tenant, user)))["total"] == expected


async def test_dedupe_key_and_rollback_leave_no_doubles_or_ghosts(admin, database):
    async with database.transaction(admin.tenant.id) as session:
        assert await notify(session, title="一", kind="k", users=[admin.user.id], dedupe_key="tick-1") == 1
    async with database.transaction(admin.tenant.id) as session:
        assert await notify(session, title="一", kind="k", users=[admin.user.id], dedupe_key="tick-1") == 0
    with pytest.raises(RuntimeError):
        async with database.transaction(admin.tenant.id) as session:
            await notify(session, title="二", kind="k", users=[admin.user.id])
            raise RuntimeError("the change fails")
    async with database.transaction(admin.tenant.id) as session:
        from sqlalchemy import func, select

        from core.notifications.models import Notification

        assert await session.scalar(select(func.count()).select_from(Notification)) == 1


async def test_inbox_counts_and_marks_read(client, admin, database, make_user, login):
    colleague = await make_user(admin.tenant, "viewer")
    async with database.transaction(admin.tenant.id) as session:
        await notify(session, title="甲", kind="k", users=[admin.user.id])
        await notify(session, title="乙", kind="k", users=[admin.user.id])
        await notify(session, title="丙", kind="k", users=[colleague.id])
    count = await client.get("/api/v1/notifications/unread-count", headers=admin.headers)
    assert count.json() == {"unread": 2}
    first = (await inbox(client, admin.headers))["items"][0]
    colleague_headers = await login(admin.tenant, colleague)
    stolen = await client.post(f"/api/v1/notifications/{first['id']}/read", headers=colleague_headers)
    assert stolen.status_code == 404, "another user's notification, even in the same district"
    read = await client.post(f"/api/v1/notifications/{first['id']}/read", headers=admin.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await inbox(client, admin.headers, unread="true"))["total"] == 1
    assert (await client.post("/api/v1/notifications/read-all", headers=admin.headers)).json() == {
        "unread": 0
    }
    assert (await client.get("/api/v1/notifications/unread-count", headers=colleague_headers)).json() == {
        "unread": 1
    }


async def test_notification_bad_input(client, admin):
    assert (
        await client.post("/api/v1/notifications/not-a-uuid/read", headers=admin.headers)
    ).status_code in (400, 404, 422)
    missing = await client.post(f"/api/v1/notifications/{uuid.uuid4()}/read", headers=admin.headers)
    assert missing.status_code == 404
    wrong = await client.get("/api/v1/notifications", headers=admin.headers, params={"unread": "maybe"})
    assert wrong.status_code in (400, 422) and "unread" in wrong.text
