"""7. Dashboard: the whole district's dashboard with every plugin enabled; latency, and SQL statements per request.

``GET /api/v1/dashboard?node=<district root>`` for the district's system
administrator, every installed plugin enabled (as ``quanyu demo ensure``
leaves 润州区, with the plugins' demo records). Latency under wrk with one
connection (one user's wait) and with 32 (the server busy). Then the same
request in this process with a counter on the database engines: the number of
SQL statements for subtrees of very different sizes (a branch, a community,
a street, the district), which must not grow with the number of org nodes.
"""

from __future__ import annotations

import uuid
from typing import Any

from bench._common import (
    CONCURRENCY,
    ROUNDS,
    Result,
    Spread,
    admin_connect,
    banner,
    drop_database,
    require_wrk,
    run_async,
    say,
    servers,
    settle,
    table,
    write_json,
    wrk,
)
from bench._fixtures import (
    ADMIN,
    DEMO_SLUG,
    PASSWORD,
    SECRETARY,
    demo_district,
    ensure_single,
    login,
    people_list_path,
    working_copy,
)
from bench._http import plugins, start_platform
from bench._inprocess import platform_client

NAME = "dashboard"
DATABASE = "quanyu_bench_dashboard"


async def _subtrees(database: str) -> dict[str, tuple[uuid.UUID, int]]:
    """Nodes heading subtrees of increasing size, with the number of nodes in each subtree."""
    conn = await admin_connect(database)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)

        async def size(path: str) -> int:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM org_node WHERE tenant_id = $1 AND path >= $2 AND path < $3",
                    tenant_id,
                    path,
                    path[:-1] + "0",
                )
            )

        picks: dict[str, tuple[uuid.UUID, int]] = {}
        for label, depth in (("district", 0), ("street", 1), ("community", 2), ("branch", 3)):
            rows = await conn.fetch(
                "SELECT id, path FROM org_node WHERE tenant_id = $1 AND depth = $2 ORDER BY path",
                tenant_id,
                depth,
            )
            sized = [(await size(r["path"]), r["id"]) for r in rows[:50]]
            count, node_id = max(sized)  # the largest of its level: the strongest test
            picks[label] = (node_id, count)
        return picks
    finally:
        await conn.close()


