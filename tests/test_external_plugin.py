"""A plugin package from outside the repository, pip-installed, works end to end.

It is built and installed with pip into a scratch directory, then a fresh
interpreter (so its models never join this process's metadata) discovers it
through the ``quanyu.plugins`` entry point, migrates it, enables it for one
district (404 for the other), runs its job with the right tenant and shows its
figure on that district's dashboard only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "external_plugin"


def test_an_installed_external_plugin_is_discovered_migrated_gated_and_counted(tmp_path):
    site = tmp_path / "site"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    assert (site / "quanyu_external_demo" / "migrations" / "versions" / "external_demo_0001.py").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANYU_")}
    scenario = subprocess.run(
        [sys.executable, str(PACKAGE / "scenario.py"), str(site), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert scenario.returncode == 0 and scenario.stdout.strip().endswith("OK"), (
        scenario.stdout + scenario.stderr
    )
