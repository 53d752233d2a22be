"""Subtree reads cost what they return, not the size of the tree (DESIGN.md §3).

One embedded SQLite database holds two districts: a small one (the
community under test plus a few hundred nodes) and a large one (the same
community among ~40x more nodes). The same 40-node community subtree is
read from each, interleaved, best of several rounds; the ratio large/small
should stay near 1.0. Reading the whole small district gives the contrast
of a result that does grow.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

ROUNDS = 7
QUERIES = 200


def _node_rows(
    tenant_id: uuid.UUID, root: Any, streets: int, communities: int, branches: int
) -> tuple[list[dict[str, Any]], uuid.UUID]:
    from core.db.base import utcnow
    from core.db.ids import new_id
    from core.orgs.models import segment

    now = utcnow()
    rows: list[dict[str, Any]] = []
    probe: uuid.UUID | None = None

    def add(
        kind: str, name: str, parent_id: uuid.UUID, parent_path: str, depth: int
    ) -> tuple[uuid.UUID, str]:
        node_id = new_id()
        path = parent_path + segment(node_id)
        rows.append(
            {
                "tenant_id": tenant_id,
                "id": node_id,
                "kind": kind,
                "name": name,
                "code": None,
                "parent_id": parent_id,
                "path": path,
                "depth": depth,
                "attrs": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        return node_id, path

    for s in range(streets):
        street_id, street_path = add("street", f"街道{s}", root.id, root.path, 1)
        for c in range(communities):
            community_id, community_path = add("community", f"社区{s}-{c}", street_id, street_path, 2)
            if probe is None:
                probe = community_id
            for b in range(branches):
                add("branch", f"支部{s}-{c}-{b}", community_id, community_path, 3)
    assert probe is not None
    return rows, probe


async def _measure() -> list[tuple[str, int, float]]:
    from core.auth.scope import Grant, Principal
    from core.db.engine import create_engine
    from core.db.migrate import upgrade
    from core.db.session import Database, set_database
    from core.orgs.models import OrgNode
    from core.orgs.services import subtree_select
    from core.settings import Settings, override_settings
    from core.tenancy.service import TenantDefinition, provision, root_node

    var = Path(tempfile.mkdtemp(prefix="quanyu-bench-"))
    override_settings(
        Settings(var_dir=str(var), secret_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    )
    url = f"sqlite+aiosqlite:///{var / 'bench.db'}"
    owner = create_engine(url)
    await upgrade(owner)
    await owner.dispose()
    database = Database(url)
    set_database(database)
    districts: dict[str, tuple[uuid.UUID, OrgNode, uuid.UUID]] = {}
    for label, code, streets in (("small", "320101", 1), ("large", "320102", 40)):
        async with database.system_transaction() as session:
            tenant = await provision(
                session, TenantDefinition(code=code, slug=f"bench-{label}", name_zh=label, name_en=label)
            )
            root = await root_node(session, tenant.id)
        rows, probe = _node_rows(tenant.id, root, streets, 10, 39)
        async with database.transaction(tenant.id) as session:
            for start in range(0, len(rows), 2000):
                await session.execute(insert(OrgNode), rows[start : start + 2000])
        districts[label] = (tenant.id, root, probe)

    async def time_subtree(label: str, whole: bool) -> tuple[int, float]:
        tenant_id, root, probe = districts[label]
        principal = Principal(
            user_id=uuid.uuid4(),
            tenant_id=tenant_id,
            tenant_slug=label,
            username="bench",
            display_name="bench",
            grants=(Grant("viewer", frozenset({"org.read"}), root.id, root.path),),
        )
        async with database.transaction(tenant_id) as session:
            start_node = (
                root if whole else (await session.scalars(select(OrgNode).where(OrgNode.id == probe))).one()
            )
            stmt = subtree_select(principal, start_node)
            count = len((await session.scalars(stmt)).all())
            queries = max(5, QUERIES // max(1, count // 40))
            started = time.perf_counter()
            for _ in range(queries):
                (await session.scalars(stmt)).all()
            return count, (time.perf_counter() - started) / queries

    cases = {
        "community subtree, small district": ("small", False),
        "community subtree, large district": ("large", False),
        "whole small district": ("small", True),
    }
    best: dict[str, tuple[int, float]] = {}
    for _ in range(ROUNDS):
        for name, (label, whole) in cases.items():
            count, seconds = await time_subtree(label, whole)
            if name not in best or seconds < best[name][1]:
                best[name] = (count, seconds)
    await database.dispose()
    set_database(None)
    override_settings(None)
    shutil.rmtree(var, ignore_errors=True)
    return [(name, count, seconds) for name, (count, seconds) in best.items()]


def run() -> None:
    results = asyncio.run(_measure())
    baseline = results[0][2]
    print(f"{'case':<36} {'nodes':>6} {'ms/query':>9} {'ratio':>6}")
    for name, count, seconds in results:
        print(f"{name:<36} {count:>6} {seconds * 1000:>9.3f} {seconds / baseline:>6.2f}")
