"""Concurrent writers: SQLite opens every transaction with BEGIN IMMEDIATE, so a read that later
writes waits for the lock instead of failing with "database is locked"; both backends keep every write."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.orgs.models import OrgNode, segment


async def test_concurrent_read_then_write_transactions_all_commit(database, make_tenant):
    tenant = await make_tenant()

    async def add_child(index: int) -> None:
        async with database.transaction(tenant.id) as session:
            root = (await session.scalars(select(OrgNode).where(OrgNode.id == tenant.root_id))).one()
            await asyncio.sleep(0)  # let the other writers read too before anyone writes
            node = OrgNode(kind="street", name=f"街道{index}", parent_id=root.id, depth=1, attrs={})
            node.path = root.path + segment(node.id)
            session.add(node)

    await asyncio.gather(*(add_child(i) for i in range(20)))
    async with database.transaction(tenant.id) as session:
        count = await session.scalar(
            select(func.count()).select_from(OrgNode).where(OrgNode.parent_id == tenant.root_id)
        )
    assert count == 20


async def test_sqlite_uses_wal_and_a_busy_timeout(database):
    if database.dialect != "sqlite":
        return
    async with database.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() >= 5000
