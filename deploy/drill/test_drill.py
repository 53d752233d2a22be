"""The multi-process drill (``make test-deploy``): Quanyu as it runs in production, on its own servers.

One PostgreSQL cluster (initdb into a temporary folder, WAL archived) and one Redis (append-only) on spare
loopback ports; two API processes, two workers and the scheduler as separate processes, all started
through ``launch.py`` like ``quanyu`` itself. The tests run in order against that one installation: two
districts driven through both API processes, plugin gating seen across processes, jobs done by workers,
a worker killed mid-job, Redis and PostgreSQL restarted, then a base backup under load restored into a
new cluster and compared. Every process is stopped by its own pid at the end, and the drill checks that
none is left.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cluster import (
    REPO,
    Deployment,
    Postgres,
    as_postgres,
    give_to_postgres,
    pg_bin,
    pid_alive,
    spare_port,
    wait_for,
)

PASSWORD = "Yan-Lian-Passw0rd-2026"
WORKER_READY = "worker relaying the outbox"
OTHER_DISTRICT = ("jingkou", "321102", "京口区", "Jingkou District")


@dataclass
class Drill:
    deployment: Deployment
    api_a: str
    api_b: str
    tokens: dict[str, str] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    stopped_pids: list[int] = field(default_factory=list)

    def client(self, base: str, district: str) -> httpx.Client:
        return httpx.Client(
            base_url=base, headers={"authorization": f"Bearer {self.tokens[district]}"}, timeout=30
        )

    def worker_pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.deployment.processes.items() if name.startswith("worker")}


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    root = Path(tempfile.mkdtemp(prefix="quanyu-drill-"))
    deployment = Deployment.create(root)
    started: list[int] = []
    try:
        deployment.start_servers()
        deployment.quanyu("db", "upgrade")
        deployment.quanyu("tenant", "create", "--from", str(REPO / "tenants" / "runzhou.toml"))
        slug, code, name_zh, name_en = OTHER_DISTRICT
        deployment.quanyu(
            "tenant",
            "create",
            "--from",
            str(REPO / "tenants" / "runzhou.toml"),
            "--slug",
            slug,
            "--code",
            code,
            "--name-zh",
            name_zh,
            "--name-en",
            name_en,
        )
        for district in ("runzhou", slug):
            deployment.quanyu(
                "user",
                "create",
                "--tenant",
                district,
                "--username",
                "drill",
                "--name",
                "演练管理员",
                "--role",
                "system_admin",
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
        api_a = deployment.start_api("api-a")
        api_b = deployment.start_api("api-b")
        for name in ("worker-1", "worker-2"):
            deployment.spawn(name, "worker", "--poll", "0.2")
        deployment.spawn("scheduler", "scheduler")
        for name in ("worker-1", "worker-2"):
            deployment.processes[name].wait_until_said(WORKER_READY)
        deployment.processes["scheduler"].wait_until_said("scheduler running")
        started = [p.pid for p in deployment.processes.values()]
        drill = Drill(deployment, api_a, api_b)
        for district, base in (("runzhou", api_a), (slug, api_b)):
            response = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"district": district, "username": "drill", "password": PASSWORD},
                timeout=30,
            )
            assert response.status_code == 200, response.text
            drill.tokens[district] = response.json()["token"]
            me = httpx.get(
                f"{base}/api/v1/auth/me", headers={"authorization": f"Bearer {drill.tokens[district]}"}
            ).json()
            drill.roots[district] = me["grants"][0]["node_id"]
        yield drill
    finally:
        pids = deployment.stop_everything()
        leftover = [pid for pid in [*started, *pids] if pid_alive(pid)]
        logs = "\n".join(f"--- {p.name}\n{p.tail(15)}" for p in deployment.processes.values())
        assert not leftover, f"processes left running: {leftover}\n{logs}"
        if os.environ.get("DRILL_KEEP"):
            print(f"drill folder kept: {root}")
        else:
            subprocess.run(["rm", "-rf", str(root)], check=False)


def _create_street(client: httpx.Client, root: str, name: str) -> str:
    response = client.post("/api/v1/org/nodes", json={"parent_id": root, "kind": "street", "name": name})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _enable(client: httpx.Client, slug: str) -> None:
    response = client.post(f"/api/v1/plugins/{slug}/enable")
    assert response.status_code == 200, response.text


def _queue(client: httpx.Client, count: int, seconds: float = 0.0) -> list[str]:
    response = client.post("/api/v1/m/drill/jobs", json={"count": count, "seconds": seconds})
    assert response.status_code == 201, response.text
    return list(response.json()["keys"])


def _runs(client: httpx.Client, keys: list[str]) -> dict[str, Any]:
    runs: dict[str, int] = {}
    workers: dict[str, list[int]] = {}
    for start in range(0, len(keys), 50):
        chunk = keys[start : start + 50]
        body = client.get("/api/v1/m/drill/effects", params=[("key", k) for k in chunk]).json()
        runs.update(body["runs"])
        workers.update(body["workers"])
    return {"runs": runs, "workers": workers}


def _wait_all_done(client: httpx.Client, keys: list[str], timeout: float = 60) -> dict[str, Any]:
    return wait_for(  # type: ignore[return-value]
        f"{len(keys)} drill jobs to be done",
        lambda: (found := _runs(client, keys)) and len(found["runs"]) == len(keys) and found,
        timeout=timeout,
        interval=0.3,
    )


def test_two_districts_are_driven_through_both_api_processes(drill: Drill) -> None:
    with (
        drill.client(drill.api_a, "runzhou") as runzhou_a,
        drill.client(drill.api_b, "runzhou") as runzhou_b,
        drill.client(drill.api_b, "jingkou") as jingkou_b,
        drill.client(drill.api_a, "jingkou") as jingkou_a,
    ):
        street = _create_street(runzhou_a, drill.roots["runzhou"], "演练街道")
        other = _create_street(jingkou_b, drill.roots["jingkou"], "京口演练街道")
        # Written through one process, read through the other: the processes share nothing but the servers.
        assert runzhou_b.get(f"/api/v1/org/nodes/{street}").json()["name"] == "演练街道"
        assert jingkou_a.get(f"/api/v1/org/nodes/{other}").json()["name"] == "京口演练街道"
        # Each district sees only its own organisations, through either process.
        assert runzhou_b.get(f"/api/v1/org/nodes/{other}").status_code == 404
        assert jingkou_a.get(f"/api/v1/org/nodes/{street}").status_code == 404


def test_a_plugin_enabled_through_one_process_is_gated_accordingly_in_the_other_at_once(
    drill: Drill,
) -> None:
    # Each request reads the district's plugin-state version from Redis, so the very next request through the
    # other process must see the change: no waiting, no timing.
    with drill.client(drill.api_a, "runzhou") as via_a, drill.client(drill.api_b, "runzhou") as via_b:
        route = "/api/v1/m/co_building/agreements"
        assert via_b.get(route).status_code == 404  # never enabled: the mechanism does not exist here
        _enable(via_a, "co_building")
        assert via_b.get(route).status_code == 200, "process B served the old plugin state after the enable"

        assert via_b.post("/api/v1/plugins/co_building/disable").status_code == 200
        assert via_a.get(route).status_code == 404, "process A served the old plugin state after the disable"
    with drill.client(drill.api_b, "jingkou") as jingkou:
        assert jingkou.get(route).status_code == 404  # the other district was never touched


def test_jobs_queued_through_an_api_process_are_done_once_by_the_workers(drill: Drill) -> None:
    for district, base in (("runzhou", drill.api_a), ("jingkou", drill.api_b)):
        with drill.client(base, district) as client:
            _enable(client, "drill")
    with drill.client(drill.api_a, "runzhou") as runzhou, drill.client(drill.api_b, "jingkou") as jingkou:
        keys = _queue(runzhou, 60)
        other_keys = _queue(jingkou, 20)
        done = _wait_all_done(runzhou, keys)
        assert set(done["runs"].values()) == {1}
        workers = set(drill.worker_pids().values())
        assert {pid for pids in done["workers"].values() for pid in pids} <= workers
        assert set(_wait_all_done(jingkou, other_keys)["runs"].values()) == {1}
        # A district's jobs left their rows in that district only.
        assert _runs(jingkou, keys)["runs"] == {}
        assert _runs(runzhou, other_keys)["runs"] == {}


def test_a_worker_killed_mid_job_leaves_the_job_to_the_other_which_finishes_it_once(drill: Drill) -> None:
    started_dir = Path(drill.deployment.env["DRILL_STARTED_DIR"])
    with drill.client(drill.api_a, "runzhou") as client:
        (key,) = _queue(client, 1, seconds=6)
        marker = wait_for(
            "the job to start on a worker", lambda: next(started_dir.glob(f"*/{key}.*"), None), timeout=30
        )
        victim_pid = int(Path(str(marker)).suffix.lstrip("."))
        names = {pid: name for name, pid in drill.worker_pids().items()}
        assert victim_pid in names, f"the job started in pid {victim_pid}, not a drill worker"
        victim = names[victim_pid]
        drill.deployment.processes[victim].stop(signal.SIGKILL)
        survivor_pid = next(pid for pid in names if pid != victim_pid)

        done = _wait_all_done(client, [key], timeout=60)  # the lease (8 s) runs out, the survivor takes it
        assert done["runs"][key] == 1
        assert done["workers"][key] == [survivor_pid]
        time.sleep(2)  # a late duplicate delivery would show now
        assert _runs(client, [key])["runs"][key] == 1
        # Back to two workers for the rest, once the new one is past its start-up checks.
        drill.deployment.spawn(victim, "worker", "--poll", "0.2").wait_until_said(WORKER_READY)


def test_redis_restarted_while_jobs_are_queued_loses_none(drill: Drill) -> None:
    redis = drill.deployment.redis
    with drill.client(drill.api_a, "runzhou") as client:
        keys = _queue(client, 40, seconds=0.2)
        time.sleep(1.0)  # some relayed into Redis and running, some waiting in the outbox
        redis.stop(signal.SIGKILL)  # a crash, not a polite shutdown: only the append-only file survives
        time.sleep(1.0)
        redis.start()
        done = _wait_all_done(client, keys, timeout=90)
        assert set(done["runs"].values()) == {1}
        # Sessions live in Redis: the token still works, through both processes, and both are ready again.
        assert client.get("/api/v1/auth/me").status_code == 200
    for base in (drill.api_a, drill.api_b):
        wait_for("the API to be ready after Redis came back", lambda b=base: _ready(b), timeout=20)
    assert all(p.alive() for p in drill.deployment.processes.values())


def _ready(base: str) -> bool:
    return httpx.get(f"{base}/health/ready", timeout=5).status_code == 200


def test_postgresql_restarted_the_api_and_workers_recover_without_a_restart(drill: Drill) -> None:
    postgres = drill.deployment.postgres
    postgres.stop()
    for base in (drill.api_a, drill.api_b):
        response = httpx.get(f"{base}/health/ready", timeout=10)
        assert response.status_code == 503
        assert response.json()["checks"]["database"].startswith("unreachable")
        assert httpx.get(f"{base}/health/live", timeout=5).status_code == 200
    postgres.start()
    for base in (drill.api_a, drill.api_b):
        wait_for("the API to be ready after PostgreSQL came back", lambda b=base: _ready(b), timeout=30)
    with drill.client(drill.api_b, "runzhou") as client:
        assert client.get("/api/v1/auth/me").status_code == 200
        keys = _queue(client, 10)
        assert set(_wait_all_done(client, keys, timeout=60)["runs"].values()) == {1}
    assert all(p.alive() for p in drill.deployment.processes.values()), "a process died with the database"


def test_a_base_backup_taken_under_load_restores_to_the_same_rows_and_ledgers(drill: Drill) -> None:
    deployment = drill.deployment
    with drill.client(drill.api_a, "runzhou") as via_a:
        _enable(via_a, "care_fund")
        response = via_a.post(
            "/api/v1/m/care_fund/funds", json={"org_node_id": drill.roots["runzhou"], "name": "演练关爱基金"}
        )
        assert response.status_code == 201, response.text
        fund = response.json()["id"]

    stop = threading.Event()
    failures: list[str] = []
    receipts = itertools.count(1)

    def load(base: str) -> None:
        with drill.client(base, "runzhou") as client:
            while not stop.is_set():
                number = next(receipts)
                response = client.post(
                    f"/api/v1/m/care_fund/funds/{fund}/income",
                    json={
                        "source": "party_dues",
                        "amount_fen": 100 + number,
                        "receipt_no": f"DRILL-{number}",
                    },
                )
                if response.status_code != 201:
                    failures.append(response.text)
                if number % 5 == 0:
                    _queue(client, 3)

    threads = [threading.Thread(target=load, args=(base,)) for base in (drill.api_a, drill.api_b)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        backup = _folder_for_postgres(deployment.root / "base-backup")
        connection = {
            "PGHOST": str(deployment.postgres.socket_dir),
            "PGPORT": str(deployment.postgres.port),
            "PGUSER": "postgres",
        }
        _as_postgres_script("base-backup.sh", str(backup), env=connection)
        time.sleep(2)  # writes after the backup: only the archived WAL brings them back
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures, failures[:3]

    # Quiesce: let the workers finish, then stop every Quanyu process so nothing writes after the count.
    wait_for("the outbox to drain", lambda: _outbox_quiet(deployment.postgres), timeout=60, interval=0.5)
    for process in deployment.processes.values():
        drill.stopped_pids.append(process.pid)
        process.stop()
    live = _snapshot(deployment.postgres)
    segment = deployment.postgres.psql("SELECT pg_walfile_name(pg_switch_wal())")
    wait_for(
        "the last WAL segment to be archived",
        lambda: deployment.postgres.psql("SELECT last_archived_wal FROM pg_stat_archiver") >= segment,
        timeout=30,
    )

    restored = Postgres(
        _folder_for_postgres(deployment.root / "restored"),
        spare_port(),
        deployment.root / "restored-archive",
        deployment.root / "restored.log",
    )
    _as_postgres_script("restore.sh", str(backup), str(deployment.postgres.archive), str(restored.data))
    restored.configure(restored.port)
    restored.start()
    try:
        wait_for(
            "the restored cluster to finish recovery",
            lambda: restored.psql("SELECT pg_is_in_recovery()") == "f",
            timeout=60,
        )
        copy = _snapshot(restored)
    finally:
        restored.stop()
    assert copy["tables"] == live["tables"]
    assert copy["ledgers"] == live["ledgers"]
    assert live["tables"]["care_fund_transaction"] > 10, "the load wrote too little to prove anything"
    # And every restored ledger is balanced: the stored balance is what its cash entries say.
    for fund_id, balance, cash in copy["ledgers"]:
        assert balance == cash, f"fund {fund_id}: stored {balance}, entries say {cash}"


def _outbox_quiet(postgres: Postgres) -> bool:
    return (
        postgres.psql("SELECT count(*) FROM outbox WHERE status IN ('pending', 'running')", "quanyu") == "0"
    )


def _snapshot(postgres: Postgres) -> dict[str, Any]:
    tables = postgres.psql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", "quanyu"
    ).split()
    counts = {table: int(postgres.psql(f'SELECT count(*) FROM "{table}"', "quanyu")) for table in tables}
    ledgers = postgres.psql(
        "SELECT f.id, f.balance_fen, coalesce(sum(CASE e.direction WHEN 'debit' THEN e.amount_fen"
        " ELSE -e.amount_fen END) FILTER (WHERE e.account = 'cash'), 0)"
        " FROM care_fund f LEFT JOIN care_fund_entry e ON e.tenant_id = f.tenant_id AND e.fund_id = f.id"
        " GROUP BY f.id, f.balance_fen ORDER BY f.id",
        "quanyu",
    )
    return {
        "tables": counts,
        "ledgers": [tuple(line.split("|")) for line in ledgers.splitlines()] if ledgers else [],
    }


def _folder_for_postgres(path: Path) -> Path:
    path.mkdir()
    give_to_postgres(path)
    return path


def _as_postgres_script(name: str, *args: str, env: dict[str, str] | None = None) -> None:
    script = REPO / "deploy" / "backup" / name
    # The postgres user may not enter every folder on root's PATH: give it PostgreSQL's and the system's.
    path = f"{Path(pg_bin('pg_verifybackup')).parent}:/usr/local/bin:/usr/bin:/bin"
    variables = [f"{k}={v}" for k, v in {**(env or {}), "PATH": path}.items()]
    result = subprocess.run(
        [*as_postgres(), "env", *variables, "sh", str(script), *args],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
