"""The login → tree round trip on both backends."""

from __future__ import annotations


async def test_login_me_and_create_node(client, admin):
    me = await client.get("/api/v1/auth/me", headers=admin.headers)
    assert me.status_code == 200
    assert me.json()["username"] == admin.user.username
    created = await client.post(
        "/api/v1/org/nodes",
        headers=admin.headers,
        json={"parent_id": str(admin.tenant.root_id), "kind": "street", "name": "和平路街道"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "street"
    subtree = await client.get(f"/api/v1/org/nodes/{admin.tenant.root_id}/subtree", headers=admin.headers)
    assert [n["name"] for n in subtree.json()["items"]] == ["测试区", "和平路街道"]
