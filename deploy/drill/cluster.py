"""The drill's own servers and processes: a PostgreSQL cluster (initdb into a temporary folder), a Redis
with append-only persistence, and Quanyu's API, worker and scheduler processes, each on a spare loopback
port and each stopped by its own pid. Nothing here touches the machine's shared servers.

PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` system user
(``runuser``), which then owns the cluster's folders.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
LAUNCH = Path(__file__).resolve().parent / "launch.py"
POSTGRES_USER = "postgres"


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: object, timeout: float = 30.0, interval: float = 0.1) -> object:
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()  # type: ignore[operator]
        except Exception as exc:  # the thing is still coming up
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last error: {last_error!r})")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child that exited but was not reaped yet still answers kill(0).
    with contextlib.suppress(ChildProcessError):
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Send ``sig`` to one process and wait until it is gone (SIGKILL after ``timeout``)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    try:
        wait_for(f"process {pid} to exit", lambda: not pid_alive(pid), timeout=timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_for(f"process {pid} to exit after SIGKILL", lambda: not pid_alive(pid), timeout=10)


def as_postgres() -> list[str]:
    return ["runuser", "-u", POSTGRES_USER, "--"] if os.geteuid() == 0 else []


def give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(POSTGRES_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def pg_bin(name: str) -> str:
    """A PostgreSQL program: from PATH, else from the newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(f"{name} is not installed (PostgreSQL server programs are needed for the drill)")


