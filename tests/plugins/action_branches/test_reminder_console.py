"""The monthly reminder to leaders of idle branches, and the console pages driven as a browser does
(session cookie, CSRF field, post/redirect/get)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from core.api import district_today
from core.testing import TEST_PASSWORD
from tests.plugins.action_branches.conftest import days_ago


async def inbox(ab, actor):
    return (await ab.ok(actor, "GET", "/api/v1/notifications", limit=100))["items"]


async def link_account(database, tenant, user, person_id):
    from core.auth.models import User

    async with database.transaction(tenant.id) as session:
        row = await session.get(User, (tenant.id, user.id))
        row.person_id = uuid.UUID(person_id)


async def test_the_leader_of_a_branch_without_last_months_action_is_reminded_once(
    ab, branch_world, admin, make_actor, database, fire_schedule
):
    idle = await branch_world(people=0)
    busy = await branch_world(people=0)
    leader_account = await make_actor("viewer", tenant=admin.tenant, node_id=idle.community.id)
    await link_account(database, admin.tenant, leader_account.user, idle.leader)
    busy_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=busy.community.id)

    today = district_today()
    first_of_month = today.replace(day=1)
    last_month_day = first_of_month - dt.timedelta(days=3)
    await ab.ok(
        admin,
        "POST",
        f"/branches/{busy.branch_id}/actions",
        {"held_on": last_month_day.isoformat(), "title": "义诊"},
        201,
    )
    tick = dt.datetime.combine(first_of_month, dt.time(1, 0), tzinfo=dt.UTC)
    assert await fire_schedule("action_branches.remind_idle_branches", tick) >= 1

    month = f"{last_month_day.year}-{last_month_day.month:02d}"
    reminders = [n for n in await inbox(ab, leader_account) if n["source"] == "action_branches"]
    assert [n["title"] for n in reminders] == [f"行动支部提醒：{idle.branch['name']}在{month}没有记录活动"]
    assert reminders[0]["kind"] == "idle_branch_reminder"
    assert not [n for n in await inbox(ab, busy_secretary) if n["source"] == "action_branches"], (
        "a branch that acted last month is not reminded"
    )

    assert await fire_schedule("action_branches.remind_idle_branches", tick) == 0, "the tick runs once"
    from core.api import JobContext, new_id
    from plugins.action_branches import jobs

    async with database.transaction(admin.tenant.id) as session:
        again = await jobs.remind_idle_branches(
            JobContext(
                job_id=new_id(),
                name="action_branches.remind_idle_branches",
                tenant_id=admin.tenant.id,
                payload={"tick": tick.isoformat()},
                session=session,
                attempt=1,
            )
        )
    assert again == {"notified": 0}, "deduplicated per branch and month"
    assert len([n for n in await inbox(ab, leader_account) if n["source"] == "action_branches"]) == 1


async def test_without_a_leader_account_the_hosts_secretary_is_reminded(
    ab, branch_world, admin, make_actor, fire_schedule
):
    idle = await branch_world(people=0)
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=idle.community.id)
    first_of_month = district_today().replace(day=1)
    await fire_schedule(
        "action_branches.remind_idle_branches",
        dt.datetime.combine(first_of_month, dt.time(1, 0), tzinfo=dt.UTC),
    )
    titles = [n["title"] for n in await inbox(ab, secretary) if n["source"] == "action_branches"]
    assert len(titles) == 1 and idle.branch["name"] in titles[0]


# --- console ---------------------------------------------------------------------------------------


async def console_login(client, tenant, user):
    client.cookies.clear()
    form = await client.get(f"/t/{tenant.slug}/console/login")
    assert form.status_code == 200, form.text
    logged_in = await client.post(
        f"/t/{tenant.slug}/console/login",
        data={"_csrf_token": csrf(form.text), "username": user.username, "password": TEST_PASSWORD},
    )
    assert logged_in.status_code == 303, logged_in.text


def csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


def pages(tenant) -> str:
    return f"/t/{tenant.slug}/console/m/action_branches"


async def test_the_branches_page_filters_by_kind_and_the_menu_follows_the_plugin(
    client, ab, branch_world, admin
):
    await console_login(client, admin.tenant, admin.user)
    assert (await client.get(f"{pages(admin.tenant)}/branches")).status_code == 404, "not enabled yet"
    culture = await branch_world(kind="cause", people=0)
    hobby = await branch_world(kind="interest", people=0)
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/branches")
    assert listed.status_code == 200 and 'data-nav="m.action_branches"' in listed.text
    assert (
        f'data-branch="{culture.branch_id}"' in listed.text
        and f'data-branch="{hobby.branch_id}"' in listed.text
    )
    causes = await client.get(f"{pages(admin.tenant)}/branches", params={"kind": "cause"})
    assert (
        f'data-branch="{culture.branch_id}"' in causes.text
        and f'data-branch="{hobby.branch_id}"' not in causes.text
    )
    row = re.search(rf'<tr data-branch="{culture.branch_id}">(.*?)</tr>', causes.text, re.S).group(1)
    assert "志缘" in row and "王建国" in row and 'data-testid="members">1<' in row
    assert (await client.get(f"{pages(admin.tenant)}/branches", params={"kind": ""})).status_code == 200
    assert (await client.get(f"{pages(admin.tenant)}/branches", params={"kind": "hobby"})).status_code in (
        400,
        422,
    )


async def test_a_secretary_adds_a_member_records_an_action_and_its_hours_in_the_console(
    client, ab, branch_world, admin, make_actor
):
    world = await branch_world(people=2)
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    await console_login(client, admin.tenant, secretary.user)
    url = f"{pages(admin.tenant)}/branches/{world.branch_id}"
    page = await client.get(url)
    assert page.status_code == 200 and world.branch["name"] in page.text
    assert f'<option value="{world.people[0]}">' in page.text, "people of the host's area to choose from"

    added = await client.post(
        f"{url}/members", data={"_csrf_token": csrf(page.text), "person_id": world.people[0]}
    )
    assert added.status_code == 303 and added.headers["location"].endswith(f"/branches/{world.branch_id}")
    page = await client.get(url)
    assert f'data-member="{world.people[0]}"' in page.text
    again = await client.post(
        f"{url}/members", data={"_csrf_token": csrf(page.text), "person_id": world.people[0]}
    )
    assert again.status_code == 200 and 'data-testid="error-join"' in again.text, (
        "a duplicate comes back with the reason"
    )

    future = await client.post(
        f"{url}/actions", data={"_csrf_token": csrf(page.text), "held_on": "2020-01-01", "title": "太早"}
    )
    assert (
        future.status_code == 200
        and 'data-testid="error-action"' in future.text
        and 'value="太早"' in future.text
    )
    recorded = await client.post(
        f"{url}/actions",
        data={
            "_csrf_token": csrf(page.text),
            "held_on": days_ago(1),
            "title": "文化讲堂",
            "place": "社区书屋",
        },
    )
    assert recorded.status_code == 303
    action_url = recorded.headers["location"]
    action_page = await client.get(action_url)
    assert action_page.status_code == 200 and "文化讲堂" in action_page.text
    assert "owner=action_branches.action" in action_page.text, "the files panel for photos and notes"

    token = csrf(action_page.text)
    too_many = await client.post(
        f"{action_url}/participants", data={"_csrf_token": token, f"hours.{world.leader}": "30"}
    )
    assert too_many.status_code == 200 and 'data-testid="error-participants"' in too_many.text
    saved = await client.post(
        f"{action_url}/participants",
        data={"_csrf_token": token, f"hours.{world.leader}": "2", f"hours.{world.people[0]}": "1.5"},
    )
    assert saved.status_code == 303
    shown = await client.get(action_url)
    assert (
        'data-testid="total-hours">3.5<' in shown.text and 'data-testid="participant-count">2<' in shown.text
    )
    branch_page = await client.get(url)
    assert "owner=action_branches.action" in branch_page.text


async def test_another_streets_secretary_gets_404_on_the_pages(
    client, ab, branch_world, admin, make_actor, make_node
):
    world = await branch_world(people=0)
    action = await ab.ok(
        admin, "POST", f"/branches/{world.branch_id}/actions", {"held_on": days_ago(1), "title": "巡逻"}, 201
    )
    other = await make_node(admin.tenant, admin.tenant.root_id, "street", "南山街道")
    elsewhere = await make_actor("secretary", tenant=admin.tenant, node_id=other.id)
    await console_login(client, admin.tenant, elsewhere.user)
    assert (await client.get(f"{pages(admin.tenant)}/branches/{world.branch_id}")).status_code == 404
    assert (await client.get(f"{pages(admin.tenant)}/actions/{action['id']}")).status_code == 404
    listed = await client.get(f"{pages(admin.tenant)}/branches")
    assert listed.status_code == 200 and world.branch_id not in listed.text
