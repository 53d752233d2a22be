"""The masked ID number and phone are kept at write time: lists show them without decrypting anything."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text

from core import crypto
from core.db.engine import create_engine
from core.people.validation import make_id_card

MIGRATION = Path(__file__).resolve().parents[1] / "core/migrations/versions/0007_person_masked_fields.py"


def card(sequence: int) -> str:
    return make_id_card("321111", dt.date(1979, 3, 8), sequence, "female")


@pytest.fixture
async def branch(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    return await make_node(admin.tenant, street.id, "branch", "宝塔路第一党支部")


async def create(client, admin, branch, sequence: int, phone: str | None) -> dict:
    body = {
        "name": "李秀英",
        "id_card": card(sequence),
        "org_node_id": str(branch.id),
        "party_status": "full",
    }
    body |= {"joined_on": "2001-07-01", "full_member_on": "2002-07-01"}
    if phone is not None:
        body["phone"] = phone
    response = await client.post("/api/v1/people", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_lists_show_masks_without_decrypting(client, admin, branch, monkeypatch):
    await create(client, admin, branch, 1, "139 1234 5678")
    await create(client, admin, branch, 2, None)

    def refuse(*_args: object) -> str:
        raise AssertionError("a list decrypted a value")

    monkeypatch.setattr(crypto, "decrypt", refuse)
    listed = await client.get("/api/v1/people", headers=admin.headers, params={"org_node_id": str(branch.id)})
    assert listed.status_code == 200, listed.text
    shown = {p["id_card_masked"]: p["phone_masked"] for p in listed.json()["items"]}
    assert shown == {
        card(1)[:4] + "*" * 10 + card(1)[-4:]: "139****5678",
        card(2)[:4] + "*" * 10 + card(2)[-4:]: None,
    }


async def test_changing_the_number_or_phone_changes_the_masks(client, admin, branch):
    person = await create(client, admin, branch, 3, "0511-85551234")
    assert person["phone_masked"] == "0511-****34"
    changed = await client.patch(
        f"/api/v1/people/{person['id']}",
        headers=admin.headers,
        json={"id_card": card(5), "phone": "13700001111"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["id_card_masked"] == card(5)[:4] + "*" * 10 + card(5)[-4:]
    assert changed.json()["phone_masked"] == "137****1111"
    cleared = await client.patch(
        f"/api/v1/people/{person['id']}", headers=admin.headers, json={"phone": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["phone_masked"] is None


async def test_the_migration_fills_masks_of_existing_rows(client, admin, branch, database):
    """Rows written before the masked columns existed get them from one decryption each (core_0007)."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    person = await create(client, admin, branch, 7, "13912345678")
    spec = importlib.util.spec_from_file_location("core_0007", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    def fill(connection):
        with Operations.context(MigrationContext.configure(connection)):
            migration._fill_masks(admin.tenant.id)  # other tests' rows may be under other keys

    owner = create_engine(database.backend.owner_url)  # the owner migrates, past row-level security
    try:
        async with owner.begin() as conn:
            cleared = await conn.execute(
                text("UPDATE person SET id_card_masked = '', phone_masked = NULL WHERE id = :id"),
                {
                    "id": person["id"]
                    if database.backend.name == "postgresql"
                    else person["id"].replace("-", "")
                },
            )
            assert cleared.rowcount == 1
            await conn.run_sync(fill)
    finally:
        await owner.dispose()
    shown = await client.get(f"/api/v1/people/{person['id']}", headers=admin.headers)
    assert (shown.json()["id_card_masked"], shown.json()["phone_masked"]) == (
        card(7)[:4] + "*" * 10 + card(7)[-4:],
        "139****5678",
    )
