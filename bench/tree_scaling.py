"""4. Tree scaling: a subtree of 1,000 nodes read from a tree of 10,000 nodes vs. one of 1,000,000 (PostgreSQL).

Both trees live in one database (a template built once with SQL), as two
districts whose every street heads exactly 1,000 nodes. Each query reads the
subtree of one street through the platform's own path, ``subtree_select`` on a
tenant-bound session of the ``app`` role (row-level security on), and
materialises the 1,000 ORM objects; the same SQL is also timed on a bare
asyncpg connection, to tell the database's share from the ORM's. Each round
rotates over 10 streets per tree, the trees interleaved. Goal: large / small
<= 1.5 (the cost follows the result, not the tree). ``subtree_query`` keeps the
same check on SQLite.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

from bench._common import (
    QUICK,
    ROUNDS,
    Result,
    Spread,
    admin_connect,
    banner,
    drop_database,
    paired_ratio,
    role_dsn,
    role_url,
    run_async,
    say,
    settle,
    table,
    verdict,
    write_json,
)
from bench._fixtures import SUBTREE, TREE_LARGE, TREE_SMALL, ensure_trees, working_copy

NAME = "tree_scaling"
DATABASE = "quanyu_bench_trees"
GOAL = 1.5
STREETS = 10
QUERIES = 5 if QUICK else 20  # per street and round
SIDES = {f"{TREE_SMALL:,} nodes": "tree-small", f"{TREE_LARGE:,} nodes": "tree-large"}
RAW_SQL = "SELECT * FROM org_node WHERE tenant_id = $1 AND path >= $2 AND path < $3 AND archived_at IS NULL ORDER BY path"


async def _trees() -> dict[str, dict[str, Any]]:
    """Per district: tenant id, root, size, and 10 streets spread over the tree."""
    conn = await admin_connect(DATABASE)
    try:
        found: dict[str, dict[str, Any]] = {}
        for side, slug in SIDES.items():
            tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", slug)
            root = await conn.fetchrow(
                "SELECT id, path FROM org_node WHERE tenant_id = $1 AND depth = 0", tenant_id
            )
            streets = await conn.fetch(
                "SELECT id, path FROM org_node WHERE tenant_id = $1 AND depth = 1 ORDER BY path", tenant_id
            )
            step = max(1, len(streets) // STREETS)
            found[side] = {
                "tenant_id": tenant_id,
                "root": root,
                "nodes": int(
                    await conn.fetchval("SELECT count(*) FROM org_node WHERE tenant_id = $1", tenant_id)
                ),
                "streets": [(s["id"], s["path"]) for s in streets[::step][:STREETS]],
            }
        return found
    finally:
        await conn.close()


async def _measure(trees: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, float]]]:
    import asyncpg
    from sqlalchemy import select

    from core.auth.scope import Grant, Principal
    from core.db.session import Database
    from core.orgs.models import OrgNode
    from core.orgs.services import subtree_select

    database = Database(role_url("app", DATABASE), role_url("system", DATABASE), pool_size=2)
    raw = await asyncpg.connect(role_dsn("app", DATABASE))
    prepared = await raw.prepare(RAW_SQL)
    try:
        nodes: dict[str, list[OrgNode]] = {}
        principals: dict[str, Principal] = {}
        for side, tree in trees.items():
            tenant_id: uuid.UUID = tree["tenant_id"]
            principals[side] = Principal(
                user_id=uuid.uuid4(),
                tenant_id=tenant_id,
                tenant_slug=SIDES[side],
                username="bench",
                display_name="bench",
                grants=(Grant("viewer", frozenset({"org.read"}), tree["root"]["id"], tree["root"]["path"]),),
            )
            async with database.transaction(tenant_id) as session:
                ids = [street_id for street_id, _path in tree["streets"]]
                nodes[side] = list(await session.scalars(select(OrgNode).where(OrgNode.id.in_(ids))))

        async def orm_once(side: str, street: OrgNode) -> tuple[float, int]:
            async with database.transaction(trees[side]["tenant_id"]) as session:
                started = time.perf_counter()
                rows = (await session.scalars(subtree_select(principals[side], street))).all()
                return time.perf_counter() - started, len(rows)

        async def raw_once(side: str, street: OrgNode) -> tuple[float, int]:
            async with raw.transaction():
                await raw.execute(
                    "SELECT set_config('quanyu.tenant_id', $1, true)", str(trees[side]["tenant_id"])
                )
                started = time.perf_counter()
                rows = await prepared.fetch(trees[side]["tenant_id"], street.path, street.path[:-1] + "0")
                return time.perf_counter() - started, len(rows)

        # Warm-up: every street once on both paths (plans, statement caches).
        for side in trees:
            for street in nodes[side]:
                for once in (orm_once, raw_once):
                    _seconds, count = await once(side, street)
                    if count != SUBTREE:
                        raise RuntimeError(f"{side}: a street's subtree has {count} nodes, not {SUBTREE}")

        async def side_round(side: str) -> dict[str, float]:
            orm: list[float] = []
            bare: list[float] = []
            for _ in range(QUERIES):
                for street in nodes[side]:
                    orm.append((await orm_once(side, street))[0])
                    bare.append((await raw_once(side, street))[0])
            return {
                "orm_ms": statistics.median(orm) * 1000,
                "orm_p99_ms": sorted(orm)[int(len(orm) * 0.99) - 1] * 1000,
                "asyncpg_ms": statistics.median(bare) * 1000,
            }

        results: dict[str, list[dict[str, float]]] = {side: [] for side in trees}
        for number in range(ROUNDS):
            settle()
            order = list(trees) if number % 2 == 0 else list(reversed(list(trees)))
            for side in order:
                results[side].append(await side_round(side))
                say(
                    f"round {number + 1} {side}: {results[side][-1]['orm_ms']:.2f} ms (ORM), "
                    f"{results[side][-1]['asyncpg_ms']:.2f} ms (asyncpg)"
                )
        return results
    finally:
        await raw.close()
        await database.dispose()


def run() -> Result:
    banner()
    template = run_async(ensure_trees())
    run_async(working_copy(template, DATABASE))
    try:
        trees = run_async(_trees())
        for side, tree in trees.items():
            say(
                f"{side}: {tree['nodes']:,} nodes; {len(tree['streets'])} streets of {SUBTREE:,} nodes each measured"
            )
        results = run_async(_measure(trees))
    finally:
        run_async(drop_database(DATABASE))
    small, large = list(SIDES)
    summary = {
        side: {key: Spread([r[key] for r in rows]) for key in ("orm_ms", "orm_p99_ms", "asyncpg_ms")}
        for side, rows in results.items()
    }
    table(
        ["tree", "nodes returned", "ORM ms (median)", "ORM p99 ms", "asyncpg ms", "ORM min..max"],
        [
            [
                side,
                SUBTREE,
                s["orm_ms"].median,
                s["orm_p99_ms"].median,
                s["asyncpg_ms"].median,
                f"{s['orm_ms'].low:.2f}..{s['orm_ms'].high:.2f}",
            ]
            for side, s in summary.items()
        ],
    )
    orm_ratio = paired_ratio(results[large], results[small], "orm_ms")
    raw_ratio = paired_ratio(results[large], results[small], "asyncpg_ms")
    print(
        f"   time large / small: {orm_ratio.median:.2f} through the platform (rounds {orm_ratio.low:.2f}.."
        f"{orm_ratio.high:.2f}), {raw_ratio.median:.2f} in asyncpg  goal: {verdict(orm_ratio.median, GOAL, at_least=False)}"
    )
    write_json(
        NAME,
        {
            "query": "subtree_select(principal, street) on a tenant-bound app-role session, all rows",
            "subtree_nodes": SUBTREE,
            "trees": {side: tree["nodes"] for side, tree in trees.items()},
            "queries_per_round": QUERIES * STREETS,
            "sides": summary,
            "rounds_raw": results,
            "ratio_large_over_small": orm_ratio,
            "ratio_large_over_small_asyncpg": raw_ratio,
            "goal": GOAL,
        },
    )
    result = Result(NAME)
    result.add(
        f"4. subtree of 1,000: {TREE_LARGE:,}-node / {TREE_SMALL:,}-node tree",
        f"{orm_ratio.median:.2f}",
        verdict(orm_ratio.median, GOAL, at_least=False),
    )
    for side, s in summary.items():
        result.add(
            f"   {side}: ms per query (ORM, asyncpg)",
            f"{s['orm_ms'].median:.2f}, {s['asyncpg_ms'].median:.2f}",
        )
    return result
