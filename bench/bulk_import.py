"""5. Bulk import: 12,000 people from .xlsx through ``quanyu people import`` vs. the same rows with plain COPY;
and the time ``quanyu demo ensure`` takes to generate and write the demo district.

The spreadsheet holds 润州区's 12,000 people (ID numbers and phones in clear,
organisations as paths of names), written once per template. It is imported
into ``bench-import``, a district with the same organisation tree and no
people, as an operator would: ``quanyu people import FILE --tenant
bench-import``, timed from the command's start to its exit (reading the file,
validation, encryption and blind indexes, the writes, the audit record).
The baseline inserts the same people (and their relation rows) with COPY on
one connection, prepared in memory beforehand: no validation, no encryption,
no audit. Each side of each round starts from a fresh copy of the template
database, made before the clock starts.

Demo generation: ``quanyu demo ensure`` on a fresh, migrated, empty database
(generating ~740 organisations and 12,000 people, encrypting, writing,
creating the demo accounts, enabling the plugins and loading their records).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from bench._common import (
    QUICK,
    VENV_BIN,
    Result,
    Spread,
    admin_connect,
    banner,
    drop_database,
    platform_env,
    role_dsn,
    run_async,
    say,
    settle,
    table,
    write_json,
)
from bench._fixtures import (
    DEMO_DEFINITION,
    DEMO_SLUG,
    IMPORT_SLUG,
    ensure_empty,
    ensure_single,
    var_file,
    working_copy,
)
from bench._inprocess import bench_settings

NAME = "bulk_import"
DATABASE = "quanyu_bench_import"
SOURCE = "quanyu_bench_import_source"
ROUNDS = 1 if QUICK else 3
PERSON_TABLE_COLUMNS = (
    "tenant_id", "id", "name", "gender", "ethnicity", "birth_date", "id_card_encrypted", "id_card_index",
    "phone_encrypted", "phone_index", "education", "party_status", "joined_on", "full_member_on", "category",
    "work_unit", "address", "lost_contact", "last_contact_on", "org_node_id", "archived_at", "created_at",
    "updated_at",
)  # fmt: skip
RELATION_COLUMNS = (
    "tenant_id", "id", "person_id", "org_node_id", "started_on", "ended_on", "reason", "note", "recorded_at",
)  # fmt: skip


async def _people_rows(database: str) -> list[dict[str, Any]]:
    """润州区's people in clear (decrypted with the bench secret) with their organisations' labels."""
    from sqlalchemy import select

    from core import crypto
    from core.db.session import Database
    from core.imports.nodes import NodeIndex
    from core.people.models import Person
    from core.settings import override_settings

    override_settings(bench_settings(database))
    db = Database(
        bench_settings(database).database_url, bench_settings(database).database_system_url, pool_size=2
    )
    try:
        conn = await admin_connect(database)
        try:
            tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)
        finally:
            await conn.close()
        async with db.transaction(tenant_id) as session:
            index = await NodeIndex.load(session)
            people = list(await session.scalars(select(Person).order_by(Person.id)))
            return [
                {
                    "name": p.name,
                    "gender": p.gender,
                    "ethnicity": p.ethnicity,
                    "birth_date": p.birth_date,
                    "id_card": crypto.decrypt(tenant_id, p.id_card_encrypted),
                    "phone": crypto.decrypt(tenant_id, p.phone_encrypted) if p.phone_encrypted else None,
                    "education": p.education,
                    "party_status": p.party_status,
                    "joined_on": p.joined_on,
                    "full_member_on": p.full_member_on,
                    "category": p.category,
                    "work_unit": p.work_unit,
                    "address": p.address,
                    "org": index.label(index.by_id[p.org_node_id]),
                }
                for p in people
            ]
    finally:
        await db.dispose()
        override_settings(None)


def _write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    from core.imports.people import CATEGORIES, EDUCATIONS, GENDERS, PARTY_STATUSES, PERSON_COLUMNS

    labels = {
        "gender": GENDERS,
        "education": EDUCATIONS,
        "party_status": PARTY_STATUSES,
        "category": CATEGORIES,
    }
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    sheet.append([c.label for c in PERSON_COLUMNS])
    for row in rows:
        sheet.append(
            [labels[c.key].label(row[c.key]) if c.key in labels else row.get(c.key) for c in PERSON_COLUMNS]
        )
    partial = path.with_suffix(".partial.xlsx")
    workbook.save(partial)
    partial.replace(path)


async def _copy_records(
    database: str, rows: list[dict[str, Any]]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The same people as COPY records for ``bench-import`` (organisations resolved, values as given)."""
    conn = await admin_connect(database)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", IMPORT_SLUG)
        nodes = await conn.fetch(
            "SELECT id, parent_id, name, depth FROM org_node WHERE tenant_id = $1", tenant_id
        )
    finally:
        await conn.close()
    names: dict[Any, str] = {}
    by_id = {n["id"]: n for n in nodes}
    for node in sorted(nodes, key=lambda n: n["depth"]):
        if node["parent_id"] is not None:
            parent = names.get(node["parent_id"], "")
            names[node["id"]] = f"{parent}/{node['name']}" if parent else node["name"]
    by_label = {label: node_id for node_id, label in names.items()}
    assert by_id
    now = dt.datetime.now(dt.UTC)
    people: list[tuple[Any, ...]] = []
    relations: list[tuple[Any, ...]] = []
    for row in rows:
        person_id = uuid.uuid4()
        node_id = by_label[row["org"]]
        people.append(
            (
                tenant_id, person_id, row["name"], row["gender"], row["ethnicity"], row["birth_date"],
                row["id_card"], row["id_card"], row["phone"], row["phone"], row["education"], row["party_status"],
                row["joined_on"], row["full_member_on"], row["category"], row["work_unit"], row["address"],
                False, None, node_id, None, now, now,
            )
        )  # fmt: skip
        if row["party_status"] in ("full", "probationary"):
            relations.append(
                (tenant_id, uuid.uuid4(), person_id, node_id, row["joined_on"], None, "imported", None, now)
            )
    return people, relations


