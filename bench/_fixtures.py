"""The benchmark databases: template databases built once and reused across runs, and working copies.

Templates (each rebuilt only when its fingerprint changes: migrations, the
demo district's definition and generators, or ``FIXTURE_VERSIONS``):

``quanyu_bench_tpl_empty``
    migrated, no district (where ``quanyu demo ensure`` is timed).
``quanyu_bench_tpl_single``
    the demo district 润州区 (``quanyu demo ensure``: ~1,000 organisations,
    12,000 people, every installed plugin enabled with its demo records),
    the benchmark accounts, and ``bench-import``, a district holding a copy
    of 润州区's organisation tree and no people (the target of the import).
``quanyu_bench_tpl_bulk<N>``
    the single template plus N-1 copies of 润州区's tree, people and
    relations, generated with SQL inside PostgreSQL (no row goes through
    Python). Ids, paths and tenant ids of each copy are remapped; encrypted
    columns are copied as they are, so a copy's ciphertext does not decrypt
    under its own tenant key: the copies are filler that gives the tables
    and indexes their size, and nobody reads them.
``quanyu_bench_tpl_trees<M>``
    two districts with generated trees of 10,000 and M nodes, in which
    every street heads a subtree of exactly 1,000 nodes.

A benchmark works on a copy (``CREATE DATABASE ... TEMPLATE ... STRATEGY
FILE_COPY``) and drops it afterwards, so the templates never change.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._common import (
    QUICK,
    ROOT,
    admin_connect,
    apply_pg_settings,
    create_database,
    database_comment,
    database_exists,
    quanyu,
    rename_database,
    say,
)

# Bump a kind's version when the code building it changes; a template is rebuilt with the ones it is built from.
FIXTURE_VERSIONS = {"empty": "1", "single": "4", "bulk": "4", "trees": "2"}
BUILT_FROM = {"empty": None, "single": "empty", "bulk": "single", "trees": "empty"}
DEMO_DEFINITION = ROOT / "tenants" / "runzhou.toml"
DEMO_SLUG = "runzhou"
FIRST_STREET_CODE = "321111001"
IMPORT_SLUG = "bench-import"
IMPORT_CODE = "329999"
PASSWORD = "Bench-Quanyu-2026!"
SECRETARY = "bench_secretary"  # secretary of the first street: the list endpoint's caller
ADMIN = "bench_admin"  # system administrator of the district: plugins, dashboard

BULK_DISTRICTS = 20 if QUICK else 200
TREE_SMALL = 10_000
TREE_LARGE = 100_000 if QUICK else 1_000_000
SUBTREE = 1_000  # nodes under (and including) each street of the generated trees
COPIED_TABLES = ("org_node", "person", "person_relation", "role")

TEMPLATE_EMPTY = "quanyu_bench_tpl_empty"
TEMPLATE_SINGLE = "quanyu_bench_tpl_single"
TEMPLATE_BULK = f"quanyu_bench_tpl_bulk{BULK_DISTRICTS}"
TEMPLATE_TREES = f"quanyu_bench_tpl_trees{TREE_LARGE}"


def _fingerprint(kind: str) -> str:
    parent = BUILT_FROM[kind]
    digest = hashlib.sha256(
        f"{kind}:{FIXTURE_VERSIONS[kind]}:{_fingerprint(parent) if parent else ''}".encode()
    )
    sources = [
        *sorted((ROOT / "core" / "migrations" / "versions").glob("*.py")),
        *sorted((ROOT / "plugins").glob("*/migrations/versions/*.py")),
        DEMO_DEFINITION,
        *sorted((ROOT / "core" / "demo").glob("*.py")),
        *sorted((ROOT / "plugins").glob("*/demo.py")),
    ]
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"quanyu-bench {kind} {digest.hexdigest()[:16]}"


async def _current(template: str, kind: str) -> bool:
    return await database_exists(template) and await database_comment(template) == _fingerprint(kind)


# --- the SQL that copies a district inside PostgreSQL -------------------------------------------------

MAP_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.bench_map(u uuid, k int) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  -- XOR the last 32 bits with a constant of k: a bijection for each k, so ids stay unique per district.
  SELECT (left(replace(u::text, '-', ''), 24) || lpad(to_hex(
      ('x' || right(replace(u::text, '-', ''), 8))::bit(32)::bigint # ((k::bigint * 2654435761) % 4294967296)
  ), 8, '0'))::uuid
$$;
CREATE OR REPLACE FUNCTION pg_temp.bench_map_path(p text, k int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT string_agg(replace(pg_temp.bench_map(s::uuid, k)::text, '-', ''), '/' ORDER BY o) || '/'
  FROM unnest(string_to_array(left(p, -1), '/')) WITH ORDINALITY AS t(s, o)
$$;
"""


