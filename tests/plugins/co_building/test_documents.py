"""The signed agreement (协议文本) and activity photos are attached to the records and read only through them."""

from __future__ import annotations

from tests.plugins.co_building.conftest import day

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def attach(cb, actor, owner, owner_id, name="共建协议.pdf"):
    response = await cb.client.post(
        "/api/v1/attachments",
        headers=actor.headers,
        data={"owner": f"co_building.{owner}", "owner_id": str(owner_id)},
        files={"file": (name, PDF, "application/pdf")},
    )
    cb.client.cookies.clear()
    return response


async def test_the_signed_agreement_is_attached_and_read_only_within_reach(cb_world, cb, make_actor):
    agreement = await cb_world.agreement()
    attached = await attach(cb, cb_world.admin, "agreement", agreement["id"])
    assert attached.status_code == 201, attached.text
    street_viewer = await make_actor("viewer", tenant=cb_world.admin.tenant, node_id=cb_world.street.id)
    elsewhere = await make_actor("secretary", tenant=cb_world.admin.tenant, node_id=cb_world.other_street.id)
    url = f"/api/v1/attachments/{attached.json()['id']}/content"
    assert (await cb.client.get(url, headers=street_viewer.headers)).content == PDF
    assert (await cb.client.get(url, headers=elsewhere.headers)).status_code == 404
    cb.client.cookies.clear()
    refused = await attach(cb, street_viewer, "agreement", agreement["id"])
    assert refused.status_code == 404, "a viewer reads the agreement but does not manage it"
    stranger = await attach(cb, elsewhere, "agreement", agreement["id"])
    assert stranger.status_code == 404


async def test_staff_attach_photos_to_the_activity_they_recorded(cb_world, cb, make_actor):
    staff = await make_actor("staff", tenant=cb_world.admin.tenant, node_id=cb_world.community.id)
    agreement = await cb_world.agreement()
    activity = await cb.ok(
        staff,
        "POST",
        f"/agreements/{agreement['id']}/activities",
        {
            "kind": "activity",
            "title": "义诊",
            "held_on": day(-1),
            "place": "社区",
            "participants": 9,
            "content": "义诊",
        },
        201,
    )
    photo = await attach(cb, staff, "activity", activity["id"], name="活动照片说明.pdf")
    assert photo.status_code == 201, photo.text
    listed = await cb.client.get(
        "/api/v1/attachments",
        headers=cb_world.admin.headers,
        params={"owner": "co_building.activity", "owner_id": activity["id"]},
    )
    cb.client.cookies.clear()
    assert [a["name"] for a in listed.json()] == ["活动照片说明.pdf"]
