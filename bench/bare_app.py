"""The bare baseline: Litestar + SQLAlchemy serving the people-list SQL with no auth, tenancy or plugins.

``GET /people?tenant_id=&node_id=&limit=&offset=`` runs the same data
statements the platform's ``GET /api/v1/people?node_id=`` runs after it has
authenticated the caller (the node's path, the count, the page in the same
order, the names of the page's organisations), in one transaction, through
the same async SQLAlchemy + asyncpg stack and the same pool size, and answers
the same JSON shape. What it leaves out is the platform's machinery: session
lookup in Redis, the principal (tenant, user, grants), row-level security
(it connects as the BYPASSRLS ``system`` role), the scope check, the ORM,
pool pre-ping, middleware, guards, plugins, and decryption (masked fields are
constant strings of the same length).

Run it as ``uvicorn --factory bench.bare_app:create_app`` with
``BENCH_BARE_DATABASE_URL`` set (a ``postgresql+asyncpg://`` URL).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
from litestar import Litestar, get
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

PERSON_COLUMNS = (
    "person.id, person.name, person.gender, person.ethnicity, person.birth_date, person.id_card_encrypted, "
    "person.phone_encrypted, person.education, person.party_status, person.joined_on, person.full_member_on, "
    "person.category, person.work_unit, person.address, person.lost_contact, person.last_contact_on, "
    "person.org_node_id, person.archived_at, person.created_at, person.updated_at"
)
SUBTREE_FILTER = (
    "FROM person JOIN org_node AS filter_node "
    "ON filter_node.tenant_id = person.tenant_id AND filter_node.id = person.org_node_id "
    "WHERE filter_node.path >= :low AND filter_node.path < :high AND person.archived_at IS NULL "
    "AND person.tenant_id = :tenant_id"
)
NODE_SQL = text("SELECT path FROM org_node WHERE org_node.id = :node_id AND org_node.tenant_id = :tenant_id")
COUNT_SQL = text(f"SELECT count(*) {SUBTREE_FILTER}")
PAGE_SQL = text(
    f"SELECT {PERSON_COLUMNS} {SUBTREE_FILTER} ORDER BY person.name, person.id LIMIT :limit OFFSET :offset"
)
NAMES_SQL = text(
    "SELECT org_node.id, org_node.name FROM org_node WHERE org_node.id IN :ids AND org_node.tenant_id = :tenant_id"
).bindparams(bindparam("ids", expanding=True))


class PersonOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    gender: str
    ethnicity: str | None
    age: int
    id_card_masked: str
    phone_masked: str | None
    education: str | None
    party_status: str
    joined_on: dt.date | None
    full_member_on: dt.date | None
    category: str | None
    work_unit: str | None
    address: str | None
    lost_contact: bool
    last_contact_on: dt.date | None
    contact_overdue: bool = False
    org_node_id: uuid.UUID
    org_node_name: str | None = None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Page(msgspec.Struct, kw_only=True):
    items: list[PersonOut]
    total: int
    limit: int
    offset: int


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def create_app() -> Litestar:
    url = os.environ["BENCH_BARE_DATABASE_URL"]
    pool_size = int(os.environ.get("BENCH_BARE_POOL_SIZE", "10"))
    engine: AsyncEngine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    @get("/people")
    async def people(tenant_id: uuid.UUID, node_id: uuid.UUID, limit: int = 50, offset: int = 0) -> Page:
        async with engine.begin() as conn:
            path = (await conn.execute(NODE_SQL, {"node_id": node_id, "tenant_id": tenant_id})).scalar_one()
            bounds = {"low": path, "high": path[:-1] + "0", "tenant_id": tenant_id}
            total = (await conn.execute(COUNT_SQL, bounds)).scalar_one()
            rows = (await conn.execute(PAGE_SQL, {**bounds, "limit": limit, "offset": offset})).all()
            node_ids = list({row.org_node_id for row in rows})
            names = (
                dict(
                    (await conn.execute(NAMES_SQL, {"ids": node_ids, "tenant_id": tenant_id})).tuples().all()
                )
                if node_ids
                else {}
            )
        today = dt.date.today()
        return Page(
            items=[
                PersonOut(
                    id=row.id,
                    name=row.name,
                    gender=row.gender,
                    ethnicity=row.ethnicity,
                    age=_age(row.birth_date, today),
                    id_card_masked="3211**********0000",
                    phone_masked="138****0000" if row.phone_encrypted else None,
                    education=row.education,
                    party_status=row.party_status,
                    joined_on=row.joined_on,
                    full_member_on=row.full_member_on,
                    category=row.category,
                    work_unit=row.work_unit,
                    address=row.address,
                    lost_contact=row.lost_contact,
                    last_contact_on=row.last_contact_on,
                    org_node_id=row.org_node_id,
                    org_node_name=names.get(row.org_node_id),
                    archived_at=row.archived_at,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                )
                for row in rows
            ],
            total=int(total),
            limit=limit,
            offset=offset,
        )

    @get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return Litestar(route_handlers=[people, health], lifespan=[lifespan])
