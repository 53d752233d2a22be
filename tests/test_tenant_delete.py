"""`quanyu tenant delete`: after confirmation nothing of the district is left in any table, in
attachment storage or in Redis; another district is untouched; without confirmation nothing goes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, text

from core.db.engine import create_engine
from core.people.validation import make_id_card


async def populate(client, actor, make_node, database, sequence: int) -> None:
    from core.jobs.service import enqueue
    from tests.fixture_plugins.hello import HelloNote

    street = await make_node(actor.tenant, actor.tenant.root_id, "street", "和平路街道")
    branch = await make_node(actor.tenant, street.id, "branch", "和平路第一党支部")
    person = await client.post(
        "/api/v1/people",
        headers=actor.headers,
        json={
            "name": "王建国",
            "id_card": make_id_card("321111", dt.date(1970, 3, 4), sequence, "male"),
            "phone": "13800001234",
            "org_node_id": str(branch.id),
            "party_status": "full",
            "joined_on": "2000-07-01",
        },
    )
    assert person.status_code == 201, person.text
    assert (await client.post("/api/v1/plugins/hello/enable", headers=actor.headers)).status_code == 200
    async with database.transaction(actor.tenant.id) as session:
        note = HelloNote(org_node_id=branch.id, text="留言")
        session.add(note)
        await session.flush()
        await enqueue(session, "hello.leave_note", {"org_node_id": str(branch.id), "text": "稍后"})
    uploaded = await client.post(
        "/api/v1/attachments",
        headers=actor.headers,
        data={"owner": "hello.note", "owner_id": str(note.id)},
        files={"file": (f"记录{sequence}.pdf", b"%PDF-1.4\n%" + bytes([sequence]) * 64 + b"\n%%EOF\n", "x")},
    )
    assert uploaded.status_code == 201, uploaded.text


async def rows_of(owner_url: str, tenant_id) -> dict[str, int]:
    """Rows with this tenant id in every table of the database that has a tenant_id column."""
    engine = create_engine(owner_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(
                lambda c: [
                    t
                    for t in inspect(c).get_table_names()
                    if "tenant_id" in {x["name"] for x in inspect(c).get_columns(t)}
                ]
            )
            value = str(tenant_id) if conn.dialect.name == "postgresql" else tenant_id.hex
            found = {}
            for table in [*tables, "tenant"]:
                column = "id" if table == "tenant" else "tenant_id"
                count = (
                    await conn.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE {column} = :t'), {"t": value}
                    )
                ).scalar()
                if count:
                    found[table] = count
            return found
    finally:
        await engine.dispose()


@pytest.fixture
async def two_districts(client, make_actor, make_node, database):
    first = await make_actor()
    second = await make_actor()
    await populate(client, first, make_node, database, 1)
    await populate(client, second, make_node, database, 2)
    return first, second


async def erase(database, tenant_id, redis_url):
    from core.tenancy.models import Tenant
    from core.tenancy.service import erase_tenant, forget_tenant

    async with database.system_transaction() as session:
        deleted = await erase_tenant(session, await session.get_one(Tenant, tenant_id))
    return deleted, await forget_tenant(tenant_id, redis_url)


async def test_nothing_of_an_erased_district_is_left(
    client, database, test_settings, two_districts, redis_client
):
    from pathlib import Path

    first, second = two_districts
    owner_url = database.backend.owner_url
    files = Path(test_settings.var_dir) / "files"
    before = await rows_of(owner_url, first.tenant.id)
    assert {"person", "org_node", "hello_note", "attachment", "outbox", "audit_record"} <= set(before)
    assert (files / str(first.tenant.id)).exists()
    others = await rows_of(owner_url, second.tenant.id)
    if redis_client is not None:
        assert await redis_client.keys(f"quanyu:t:{first.tenant.id}:*"), "sessions live in Redis"

    deleted, stored = await erase(database, first.tenant.id, database.backend.redis_url)
    assert deleted["person"] == 1 and deleted["tenant"] == 1 and stored >= 1
    assert await rows_of(owner_url, first.tenant.id) == {}
    assert not (files / str(first.tenant.id)).exists()
    assert await rows_of(owner_url, second.tenant.id) == others, "the other district is untouched"
    assert any(path.is_file() for path in (files / str(second.tenant.id)).rglob("*"))
    if redis_client is not None:
        assert await redis_client.keys(f"quanyu:t:{first.tenant.id}:*") == []
    assert (await client.get("/api/v1/people", headers=first.headers)).status_code == 401
    assert (await client.get("/api/v1/people", headers=second.headers)).status_code == 200


def test_the_command_asks_for_the_slug(cli, tmp_path):
    import secrets

    slug = f"del{secrets.token_hex(3)}"
    definition = tmp_path / "d.toml"
    code = str(200000 + secrets.randbelow(600000))
    definition.write_text(
        f'code = "{code}"\nslug = "{slug}"\nname_zh = "删除区"\nname_en = "Gone"\n', encoding="utf-8"
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0

    refused = cli("tenant", "delete", slug, input="wrong\n")
    assert refused.exit_code == 1 and "not deleted" in refused.output and "org_node" in refused.output
    assert cli("tenant", "show", slug).exit_code == 0, "nothing went without the slug"
    assert cli("tenant", "delete", slug).exit_code == 1, "no answer is no"
    assert cli("tenant", "delete", "no-such-district", "--confirm", "x").exit_code == 1

    deleted = cli("tenant", "delete", slug, input=f"{slug}\n")
    assert deleted.exit_code == 0, deleted.output
    assert f"district {slug} deleted" in deleted.output
    assert cli("tenant", "show", slug).exit_code == 1
