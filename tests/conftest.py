"""The process's plugin host for the suite: installed plugins plus the fixture plugins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.plugins.host import PluginHost, set_host


def build_test_host() -> PluginHost:
    from tests.fixture_plugins import faulty, hello, hello_extra

    host = PluginHost().load_entry_points()
    for module in (hello, hello_extra, faulty):
        host.register(module, source=f"tests ({module.__name__})")
    return host


TEST_HOST = build_test_host()
set_host(TEST_HOST)


@pytest.fixture(scope="session", autouse=True)
def plugin_host() -> Iterator[PluginHost]:
    set_host(TEST_HOST)
    yield TEST_HOST
