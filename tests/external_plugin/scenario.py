"""Run in a fresh interpreter by tests/test_external_plugin.py: the installed package end to end.

argv: <site dir with the pip-installed package> <scratch dir>. Prints "OK" when every check held.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sys
from pathlib import Path


async def main(site: str, scratch: Path) -> None:
    sys.path.insert(0, site)
    import httpx
    from sqlalchemy import inspect

    from core.auth.service import create_user
    from core.db.engine import create_engine
    from core.db.migrate import current_revisions, upgrade
    from core.db.session import Database, set_database
    from core.jobs.service import enqueue, run_due
    from core.orgs.models import OrgNode
    from core.plugins.host import PluginHost, set_host
    from core.settings import Settings, override_settings
    from core.tenancy.service import TenantDefinition, provision, root_node
    from core.tenancy.settings import SecurityPolicy, TenantSettings
    from core.web.app import create_app

    override_settings(
        Settings(
            var_dir=str(scratch),
            secret_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            argon2_time_cost=1,
            argon2_memory_kib=64,
            embedded_worker=False,
        )
    )
    host = PluginHost().load_entry_points()
    assert "external_demo" in host.plugins, f"not discovered: {host.plugins.keys()} {host.broken}"
    assert "quanyu-external-demo" in host.plugins["external_demo"].source
    set_host(host)

    url = f"sqlite+aiosqlite:///{scratch / 'external.db'}"
    owner = create_engine(url)
    await upgrade(owner)
    async with owner.connect() as conn:
        assert "external_visit" in await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert (await current_revisions(owner))["external_demo"] == ["external_demo_0001"]
    await owner.dispose()

    database = Database(url)
    set_database(database)
    districts = {}
    for label, code in (("a", "320111"), ("b", "320112")):
        async with database.system_transaction() as session:
            tenant = await provision(
                session,
                TenantDefinition(
                    code=code,
                    slug=f"ext-{label}",
                    name_zh=f"{label}区",
                    name_en=label,
                    # The administrator logs in with a password alone (no second factor here).
                    settings=TenantSettings(security=SecurityPolicy(totp_required_for_admins=False)),
                ),
            )
            root = await root_node(session, tenant.id)
        async with database.transaction(tenant.id) as session:
            node = await session.get_one(OrgNode, (tenant.id, root.id))
            await create_user(
                session,
                username="admin",
                display_name="管理员",
                org_node=node,
                password="Ext-Passw0rd!",
                role_keys=["system_admin"],
                must_change_password=False,
            )
        districts[label] = (tenant.id, root.id)

    app = create_app(database, None, plugin_host=host)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {}
        for label in districts:
            login = await client.post(
                "/api/v1/auth/login",
                json={"district": f"ext-{label}", "username": "admin", "password": "Ext-Passw0rd!"},
            )
            assert login.status_code == 200, login.text
            headers[label] = {"Authorization": f"Bearer {login.json()['token']}"}
            client.cookies.clear()
        enabled = await client.post("/api/v1/plugins/external_demo/enable", headers=headers["a"])
        assert enabled.status_code == 200, enabled.text

        def visits(label: str) -> str:
            return f"/api/v1/m/external_demo/visits?node={districts[label][1]}"

        assert (await client.get(visits("a"), headers=headers["a"])).json() == {"visits": 0}
        assert (await client.get(visits("b"), headers=headers["b"])).status_code == 404, "invisible to B"

        for tenant_id, root_id in districts.values():
            async with database.transaction(tenant_id) as session:
                await enqueue(session, "external_demo.record_visit", {"org_node_id": str(root_id)})
        assert await run_due(database, host) == 2
        assert (await client.get(visits("a"), headers=headers["a"])).json() == {"visits": 1}

        async def figures(label: str) -> dict[tuple[str, str], object]:
            response = await client.get(
                "/api/v1/dashboard", headers=headers[label], params={"node": str(districts[label][1])}
            )
            assert response.status_code == 200, response.text
            return {(f["plugin"], f["key"]): f["value"] for f in response.json()["figures"]}

        assert (await figures("a"))[("external_demo", "visits")] == 1
        assert ("external_demo", "visits") not in await figures("b"), "B's dashboard shows nothing of it"
        async with database.transaction(districts["b"][0]) as session:
            from quanyu_external_demo import Visit
            from sqlalchemy import func, select

            assert await session.scalar(select(func.count()).select_from(Visit)) == 0, (
                "B's job skipped itself"
            )
    await database.dispose()
    print("OK")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
