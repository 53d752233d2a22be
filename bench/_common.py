"""What every benchmark shares: the mode, rounds and statistics, output, servers, wrk and PostgreSQL roles.

Conventions (issue 9): both sides of a comparison run in the same process run,
on the same database, interleaved (the side that goes first alternates each
round), for several rounds; we report the median and the spread (min..max)
of each side and of the per-round ratio. Results are printed as a table and
written to ``var/bench/<name>.json``.

Settings of the benchmarks themselves are environment variables
``QUANYU_BENCH_*``; they are read here once and removed from ``os.environ``,
because ``core.settings`` refuses unknown ``QUANYU_`` variables in every
process that reads its settings (the servers and ``quanyu`` commands we start).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = ROOT / "var" / "bench"
# QUANYU_VAR_DIR of every process we start: never the developer's var/.
RUN_VAR_DIR = ROOT / "var" / "bench-run"
VENV_BIN = Path(sys.executable).parent


def _pop_env(name: str, default: str = "") -> str:
    return os.environ.pop(name, default) or default


QUICK = _pop_env("QUANYU_BENCH_QUICK").lower() in ("1", "true", "yes")
ADMIN_URL = _pop_env(
    "QUANYU_BENCH_ADMIN_URL",
    os.environ.get("QUANYU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
REDIS_URL = _pop_env("QUANYU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# PostgreSQL settings applied to every working copy (ALTER DATABASE ... SET), e.g. "random_page_cost=1.1";
# empty: the server's own configuration, as a fresh installation has it.
PG_SETTINGS = dict(
    item.split("=", 1)
    for item in _pop_env("QUANYU_BENCH_PG_SETTINGS").replace(",", " ").split()
    if "=" in item
)

# Before each round, wait up to this long for other processes to leave the CPUs alone (0: never wait).
SETTLE_SECONDS = float(_pop_env("QUANYU_BENCH_SETTLE_SECONDS", "60"))
for _name in list(os.environ):
    if _name.startswith("QUANYU_BENCH_"):
        unknown = os.environ.pop(_name)
        print(f"warning: unknown benchmark setting {_name}={unknown!r} ignored", file=sys.stderr)
MODE = "quick" if QUICK else "full"
# Rounds of each interleaved comparison and seconds of load per side and round.
ROUNDS = 2 if QUICK else 5
LOAD_SECONDS = 3 if QUICK else 8
WARMUP_SECONDS = 2 if QUICK else 3
CONCURRENCY = 32
WRK_THREADS = 2

ROLE_PREFIX = "quanyu_bench"
ROLES = {"owner": f"{ROLE_PREFIX}_owner", "app": f"{ROLE_PREFIX}_app", "system": f"{ROLE_PREFIX}_system"}
ROLE_ATTRIBUTES = {
    "owner": "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE",
    "app": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB",
    "system": "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB",
}
# A fixed master secret: the template databases outlive any one run and their ciphertext must stay readable.
SECRET_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"quanyu-bench-not-a-real-secret").digest()).decode()


_background: list[float] = []


def banner() -> None:
    """Print the mode, and how busy the machine is before the benchmark starts (other processes)."""
    tuned = ", PostgreSQL " + ", ".join(f"{k}={v}" for k, v in PG_SETTINGS.items()) if PG_SETTINGS else ""
    busy = background_load()
    _background.append(busy)
    print(f"   mode: {MODE} ({ROUNDS} rounds, {LOAD_SECONDS}s of load per side and round{tuned})", flush=True)
    if busy > 0.3:
        print(
            f"   warning: other processes are using {busy:.1f} of {os.cpu_count()} cores; figures will be noisy"
        )


def background_load(seconds: float = 1.0) -> float:
    """Cores kept busy by whatever runs on the machine (from /proc/stat over ``seconds``); NaN elsewhere."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields), idle

    try:
        total_a, idle_a = sample()
        time.sleep(seconds)
        total_b, idle_b = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = total_b - total_a
    return (total - (idle_b - idle_a)) / total * (os.cpu_count() or 1) if total else float("nan")


def say(message: str) -> None:
    print(f"   .. {message}", flush=True)


# --- statistics --------------------------------------------------------------------------------------