async def _columns(conn: Any, table: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        table,
    )
    return [(r["column_name"], r["data_type"]) for r in rows]


def _mapped(column: str, data_type: str) -> str:
    if column == "path":
        return "pg_temp.bench_map_path(src.path, k)"
    if data_type == "uuid":
        return f"pg_temp.bench_map(src.{column}, k)"
    return f"src.{column}"


async def copy_districts(
    conn: Any,
    source: uuid.UUID,
    first: int,
    last: int,
    *,
    slug: str,
    code: str,
    tables: tuple[str, ...] = COPIED_TABLES,
) -> None:
    """Copies ``first..last`` of district ``source`` (``slug``/``code`` are SQL expressions of ``k``)."""
    await conn.execute(MAP_FUNCTIONS)
    tenant_columns = [c for c, _t in await _columns(conn, "tenant")]
    overrides = {
        "id": "pg_temp.bench_map(src.id, k)",
        "slug": slug,
        "code": code,
        "name_zh": "src.name_zh || k",
        "name_en": "src.name_en || ' ' || k",
    }
    await conn.execute(
        f"INSERT INTO tenant ({', '.join(tenant_columns)}) "
        f"SELECT {', '.join(overrides.get(c, 'src.' + c) for c in tenant_columns)} "
        f"FROM tenant src CROSS JOIN generate_series($2::int, $3::int) AS k WHERE src.id = $1",
        source,
        first,
        last,
    )
    for table in tables:
        columns = await _columns(conn, table)
        names = ", ".join(c for c, _t in columns)
        exprs = ", ".join(_mapped(c, t) for c, t in columns)
        await conn.execute(
            f"INSERT INTO {table} ({names}) SELECT {exprs} "
            f"FROM {table} src CROSS JOIN generate_series($2::int, $3::int) AS k WHERE src.tenant_id = $1",
            source,
            first,
            last,
        )


# --- templates ---------------------------------------------------------------------------------------


async def ensure_empty() -> str:
    if await _current(TEMPLATE_EMPTY, "empty"):
        return TEMPLATE_EMPTY
    say(f"building template {TEMPLATE_EMPTY} (migrated, no district)")
    build = TEMPLATE_EMPTY + "_build"
    await create_database(build)
    quanyu(build, "db", "upgrade")
    await _finish(build, TEMPLATE_EMPTY, "empty")
    return TEMPLATE_EMPTY


async def ensure_single() -> str:
    if await _current(TEMPLATE_SINGLE, "single"):
        return TEMPLATE_SINGLE
    started = time.perf_counter()
    say(f"building template {TEMPLATE_SINGLE} (demo district, benchmark accounts); once per fingerprint")
    build = TEMPLATE_SINGLE + "_build"
    await create_database(build, template=await ensure_empty())
    quanyu(build, "demo", "ensure", "--definition", str(DEMO_DEFINITION))
    quanyu(
        build,
        "user", "create", "--tenant", DEMO_SLUG, "--username", SECRETARY, "--name", "基准书记",
        "--role", "secretary", "--node", FIRST_STREET_CODE, "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    quanyu(
        build,
        "user", "create", "--tenant", DEMO_SLUG, "--username", ADMIN, "--name", "基准管理员",
        "--role", "system_admin", "--password-stdin",
        input=PASSWORD + "\n",
    )  # fmt: skip
    conn = await admin_connect(build)
    try:
        source = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)
        # The import's target: the demo district's organisations under another district, no people.
        await copy_districts(
            conn,
            source,
            1000,
            1000,
            slug=f"'{IMPORT_SLUG}'",
            code=f"'{IMPORT_CODE}'",
            tables=("org_node", "role"),
        )
    finally:
        await conn.close()
    await _finish(build, TEMPLATE_SINGLE, "single")
    say(f"built {TEMPLATE_SINGLE} in {time.perf_counter() - started:.0f}s")
    return TEMPLATE_SINGLE


