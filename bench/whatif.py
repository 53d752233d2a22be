"""What-if: the measured effect of the changes to ``core/`` that docs/performance.md proposes (not run by default).

``python -m bench whatif`` (or ``make bench`` with ``whatif`` named) serves
the people list from the platform as it is, from the platform with each
candidate change applied alone (as a start-up patch, ``bench/_whatif_app.py``),
with all of them, and from the bare app: all interleaved on one database,
same wrk load as ``platform_overhead``. Changes measured here and since made
(the key cache, masked fields at write time, one tenant read, the job path in
one transaction) are gone from the list.
"""

from __future__ import annotations

from bench._common import (
    ROUNDS,
    WARMUP_SECONDS,
    Result,
    banner,
    drop_database,
    interleaved,
    paired_ratio,
    platform_env,
    require_wrk,
    run_async,
    say,
    servers,
    start_server,
    table,
    write_json,
    wrk,
)
from bench._fixtures import SECRETARY, demo_district, ensure_single, login, people_list_path, working_copy
from bench._http import Target, bare_people_url, start_bare, start_platform, summary
from bench._whatif_app import PATCHES

NAME = "whatif"
DEFAULT = False  # only when named: it takes a while and measures proposals, not the platform
DATABASE = "quanyu_bench_whatif"


def _http() -> dict[str, list[dict[str, float]]]:
    """Every side on its own server, started for each of its runs (nine warm pools would exceed the
    database's connection limit), warmed up, loaded, stopped; sides interleaved round by round."""
    run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(DATABASE))
        path = people_list_path(district)
        with servers():
            token = login(start_platform(DATABASE, "whatif-login").url, SECRETARY)
        sides = ["platform as is", *(f"+ {name}" for name in [*PATCHES, "all"]), "bare"]

        def one(side: str, number: int) -> dict[str, float]:
            with servers():
                if side == "bare":
                    server = start_bare(DATABASE)
                    target = Target(bare_people_url(server, district))
                elif side == "platform as is":
                    server = start_platform(DATABASE)
                    target = Target(server.url + path, token)
                else:
                    env = platform_env(DATABASE, BENCH_WHATIF=side[2:])
                    server = start_server(f"whatif-{side[2:]}", "bench._whatif_app:create_app", env)
                    target = Target(server.url + path, token)
                wrk(target.url, token=target.token, seconds=WARMUP_SECONDS)
                result = wrk(target.url, token=target.token)
            say(f"round {number + 1} {side}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms")
            return result

        return interleaved(ROUNDS, sides, one)
    finally:
        run_async(drop_database(DATABASE))


def run() -> Result:
    banner()
    require_wrk()
    http = _http()
    summarised = summary(http)
    base = http["platform as is"]
    table(
        ["people list", "req/s (median)", "x platform", "p50 ms", "p99 ms"],
        [
            [
                side,
                s["rps"].median,
                f"{paired_ratio(http[side], base, 'rps').median:.2f}",
                s["p50_ms"].median,
                s["p99_ms"].median,
            ]
            for side, s in summarised.items()
        ],
    )
    write_json(NAME, {"people_list": summarised, "people_list_raw": http})
    result = Result(NAME)
    for side, s in summarised.items():
        result.add(
            f"what-if: {side}",
            f"{s['rps'].median:.0f} req/s ({paired_ratio(http[side], base, 'rps').median:.2f}x)",
        )
    return result
