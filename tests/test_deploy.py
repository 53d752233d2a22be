"""deploy/: the settings table is the settings code's, and the example environment file is complete and valid."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec

from core.settings import Settings, settings_from_env, settings_markdown_table

ROOT = Path(__file__).resolve().parents[1]


def test_the_runbook_table_is_generated_from_the_settings():
    text = (ROOT / "deploy/README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings table: begin -->\n(.*?)<!-- settings table: end -->", text, re.S)
    assert block, "deploy/README.md lost its settings table markers"
    assert block.group(1) == settings_markdown_table(), (
        "deploy/README.md's settings table is stale: regenerate it with `quanyu settings --markdown`"
    )
    for field in msgspec.structs.fields(Settings):
        assert f"`QUANYU_{field.name.upper()}`" in block.group(1)


def test_the_example_environment_names_every_setting_and_parses():
    lines = (ROOT / "deploy/env.example").read_text(encoding="utf-8").splitlines()
    values = dict(line.split("=", 1) for line in lines if line.startswith("QUANYU_"))
    known = {f"QUANYU_{field.name.upper()}" for field in msgspec.structs.fields(Settings)}
    assert set(values) == known, (
        f"missing: {sorted(known - set(values))}; unknown: {sorted(set(values) - known)}"
    )
    settings = settings_from_env(values)
    assert settings.embedded_worker is False and settings.log_json is True


def test_the_systemd_units_verify(tmp_path):
    """``systemd-analyze verify`` on each unit (the binary path swapped for one that exists here)."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    units = sorted((ROOT / "deploy/systemd").glob("*.service"))
    assert {u.name for u in units} >= {
        "quanyu-api.service",
        "quanyu-worker@.service",
        "quanyu-scheduler.service",
    }
    for unit in units:
        target = tmp_path / unit.name.replace("@.", "@1.")
        target.write_text(
            unit.read_text(encoding="utf-8").replace("/opt/quanyu/.venv/bin/quanyu", "/bin/true")
        )
        checked = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(target)], capture_output=True, text=True, timeout=60
        )
        problems = [line for line in (checked.stdout + checked.stderr).splitlines() if line.strip()]
        assert checked.returncode == 0 and not problems, f"{unit.name}: {problems}"