async def ensure_bulk() -> str:
    if await _current(TEMPLATE_BULK, "bulk"):
        return TEMPLATE_BULK
    started = time.perf_counter()
    copies = BULK_DISTRICTS - 1
    say(f"building template {TEMPLATE_BULK}: 润州区 + {copies} copies generated in SQL; once per fingerprint")
    build = TEMPLATE_BULK + "_build"
    await create_database(build, template=await ensure_single())
    conn = await admin_connect(build)
    try:
        source = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)
        batch = 20
        for first in range(1, copies + 1, batch):
            last = min(copies, first + batch - 1)
            await copy_districts(
                conn, source, first, last, slug="'bulk-' || lpad(k::text, 3, '0')", code="(500000 + k)::text"
            )
            say(f"  districts {first}..{last} of {copies} copied ({time.perf_counter() - started:.0f}s)")
        people = await conn.fetchval("SELECT count(*) FROM person")
        say(f"  {people:,} people in {await conn.fetchval('SELECT count(*) FROM tenant')} districts")
    finally:
        await conn.close()
    await _finish(build, TEMPLATE_BULK, "bulk")
    say(f"built {TEMPLATE_BULK} in {time.perf_counter() - started:.0f}s")
    return TEMPLATE_BULK


async def _tree_district(conn: Any, slug: str, code: str, nodes: int) -> None:
    """A district whose tree has ``nodes`` nodes: the root and streets of exactly SUBTREE nodes each
    (a street, 9 communities, 110 branches under each community)."""
    streets = nodes // SUBTREE
    tenant_id = uuid.uuid4()
    root_id = uuid.uuid4()
    root_path = root_id.hex + "/"
    await conn.execute(
        "INSERT INTO tenant (id, code, slug, name_zh, name_en, status, settings, created_at, updated_at) "
        "VALUES ($1, $2, $3, $3, $3, 'active', '{}', now(), now())",
        tenant_id,
        code,
        slug,
    )
    common = "tenant_id, id, kind, name, code, parent_id, path, depth, attrs, created_at, updated_at"
    await conn.execute(
        f"INSERT INTO org_node ({common}) VALUES ($1, $2, 'district', $3, $4, NULL, $5, 0, '{{}}', now(), now())",
        tenant_id,
        root_id,
        slug,
        code,
        root_path,
    )
    # Temporary tables (not CTEs) so that each generated id is drawn once and used for id and path alike.
    await conn.execute(
        "DROP TABLE IF EXISTS street, community, branch;"
        f"CREATE TEMP TABLE street AS SELECT i, gen_random_uuid() AS id FROM generate_series(1, {streets}) AS i;"
        "CREATE TEMP TABLE community AS SELECT s.i AS si, s.id AS street_id, j, gen_random_uuid() AS id "
        "FROM street s CROSS JOIN generate_series(1, 9) AS j;"
        "CREATE TEMP TABLE branch AS SELECT c.si, c.j, c.street_id, c.id AS community_id, m, "
        "gen_random_uuid() AS id FROM community c CROSS JOIN generate_series(1, 110) AS m"
    )
    hexed = "replace({}::text, '-', '') || '/'"
    await conn.execute(
        f"INSERT INTO org_node ({common}) SELECT $1, s.id, 'street', '街道' || s.i, NULL, $2, "
        f"$3 || {hexed.format('s.id')}, 1, '{{}}', now(), now() FROM street s",
        tenant_id,
        root_id,
        root_path,
    )
    await conn.execute(
        f"INSERT INTO org_node ({common}) SELECT $1, c.id, 'community', '社区' || c.si || '-' || c.j, NULL, "
        f"c.street_id, $2 || {hexed.format('c.street_id')} || {hexed.format('c.id')}, 2, '{{}}', now(), now() "
        "FROM community c",
        tenant_id,
        root_path,
    )
    await conn.execute(
        f"INSERT INTO org_node ({common}) SELECT $1, b.id, 'branch', '支部' || b.si || '-' || b.j || '-' || b.m, "
        f"NULL, b.community_id, $2 || {hexed.format('b.street_id')} || {hexed.format('b.community_id')} "
        f"|| {hexed.format('b.id')}, 3, '{{}}', now(), now() FROM branch b",
        tenant_id,
        root_path,
    )
    await conn.execute("DROP TABLE street, community, branch")


