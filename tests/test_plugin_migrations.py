"""Each plugin migrates on its own branch: installed later it is picked up, uninstalled it is ignored."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from core.db.engine import create_engine
from core.db.migrate import current_revisions, head_revisions, upgrade
from core.plugins.host import PluginHost, set_host


def host_with(*modules) -> PluginHost:
    host = PluginHost()
    for module in modules:
        host.register(module)
    return host


async def tables_of(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.fixture
def restore_host(plugin_host):
    yield
    set_host(plugin_host)


async def test_install_later_then_uninstall(tmp_path, restore_host):
    from tests.fixture_plugins import hello

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}")
    try:
        set_host(host_with())
        await upgrade(engine)
        assert "hello_note" not in await tables_of(engine)
        assert (await current_revisions(engine))["core"] == head_revisions()["core"]

        set_host(host_with(hello))
        await upgrade(engine)
        assert "hello_note" in await tables_of(engine)
        assert (await current_revisions(engine))["hello"] == ["hello_0001"]
        assert "alembic_version_hello" in await tables_of(engine)

        set_host(host_with())
        await upgrade(engine)  # the uninstalled plugin's version table is simply not consulted
        assert "hello_note" in await tables_of(engine), "uninstalling never drops a plugin's data"
        set_host(host_with(hello))
        await upgrade(engine)  # reinstalled at the same version: nothing to do
        assert (await current_revisions(engine))["hello"] == ["hello_0001"]
    finally:
        await engine.dispose()
