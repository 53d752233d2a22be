"""8. Physical limit: the people-list statements issued directly with asyncpg in a loop (no HTTP, no framework).

The same four statements the bare app runs per request (the node's path, the
count, the page of 50, the page's organisation names) in one transaction,
as prepared statements on the ``system`` role, returning the same rows. Two
loops: one connection issuing requests back to back (latency), and 32
concurrent tasks sharing a pool of 10 connections, as the servers do
(throughput). This is the ceiling the HTTP figures of ``platform_overhead``
are read against: on this machine no server can serve the list faster than
its database client can fetch it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

from bench._common import (
    CONCURRENCY,
    LOAD_SECONDS,
    ROUNDS,
    Result,
    Spread,
    banner,
    drop_database,
    role_dsn,
    run_async,
    say,
    settle,
    table,
    write_json,
)
from bench._fixtures import District, demo_district, ensure_single, working_copy

NAME = "asyncpg_ceiling"
DATABASE = "quanyu_bench_ceiling"
POOL = 10
FILTER = (
    "FROM person JOIN org_node AS filter_node "
    "ON filter_node.tenant_id = person.tenant_id AND filter_node.id = person.org_node_id "
    "WHERE filter_node.path >= $1 AND filter_node.path < $2 AND person.archived_at IS NULL AND person.tenant_id = $3"
)
STATEMENTS = {
    "node": "SELECT path FROM org_node WHERE org_node.id = $1 AND org_node.tenant_id = $2",
    "count": f"SELECT count(*) {FILTER}",
    "page": (
        "SELECT person.id, person.name, person.gender, person.ethnicity, person.birth_date, person.id_card_encrypted, "
        "person.phone_encrypted, person.education, person.party_status, person.joined_on, person.full_member_on, "
        "person.category, person.work_unit, person.address, person.lost_contact, person.last_contact_on, "
        "person.org_node_id, person.archived_at, person.created_at, person.updated_at "
        f"{FILTER} ORDER BY person.name, person.id LIMIT $4 OFFSET $5"
    ),
    "names": "SELECT org_node.id, org_node.name FROM org_node WHERE org_node.id = ANY($1::uuid[]) AND org_node.tenant_id = $2",
}


async def _one_request(conn: Any, district: District) -> int:
    tenant_id: uuid.UUID = district.tenant_id
    async with conn.transaction():
        path = await conn.fetchval(STATEMENTS["node"], district.street_id, tenant_id)
        high = path[:-1] + "0"
        total = await conn.fetchval(STATEMENTS["count"], path, high, tenant_id)
        rows = await conn.fetch(STATEMENTS["page"], path, high, tenant_id, 50, 0)
        await conn.fetch(STATEMENTS["names"], list({r["org_node_id"] for r in rows}), tenant_id)
    if len(rows) != 50:
        raise RuntimeError(f"page of {len(rows)} rows (of {total})")
    return int(total)


async def _sequential(district: District, seconds: float) -> dict[str, float]:
    import asyncpg

    conn = await asyncpg.connect(role_dsn("system", DATABASE))
    try:
        for _ in range(20):
            await _one_request(conn, district)
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            begun = time.perf_counter()
            await _one_request(conn, district)
            latencies.append(time.perf_counter() - begun)
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
    }


async def _concurrent(district: District, seconds: float) -> dict[str, float]:
    import asyncpg

    pool = await asyncpg.create_pool(role_dsn("system", DATABASE), min_size=POOL, max_size=POOL)
    assert pool is not None
    latencies: list[float] = []
    try:

        async def warm() -> None:
            async with pool.acquire() as conn:
                for _ in range(10):
                    await _one_request(conn, district)

        await asyncio.gather(*(warm() for _ in range(POOL)))
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                begun = time.perf_counter()
                async with pool.acquire() as conn:
                    await _one_request(conn, district)
                latencies.append(time.perf_counter() - begun)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
    }


def run() -> Result:
    banner()
    run_async(working_copy(run_async(ensure_single()), DATABASE))
    try:
        district = run_async(demo_district(DATABASE))
        results: dict[str, list[dict[str, float]]] = {
            "1 connection, sequential": [],
            f"{CONCURRENCY} tasks, pool {POOL}": [],
        }
        loops = {
            "1 connection, sequential": _sequential,
            f"{CONCURRENCY} tasks, pool {POOL}": _concurrent,
        }
        for number in range(ROUNDS):
            settle()
            for side, loop in loops.items():
                results[side].append(run_async(loop(district, LOAD_SECONDS)))
                last = results[side][-1]
                say(f"round {number + 1} {side}: {last['rps']:.0f} lists/s, p50 {last['p50_ms']:.2f} ms")
    finally:
        run_async(drop_database(DATABASE))
    summary = {
        side: {k: Spread([r[k] for r in rows]) for k in ("rps", "p50_ms", "p99_ms")}
        for side, rows in results.items()
    }
    table(
        ["loop", "lists/s (median)", "min..max", "p50 ms", "p99 ms"],
        [
            [
                side,
                s["rps"].median,
                f"{s['rps'].low:.0f}..{s['rps'].high:.0f}",
                s["p50_ms"].median,
                s["p99_ms"].median,
            ]
            for side, s in summary.items()
        ],
    )
    write_json(
        NAME,
        {
            "statements": STATEMENTS,
            "street_people": district.street_people,
            "sides": summary,
            "rounds_raw": results,
        },
    )
    result = Result(NAME)
    for side, s in summary.items():
        result.add(
            f"8. asyncpg ceiling, {side}", f"{s['rps'].median:.0f} lists/s, p50 {s['p50_ms'].median:.2f} ms"
        )
    return result
