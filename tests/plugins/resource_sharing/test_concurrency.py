"""Never double-booked: simultaneous overlapping requests over separate connections leave exactly one
active reservation, on SQLite and on PostgreSQL; a naive check-then-insert under the same load does
double-book (the control that shows this test can fail)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import func, select

from tests.plugins.resource_sharing.conftest import at

REQUESTERS = 10


async def _active(database, tenant_id, resource_id):
    from plugins.resource_sharing.models import HOLDING, SharedResourceReservation, SharedResourceSlot

    async with database.transaction(tenant_id) as session:
        reservations = await session.scalar(
            select(func.count())
            .select_from(SharedResourceReservation)
            .where(
                SharedResourceReservation.resource_id == resource_id,
                SharedResourceReservation.status.in_(HOLDING),
            )
        )
        slots = await session.scalar(
            select(func.count())
            .select_from(SharedResourceSlot)
            .where(SharedResourceSlot.resource_id == resource_id)
        )
    return reservations, slots


async def test_simultaneous_overlapping_requests_leave_exactly_one_active_reservation(
    rs, resource_world, admin, database
):
    world = await resource_world()
    resource_id = uuid.UUID(world.resource_id)
    # Every request holds the 10:30 slot: 10:00–11:00 or 10:30–11:30, alternately.
    bodies = [
        world.booking(at(10), at(11)) if n % 2 == 0 else world.booking(at(10, 30), at(11, 30))
        for n in range(REQUESTERS)
    ]
    responses = await asyncio.gather(*(rs.call(admin, "POST", "/reservations", body) for body in bodies))

    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (REQUESTERS - 1), [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    assert await _active(database, admin.tenant.id, resource_id) == (1, 2)

    # The control: the same load through a naive check-then-insert (no slot rows) double-books.
    from plugins.resource_sharing.models import HOLDING, SharedResourceReservation

    starts = dt.datetime.fromisoformat(at(15)).astimezone(dt.UTC)
    ends = starts + dt.timedelta(hours=1)
    checked = asyncio.Barrier(REQUESTERS)

    async def overlapping(session):
        return await session.scalar(
            select(func.count())
            .select_from(SharedResourceReservation)
            .where(
                SharedResourceReservation.resource_id == resource_id,
                SharedResourceReservation.status.in_(HOLDING),
                SharedResourceReservation.starts_at < ends,
                SharedResourceReservation.ends_at > starts,
            )
        )

    def naive_row():
        return SharedResourceReservation(
            resource_id=resource_id,
            org_node_id=world.other_community.id,
            requester_id=admin.user.id,
            starts_at=starts,
            ends_at=ends,
            slot_count=2,
            purpose="naive",
            status="requested",
        )

    async def naive_request() -> bool:
        if database.dialect == "postgresql":
            # Read committed: every transaction checks before any of them has inserted.
            async with database.transaction(admin.tenant.id) as session:
                free = await overlapping(session) == 0
                await checked.wait()
                if free:
                    session.add(naive_row())
            return free
        # SQLite serialises writers on the file lock, so interleave explicitly: check in all, then insert.
        async with database.transaction(admin.tenant.id) as session:
            free = await overlapping(session) == 0
        await checked.wait()
        if free:
            async with database.transaction(admin.tenant.id) as session:
                session.add(naive_row())
        return free

    inserted = await asyncio.gather(*(naive_request() for _n in range(REQUESTERS)))
    assert sum(inserted) > 1, "the naive check-then-insert should double-book under this load"
    async with database.transaction(admin.tenant.id) as session:
        assert await overlapping(session) == sum(inserted) > 1


async def test_two_deciders_at_once_one_wins(rs, resource_world, admin, make_actor):
    world = await resource_world()
    other = await make_actor("system_admin", tenant=admin.tenant, node_id=admin.tenant.root_id)
    made = await rs.ok(admin, "POST", "/reservations", world.booking(at(9), at(10)), 201)
    approve, reject = await asyncio.gather(
        rs.call(admin, "POST", f"/reservations/{made['id']}/approve"),
        rs.call(other, "POST", f"/reservations/{made['id']}/reject", {"note": "场地已另作安排"}),
    )
    assert sorted((approve.status_code, reject.status_code)) == [200, 409], (approve.text, reject.text)
    final = await rs.ok(admin, "GET", f"/reservations/{made['id']}")
    assert final["status"] == ("approved" if approve.status_code == 200 else "rejected")


async def test_simultaneous_retries_with_one_idempotency_key_make_one_reservation(
    rs, resource_world, admin, database
):
    world = await resource_world()
    body = world.booking(at(13), at(14))
    responses = await asyncio.gather(
        *(
            rs.call(admin, "POST", "/reservations", body, headers={"Idempotency-Key": "k-1"})
            for _n in range(5)
        )
    )
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _active(database, admin.tenant.id, uuid.UUID(world.resource_id)) == (1, 2)
