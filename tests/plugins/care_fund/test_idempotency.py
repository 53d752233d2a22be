"""Money-moving requests with an ``Idempotency-Key``: a retry answers the first response and never
posts twice; a different body with the same key is refused; keys go after the retention."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from plugins.care_fund.models import CareFundIdempotencyKey, CareFundTransaction
from tests.plugins.care_fund.conftest import receipt


async def transactions(cf, actor, world):
    return (await cf.ok(actor, "GET", f"/funds/{world.fund_id}/transactions"))["total"]


async def test_a_retried_income_answers_the_first_response_and_posts_once(cf, fund_world, admin):
    world = await fund_world()
    body = {"source": "party_dues", "amount_fen": 75_000, "receipt_no": receipt()}
    first = await cf.call(admin, "POST", f"/funds/{world.fund_id}/income", body, 201, key="k-income-1")
    again = await cf.call(admin, "POST", f"/funds/{world.fund_id}/income", body, 201, key="k-income-1")
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert await transactions(cf, admin, world) == 1
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 75_000


async def test_the_same_key_with_a_different_body_is_refused_naming_the_header(cf, fund_world, admin):
    world = await fund_world()
    body = {"source": "party_dues", "amount_fen": 75_000, "receipt_no": receipt()}
    await cf.call(admin, "POST", f"/funds/{world.fund_id}/income", body, 201, key="k-2")
    changed = await cf.call(
        admin, "POST", f"/funds/{world.fund_id}/income", {**body, "amount_fen": 75_001}, 422, key="k-2"
    )
    assert changed.headers["content-type"].startswith("application/problem+json")
    assert changed.json()["code"] == "idempotency_key_reused"
    assert changed.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await transactions(cf, admin, world) == 1


async def test_a_refused_request_keeps_no_key_so_it_can_be_retried(cf, fund_world, admin):
    world = await fund_world(raised=10_000)
    applied = await cf.ok(
        admin,
        "POST",
        "/disbursements",
        {
            "fund_id": world.fund_id,
            "beneficiary_id": world.beneficiary["id"],
            "amount_fen": 20_000,
            "purpose": "慰问",
        },
        201,
    )
    await cf.ok(world.approver, "POST", f"/disbursements/{applied['id']}/approve")
    await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=409, key="pay-1")
    await cf.ok(
        admin,
        "POST",
        f"/funds/{world.fund_id}/income",
        {"source": "social_donation", "amount_fen": 10_000, "receipt_no": receipt()},
        201,
    )
    paid = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=200, key="pay-1")
    replay = await cf.call(admin, "POST", f"/disbursements/{applied['id']}/pay", expect=200, key="pay-1")
    assert replay.content == paid.content
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 0


async def test_two_concurrent_requests_with_one_key_post_once(cf, fund_world, admin, database):
    world = await fund_world()
    body = {"source": "unit_donation", "amount_fen": 39_000, "receipt_no": receipt()}
    url = f"/funds/{world.fund_id}/income"
    answers = await asyncio.gather(*(cf.call(admin, "POST", url, body, key="k-concurrent") for _ in range(3)))
    assert [a.status_code for a in answers] == [201, 201, 201], [a.text for a in answers]
    assert len({a.content for a in answers}) == 1, "every caller gets the first response"
    async with database.transaction(admin.tenant.id) as session:
        posted = await session.scalar(
            select(func.count())
            .select_from(CareFundTransaction)
            .where(CareFundTransaction.receipt_no == body["receipt_no"])
        )
    assert posted == 1
    assert (await cf.ok(admin, "GET", f"/funds/{world.fund_id}"))["balance_fen"] == 39_000


async def test_a_key_is_per_route_and_per_district(
    cf, fund_world, admin, make_actor, enable_plugin, make_node
):
    world = await fund_world()
    other = await fund_world()
    body = {"source": "party_dues", "amount_fen": 1_000, "receipt_no": receipt()}
    await cf.call(admin, "POST", f"/funds/{world.fund_id}/income", body, 201, key="shared")
    body2 = {**body, "receipt_no": receipt()}
    await cf.call(admin, "POST", f"/funds/{other.fund_id}/income", body2, 201, key="shared")
    neighbour = await make_actor()
    await enable_plugin(neighbour, "care_fund")
    node = await make_node(neighbour.tenant, neighbour.tenant.root_id, "community", "金山社区")
    fund = await cf.ok(neighbour, "POST", "/funds", {"org_node_id": str(node.id), "name": "红色基金"}, 201)
    await cf.call(neighbour, "POST", f"/funds/{fund['id']}/income", body, 201, key="shared")
    assert (await cf.ok(neighbour, "GET", f"/funds/{fund['id']}"))["balance_fen"] == 1_000


async def test_keys_are_kept_a_day_at_least_then_purged_by_the_job(
    cf, fund_world, admin, database, fire_schedule
):
    world = await fund_world()
    body = {"source": "party_dues", "amount_fen": 1_000, "receipt_no": receipt()}
    await cf.call(admin, "POST", f"/funds/{world.fund_id}/income", body, 201, key="old-key")
    await cf.call(
        admin, "POST", f"/funds/{world.fund_id}/income", {**body, "receipt_no": receipt()}, 201, key="new-key"
    )
    async with database.transaction(admin.tenant.id) as session:
        old = (
            await session.scalars(
                select(CareFundIdempotencyKey).where(CareFundIdempotencyKey.key == "old-key")
            )
        ).one()
        old.created_at = old.created_at - dt.timedelta(hours=49)
    await fire_schedule("care_fund.purge_idempotency_keys")
    async with database.transaction(admin.tenant.id) as session:
        left = set(await session.scalars(select(CareFundIdempotencyKey.key)))
    assert left == {"new-key"}
