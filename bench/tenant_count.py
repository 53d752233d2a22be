"""3. Tenant-count independence: the people list with 1 district vs. 200 Runzhou-sized districts in the database.

Two copies of the database, each with its own platform server: one holding
the demo district 润州区 alone, one holding it among 199 copies (about 2.4
million people, generated with SQL into a template database that later runs
reuse). The same caller asks for the same page on both, interleaved.
Goal: throughput with 200 districts / with 1 >= 0.9.
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
    BULK_DISTRICTS,
    SECRETARY,
    demo_district,
    ensure_bulk,
    ensure_single,
    login,
    people_list_path,
    working_copy,
)
from bench._http import Target, compare, print_sides, ratio, same_people, start_platform

NAME = "tenant_count"
SINGLE = "quanyu_bench_tenants_1"
BULK = "quanyu_bench_tenants_n"
GOAL = 0.9


async def _counts(database: str) -> tuple[int, int]:
    from bench._common import admin_connect

    conn = await admin_connect(database)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM tenant")), int(
            await conn.fetchval("SELECT count(*) FROM person")
        )
    finally:
        await conn.close()


def run() -> Result:
    banner()
    require_wrk()
    single_template = run_async(ensure_single())
    bulk_template = run_async(ensure_bulk())
    say("copying the template databases")
    run_async(working_copy(single_template, SINGLE))
    run_async(working_copy(bulk_template, BULK))
    many = f"{BULK_DISTRICTS} districts"
    try:
        sizes = {"1 district": run_async(_counts(SINGLE)), many: run_async(_counts(BULK))}
        for side, (tenants, people) in sizes.items():
            say(f"{side}: {tenants} tenant rows, {people:,} people")
        district = run_async(demo_district(SINGLE))
        if run_async(demo_district(BULK)) != district:
            raise RuntimeError("the demo district differs between the two databases")
        with servers():
            one = start_platform(SINGLE, "platform-1-district")
            bulk = start_platform(BULK, f"platform-{BULK_DISTRICTS}-districts")
            targets = {
                "1 district": Target(one.url + people_list_path(district), login(one.url, SECRETARY)),
                many: Target(bulk.url + people_list_path(district), login(bulk.url, SECRETARY)),
            }
            total = same_people(targets)
            say(f"both answer the same page of the street's {total} people")
            results = compare(targets)
    finally:
        run_async(drop_database(SINGLE))
        run_async(drop_database(BULK))
    sides = print_sides(results)
    throughput = ratio(results, many, "1 district")
    print(
        f"   throughput {many} / 1: {throughput.median:.2f} "
        f"(rounds {throughput.low:.2f}..{throughput.high:.2f})  goal: {verdict(throughput.median, GOAL)}"
    )
    write_json(
        NAME,
        {
            "endpoint": "GET /api/v1/people?node_id=<street>&limit=50 (secretary of the street)",
            "databases": {side: {"tenants": t, "people": p} for side, (t, p) in sizes.items()},
            "sides": sides,
            "rounds_raw": results,
            "ratio_many_over_one": throughput,
            "goal": GOAL,
        },
    )
    result = Result(NAME)
    result.add(
        f"3. throughput {many} / 1 district", f"{throughput.median:.2f}", verdict(throughput.median, GOAL)
    )
    for side, s in sides.items():
        result.add(
            f"   {side}: req/s, p50, p99",
            f"{s['rps'].median:.0f} req/s, {s['p50_ms'].median:.1f} ms, {s['p99_ms'].median:.1f} ms",
        )
    return result
