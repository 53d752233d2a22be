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


def test_serve_runs_several_processes_whose_metrics_add_up(tmp_path):
    """`quanyu serve` with QUANYU_WORKERS=2: both processes answer, /metrics counts the requests of both
    (prometheus_client's multiprocess folder), the Server header is gone, and SIGTERM stops it cleanly."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    quanyu = str(Path(sys.executable).with_name("quanyu"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("QUANYU_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(QUANYU_VAR_DIR=str(tmp_path), QUANYU_PORT=str(port), QUANYU_WORKERS="2")
    subprocess.run([quanyu, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen([quanyu, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # two processes importing every plugin, on a busy CI machine
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "quanyu serve did not start"
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                time.sleep(0.2)
        answered = 1
        for _ in range(60):  # new connections each time: the two processes share the listening socket
            response = httpx.get(f"{url}/health/live", timeout=5)
            assert response.status_code == 200 and "server" not in response.headers
            answered += 1
        time.sleep(0.5)
        metrics = httpx.get(f"{url}/metrics", timeout=5).text
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("quanyu_requests_total{") and 'path="/health/live"' in line
        )
        assert counted == answered, metrics
        assert (tmp_path / f"metrics-{port}").is_dir()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=40) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_the_compose_file_follows_the_compose_specification():
    import subprocess
    import sys

    checker = Path(sys.executable).with_name("check-jsonschema")
    checked = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "deploy/compose.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_kubernetes_manifests_are_valid_and_complete():
    import kubernetes_validate
    import yaml

    kinds = set()
    for path in sorted((ROOT / "deploy/k8s").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            listed = yaml.safe_load(path.read_text(encoding="utf-8"))["resources"]
            assert all((path.parent / name).exists() for name in listed)
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(document, "1.30.0", strict=True)
            kinds.add((document["kind"], document["metadata"]["name"]))
            if document["kind"] == "Deployment" and document["metadata"]["name"] == "quanyu-api":
                container = document["spec"]["template"]["spec"]["containers"][0]
                assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
                assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
                assert container["resources"]["requests"]
    assert {
        ("Deployment", "quanyu-api"),
        ("Deployment", "quanyu-worker"),
        ("Deployment", "quanyu-scheduler"),
        ("Job", "quanyu-migrate"),
        ("Service", "quanyu-api"),
        ("StatefulSet", "redis"),
    } <= kinds


def test_quanyu_settings_hides_secrets_and_passwords():
    from click.testing import CliRunner

    from core.cli import main
    from core.settings import get_settings, override_settings

    original = get_settings()
    override_settings(
        msgspec.structs.replace(
            original,
            secret_key="c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=",
            redis_url="redis://:redis-pass@redis.internal:6379/0",
            smtp_url="smtp://quanyu:mail-pass@mail.internal:587",
            metrics_token="scrape-token",
        )
    )
    try:
        shown = CliRunner().invoke(main, ["settings"])
        table = CliRunner().invoke(main, ["settings", "--markdown"])
    finally:
        override_settings(original)
    assert shown.exit_code == 0, shown.output
    for secret in ("c2VjcmV0", "redis-pass", "mail-pass", "scrape-token"):
        assert secret not in shown.output
    assert "QUANYU_SECRET_KEY=(set, hidden)" in shown.output
    assert "QUANYU_REDIS_URL=redis://:***@redis.internal:6379/0" in shown.output
    assert table.exit_code == 0 and table.output == settings_markdown_table()
