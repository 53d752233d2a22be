"""``quanyu plugin new``: the package it writes installs, is discovered, migrates, serves and tests itself.

The generated package is built and installed with pip into a scratch directory
and exercised in fresh interpreters, so its table never joins this suite's
metadata and its entry point never reaches the suite's plugin host.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.plugins.cli import plugin

SLUG = "demo_thing"
PACKAGE = f"quanyu_{SLUG}"
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

ROOMS = {
    "pyproject.toml",
    "README.md",
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/models.py",
    f"{PACKAGE}/schemas.py",
    f"{PACKAGE}/services.py",
    f"{PACKAGE}/routes.py",
    f"{PACKAGE}/migrations/versions/{SLUG}_0001.py",
    f"{PACKAGE}/locale/zh_CN/LC_MESSAGES/{PACKAGE}.po",
    "tests/conftest.py",
    f"tests/test_{SLUG}.py",
}


def new(parent: Path, *args: str):
    return CliRunner().invoke(plugin, ["new", *args, "--dir", str(parent)])


def files_under(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUANYU_", "PYTEST_"))}
    return {**env, **extra}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    parent = tmp_path_factory.mktemp("scaffold")
    result = new(parent, SLUG, "--name-zh", "演示事项")
    assert result.exit_code == 0, result.output
    return parent / "quanyu-demo-thing"


def test_it_writes_a_package_with_the_rooms_of_a_plugin(generated):
    assert files_under(generated) == ROOMS
    project = tomllib.loads((generated / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "quanyu-demo-thing"
    assert project["project"]["entry-points"]["quanyu.plugins"] == {SLUG: PACKAGE}
    assert [d for d in project["project"]["dependencies"] if d.startswith("quanyu")]
    assert project["build-system"]["build-backend"] == "hatchling.build"
    init = (generated / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert 'name_zh="演示事项"' in init and 'name_en="Demo thing"' in init
    migration = (generated / PACKAGE / "migrations" / "versions" / f"{SLUG}_0001.py").read_text()
    assert f'revision = "{SLUG}_0001"' in migration and f'enable_tenant_rls(op, "{SLUG}_item")' in migration


def test_the_generated_code_imports_only_core_api_from_the_core(generated):
    for path in generated.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            imported = re.match(r"\s*(?:from|import)\s+(core|tests)\b(\S*)", line)
            assert not imported or (imported.group(1), imported.group(2)) == ("core", ".api"), (
                f"{path}: {line}"
            )


def test_the_generated_package_is_lint_clean(generated):
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [str(BIN / "ruff"), *command], cwd=generated, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Demo", "not a plugin name"),
        ("demo-thing", "not a plugin name"),
        ("1demo", "not a plugin name"),
        ("d", "not a plugin name"),
        ("demo thing", "not a plugin name"),
        ("a" * 28, "at most 27 characters"),
    ],
)
def test_a_bad_name_is_refused_and_nothing_is_written(tmp_path, name, message):
    result = new(tmp_path, name)
    assert result.exit_code == 1
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_display_name_that_cannot_be_quoted_is_refused(tmp_path):
    result = new(tmp_path, SLUG, "--name-zh", '演示"事项')
    assert result.exit_code == 1 and "--name-zh" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_refused_and_left_alone(tmp_path):
    existing = tmp_path / "quanyu-demo-thing"
    existing.mkdir()
    (existing / "mine.txt").write_text("keep me")
    result = new(tmp_path, SLUG)
    assert result.exit_code == 1 and "already exists" in result.output
    assert files_under(existing) == {"mine.txt"}
    assert [p.name for p in tmp_path.iterdir()] == ["quanyu-demo-thing"]


def test_pip_installed_it_is_discovered_migrated_and_served_only_where_enabled(generated, tmp_path):
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
            str(generated),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    assert (site / PACKAGE / "migrations" / "versions" / f"{SLUG}_0001.py").exists()
    assert (site / PACKAGE / "locale" / "zh_CN" / "LC_MESSAGES" / f"{PACKAGE}.po").exists()
    scenario = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "scaffold_scenario.py"), str(site), str(tmp_path), SLUG],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(),
        cwd=ROOT,
    )
    assert scenario.returncode == 0 and scenario.stdout.strip().endswith("OK"), (
        scenario.stdout + scenario.stderr
    )


def test_its_own_tests_pass_with_the_core_fixtures(generated):
    result = subprocess.run(
        [str(BIN / "pytest"), str(generated / "tests"), "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=300,
        env=child_env(QUANYU_TEST_BACKENDS="sqlite", PYTHONPATH=str(generated)),
        cwd=generated,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b4 passed\b", result.stdout), result.stdout
