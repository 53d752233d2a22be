"""2. Plugin-count independence: the people list with every installed plugin enabled for the district vs. none.

One platform server, one database; between the two sides the district's
administrator enables or disables every installed plugin through the API
(``POST /api/v1/plugins/<slug>/enable|disable``, outside the timed load), so
both sides are the same request by the same caller on the same process.
Goal: throughput with all / with none >= 0.95.
"""

from __future__ import annotations

from bench._common import (
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
from bench._fixtures import (
    ADMIN,
    SECRETARY,
    demo_district,
    ensure_single,
    login,
    people_list_path,
    working_copy,
)
from bench._http import Target, compare, plugins, print_sides, ratio, set_plugins, start_platform

NAME = "plugin_count"
DATABASE = "quanyu_bench_plugins"
GOAL = 0.95


def run() -> Result:
    banner()
    require_wrk()
    database = run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(database))
        with servers():
            platform = start_platform(database)
            token = login(platform.url, SECRETARY)
            admin = login(platform.url, ADMIN)
            installed = [p["slug"] for p in plugins(platform.url, admin)]
            say(f"installed plugins: {', '.join(installed)}")
            url = platform.url + people_list_path(district)
            targets = {"all plugins": Target(url, token), "no plugins": Target(url, token)}

            def switch(side: str) -> None:
                set_plugins(platform.url, admin, enabled=side == "all plugins")

            results = compare(targets, before_each=switch)
    finally:
        run_async(drop_database(database))
    sides = print_sides(results)
    throughput = ratio(results, "all plugins", "no plugins")
    print(
        f"   throughput all / none ({len(installed)} plugins): {throughput.median:.2f} "
        f"(rounds {throughput.low:.2f}..{throughput.high:.2f})  goal: {verdict(throughput.median, GOAL)}"
    )
    write_json(
        NAME,
        {
            "endpoint": "GET /api/v1/people?node_id=<street>&limit=50 (secretary of the street)",
            "plugins": installed,
            "sides": sides,
            "rounds_raw": results,
            "ratio_all_over_none": throughput,
            "goal": GOAL,
        },
    )
    result = Result(NAME)
    result.add(
        f"2. throughput all ({len(installed)}) / no plugins",
        f"{throughput.median:.2f}",
        verdict(throughput.median, GOAL),
    )
    for side, s in sides.items():
        result.add(
            f"   {side}: req/s, p50, p99",
            f"{s['rps'].median:.0f} req/s, {s['p50_ms'].median:.1f} ms, {s['p99_ms'].median:.1f} ms",
        )
    return result