@dataclass
class Postgres:
    """One PostgreSQL cluster in ``data`` on ``port``, archiving its WAL into ``archive``."""

    data: Path
    port: int
    archive: Path
    log: Path

    @property
    def socket_dir(self) -> Path:
        return self.data.parent / f"{self.data.name}-socket"

    def initdb(self) -> None:
        for folder in (self.data, self.archive, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            give_to_postgres(folder)
        subprocess.run(
            [
                *as_postgres(),
                pg_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
        )
        self.configure(self.port)

    def configure(self, port: int) -> None:
        """Settings appended to postgresql.conf (the last one wins): this port, loopback only, WAL archive."""
        self.port = port
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        give_to_postgres(self.socket_dir)
        archive_command = f"test ! -f {self.archive}/%f && cp %p {self.archive}/%f"
        settings = {
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.socket_dir}'",
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'{archive_command}'",
            "max_wal_senders": "4",
            "max_connections": "100",
            "shared_buffers": "64MB",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# quanyu drill\n")
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())

    def start(self) -> None:
        self.log.touch()
        give_to_postgres(self.log)
        result = subprocess.run(
            [
                *as_postgres(),
                pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "start",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL in {self.data} did not start: {result.stderr}\n{log}")

    @property
    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def stop(self) -> None:
        """Fast shutdown through the postmaster's own pid (SIGINT), waiting until it has exited."""
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            stop_pid(self.pid, signal.SIGINT, timeout=60)

    def _psql_command(self, database: str, *arguments: str) -> list[str]:
        return [
            pg_bin("psql"),
            *("-X", "-q", "-v", "ON_ERROR_STOP=1"),
            *("-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", database),
            *arguments,
        ]

    def psql(self, sql: str, database: str = "postgres", *extra: str) -> str:
        command = self._psql_command(database, "-A", "-t", *extra, "-c", sql)
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()

    def run_file(self, path: Path, database: str = "postgres") -> None:
        subprocess.run(self._psql_command(database, "-f", str(path)), check=True, capture_output=True)


@dataclass
class Redis:
    """A Redis with append-only persistence (every write fsynced) in ``folder`` on ``port``."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for("redis to answer", self.ping, timeout=20)

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop_pid(self.process.pid, sig)
            self.process.wait()
            self.process = None


@dataclass
class QuanyuProcess:
    """One long-running ``quanyu`` process (API, worker or scheduler) started through ``launch.py``."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_start: int = 0

    def start(self) -> None:
        self._log_start = len(self.log.read_text(errors="replace")) if self.log.exists() else 0
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCH), *self.args],
            env=self.env,
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop_pid(self.process.pid, sig)
            self.process.wait()
            self.process = None

    def wait_until_said(self, words: str, timeout: float = 120) -> None:
        """Wait until the process has written ``words`` to its log (it is past its start-up checks)."""

        def said() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.name} exited while starting:\n{self.tail()}")
            return words in self.log.read_text(errors="replace")[self._log_start :]

        wait_for(f"{self.name} to say {words!r}", said, timeout=timeout, interval=0.2)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Deployment:
    """The whole drill installation in ``root``: servers, settings, and the Quanyu processes."""

    root: Path
    postgres: Postgres
    redis: Redis
    env: dict[str, str]
    password: str
    processes: dict[str, QuanyuProcess] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path) -> Deployment:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)  # the postgres user must reach its folders inside
        postgres = Postgres(root / "pg", spare_port(), root / "wal-archive", root / "pg.log")
        redis = Redis(root / "redis", spare_port())
        password = "drill-" + os.urandom(6).hex()
        url = f"postgresql://{{role}}:{password}@127.0.0.1:{postgres.port}/quanyu"
        env = {key: value for key, value in os.environ.items() if not key.startswith("QUANYU_")}
        env.update(
            {
                "QUANYU_VAR_DIR": str(root / "var"),
                "QUANYU_DATABASE_URL": url.format(role="quanyu_app"),
                "QUANYU_DATABASE_OWNER_URL": url.format(role="quanyu_owner"),
                "QUANYU_DATABASE_SYSTEM_URL": url.format(role="quanyu_system"),
                "QUANYU_DATABASE_POOL_SIZE": "4",
                "QUANYU_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
                "QUANYU_SECRET_KEY": _secret(),
                "QUANYU_EMBEDDED_WORKER": "false",
                "QUANYU_JOB_LEASE_SECONDS": "8",
                "QUANYU_ARGON2_TIME_COST": "1",
                "QUANYU_ARGON2_MEMORY_KIB": "8192",
                "QUANYU_LOG_JSON": "true",
                "DRILL_STARTED_DIR": str(root / "started"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return cls(root, postgres, redis, env, password)

    # -- servers ------------------------------------------------------------------------------------

    def start_servers(self) -> None:
        self.postgres.initdb()
        self.postgres.start()
        self.postgres.run_file(REPO / "deploy" / "postgres" / "roles.sql")
        for role in ("quanyu_owner", "quanyu_app", "quanyu_system"):
            self.postgres.psql(f"ALTER ROLE {role} PASSWORD '{self.password}'")
        self.redis.start()

    # -- commands and processes ---------------------------------------------------------------------

    def quanyu(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run one ``quanyu`` command (through ``launch.py``) to completion."""
        result = subprocess.run(
            [sys.executable, str(LAUNCH), *args],
            env=self.env,
            cwd=REPO,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"quanyu {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def spawn(self, name: str, *args: str) -> QuanyuProcess:
        process = QuanyuProcess(name, list(args), self.env, self.root / f"{name}.log")
        process.start()
        self.processes[name] = process
        return process

    def start_api(self, name: str) -> str:
        port = spare_port()
        self.spawn(name, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{name} to be ready", lambda: httpx.get(f"{base}/health/ready").status_code == 200, 60)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.processes[name].tail()}") from None
        return base

    def stop_everything(self) -> list[int]:
        """Stop every process by its own pid (Quanyu's first, then Redis and PostgreSQL); returns the pids."""
        pids: list[int] = []
        for process in self.processes.values():
            if process.process is not None:
                pids.append(process.pid)
                process.stop()
        if self.redis.process is not None:
            pids.append(self.redis.process.pid)
            self.redis.stop()
        if (self.postgres.data / "postmaster.pid").exists():
            pids.append(self.postgres.pid)
            self.postgres.stop()
        return pids

    @contextlib.contextmanager
    def running(self) -> Iterator[Deployment]:
        try:
            yield self
        finally:
            self.stop_everything()


def _secret() -> str:
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).decode()
