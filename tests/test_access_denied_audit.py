"""Access-control failures are audited: a 403, a 404 of the object guard (outside the caller's subtree or
district) and a 401 of a session whose district is known each leave one ``access.denied`` record in the
caller's district, naming the route template, method, check and permission, never personal data or an
object id (which may be another district's); a
plugin's routes are covered by the same hook; identical refusals are recorded once per window; the
chain still verifies."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from core.audit import chain
from core.audit.denials import ACTION
from core.audit.models import AuditRecord
from core.people.validation import make_id_card

API = "/api/v1"
PERSON_NAME = "王建国"
ID_CARD = make_id_card("321111", dt.date(1980, 5, 17), 7, "male")
PHONE = "13800001234"


async def denials(database: Any, tenant_id: uuid.UUID) -> list[AuditRecord]:
    async with database.transaction(tenant_id) as session:
        rows = await session.scalars(
            select(AuditRecord).where(AuditRecord.action == ACTION).order_by(AuditRecord.seq)
        )
        return list(rows)


async def verified(database: Any, tenant_id: uuid.UUID) -> bool:
    async with database.system_transaction() as session:
        return (await chain.verify_chain(session, tenant_id)).ok


@pytest.fixture
async def streets(admin: Any, make_node: Any) -> dict[str, Any]:
    """Two streets of ``admin``'s district: a secretary of the first one must not reach the second."""
    first = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    second = await make_node(admin.tenant, admin.tenant.root_id, "street", "解放路街道")
    return {"first": first, "second": second}


async def test_a_missing_permission_is_one_record_in_the_callers_district(
    client: Any, database: Any, admin: Any, make_actor: Any
) -> None:
    viewer = await make_actor("viewer", tenant=admin.tenant)
    refused = await client.post(
        f"{API}/org/nodes",
        headers={**viewer.headers, "X-Request-ID": "refused-403"},
        json={"parent_id": str(admin.tenant.root_id), "kind": "street", "name": "新街道"},
    )
    assert refused.status_code == 403, refused.text

    [record] = await denials(database, admin.tenant.id)
    assert record.success is False
    assert record.user_id == viewer.user.id and record.username == viewer.user.username
    assert record.request_id == "refused-403"
    assert record.changes == {
        "method": "POST",
        "route": "/api/v1/org/nodes",
        "status": 403,
        "check": "permission",
        "permission": "org.write",
    }
    assert "新街道" not in json.dumps([record.changes, record.detail, record.object_id], ensure_ascii=False)
    assert await verified(database, admin.tenant.id)


async def test_an_object_outside_the_callers_subtree_is_one_record_without_personal_data(
    client: Any, database: Any, admin: Any, make_actor: Any, streets: dict[str, Any]
) -> None:
    created = await client.post(
        f"{API}/people",
        headers=admin.headers,
        json={
            "name": PERSON_NAME,
            "id_card": ID_CARD,
            "org_node_id": str(streets["second"].id),
            "phone": PHONE,
        },
    )
    assert created.status_code in (200, 201), created.text
    person_id = created.json()["id"]
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=streets["first"].id)

    refused = await client.get(f"{API}/people/{person_id}", headers=secretary.headers)
    assert refused.status_code == 404, refused.text

    [record] = await denials(database, admin.tenant.id)
    assert record.user_id == secretary.user.id
    assert record.request_id == refused.headers["X-Request-ID"]
    assert (record.object_type, record.object_id) == ("person", None)
    assert record.changes["status"] == 404
    assert record.changes["check"] == "scope"
    assert record.changes["permission"] == "person.read"
    assert record.changes["route"] == "/api/v1/people/{person_id}"
    said = json.dumps(
        [record.changes, record.detail, record.username, record.object_id], ensure_ascii=False, default=str
    )
    assert not [v for v in (PERSON_NAME, ID_CARD, PHONE, ID_CARD[-4:], person_id) if v in said], said
    assert "person.read" in said, "negative control: the text searched is the record's"
    assert await verified(database, admin.tenant.id)


async def test_another_districts_object_is_recorded_in_the_callers_district_only(
    client: Any, database: Any, admin: Any, make_actor: Any
) -> None:
    stranger = await make_actor()  # the administrator of another district
    refused = await client.get(f"{API}/org/nodes/{admin.tenant.root_id}", headers=stranger.headers)
    assert refused.status_code == 404, refused.text

    [record] = await denials(database, stranger.tenant.id)
    assert record.user_id == stranger.user.id
    assert record.changes["check"] == "scope" and record.changes["permission"] == "org.read"
    # The id the caller sent is another district's: this district's log does not keep it.
    assert record.object_id is None and str(admin.tenant.root_id) not in json.dumps(record.changes)
    assert await denials(database, admin.tenant.id) == [], "nothing is written in the other district"
    assert await verified(database, stranger.tenant.id)


async def test_a_plugin_route_is_covered_by_the_same_hook(
    client: Any, database: Any, admin: Any, make_actor: Any, enable_plugin: Any, streets: dict[str, Any]
) -> None:
    await enable_plugin(admin, "hello")
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=streets["first"].id)
    mine = await client.get(f"{API}/m/hello/nodes/{streets['first'].id}/greeting", headers=secretary.headers)
    assert mine.status_code == 200, "negative control: the route answers inside the caller's scope"

    refused = await client.get(
        f"{API}/m/hello/nodes/{streets['second'].id}/greeting", headers=secretary.headers
    )
    assert refused.status_code == 404, refused.text

    [record] = await denials(database, admin.tenant.id)
    assert record.user_id == secretary.user.id
    assert record.object_type == "org_node"
    assert record.changes["route"] == "/api/v1/m/hello/nodes/{node_id}/greeting"
    assert record.changes["check"] == "scope" and record.changes["permission"] == "org.read"


async def test_identical_refusals_are_recorded_once_per_window_and_different_ones_each(
    client: Any, database: Any, admin: Any, make_actor: Any, streets: dict[str, Any]
) -> None:
    secretary = await make_actor("secretary", tenant=admin.tenant, node_id=streets["first"].id)
    for _ in range(5):
        refused = await client.get(f"{API}/org/nodes/{uuid.uuid4()}", headers=secretary.headers)
        assert refused.status_code == 404
    forbidden = await client.get(f"{API}/users/", headers=secretary.headers)
    assert forbidden.status_code == 403, forbidden.text

    records = await denials(database, admin.tenant.id)
    assert [(r.changes["route"], r.changes["status"]) for r in records] == [
        ("/api/v1/org/nodes/{node_id}", 404),
        ("/api/v1/users", 403),
    ]
    assert await verified(database, admin.tenant.id)


async def test_a_session_of_a_suspended_district_is_recorded_there(
    client: Any, database: Any, admin: Any
) -> None:
    from core.tenancy.models import TENANT_SUSPENDED, Tenant
    from core.tenancy.service import set_status

    async with database.system_transaction() as session:
        await set_status(session, await session.get_one(Tenant, admin.tenant.id), TENANT_SUSPENDED)
    refused = await client.get(f"{API}/auth/me", headers=admin.headers)
    assert refused.status_code == 401, refused.text

    [record] = await denials(database, admin.tenant.id)
    assert record.user_id == admin.user.id
    assert record.changes["status"] == 401 and record.changes["check"] == "session"


async def test_requests_without_a_district_leave_no_record(client: Any, database: Any, admin: Any) -> None:
    assert (await client.get(f"{API}/auth/me")).status_code == 401
    assert (
        await client.get(f"{API}/auth/me", headers={"Authorization": "Bearer nonsense"})
    ).status_code == 401
    assert await denials(database, admin.tenant.id) == []
