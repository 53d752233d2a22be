"""Where the people list's time goes: pyinstrument on the platform's server process (and the bare app's) under load.

Each server runs under uvicorn as in ``platform_overhead``, wrapped by
``bench/_profiled_server.py``; the sampling profiler runs only while wrk
loads it (32 connections). We print, per request, the inclusive time of the
platform's main steps and the self time by library, and write the full
call trees to ``var/bench/profile-platform.txt`` and ``profile-bare.txt``
(``BENCH_PROFILE_HTML=1`` adds pyinstrument's HTML views, tens of MB each).
The profiler slows the process down (about a third); read the shares, not
the absolute milliseconds.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

from bench._common import (
    LOAD_SECONDS,
    OUT_DIR,
    QUICK,
    Result,
    banner,
    drop_database,
    platform_env,
    require_wrk,
    role_url,
    run_async,
    say,
    servers,
    start_server,
    table,
    write_json,
    wrk,
)
from bench._fixtures import SECRETARY, demo_district, ensure_single, login, people_list_path, working_copy
from bench._http import bare_people_url

NAME = "profile_endpoint"
DATABASE = "quanyu_bench_profile"
SECONDS = 5 if QUICK else 2 * LOAD_SECONDS
WRAPPER = "bench._profiled_server:create_app"


def _profile(server: Any, prefix: Path, url: str, token: str | None) -> dict[str, Any]:
    wrk(url, token=token, seconds=2)
    for suffix in (".done", ".txt", ".html", ".json", ".pyisession"):
        prefix.with_suffix(suffix).unlink(missing_ok=True)
    server.process.send_signal(signal.SIGUSR1)
    time.sleep(0.2)
    load = wrk(url, token=token, seconds=SECONDS)
    server.process.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + 120
    while not prefix.with_suffix(".done").exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the profiler of {server.name} wrote no report; see {server.log}")
        time.sleep(0.2)
    # Per request: divided by the requests wrk completed while the profiler ran (it starts 0.2 s earlier).
    raw = json.loads(prefix.with_suffix(".json").read_text())
    prefix.with_suffix(".done").unlink(missing_ok=True)
    requests = int(load["requests"])
    return {
        "sampled_seconds": raw["sampled_seconds"],
        "requests": requests,
        "ms_per_request": raw["sampled_seconds"] / requests * 1000,
        "steps_ms_per_request": {k: v / requests * 1000 for k, v in raw["steps_seconds"].items()},
        "self_time_share": raw["self_time_share"],
        "load": load,
    }


def run() -> Result:
    banner()
    require_wrk()
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        raise SystemExit(
            "pyinstrument is not installed: `make bench` installs it, or `.venv/bin/pip install pyinstrument`"
        ) from None
    run_async(working_copy(run_async(ensure_single()), DATABASE))
    reports: dict[str, dict[str, Any]] = {}
    try:
        district = run_async(demo_district(DATABASE))
        with servers():
            env = platform_env(DATABASE, BENCH_PROFILE_APP="core.web.app:create_app")
            env["BENCH_PROFILE_OUT"] = str(OUT_DIR / "profile-platform")
            platform = start_server("platform-profiled", WRAPPER, env)
            env = platform_env(DATABASE, BENCH_PROFILE_APP="bench.bare_app:create_app")
            env["BENCH_PROFILE_OUT"] = str(OUT_DIR / "profile-bare")
            env["BENCH_BARE_DATABASE_URL"] = role_url("system", DATABASE)
            bare = start_server("bare-profiled", WRAPPER, env, ready_path="/health")
            token = login(platform.url, SECRETARY)
            say(f"profiling the platform for {SECONDS}s under load")
            reports["platform"] = _profile(
                platform, OUT_DIR / "profile-platform", platform.url + people_list_path(district), token
            )
            say(f"profiling the bare app for {SECONDS}s under load")
            reports["bare"] = _profile(bare, OUT_DIR / "profile-bare", bare_people_url(bare, district), None)
    finally:
        run_async(drop_database(DATABASE))
    for side, report in reports.items():
        print(
            f"   {side}: {report['load']['rps']:.0f} req/s while profiled; "
            f"{report['ms_per_request']:.1f} ms of process time per request"
        )
    steps = reports["platform"]["steps_ms_per_request"]
    table(
        ["platform step (inclusive)", "ms/request", "share"],
        [[label, ms, f"{ms / reports['platform']['ms_per_request']:.0%}"] for label, ms in steps.items()],
    )
    libraries = sorted(set(reports["platform"]["self_time_share"]) | set(reports["bare"]["self_time_share"]))
    table(
        ["self time in", "platform", "bare"],
        sorted(
            (
                [
                    lib,
                    f"{reports['platform']['self_time_share'].get(lib, 0):.0%}",
                    f"{reports['bare']['self_time_share'].get(lib, 0):.0%}",
                ]
                for lib in libraries
            ),
            key=lambda row: -float(row[1].rstrip("%")),
        ),
    )
    print(
        f"   call trees: {(OUT_DIR / 'profile-platform.txt').relative_to(OUT_DIR.parent.parent)}, profile-bare.txt"
    )
    write_json(NAME, {"seconds": SECONDS, "reports": reports})
    result = Result(NAME)
    handler = steps.get("handler list_people", 0.0)
    auth = steps.get("auth: session, principal (middleware)", 0.0)
    decrypt = steps.get("    crypto.decrypt x100", 0.0)
    result.add(
        "profile: platform ms/request (profiled)",
        f"{reports['platform']['ms_per_request']:.1f} (auth {auth:.1f}, handler {handler:.1f}, of which decrypt {decrypt:.1f})",
    )
    return result
