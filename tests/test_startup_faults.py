"""Faults at start-up and while writing: a database that cannot be reached or refuses the login, Redis
that does not answer, a full disk or a missing folder during an export. Each gives one line naming the
setting (password hidden) and a non-zero exit, or 503 from /health/ready, and leaves nothing half-written.
"""

from __future__ import annotations

import errno
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy.engine import make_url

from core.settings import Settings, override_settings
from core.testing import DEFAULT_TEST_DATABASE_URL, _in_ci

PASSWORD = "Sekr3t-pw"
CLOSED_PORT_URL = f"postgresql+asyncpg://quanyu:{PASSWORD}@127.0.0.1:1/quanyu"
CLOSED_REDIS_URL = f"redis://:{PASSWORD}@127.0.0.1:1/0"


def quanyu(settings: Settings, *args: str) -> Any:
    """Run a command in this process with ``settings``; a traceback would fail the test."""
    from click.testing import CliRunner

    from core.cli import main

    override_settings(settings)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        override_settings(None)


@pytest.fixture
def restore_settings(test_settings: Settings) -> Any:
    yield
    override_settings(test_settings)


def one_clear_line(result: Any, *expected: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert PASSWORD not in result.output, "the password is never shown"
    for part in expected:
        assert part in lines[0], lines[0]
    return str(lines[0])


COMMANDS = {
    "db upgrade": (("db", "upgrade"), "QUANYU_DATABASE_OWNER_URL"),
    "worker --once": (("worker", "--once"), "QUANYU_DATABASE_SYSTEM_URL"),
    "tenant export": (("tenant", "export", "runzhou", "archive.zip"), "QUANYU_DATABASE_SYSTEM_URL"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_database_nobody_answers_at_is_named_with_its_setting(
    command: str, test_settings: Settings, restore_settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    args, setting = COMMANDS[command]
    settings = msgspec.structs.replace(
        test_settings,
        database_url=CLOSED_PORT_URL,
        database_system_url=CLOSED_PORT_URL.replace("quanyu:", "quanyu_system:"),
        database_owner_url=CLOSED_PORT_URL.replace("quanyu:", "quanyu_owner:"),
    )
    line = one_clear_line(quanyu(settings, *args), setting, ":***@127.0.0.1:1/", "no server answers there")
    assert "check the host and port" in line
    assert not (tmp_path / "archive.zip").exists()


def postgresql_admin_url() -> str:
    url = make_url(os.environ.get("QUANYU_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL))
    try:
        socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3).close()
    except OSError as exc:
        if _in_ci():
            pytest.fail(f"PostgreSQL is unreachable: {exc} (CI=true)")
        pytest.skip(f"PostgreSQL is unreachable: {exc}")
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_login_the_server_refuses_is_one_line_that_does_not_say_which_part_was_wrong(
    command: str, test_settings: Settings, restore_settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # The local server trusts every local login, so a wrong password cannot be shown here; a role it
    # does not know is refused the same way (SQLSTATE class 28) and must read the same.
    monkeypatch.chdir(tmp_path)
    refused = (
        make_url(postgresql_admin_url())
        .set(username=f"quanyu_nobody_{secrets.token_hex(3)}", password=PASSWORD)
        .render_as_string(hide_password=False)
    )
    args, _setting = COMMANDS[command]
    settings = msgspec.structs.replace(test_settings, database_url=refused)
    one_clear_line(
        quanyu(settings, *args),
        "QUANYU_DATABASE_URL",
        ":***@",
        "the server refused the login (check the user name and password)",
    )


def test_a_url_of_another_database_is_refused_by_name(test_settings: Settings, restore_settings: Any) -> None:
    settings = msgspec.structs.replace(test_settings, database_url=f"mysql://u:{PASSWORD}@db/quanyu")
    one_clear_line(quanyu(settings, "db", "upgrade"), "QUANYU_DATABASE_URL is not a usable database URL")
    one_clear_line(quanyu(settings, "tenant", "list"), "QUANYU_DATABASE_URL is not a usable database URL")


def test_a_worker_whose_redis_does_not_answer_does_not_start(
    backend: Any, database: Any, test_settings: Settings
):
    # A process of its own: a worker that did start would run until the timeout, not hang the suite.
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUANYU_")},
        "QUANYU_VAR_DIR": test_settings.var_dir,
        "QUANYU_SECRET_KEY": test_settings.secret_key,
        "QUANYU_DATABASE_URL": backend.app_url,
        "QUANYU_DATABASE_SYSTEM_URL": backend.system_url,
        "QUANYU_DATABASE_OWNER_URL": backend.owner_url,
        "QUANYU_REDIS_URL": CLOSED_REDIS_URL,
    }
    started = subprocess.run(
        [sys.executable, "-c", "from core.cli import main; main()", "worker"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert started.returncode == 1, started.stdout + started.stderr
    last = started.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: cannot reach Redis at QUANYU_REDIS_URL (redis://:***@127.0.0.1:1/0)"), last
    assert "Traceback" not in started.stderr and PASSWORD not in started.stderr + started.stdout


async def test_the_api_is_alive_but_not_ready_while_redis_does_not_answer(
    database: Any, redis_client: Any, plugin_host: Any
) -> None:
    import httpx
    from redis.asyncio import Redis

    from core.web.app import create_app

    async def probe(redis: Any) -> tuple[int, int, dict[str, Any]]:
        app = create_app(database, redis, plugin_host=plugin_host)
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            live = await client.get("/health/live")
            ready = await client.get("/health/ready")
        return live.status_code, ready.status_code, ready.json()

    closed = Redis.from_url(CLOSED_REDIS_URL)
    try:
        live, ready, body = await probe(closed)
    finally:
        await closed.aclose()
    assert (live, ready) == (200, 503)
    assert body["checks"]["redis"].startswith("unreachable") and body["checks"]["database"] == "ok"
    # The same app with the Redis of this backend (none on SQLite) is ready.
    assert (await probe(redis_client))[:2] == (200, 200)


@pytest.fixture
def district(cli: Any, tmp_path: Path) -> str:
    slug = f"fd{secrets.token_hex(3)}"
    definition = tmp_path / "d.toml"
    definition.write_text(
        f'code = "{200000 + secrets.randbelow(600000)}"\nslug = "{slug}"\nname_zh = "满盘区"\nname_en = "Full"\n',
        encoding="utf-8",
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0
    return slug


def test_a_full_disk_during_an_export_leaves_no_file(
    cli: Any, district: str, tmp_path: Path, monkeypatch: Any
):
    from core.tenancy import archive

    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "district.zip"
    written: list[str] = []

    async def disk_fills_up(session: Any, tenant_id: Any, zipped: Any) -> Any:
        written.extend(zipped.namelist())
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(archive, "_write_files", disk_fills_up)
    result = cli("tenant", "export", district, str(target))
    one_clear_line(result, f"cannot write {target}", "No space left on device", "nothing was written")
    assert written, "the disk filled up after the tables had been written"
    assert list(folder.iterdir()) == [], "neither the archive nor its temporary file is left"
    monkeypatch.undo()
    assert cli("tenant", "export", district, str(target)).exit_code == 0, "with room, the same export works"
    assert [p.name for p in folder.iterdir()] == ["district.zip"]


def test_an_export_to_a_folder_that_is_missing_or_not_writable_is_refused(
    cli: Any, district: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "district.zip"
    one_clear_line(cli("tenant", "export", district, str(missing)), "the folder", "does not exist")
    assert not missing.parent.exists()
    if os.geteuid() == 0:
        locked = Path("/sys")  # root may write anywhere else; sysfs refuses new files even to root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
    target = locked / "district.zip"
    one_clear_line(
        cli("tenant", "export", district, str(target)), f"cannot write {target}", "nothing was written"
    )
    assert not any(p.name.startswith(".district.zip") for p in locked.iterdir())
