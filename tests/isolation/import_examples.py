"""Isolation examples of the spreadsheet routes (see ``registry.py``).

An import names its organisations inside the file (by id, code or path of
names); an outsider's file naming A's nodes gets the same 422 row problem
as a file naming a node that does not exist, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets

from core.people.validation import make_id_card
from tests.isolation.registry import Example, register
from tests.isolation.world import World

CSV = "text/csv"


def csv_file(name: str, rows: list[list[str]]) -> dict[str, tuple[str, bytes, str]]:
    text = "\n".join(",".join(row) for row in rows) + "\n"
    return {"file": (name, text.encode("utf-8"), CSV)}


@register("POST", "/api/v1/people/import")
async def people_import(w: World) -> Example:
    birth = dt.date(1955, 1, 1) + dt.timedelta(days=secrets.randbelow(15_000))
    card = make_id_card("320504", birth, secrets.randbelow(100), "female", variant=secrets.randbelow(5))
    return Example(
        "/api/v1/people/import",
        files=csv_file(
            "people.csv", [["name", "id_card", "org"], [f"导入{secrets.token_hex(2)}", card, str(w.b1)]]
        ),
        refusal=(422, "import_rejected"),
        readback=f"/api/v1/people?node_id={w.b1}&limit=200",
        owner_sees=('"created":1',),
    )


@register("POST", "/api/v1/org/import")
async def org_import(w: World) -> Example:
    return Example(
        "/api/v1/org/import",
        files=csv_file(
            "orgs.csv", [["parent", "kind", "name"], [str(w.c1), "unit", f"导入单位{secrets.token_hex(3)}"]]
        ),
        refusal=(422, "import_rejected"),
        readback=f"/api/v1/org/nodes/{w.c1}/children?limit=200",
        owner_sees=('"created":1',),
    )


@register("GET", "/api/v1/people/export")
async def people_export(w: World) -> Example:
    # The workbook is binary; test_isolation.py opens the district-wide export of outsiders.
    return Example("/api/v1/people/export", params={"node_id": str(w.b1)})
