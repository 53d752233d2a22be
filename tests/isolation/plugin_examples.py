"""Isolation examples of ``/api/v1/plugins`` and of every installed plugin's routes (their hook)."""

from __future__ import annotations

from core.plugins.host import get_host
from tests.isolation.registry import Example, register
from tests.isolation.world import World

API = "/api/v1/plugins"


@register("GET", API)
async def plugins_list(w: World) -> Example:
    await w.ensure_plugin("hello", enabled=True)
    return Example(API, kind="collection")


@register("GET", f"{API}/{{slug:str}}")
async def plugins_read(w: World) -> Example:
    return Example(f"{API}/hello", kind="collection")


@register("GET", f"{API}/{{slug:str}}/config-schema")
async def plugins_config_schema(w: World) -> Example:
    return Example(f"{API}/hello/config-schema", kind="collection")


@register("POST", f"{API}/{{slug:str}}/enable")
async def plugins_enable(w: World) -> Example:
    await w.ensure_plugin("hello_extra", enabled=False)
    return Example(f"{API}/hello_extra/enable", kind="local_write", readback=f"{API}/hello_extra")


@register("POST", f"{API}/{{slug:str}}/disable")
async def plugins_disable(w: World) -> Example:
    await w.ensure_plugin("hello_extra", enabled=True)
    return Example(f"{API}/hello_extra/disable", kind="local_write", readback=f"{API}/hello_extra")


@register("PUT", f"{API}/{{slug:str}}/config")
async def plugins_configure(w: World) -> Example:
    import secrets

    return Example(
        f"{API}/hello/config",
        json={"greeting": f"您好{secrets.token_hex(2)}"},
        kind="local_write",
        readback=f"{API}/hello",
    )


# Every installed plugin hands in the examples of its own routes through its hook.
for _slug, _examples in get_host().call_sync("quanyu_isolation_examples"):
    for (_method, _path), _builder in _examples.items():
        register(_method, _path)(_builder)


async def _note_in_a(w: World) -> None:
    from tests.fixture_plugins.hello import HelloNote

    assert w.a is not None
    async with w.database.transaction(w.a.id) as session:
        session.add(HelloNote(org_node_id=w.b1, text="待清除"))


@register("GET", f"{API}/{{slug:str}}/purge")
async def plugins_purge_preview(w: World) -> Example:
    await _note_in_a(w)
    return Example(f"{API}/hello/purge", kind="collection")


@register("POST", f"{API}/{{slug:str}}/purge")
async def plugins_purge(w: World) -> Example:
    await w.ensure_plugin("hello_extra", enabled=False)
    await w.ensure_plugin("hello", enabled=False)
    await _note_in_a(w)
    return Example(
        f"{API}/hello/purge", json={"confirm": "hello"}, kind="local_write", readback=f"{API}/hello/purge"
    )