@dataclass
class Spread:
    """Median and range of one figure over the rounds."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.values else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.values else float("nan")

    @property
    def relative(self) -> float:
        """(max - min) / median: how far apart the rounds were."""
        median = self.median
        return (self.high - self.low) / median if median else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "spread": self.relative,
            "values": self.values,
        }


def interleaved(
    rounds: int, sides: Sequence[str], run_side: Callable[[str, int], dict[str, float]]
) -> dict[str, list[dict[str, float]]]:
    """Run every side once per round, alternating which goes first; results per side in round order.

    Each result gets ``background_cores``: how busy other processes kept the machine just before the round.
    """
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for number in range(rounds):
        background = settle()
        order = list(sides) if number % 2 == 0 else list(reversed(sides))
        for side in order:
            outcome = run_side(side, number)
            outcome.setdefault("background_cores", background)
            results[side].append(outcome)
    return results


def settle(threshold: float = 0.5) -> float:
    """Wait (up to QUANYU_BENCH_SETTLE_SECONDS) until other processes use less than ``threshold`` cores.

    Benchmarks often share a machine with test runs; a round started under someone else's load measures
    that load. Returns the background load when the round starts (printed when above the threshold).
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    busy = background_load()
    while busy > threshold and time.monotonic() < deadline:
        busy = background_load(2.0)
    if busy > threshold:
        print(f"   .. other processes use {busy:.1f} cores; starting the round anyway", flush=True)
    return busy


def figure(results: list[dict[str, float]], key: str) -> Spread:
    return Spread([r[key] for r in results])


def paired_ratio(top: list[dict[str, float]], bottom: list[dict[str, float]], key: str) -> Spread:
    """Per-round ratio top/bottom (each round's two sides ran back to back)."""
    return Spread([t[key] / b[key] for t, b in zip(top, bottom, strict=True) if b[key]])


