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


# The property tests/test_fuzz_openapi.py records its table under (a literal there too: importing the
# test module from here would import schemathesis for every run).
SCHEMATHESIS_CASES_PROPERTY = "schemathesis_cases_per_operation"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The schemathesis run's cases per operation (tests/test_fuzz_openapi.py), printed whether it passed or not."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == SCHEMATHESIS_CASES_PROPERTY and report.when == "call":
                    terminalreporter.write_sep("-", f"schemathesis cases per operation: {report.nodeid}")
                    terminalreporter.write_line(str(value))
