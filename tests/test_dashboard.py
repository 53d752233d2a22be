"""The dashboard gathers the core's figures and those of the district's enabled plugins for a subtree."""

from __future__ import annotations


def figures(response):
    assert response.status_code == 200, response.text
    return {(f["plugin"], f["key"]): f for f in response.json()["figures"]}


async def test_figures_follow_the_records_and_the_enabled_plugins(client, admin, make_node, database):
    from tests.fixture_plugins.hello import HelloNote

    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    url = "/api/v1/dashboard"
    before = figures(await client.get(url, headers=admin.headers, params={"node": str(street.id)}))
    assert before[("core", "members")]["value"] == 0
    assert ("hello", "notes") not in before, "a plugin the district has not enabled contributes nothing"

    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    await client.post("/api/v1/plugins/faulty/enable", headers=admin.headers)
    enabled = figures(await client.get(url, headers=admin.headers, params={"node": str(street.id)}))
    assert enabled[("hello", "notes")]["value"] == 0
    assert enabled[("hello", "notes")]["name"] == "留言" and enabled[("hello", "notes")]["unit"] == "条"
    assert not [k for k in enabled if k[0] == "faulty"], "a plugin that raises is left out, the rest stay"

    async with database.transaction(admin.tenant.id) as session:
        session.add(HelloNote(org_node_id=street.id, text="第一条"))
        session.add(HelloNote(org_node_id=other_street.id, text="别处"))
    after = figures(await client.get(url, headers=admin.headers, params={"node": str(street.id)}))
    assert after[("hello", "notes")]["value"] == 1
    whole = figures(
        await client.get(
            url,
            headers={**admin.headers, "Accept-Language": "en"},
            params={"node": str(admin.tenant.root_id)},
        )
    )
    assert whole[("hello", "notes")]["value"] == 2 and whole[("hello", "notes")]["name"] == "Notes"


async def test_dashboard_bad_input(client, admin):
    missing = await client.get("/api/v1/dashboard", headers=admin.headers)
    assert missing.status_code in (400, 422) and "node" in missing.text
    wrong = await client.get("/api/v1/dashboard", headers=admin.headers, params={"node": "not-a-uuid"})
    assert wrong.status_code in (400, 422)
    import uuid

    absent = await client.get("/api/v1/dashboard", headers=admin.headers, params={"node": str(uuid.uuid4())})
    assert absent.status_code == 404


async def test_the_red_map_gathers_places_of_enabled_plugins_only(client, admin, enable_plugin, make_actor):
    url = "/api/v1/map"
    params = {"node": str(admin.tenant.root_id)}
    empty = await client.get(url, headers=admin.headers, params=params)
    assert empty.status_code == 200, empty.text
    assert empty.headers["content-type"].startswith("application/geo+json")
    assert empty.json() == {"type": "FeatureCollection", "features": []}

    await enable_plugin(admin, "hello")
    await enable_plugin(admin, "faulty")
    shown = (await client.get(url, headers=admin.headers, params=params)).json()
    assert [f["id"] for f in shown["features"]] == [f"hello:{admin.tenant.root_id}"], (
        "the malformed place and the failing plugin are left out"
    )
    feature = shown["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [119.45, 32.2]}
    assert (feature["properties"]["plugin"], feature["properties"]["greeting"]) == ("hello", "你好")

    other = await make_actor()
    elsewhere = await client.get(url, headers=other.headers, params={"node": str(admin.tenant.root_id)})
    assert elsewhere.status_code == 404
