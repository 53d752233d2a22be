"""The ledger cannot be edited or deleted: no route changes it, the ORM refuses, the database's
triggers refuse raw UPDATE and DELETE; only purging a disabled plugin's data (or deleting the
district) takes ledger rows away."""

from __future__ import annotations

import pytest
from litestar.routes import HTTPRoute
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from plugins.care_fund import services
from plugins.care_fund.models import CareFundEntry, CareFundTransaction
from tests.plugins.care_fund.conftest import receipt

PREFIX = "/api/v1/m/care_fund"


def test_no_route_under_the_prefix_puts_patches_or_deletes_ledger_rows(client):
    app = client._transport.app
    writes = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path.startswith(PREFIX):
            for method in route.methods - {"GET", "HEAD", "OPTIONS"}:
                writes.append((method, route.path))
    assert ("POST", f"{PREFIX}/funds/{{fund_id:uuid}}/income") in writes, "the routes were found"
    assert not [w for w in writes if w[0] in {"PUT", "DELETE"}], "nothing is replaced or deleted"
    patched = {path for method, path in writes if method == "PATCH"}
    assert patched == {f"{PREFIX}/funds/{{fund_id:uuid}}", f"{PREFIX}/beneficiaries/{{beneficiary_id:uuid}}"}
    assert not [w for w in writes if "entries" in w[1]]
    on_transactions = [w for w in writes if w[1].startswith(f"{PREFIX}/transactions")]
    assert on_transactions == [("POST", f"{PREFIX}/transactions/{{transaction_id:uuid}}/reverse")], (
        "a transaction is only ever reversed, by a new one"
    )


async def _posted(cf, fund_world, admin):
    world = await fund_world()
    await cf.ok(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {"source": "party_dues", "amount_fen": 12_345, "receipt_no": receipt()},
        201,
    )
    return world


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE care_fund_entry SET amount_fen = amount_fen + 1",
        "UPDATE care_fund_transaction SET amount_fen = 1",
        "DELETE FROM care_fund_entry",
        "DELETE FROM care_fund_transaction",
    ],
)
async def test_raw_sql_cannot_update_or_delete_ledger_rows(cf, fund_world, admin, database, statement):
    world = await _posted(cf, fund_world, admin)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.transaction(admin.tenant.id) as session:
            await session.execute(text(statement))
    async with database.transaction(admin.tenant.id) as session:
        entries = list(await session.scalars(select(CareFundEntry.amount_fen)))
        assert entries == [12_345, 12_345]
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 12_345


async def test_the_orm_refuses_ledger_rows_not_written_by_the_one_code_path(cf, fund_world, admin, database):
    world = await _posted(cf, fund_world, admin)
    with pytest.raises(services.UnbalancedPosting):
        async with database.transaction(admin.tenant.id) as session:
            entry = (await session.scalars(select(CareFundEntry))).first()
            entry.amount_fen = 1
            await session.flush()
    with pytest.raises(services.UnbalancedPosting):
        async with database.transaction(admin.tenant.id) as session:
            original = (await session.scalars(select(CareFundTransaction))).first()
            fund_id, day = original.fund_id, original.occurred_on
            session.add(
                CareFundEntry(
                    transaction_id=original.id,
                    fund_id=fund_id,
                    account="cash",
                    direction="debit",
                    amount_fen=5,
                )
            )
            await session.flush()
    with pytest.raises(services.UnbalancedPosting):
        async with database.transaction(admin.tenant.id) as session:
            await services.post(
                session,
                fund_id,
                [services.Leg("cash", "debit", 10), services.Leg("income.party_dues", "credit", 9)],
                kind="income",
                occurred_on=day,
                posted_by_id=None,
                source="party_dues",
                receipt_no=receipt(),
            )
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}/transactions"))["total"] == 1


async def test_the_stored_balance_cannot_go_below_zero_even_by_raw_sql(cf, fund_world, admin, database):
    world = await _posted(cf, fund_world, admin)
    with pytest.raises(DBAPIError):
        async with database.transaction(admin.tenant.id) as session:
            await session.execute(text("UPDATE care_fund SET balance_fen = -1"))
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 12_345


async def test_purging_the_disabled_plugin_is_the_one_path_that_deletes_ledger_rows(
    cf, fund_world, admin, database, client
):
    await _posted(cf, fund_world, admin)
    enabled = await client.post(
        "/api/v1/plugins/care_fund/purge", headers=admin.headers, json={"confirm": "care_fund"}
    )
    assert enabled.status_code == 409, "an enabled plugin is not purged"
    disabled = await client.post("/api/v1/plugins/care_fund/disable", headers=admin.headers)
    assert disabled.status_code == 200, disabled.text
    purged = await client.post(
        "/api/v1/plugins/care_fund/purge", headers=admin.headers, json={"confirm": "care_fund"}
    )
    client.cookies.clear()
    assert purged.status_code == 200, purged.text
    assert (
        purged.json()["rows"]["care_fund_entry"] == 2 and purged.json()["rows"]["care_fund_transaction"] == 1
    )
    async with database.transaction(admin.tenant.id) as session:
        assert await session.scalar(select(func.count()).select_from(CareFundEntry)) == 0


async def test_erasing_the_district_takes_its_ledger_with_it(cf, fund_world, admin, database, client):
    from core.tenancy.models import Tenant
    from core.tenancy.service import erase_tenant

    await _posted(cf, fund_world, admin)
    # Enabled all along: the erase switches every mechanism off first (SQLite) and names the district it
    # erases (PostgreSQL), the two signals the ledger's guard accepts.
    async with database.system_transaction() as session:
        deleted = await erase_tenant(session, await session.get(Tenant, admin.tenant.id))
    assert deleted["care_fund_entry"] == 2 and deleted["care_fund_transaction"] == 1
    async with database.system_transaction() as session:
        left = await session.scalar(
            select(func.count()).select_from(CareFundEntry).where(CareFundEntry.tenant_id == admin.tenant.id)
        )
    assert left == 0
