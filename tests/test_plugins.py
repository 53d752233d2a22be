"""The plugin host: discovery, per-district enablement and configuration, the gate, failing plugins."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint

import pytest

from core.plugins.host import PluginHost

API = "/api/v1/plugins"


def greeting_url(admin):
    return f"/api/v1/m/hello/nodes/{admin.tenant.root_id}/greeting"


async def test_installed_plugins_are_listed_disabled_until_a_district_enables_them(client, admin):
    listed = await client.get(API, headers=admin.headers)
    assert listed.status_code == 200
    by_slug = {p["slug"]: p for p in listed.json()}
    assert {"hello", "hello_extra", "faulty"} <= set(by_slug)
    assert by_slug["hello"]["enabled"] is False
    assert by_slug["hello"]["config"] == {"greeting": "你好", "repeat": 1}
    assert by_slug["hello_extra"]["requires"] == {"hello": ">=1.0"}


async def test_a_plugin_route_is_404_until_enabled_and_again_after_disabling(client, admin):
    assert (await client.get(greeting_url(admin), headers=admin.headers)).status_code == 404
    enabled = await client.post(f"{API}/hello/enable", headers=admin.headers)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    shown = await client.get(greeting_url(admin), headers=admin.headers)
    assert shown.status_code == 200 and shown.json()["text"] == "你好，测试区"
    assert (await client.post(f"{API}/hello/disable", headers=admin.headers)).status_code == 200
    assert (await client.get(greeting_url(admin), headers=admin.headers)).status_code == 404


async def test_enabling_in_one_district_leaves_another_untouched(
    client, admin, make_tenant, make_user, login
):
    other_tenant = await make_tenant()
    other = await login(other_tenant, await make_user(other_tenant, "system_admin"))
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    url = f"/api/v1/m/hello/nodes/{other_tenant.root_id}/greeting"
    assert (await client.get(url, headers=other)).status_code == 404
    assert {p["slug"]: p["enabled"] for p in (await client.get(API, headers=other)).json()}["hello"] is False


async def test_configuration_is_validated_kept_while_disabled_and_restored(client, admin):
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    bad = await client.put(f"{API}/hello/config", headers=admin.headers, json={"greeting": "早", "repeat": 9})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["repeat"]
    unknown = await client.put(f"{API}/hello/config", headers=admin.headers, json={"colour": "red"})
    assert unknown.status_code == 422 and "colour" in unknown.text
    good = await client.put(
        f"{API}/hello/config", headers=admin.headers, json={"greeting": "早", "repeat": 2}
    )
    assert good.status_code == 200 and good.json()["config"] == {"greeting": "早", "repeat": 2}
    await client.post(f"{API}/hello/disable", headers=admin.headers)
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    shown = await client.get(greeting_url(admin), headers=admin.headers)
    assert shown.json()["text"] == "早早，测试区"
    schema = (await client.get(f"{API}/hello/config-schema", headers=admin.headers)).json()
    assert "greeting" in str(schema) and "repeat" in str(schema)


async def test_requirements_are_checked_both_ways(client, admin):
    early = await client.post(f"{API}/hello_extra/enable", headers=admin.headers)
    assert early.status_code == 409 and early.json()["code"] == "requirements_unmet"
    assert "hello" in early.json()["detail"]
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    assert (await client.post(f"{API}/hello_extra/enable", headers=admin.headers)).status_code == 200
    blocked = await client.post(f"{API}/hello/disable", headers=admin.headers)
    assert blocked.status_code == 409 and blocked.json()["code"] == "required_by_enabled"
    assert "hello_extra" in blocked.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("post", "nope/enable", 404, "unknown_plugin"),
        ("get", "nope", 404, "not_found"),
        ("post", "hello/disable", 409, "not_enabled"),
        ("post", "Bad-Slug/enable", 400, None),
    ],
)
async def test_bad_plugin_requests(client, admin, method, path, status, code):
    response = await getattr(client, method)(f"{API}/{path}", headers=admin.headers)
    assert response.status_code in (status, 422) if code is None else response.status_code == status
    if code:
        assert response.json()["code"] == code


async def test_double_enable_is_refused(client, admin):
    assert (await client.post(f"{API}/hello/enable", headers=admin.headers)).status_code == 200
    again = await client.post(f"{API}/hello/enable", headers=admin.headers)
    assert again.status_code == 409 and again.json()["code"] == "already_enabled"


async def test_a_plugin_may_refuse_to_be_enabled_and_nothing_is_written(
    client, make_tenant, make_user, login
):
    tenant = await make_tenant(name_zh="拒绝区")
    headers = await login(tenant, await make_user(tenant, "system_admin"))
    await client.post(f"{API}/hello/enable", headers=headers)
    refused = await client.post(f"{API}/hello_extra/enable", headers=headers)
    assert refused.status_code == 409 and refused.json()["code"] == "plugin_refused"
    assert {p["slug"]: p["enabled"] for p in (await client.get(API, headers=headers)).json()}[
        "hello_extra"
    ] is False


async def test_only_district_level_configurers_switch_plugins(client, admin, make_user, make_node, login):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "街道")
    secretary = await login(admin.tenant, await make_user(admin.tenant, "secretary", node_id=street.id))
    assert (await client.post(f"{API}/hello/enable", headers=secretary)).status_code == 403


async def test_a_failing_plugin_is_left_out_and_named_in_the_log(plugin_host, caplog):
    caplog.set_level(logging.ERROR, logger="quanyu.plugins")
    results = await plugin_host.call(
        "quanyu_dashboard_figures", enabled={"faulty", "hello"}, tenant_id=None, node=None, session=None
    )
    assert results == []
    assert any(
        "faulty" in r.getMessage() and "quanyu_dashboard_figures" in r.getMessage() for r in caplog.records
    )


def test_tenant_bound_hooks_need_the_enabled_set(plugin_host):
    import asyncio

    with pytest.raises(ValueError, match="tenant-bound"):
        asyncio.run(plugin_host.call("quanyu_dashboard_figures", tenant_id=None, node=None, session=None))


def test_entry_points_that_fail_to_import_are_recorded_and_the_rest_load(monkeypatch):
    points = [
        EntryPoint("broken", "no_such_module_for_quanyu:plugin", "quanyu.plugins"),
        EntryPoint("hello", "tests.fixture_plugins.hello", "quanyu.plugins"),
    ]
    monkeypatch.setattr("core.plugins.host.entry_points", lambda group: points)
    host = PluginHost().load_entry_points()
    assert list(host.plugins) == ["hello"]
    assert [b.name for b in host.broken] == ["broken"]
    assert "ModuleNotFoundError" in host.broken[0].error


def test_bad_manifests_and_duplicate_slugs_are_refused():
    import types

    from core.api import Manifest, hookimpl
    from tests.fixture_plugins import hello

    def plugin(**fields):
        module = types.ModuleType(f"fake_{fields['slug']}_{fields['version']}")

        @hookimpl
        def quanyu_manifest():
            return Manifest(name_zh="假", name_en="Fake", **fields)

        module.quanyu_manifest = quanyu_manifest
        return module

    host = PluginHost()
    assert host.register(hello) is not None
    assert host.register(plugin(slug="hello", version="2.0")) is None
    assert host.register(plugin(slug="bad_version", version="one")) is None
    assert host.register(plugin(slug="bad_core", version="1.0", core_api=">=3")) is None
    assert host.register(plugin(slug="bad_requires", version="1.0", requires={"hello": "newest"})) is None
    errors = " | ".join(b.error for b in host.broken)
    assert "taken" in errors and "PEP 440" in errors and "core API" in errors and "version range" in errors


async def test_the_enabled_set_is_shared_across_api_processes(database, redis_client, admin, client):
    if redis_client is None:
        pytest.skip("several API processes share state through Redis; the embedded mode runs one")
    import httpx

    from core.web.app import create_app

    second = create_app(database, redis_client)
    transport = httpx.ASGITransport(app=second, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other_process:
        assert (await other_process.get(greeting_url(admin), headers=admin.headers)).status_code == 404
        await client.post(f"{API}/hello/enable", headers=admin.headers)
        assert (await other_process.get(greeting_url(admin), headers=admin.headers)).status_code == 200
        await client.post(f"{API}/hello/disable", headers=admin.headers)
        assert (await other_process.get(greeting_url(admin), headers=admin.headers)).status_code == 404


def test_cli_lists_enables_and_disables(cli, tmp_path):
    import json
    import secrets

    slug = f"pl{secrets.token_hex(3)}"
    definition = tmp_path / "d.toml"
    definition.write_text(
        f'code = "{200000 + secrets.randbelow(600000)}"\nslug = "{slug}"\nname_zh = "插件区"\nname_en = "Plugin"\n',
        encoding="utf-8",
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0
    listed = json.loads(cli("plugin", "list", "--json", "--tenant", slug).output)
    assert {p["slug"]: p["enabled"] for p in listed["plugins"]}["hello"] is False
    assert cli("plugin", "enable", "hello", "--tenant", slug).exit_code == 0
    unmet = cli("plugin", "disable", "hello_extra", "--tenant", slug)
    assert unmet.exit_code == 1 and "not enabled" in unmet.output
    listed = json.loads(cli("plugin", "list", "--json", "--tenant", slug).output)
    assert {p["slug"]: p["enabled"] for p in listed["plugins"]}["hello"] is True
    unknown = cli("plugin", "enable", "nope", "--tenant", slug)
    assert unknown.exit_code == 1 and "No plugin nope" in unknown.output

    still_on = cli("plugin", "purge", "hello", "--tenant", slug, "--yes")
    assert still_on.exit_code == 1 and "Disable hello before purging" in still_on.output
    assert cli("plugin", "disable", "hello", "--tenant", slug).exit_code == 0
    declined = cli("plugin", "purge", "hello", "--tenant", slug, input="n\n")
    assert declined.exit_code == 1 and "hello_note: 0 rows" in declined.output
    assert "nothing was deleted" in declined.output
    purged = cli("plugin", "purge", "hello", "--tenant", slug, input="y\n")
    assert purged.exit_code == 0 and "deleted 0 rows of hello" in purged.output, purged.output
    listed = json.loads(cli("plugin", "list", "--json", "--tenant", slug).output)
    assert {p["slug"]: p["enabled"] for p in listed["plugins"]}["hello"] is False


async def test_purge_shows_then_deletes_only_a_disabled_plugins_data_here(
    client, admin, database, make_tenant
):
    from tests.fixture_plugins.hello import HelloNote

    other = await make_tenant()
    for tenant in (admin.tenant, other):
        async with database.transaction(tenant.id) as session:
            session.add(HelloNote(org_node_id=tenant.root_id, text="旧留言"))
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    preview = await client.get(f"{API}/hello/purge", headers=admin.headers)
    assert preview.status_code == 200 and preview.json() == {"rows": {"hello_note": 1}}
    enabled = await client.post(f"{API}/hello/purge", headers=admin.headers, json={"confirm": "hello"})
    assert enabled.status_code == 409 and enabled.json()["code"] == "still_enabled"
    await client.post(f"{API}/hello/disable", headers=admin.headers)
    unconfirmed = await client.post(f"{API}/hello/purge", headers=admin.headers, json={"confirm": "yes"})
    assert unconfirmed.status_code == 422 and unconfirmed.json()["errors"][0]["field"] == "confirm"
    purged = await client.post(f"{API}/hello/purge", headers=admin.headers, json={"confirm": "hello"})
    assert purged.status_code == 200 and purged.json() == {"rows": {"hello_note": 1}}
    assert (await client.get(f"{API}/hello/purge", headers=admin.headers)).json() == {
        "rows": {"hello_note": 0}
    }
    async with database.transaction(other.id) as session:
        from sqlalchemy import func, select

        assert await session.scalar(select(func.count()).select_from(HelloNote)) == 1, (
            "another district keeps its data"
        )


async def test_enabling_gives_built_in_roles_the_plugins_default_permissions(client, admin, make_user, login):
    viewer = await login(admin.tenant, await make_user(admin.tenant, "viewer"))
    await client.post(f"{API}/hello/enable", headers=admin.headers)
    me = (await client.get("/api/v1/auth/me", headers=admin.headers)).json()
    assert "hello.greet" in me["permissions"]
    viewer_me = (await client.get("/api/v1/auth/me", headers=viewer)).json()
    assert "hello.greet" not in viewer_me["permissions"], "not a default of viewer"


async def test_plugins_hear_of_a_new_district_and_a_failing_one_is_left_out(make_tenant, database):
    from tests.fixture_plugins import hello_extra

    tenant = await make_tenant("新设区")
    assert tenant.id in hello_extra.PROVISIONED, "every installed plugin is told, enabled or not"
    from core.tenancy.models import Tenant

    async with database.system_transaction() as session:
        stored = await session.get_one(Tenant, tenant.id)
    assert stored.name_zh == "新设区", "the failing plugin's write was undone with its savepoint"


def test_an_operator_queues_a_job_by_hand(cli, tmp_path, backend):
    import json
    import secrets

    from sqlalchemy import func, select

    from tests.fixture_plugins.hello import HelloNote

    slug = f"jb{secrets.token_hex(3)}"
    definition = tmp_path / "d.toml"
    definition.write_text(
        f'code = "{200000 + secrets.randbelow(600000)}"\nslug = "{slug}"\nname_zh = "作业区"\nname_en = "Jobs"\n',
        encoding="utf-8",
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0
    assert cli("plugin", "enable", "hello", "--tenant", slug).exit_code == 0
    unknown = cli("enqueue", "hello.nope", "--tenant", slug)
    assert unknown.exit_code == 1 and "no job named 'hello.nope'" in unknown.output
    bad = cli("enqueue", "hello.morning_greeting", "--tenant", slug, "--payload", "[1]")
    assert bad.exit_code == 1 and "JSON object" in bad.output
    queued = cli("enqueue", "hello.morning_greeting", "--tenant", slug, "--now")
    assert queued.exit_code == 0 and "queued hello.morning_greeting" in queued.output, queued.output
    assert cli("worker", "--once").exit_code == 0
    tenant_id = json.loads(cli("tenant", "show", slug, "--json").output)["id"]

    async def notes() -> int:
        import uuid

        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(backend.system_url)  # this test's own loop: its own engine
        try:
            async with engine.connect() as conn:
                count = await conn.scalar(
                    select(func.count())
                    .select_from(HelloNote)
                    .where(HelloNote.tenant_id == uuid.UUID(tenant_id))
                )
        finally:
            await engine.dispose()
        return int(count or 0)

    import asyncio

    assert asyncio.run(notes()) == 1
