"""The console pages: catalogue, one resource with a week of slots and a reservation form, my
reservations and the approvals inbox, driven as a browser does (session cookie, CSRF field,
post/redirect/get)."""

from __future__ import annotations

import re

from core.api import district_today
from core.testing import TEST_PASSWORD
from tests.plugins.resource_sharing.conftest import SLUG, at


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
    return f"/t/{tenant.slug}/console/m/{SLUG}"


async def test_the_catalogue_and_a_resources_week(client, resource_world, admin):
    world = await resource_world()
    await console_login(client, admin.tenant, admin.user)
    listed = await client.get(f"{pages(admin.tenant)}/resources")
    assert listed.status_code == 200 and 'data-nav="m.resource_sharing"' in listed.text
    row = re.search(rf'<tr data-resource="{world.resource_id}">(.*?)</tr>', listed.text, re.S).group(1)
    assert "党员活动室" in row and world.unit.name in row and "全区" in row
    assert (
        await client.get(f"{pages(admin.tenant)}/resources", params={"kind": "", "q": ""})
    ).status_code == 200
    none = await client.get(f"{pages(admin.tenant)}/resources", params={"kind": "equipment"})
    assert world.resource_id not in none.text

    detail = await client.get(f"{pages(admin.tenant)}/resources/{world.resource_id}")
    assert detail.status_code == 200
    assert detail.text.count('data-free="yes"') == 7 * 28, "a week of 30-minute slots, 08:00–22:00"
    assert 'data-testid="reserve-form"' in detail.text


async def test_reserving_through_the_form_then_approving_from_the_inbox(client, resource_world, admin):
    world = await resource_world()
    await console_login(client, admin.tenant, admin.user)
    base = f"{pages(admin.tenant)}/resources/{world.resource_id}"
    page = await client.get(base)
    day = (district_today()).fromordinal(district_today().toordinal() + 1).isoformat()
    form = {
        "_csrf_token": csrf(page.text),
        "org_node_id": str(world.other_community.id),
        "day": day,
        "starts": "09:00",
        "ends": "10:00",
        "purpose": "支部主题党日",
        "attendees": "15",
    }
    # Not on a slot boundary: the page comes back with the reason beside the field, as typed.
    wrong = await client.post(f"{base}/reserve", data={**form, "starts": "09:10"})
    assert wrong.status_code == 200 and 'data-testid="error-starts_at"' in wrong.text
    assert 'value="支部主题党日"' in wrong.text

    made = await client.post(f"{base}/reserve", data=form)
    assert made.status_code == 303, made.text
    reservation_url = made.headers["location"]
    shown = await client.get(reservation_url)
    assert "待审批" in re.search(r'data-testid="reservation-status">(.*?)<', shown.text).group(1)

    taken = await client.post(f"{base}/reserve", data=form)
    assert taken.status_code == 200 and 'data-testid="error-reserve"' in taken.text
    assert "09:00 已被预约" in taken.text

    mine = await client.get(f"{pages(admin.tenant)}/reservations")
    assert reservation_url.rsplit("/", 1)[1] in mine.text
    inbox = await client.get(f"{pages(admin.tenant)}/inbox")
    reservation_id = reservation_url.rstrip("/").rsplit("/", 1)[1]
    assert f'data-reservation="{reservation_id}"' in inbox.text
    approved = await client.post(
        f"{pages(admin.tenant)}/reservations/{reservation_id}/approve",
        data={"_csrf_token": csrf(inbox.text), "back": "inbox"},
    )
    assert approved.status_code == 303 and approved.headers["location"].endswith("/inbox")
    after = await client.get(f"{pages(admin.tenant)}/inbox")
    assert f'data-reservation="{reservation_id}"' not in after.text
    week = await client.get(base)
    assert week.text.count('data-free="no"') == 2

    # Rejecting now is refused on the page, with the reason.
    refused = await client.post(
        f"{pages(admin.tenant)}/reservations/{reservation_id}/reject",
        data={"_csrf_token": csrf(after.text), "note": "迟了"},
    )
    assert refused.status_code == 200 and 'data-testid="error-reject"' in refused.text
    cancelled = await client.post(
        f"{pages(admin.tenant)}/reservations/{reservation_id}/cancel",
        data={"_csrf_token": csrf(after.text), "back": "reservations"},
    )
    assert cancelled.status_code == 303
    assert (await client.get(base)).text.count('data-free="no"') == 0


async def test_pages_of_a_resource_out_of_sight_are_not_found(client, resource_world, admin, make_actor):
    world = await resource_world(visibility="own")
    outsider = await make_actor("secretary", tenant=admin.tenant, node_id=world.other_community.id)
    await console_login(client, admin.tenant, outsider.user)
    assert (await client.get(f"{pages(admin.tenant)}/resources/{world.resource_id}")).status_code == 404
    listed = await client.get(f"{pages(admin.tenant)}/resources")
    assert listed.status_code == 200 and world.resource_id not in listed.text
    assert at(9)  # the helper works on the district clock
