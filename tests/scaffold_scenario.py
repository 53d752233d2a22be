"""Run in a fresh interpreter by tests/test_scaffold.py: a scaffolded plugin, pip-installed, end to end.

argv: <site dir with the pip-installed package> <scratch dir> <plugin slug>. Prints "OK" when every
check held. A fresh interpreter keeps the plugin's table out of the suite's metadata and its
distribution out of the suite's entry points.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import sys
from pathlib import Path
from typing import Any


async def main(site: str, scratch: Path, slug: str) -> None:
    sys.path.insert(0, site)
    from core.plugins.host import PluginHost, set_host
    from core.settings import Settings, override_settings

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
    assert slug in host.plugins, f"not discovered: {sorted(host.plugins)} {host.broken}"
    distribution = f"quanyu-{slug.replace('_', '-')}"
    assert distribution in host.plugins[slug].source, host.plugins[slug].source
    set_host(host)  # this interpreter's only host: nothing of the suite's to restore
    await check(host, scratch, slug)
    print("OK")


async def check(host: Any, scratch: Path, slug: str) -> None:
    import httpx
    from sqlalchemy import inspect

    from core.auth.service import create_user
    from core.db.engine import create_engine
    from core.db.migrate import current_revisions, upgrade
    from core.db.session import Database, set_database
    from core.orgs.models import OrgNode
    from core.tenancy.service import TenantDefinition, provision, root_node
    from core.tenancy.settings import SecurityPolicy, TenantSettings
    from core.web.app import create_app

    url = f"sqlite+aiosqlite:///{scratch / 'scaffold.db'}"
    owner = create_engine(url)
    try:
        await upgrade(owner)
        async with owner.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert f"{slug}_item" in tables, tables
        assert (await current_revisions(owner))[slug] == [f"{slug}_0001"]
    finally:
        await owner.dispose()

    database = Database(url)
    set_database(database)
    districts: dict[str, tuple[str, object]] = {}
    for label, code in (("a", "320121"), ("b", "320122")):
        async with database.system_transaction() as session:
            tenant = await provision(
                session,
                TenantDefinition(
                    code=code,
                    slug=f"new-{label}",
                    name_zh=f"{label}区",
                    name_en=label,
                    # The administrator logs in with a password alone (no second factor here).
                    settings=TenantSettings(security=SecurityPolicy(totp_required_for_admins=False)),
                ),
            )
            root = await root_node(session, tenant.id)
        async with database.transaction(tenant.id) as session:
            await create_user(
                session,
                username="admin",
                display_name="管理员",
                org_node=await session.get_one(OrgNode, (tenant.id, root.id)),
                password="New-Passw0rd!",
                role_keys=["system_admin"],
                must_change_password=False,
            )
        districts[label] = (tenant.slug, root.id)

    app = create_app(database, None, plugin_host=host)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50003))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        headers = {}
        for label, (district, _root) in districts.items():
            login = await client.post(
                "/api/v1/auth/login",
                json={"district": district, "username": "admin", "password": "New-Passw0rd!"},
            )
            assert login.status_code == 200, login.text
            headers[label] = {"Authorization": f"Bearer {login.json()['token']}"}
            client.cookies.clear()

        def items(label: str) -> str:
            return f"/api/v1/m/{slug}/nodes/{districts[label][1]}/items"

        assert (await client.get(items("a"), headers=headers["a"])).status_code == 404, "not enabled yet"
        enabled = await client.post(f"/api/v1/plugins/{slug}/enable", headers=headers["a"])
        assert enabled.status_code == 200, enabled.text
        created = await client.post(items("a"), headers=headers["a"], json={"title": "第一项"})
        assert created.status_code == 201, created.text
        listed = await client.get(items("a"), headers=headers["a"])
        assert listed.status_code == 200 and listed.json()["total"] == 1, listed.text
        assert (await client.get(items("b"), headers=headers["b"])).status_code == 404, "B has not enabled it"
        refused = await client.post(items("b"), headers=headers["b"], json={"title": "乙"})
        assert refused.status_code == 404, refused.text
    await database.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