async def _statements(
    database: str, picks: dict[str, tuple[uuid.UUID, int]], street_list: str
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    async with platform_client(database) as (client, counter):

        async def token(username: str) -> str:
            response = await client.post(
                "/api/v1/auth/login", json={"district": DEMO_SLUG, "username": username, "password": PASSWORD}
            )
            response.raise_for_status()
            return str(response.json()["token"])

        headers = {"Authorization": f"Bearer {await token(ADMIN)}"}
        for label, (node_id, nodes) in picks.items():
            url = f"/api/v1/dashboard?node={node_id}"
            (
                await client.get(url, headers=headers)
            ).raise_for_status()  # warm: plugin cache, statement caches
            counter.reset()
            response = await client.get(url, headers=headers)
            response.raise_for_status()
            found[f"dashboard, {label}"] = {
                "nodes": nodes,
                "statements": counter.count,
                "figures": len(response.json()["figures"]),
                "sql": list(counter.statements),
            }
        secretary = {"Authorization": f"Bearer {await token(SECRETARY)}"}
        (await client.get(street_list, headers=secretary)).raise_for_status()
        counter.reset()
        (await client.get(street_list, headers=secretary)).raise_for_status()
        found["people list, street (page of 50)"] = {
            "nodes": None,
            "statements": counter.count,
            "figures": None,
            "sql": list(counter.statements),
        }
    return found


def _differing_statements(counts: dict[str, Any]) -> list[str]:
    """The statements issued for one dashboard subtree and not another (first 160 characters each)."""
    import operator
    from collections import Counter
    from functools import reduce

    dashboards = {label: c for label, c in counts.items() if label.startswith("dashboard")}
    issued = {
        label: Counter(" ".join(sql.split())[:160] for sql in c["sql"]) for label, c in dashboards.items()
    }
    everywhere = reduce(operator.and_, issued.values(), next(iter(issued.values()), Counter[str]()))
    lines = []
    for label, seen in issued.items():
        for sql, times in (seen - everywhere).items():
            lines.append(f"{label} ({dashboards[label]['nodes']} nodes) also issued {times}x: {sql}")
    return lines


def run() -> Result:
    banner()
    require_wrk()
    run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(DATABASE))
        picks = run_async(_subtrees(DATABASE))
        with servers():
            platform = start_platform(DATABASE)
            admin = login(platform.url, ADMIN)
            enabled = [p["slug"] for p in plugins(platform.url, admin) if p["enabled"]]
            say(f"plugins enabled for {DEMO_SLUG}: {', '.join(enabled)}")
            url = f"{platform.url}/api/v1/dashboard?node={district.root_id}"
            wrk(url, token=admin, seconds=2)
            loads = {"1 connection": 1, f"{CONCURRENCY} connections": CONCURRENCY}
            results: dict[str, list[dict[str, float]]] = {side: [] for side in loads}
            for number in range(ROUNDS):
                settle()
                for side, connections in loads.items():
                    results[side].append(wrk(url, token=admin, connections=connections))
                    last = results[side][-1]
                    say(
                        f"round {number + 1} {side}: {last['rps']:.0f} req/s, p50 {last['p50_ms']:.1f} ms, p99 {last['p99_ms']:.1f} ms"
                    )
        counts = run_async(_statements(DATABASE, picks, people_list_path(district)))
    finally:
        run_async(drop_database(DATABASE))
    summary = {
        side: {k: Spread([r[k] for r in rows]) for k in ("rps", "p50_ms", "p99_ms")}
        for side, rows in results.items()
    }
    table(
        ["whole-district dashboard", "req/s", "p50 ms", "p99 ms", "p99 min..max"],
        [
            [
                side,
                s["rps"].median,
                s["p50_ms"].median,
                s["p99_ms"].median,
                f"{s['p99_ms'].low:.1f}..{s['p99_ms'].high:.1f}",
            ]
            for side, s in summary.items()
        ],
    )
    table(
        ["request", "org nodes in subtree", "SQL statements", "figures"],
        [
            [label, c["nodes"] if c["nodes"] is not None else "-", c["statements"], c["figures"] or "-"]
            for label, c in counts.items()
        ],
    )
    dashboard_counts = {c["statements"] for label, c in counts.items() if label.startswith("dashboard")}
    constant = len(dashboard_counts) == 1
    print(f"   statements independent of the subtree's size: {'yes' if constant else 'NO'}")
    if not constant:
        # Say which statements make the difference, so that the figure can be explained, not just flagged.
        for line in _differing_statements(counts):
            print(f"     {line}")
    write_json(
        NAME,
        {
            "endpoint": "GET /api/v1/dashboard?node=<district root> (system administrator)",
            "plugins_enabled": enabled,
            "latency": summary,
            "rounds_raw": results,
            "statements": counts,
            "statements_constant": constant,
        },
    )
    result = Result(NAME)
    one = summary["1 connection"]
    busy = summary[f"{CONCURRENCY} connections"]
    result.add(
        "7. whole-district dashboard p50 / p99 (1 conn.)",
        f"{one['p50_ms'].median:.1f} / {one['p99_ms'].median:.1f} ms",
    )
    result.add(
        f"   p50 / p99 at {CONCURRENCY} conn., req/s",
        f"{busy['p50_ms'].median:.1f} / {busy['p99_ms'].median:.1f} ms, {busy['rps'].median:.0f} req/s",
    )
    result.add(
        "   SQL statements per dashboard",
        ", ".join(
            f"{c['statements']} ({c['nodes']} nodes)"
            for label, c in counts.items()
            if label.startswith("dashboard")
        ),
        "constant: met" if constant else "constant: MISSED",
    )
    return result