# --- output ------------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print an aligned table (indented like the rest of the benchmark output)."""
    rendered = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rendered)) if rendered else len(h) for i, h in enumerate(headers)
    ]
    print(
        "   "
        + "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    )
    for row in rendered:
        print(
            "   "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 100:
            return f"{value:.1f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return str(value)


def fmt_range(spread: Spread, scale: float = 1.0, digits: int = 1) -> str:
    return f"{spread.low * scale:.{digits}f}..{spread.high * scale:.{digits}f}"


def verdict(value: float, goal: float, *, at_least: bool = True) -> str:
    met = value >= goal if at_least else value <= goal
    return f"{'met' if met else 'MISSED'} ({'>=' if at_least else '<='} {goal})"


def write_json(name: str, payload: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "mode": MODE,
        "rounds": ROUNDS,
        "load_seconds": LOAD_SECONDS,
        "postgresql_settings": PG_SETTINGS,
        "background_cores_busy_at_start": _background[-1] if _background else None,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n")
    print(f"   -> {path.relative_to(ROOT)}")
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, Spread):
        return value.as_dict()
    if isinstance(value, Path):
        return str(value)
    return str(value)


_machine: dict[str, Any] | None = None


def machine() -> dict[str, Any]:
    """Cores, memory, CPU and the versions of what was measured."""
    global _machine
    if _machine is not None:
        return _machine
    cpu = ""
    memory_gib = float("nan")
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    try:
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory_gib = round(kib / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    _machine = {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": _version(["psql", "--version"]) or "",
        "redis": _version(["redis-server", "--version"]) or "",
        "wrk": _version(["wrk", "--version"]) or "",
        "code": code_fingerprint(),
    }
    return _machine


def code_fingerprint() -> str:
    """A short hash of the platform's Python sources (core/, plugins/): which code the figures belong to."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _version(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else None


# --- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def platform_env(database: str, **extra: str) -> dict[str, str]:
    """Environment of a ``quanyu`` command or server on the bench database ``database``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANYU_")}
    env.update(
        {
            "QUANYU_VAR_DIR": str(RUN_VAR_DIR),
            "QUANYU_DATABASE_URL": role_url("app", database),
            "QUANYU_DATABASE_OWNER_URL": role_url("owner", database),
            "QUANYU_DATABASE_SYSTEM_URL": role_url("system", database),
            "QUANYU_REDIS_URL": REDIS_URL,
            "QUANYU_SECRET_KEY": SECRET_KEY,
            # Production layout: jobs run in `quanyu worker` processes, not inside the API process.
            "QUANYU_EMBEDDED_WORKER": "false",
            "QUANYU_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def quanyu(database: str, *args: str, input: str | None = None, timeout: float = 1800) -> str:
    """Run ``quanyu ARGS`` against the bench database; its output, or an error with it."""
    RUN_VAR_DIR.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(VENV_BIN / "quanyu"), *args],
        env=platform_env(database),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"quanyu {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


@dataclass
class Server:
    """An HTTP server process we started (stopped by its pid only)."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    name: str,
    app: str,
    env: dict[str, str],
    *,
    ready_path: str = "/health/ready",
    workers: int = 1,
    wrapper: Sequence[str] = (),
) -> Server:
    """``uvicorn --factory APP`` in a subprocess (the same flags for every server), once it answers."""
    port = free_port()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    log = RUN_VAR_DIR / f"{name}.log"
    RUN_VAR_DIR.mkdir(parents=True, exist_ok=True)
    command = [
        *(wrapper or [sys.executable, "-m", "uvicorn"]),
        "--factory",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    handle = log.open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    server = Server(name, port, process, log)
    _servers.append(server)
    deadline = time.monotonic() + 90
    import httpx

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server {name} exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(server.url + ready_path, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server {name} did not become ready within 90 s; see {log}")


_servers: list[Server] = []


@contextmanager
def servers() -> Iterator[list[Server]]:
    """Stop every server started inside the block, whatever happens."""
    started = len(_servers)
    try:
        yield _servers
    finally:
        for server in _servers[started:]:
            server.stop()
        del _servers[started:]


# --- wrk ---------------------------------------------------------------------------------------------

WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk (the HTTP load generator) is not installed; install it first, e.g. `apt-get install -y wrk` "
            "(Debian/Ubuntu) or `brew install wrk` (macOS)"
        )
    return found


def wrk(
    url: str, *, token: str | None = None, seconds: float = LOAD_SECONDS, connections: int = CONCURRENCY
) -> dict[str, float]:
    """Closed-loop load with wrk; requests/s and latency percentiles (ms). Any non-2xx answer is an error."""
    command = [
        require_wrk(),
        f"-t{min(WRK_THREADS, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    report = next((line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(report[len("WRK_JSON ") :])
    errors = sum(raw["errors"].values())
    if errors:
        raise RuntimeError(f"wrk against {url}: {raw['errors']} errors in {raw['requests']} requests")
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
    }


# --- PostgreSQL --------------------------------------------------------------------------------------


def _dsn(url: str, database: str | None = None, user: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    if user is not None:
        parsed = parsed.set(username=user, password=None)
    return parsed.render_as_string(hide_password=False)


def admin_dsn(database: str | None = None) -> str:
    """The superuser's DSN (plain ``postgresql://``, for asyncpg), optionally on another database."""
    return _dsn(ADMIN_URL, database)


def role_url(kind: str, database: str) -> str:
    """SQLAlchemy URL of one of the bench roles on ``database``."""
    from sqlalchemy.engine import make_url

    return (
        make_url(_dsn(ADMIN_URL, database, ROLES[kind]))
        .set(drivername="postgresql+asyncpg")
        .render_as_string(hide_password=False)
    )


def role_dsn(kind: str, database: str) -> str:
    return _dsn(ADMIN_URL, database, ROLES[kind])


async def admin_connect(database: str | None = None) -> Any:
    import asyncpg

    try:
        return await asyncpg.connect(admin_dsn(database), timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise SystemExit(
            f"PostgreSQL at {admin_dsn()} is unreachable ({exc}); set QUANYU_BENCH_ADMIN_URL to a superuser URL"
        ) from exc


async def ensure_roles() -> None:
    """The owner, app (row-level security enforced) and system roles, as core.testing creates them."""
    admin = await admin_connect()
    try:
        for kind, role in ROLES.items():
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            await admin.execute(f'{"ALTER" if exists else "CREATE"} ROLE "{role}" {ROLE_ATTRIBUTES[kind]}')
    finally:
        await admin.close()


async def database_exists(name: str) -> bool:
    admin = await admin_connect()
    try:
        return bool(await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await admin.close()


async def database_comment(name: str) -> str | None:
    admin = await admin_connect()
    try:
        value = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
        return str(value) if value is not None else None
    finally:
        await admin.close()


async def create_database(name: str, *, template: str | None = None, comment: str | None = None) -> None:
    """A database owned by the bench owner, connectable by the app and system roles (dropped first if present)."""
    await ensure_roles()
    admin = await admin_connect()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        source = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}" OWNER "{ROLES["owner"]}"{source}')
        await admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
        for kind in ("app", "system"):
            await admin.execute(f'GRANT CONNECT ON DATABASE "{name}" TO "{ROLES[kind]}"')
        if comment is not None:
            await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{comment}'")
    finally:
        await admin.close()


async def apply_pg_settings(name: str) -> None:
    """QUANYU_BENCH_PG_SETTINGS on one database (for connections opened afterwards)."""
    admin = await admin_connect()
    try:
        for setting, value in PG_SETTINGS.items():
            await admin.execute(f'ALTER DATABASE "{name}" SET {setting} = {value}')
    finally:
        await admin.close()


async def rename_database(old: str, new: str) -> None:
    admin = await admin_connect()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{new}" WITH (FORCE)')
        await admin.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')
    finally:
        await admin.close()


async def drop_database(name: str) -> None:
    if not name.startswith(ROLE_PREFIX):
        raise ValueError(
            f"refusing to drop {name!r}: benchmarks only drop their own quanyu_bench_* databases"
        )
    admin = await admin_connect()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


# --- results shared by the summary -------------------------------------------------------------------


@dataclass
class Result:
    """What a benchmark's ``run()`` returns for the summary ``python -m bench`` prints at the end."""

    name: str
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (figure, value, goal/verdict)

    def add(self, label: str, value: str, goal: str = "") -> None:
        self.figures.append((label, value, goal))
