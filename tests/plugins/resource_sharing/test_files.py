"""A resource takes photos and floor plans: its provider attaches them, whoever sees it reads them."""

from __future__ import annotations

import io


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, "PNG")
    return out.getvalue()


async def test_the_provider_attaches_a_photo_that_a_reader_sees(rs, resource_world, admin, make_actor):
    world = await resource_world()
    owner = {"owner": "resource_sharing.resource", "owner_id": world.resource_id}
    uploaded = await rs.client.post(
        "/api/v1/attachments",
        headers=admin.headers,
        data=owner,
        files={"file": ("活动室.png", _png(), "image/png")},
    )
    rs.client.cookies.clear()
    assert uploaded.status_code == 201, uploaded.text

    reader = await make_actor("viewer", tenant=admin.tenant, node_id=world.other_community.id)
    listed = await rs.client.get("/api/v1/attachments", headers=reader.headers, params=owner)
    rs.client.cookies.clear()
    assert listed.status_code == 200 and uploaded.json()["id"] in listed.text

    # The reader sees the resource but does not provide it: no uploads.
    refused = await rs.client.post(
        "/api/v1/attachments",
        headers=reader.headers,
        data=owner,
        files={"file": ("x.png", _png(), "image/png")},
    )
    rs.client.cookies.clear()
    assert refused.status_code in (403, 404)