async def ensure_trees() -> str:
    if await _current(TEMPLATE_TREES, "trees"):
        return TEMPLATE_TREES
    started = time.perf_counter()
    say(
        f"building template {TEMPLATE_TREES}: trees of {TREE_SMALL:,} and {TREE_LARGE:,} nodes; once per fingerprint"
    )
    build = TEMPLATE_TREES + "_build"
    await create_database(build, template=await ensure_empty())
    conn = await admin_connect(build)
    try:
        await _tree_district(conn, "tree-small", "610001", TREE_SMALL)
        await _tree_district(conn, "tree-large", "610002", TREE_LARGE)
    finally:
        await conn.close()
    await _finish(build, TEMPLATE_TREES, "trees")
    say(f"built {TEMPLATE_TREES} in {time.perf_counter() - started:.0f}s")
    return TEMPLATE_TREES


async def _finish(build: str, template: str, kind: str) -> None:
    """Analyse (as autovacuum would in time), then put the finished database in the template's place."""
    conn = await admin_connect(build)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        await conn.execute(f"COMMENT ON DATABASE \"{build}\" IS '{_fingerprint(kind)}'")
    finally:
        await conn.close()
    await rename_database(build, template)


async def working_copy(template: str, name: str) -> str:
    """A fresh copy of ``template`` named ``name`` (replacing any left over)."""
    await create_database(name, template=template)
    await apply_pg_settings(name)
    return name


# --- facts about the demo district ---------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    tenant_id: uuid.UUID
    slug: str
    root_id: uuid.UUID
    street_id: uuid.UUID
    street_people: int


async def demo_district(database: str) -> District:
    conn = await admin_connect(database)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)
        root = await conn.fetchrow(
            "SELECT id, path FROM org_node WHERE tenant_id = $1 AND depth = 0", tenant_id
        )
        street = await conn.fetchrow(
            "SELECT id, path FROM org_node WHERE tenant_id = $1 AND code = $2", tenant_id, FIRST_STREET_CODE
        )
        people = await conn.fetchval(
            "SELECT count(*) FROM person p JOIN org_node n ON n.tenant_id = p.tenant_id AND n.id = p.org_node_id "
            "WHERE p.tenant_id = $1 AND n.path >= $2 AND n.path < $3 AND p.archived_at IS NULL",
            tenant_id,
            street["path"],
            street["path"][:-1] + "0",
        )
    finally:
        await conn.close()
    return District(tenant_id, DEMO_SLUG, root["id"], street["id"], int(people))


def login(base_url: str, username: str, district: str = DEMO_SLUG) -> str:
    """A bearer token for a benchmark account (sessions live in Redis, shared by every bench server)."""
    import httpx

    response = httpx.post(
        f"{base_url}/api/v1/auth/login",
        json={"district": district, "username": username, "password": PASSWORD},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"login of {username} failed: {response.status_code} {response.text}")
    return str(response.json()["token"])


def people_list_path(district: District, limit: int = 50) -> str:
    return f"/api/v1/people?node_id={district.street_id}&limit={limit}"


def var_file(name: str) -> Path:
    from bench._common import RUN_VAR_DIR

    RUN_VAR_DIR.mkdir(parents=True, exist_ok=True)
    return RUN_VAR_DIR / name