def _import_once(database: str, path: Path) -> float:
    env = platform_env(database)
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "quanyu"), "people", "import", str(path), "--tenant", IMPORT_SLUG],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"quanyu people import failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


async def _copy_once(database: str, people: list[tuple[Any, ...]], relations: list[tuple[Any, ...]]) -> float:
    import asyncpg

    started = time.perf_counter()
    conn = await asyncpg.connect(role_dsn("owner", database))
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("person", records=people, columns=PERSON_TABLE_COLUMNS)
            await conn.copy_records_to_table("person_relation", records=relations, columns=RELATION_COLUMNS)
    finally:
        await conn.close()
    return time.perf_counter() - started


async def _imported(database: str) -> int:
    conn = await admin_connect(database)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM person WHERE tenant_id = (SELECT id FROM tenant WHERE slug = $1)",
                IMPORT_SLUG,
            )
        )
    finally:
        await conn.close()


def _demo_once(database: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "quanyu"), "demo", "ensure", "--definition", str(DEMO_DEFINITION)],
        env=platform_env(database),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"quanyu demo ensure failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


async def _demo_counts(database: str) -> tuple[int, int]:
    conn = await admin_connect(database)
    try:
        tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = $1", DEMO_SLUG)
        nodes = await conn.fetchval("SELECT count(*) FROM org_node WHERE tenant_id = $1", tenant_id)
        people = await conn.fetchval("SELECT count(*) FROM person WHERE tenant_id = $1", tenant_id)
        return int(nodes), int(people)
    finally:
        await conn.close()


def run() -> Result:
    banner()
    single = run_async(ensure_single())
    empty = run_async(ensure_empty())
    sheet = var_file("people-12000.xlsx")
    run_async(working_copy(single, SOURCE))
    try:
        rows = run_async(_people_rows(SOURCE))
        _write_xlsx(rows, sheet)
        records = run_async(_copy_records(SOURCE, rows))
    finally:
        run_async(drop_database(SOURCE))
    rows_in_file = len(rows)
    say(f"{sheet.name}: {rows_in_file:,} rows, {sheet.stat().st_size / 1e6:.1f} MB; {ROUNDS} rounds")
    started = time.perf_counter()
    subprocess.run(
        [str(VENV_BIN / "quanyu"), "--version"], capture_output=True, check=True, env=platform_env(SOURCE)
    )
    startup = time.perf_counter() - started

    seconds: dict[str, list[float]] = {"quanyu people import": [], "COPY": [], "quanyu demo ensure": []}
    try:
        for number in range(ROUNDS):
            settle()
            order = ["quanyu people import", "COPY"] if number % 2 == 0 else ["COPY", "quanyu people import"]
            for side in order:
                run_async(working_copy(single, DATABASE))
                if side == "COPY":
                    took = run_async(_copy_once(DATABASE, *records))
                else:
                    took = _import_once(DATABASE, sheet)
                count = run_async(_imported(DATABASE))
                if count != rows_in_file:
                    raise RuntimeError(f"{side}: {count} people in {IMPORT_SLUG}, expected {rows_in_file}")
                seconds[side].append(took)
                say(f"round {number + 1} {side}: {took:.2f}s ({count / took:,.0f} rows/s)")
            run_async(working_copy(empty, DATABASE))
            took = _demo_once(DATABASE)
            nodes, people = run_async(_demo_counts(DATABASE))
            seconds["quanyu demo ensure"].append(took)
            say(
                f"round {number + 1} quanyu demo ensure: {took:.2f}s ({nodes} organisations, {people:,} people)"
            )
    finally:
        run_async(drop_database(DATABASE))
    spreads = {side: Spread(values) for side, values in seconds.items()}
    rows_of = {"quanyu people import": rows_in_file, "COPY": rows_in_file, "quanyu demo ensure": people}
    table(
        ["what", "rows", "seconds (median)", "min..max", "rows/s"],
        [
            [side, rows_of[side], s.median, f"{s.low:.2f}..{s.high:.2f}", rows_of[side] / s.median]
            for side, s in spreads.items()
        ],
    )
    factor = spreads["quanyu people import"].median / spreads["COPY"].median
    print(
        f"   the import takes {factor:.1f}x the time of COPY; of which starting the `quanyu` process: {startup:.2f}s"
    )
    write_json(
        NAME,
        {
            "file": {"rows": rows_in_file, "bytes": sheet.stat().st_size},
            "seconds": spreads,
            "rows": rows_of,
            "import_over_copy": factor,
            "quanyu_startup_seconds": startup,
            "demo": {"organisations": nodes, "people": people},
        },
    )
    result = Result(NAME)
    for side, s in spreads.items():
        result.add(f"5. {side}", f"{s.median:.2f} s, {rows_of[side] / s.median:,.0f} rows/s")
    result.add("   import / COPY time", f"{factor:.1f}x")
    return result
