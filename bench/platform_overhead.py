"""1. Platform overhead: the people list of a street (page of 50) served by the platform vs. a bare app.

The platform answers ``GET /api/v1/people?node_id=<street>&limit=50`` for the
secretary of that street: session from Redis, principal, row-level security,
scope check, the page with masked (decrypted) ID numbers and phones. The bare
app (``bench/bare_app.py``) runs the same data SQL through Litestar +
SQLAlchemy with none of that. Both run under uvicorn (one process, the same
flags) on the same database copy, loaded by wrk with 32 connections,
interleaved. Goal: throughput platform / bare >= 0.85.
"""

from __future__ import annotations

from bench._common import (
    CONCURRENCY,
    Result,
    banner,
    drop_database,
    require_wrk,
    run_async,
    say,
    servers,
    verdict,
    write_json,
)
from bench._fixtures import SECRETARY, demo_district, ensure_single, login, people_list_path, working_copy
from bench._http import (
    Target,
    bare_people_url,
    compare,
    print_sides,
    ratio,
    same_people,
    start_bare,
    start_platform,
)

NAME = "platform_overhead"
DATABASE = "quanyu_bench_overhead"
GOAL = 0.85


def run() -> Result:
    banner()
    require_wrk()
    database = run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(database))
        with servers():
            platform = start_platform(database)
            bare = start_bare(database)
            token = login(platform.url, SECRETARY)
            targets = {
                "platform": Target(platform.url + people_list_path(district), token),
                "bare": Target(bare_people_url(bare, district)),
            }
            total = same_people(targets)
            say(f"both answer the same page of 50 of the street's {total} people")
            results = compare(targets)
    finally:
        run_async(drop_database(database))
    sides = print_sides(results)
    throughput = ratio(results, "platform", "bare")
    print(
        f"   throughput platform / bare: {throughput.median:.2f} "
        f"(rounds {throughput.low:.2f}..{throughput.high:.2f})  goal: {verdict(throughput.median, GOAL)}"
    )
    write_json(
        NAME,
        {
            "endpoint": "GET /api/v1/people?node_id=<street>&limit=50 (secretary of the street)",
            "concurrency": CONCURRENCY,
            "street_people": total,
            "sides": sides,
            "rounds_raw": results,
            "ratio_platform_over_bare": throughput,
            "goal": GOAL,
        },
    )
    result = Result(NAME)
    result.add("1. throughput platform / bare", f"{throughput.median:.2f}", verdict(throughput.median, GOAL))
    for side in ("platform", "bare"):
        s = sides[side]
        result.add(
            f"   {side}: req/s, p50, p99",
            f"{s['rps'].median:.0f} req/s, {s['p50_ms'].median:.1f} ms, {s['p99_ms'].median:.1f} ms",
        )
    return result
