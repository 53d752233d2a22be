"""A person's access request: everything the district holds about them (core and plugin tables found
through their foreign keys, the audit trail of their record), in clear, as one watermarked, audited file;
credentials and blind indexes left out; someone else's data never in it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.people.subject_access import tables_referring_to_people
from core.people.validation import make_id_card


def card(sequence: int) -> str:
    return make_id_card("321111", dt.date(1968, 10, 1), sequence, "male")


@pytest.fixture
async def branch(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "七里甸街道")
    return await make_node(admin.tenant, street.id, "branch", "七里甸第一党支部")


async def create(client, admin, branch, sequence: int, phone: str) -> str:
    body = {
        "name": f"王建国{sequence}",
        "id_card": card(sequence),
        "phone": phone,
        "org_node_id": str(branch.id),
        "party_status": "full",
        "joined_on": "1990-07-01",
        "full_member_on": "1991-07-01",
    }
    response = await client.post("/api/v1/people", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_plugin_tables_referring_to_people_are_found_from_their_foreign_keys():
    found = {table.name: columns for table, columns in tables_referring_to_people()}
    assert found["care_fund_beneficiary"] == ["person_id"]
    assert found["person_relation"] == ["person_id"]
    assert "person" not in found


async def test_the_file_holds_everything_about_the_person_and_nothing_of_anyone_else(
    client, admin, branch, make_user, login
):
    subject = await create(client, admin, branch, 1, "13911112222")
    other = await create(client, admin, branch, 2, "13933334444")
    assert (await client.post("/api/v1/plugins/care_fund/enable", headers=admin.headers)).status_code == 200
    for who in (subject, other):
        beneficiary = await client.post(
            "/api/v1/m/care_fund/beneficiaries",
            headers=admin.headers,
            json={
                "org_node_id": str(branch.id),
                "kind": "member",
                "name": "王建国",
                "hardship": "illness",
                "person_id": who,
            },
        )
        assert beneficiary.status_code == 201, beneficiary.text

    response = await client.get(f"/api/v1/people/{subject}/personal-data", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["format"] == "quanyu.personal-data/1"
    assert data["person"]["id"] == subject
    assert data["person"]["id_card"] == card(1) and data["person"]["phone"] == "13911112222"
    assert [row["person_id"] for row in data["held_elsewhere"]["care_fund_beneficiary"]] == [subject]
    assert data["held_elsewhere"]["person_relation"]
    assert any(p["action"] == "person.create" for p in data["processing"])
    assert admin.user.username in data["watermark"]
    text = response.text
    assert card(2) not in text and "13933334444" not in text and other not in text
    assert "_index" not in text and "password_hash" not in text

    auditor = await make_user(admin.tenant, "audit_admin")
    records = (
        await client.get(
            "/api/v1/audit",
            headers=await login(admin.tenant, auditor),
            params={"action": "person.access_request"},
        )
    ).json()["items"]
    assert len(records) == 1
    assert records[0]["changes"]["rows"]["care_fund_beneficiary"] == 1
    assert card(1) not in json.dumps(records[0]) and "13911112222" not in json.dumps(records[0])


async def test_it_needs_both_unmask_and_export(client, admin, branch, make_user, login):
    subject = await create(client, admin, branch, 3, "13955556666")
    staff = await make_user(admin.tenant, "staff")  # reads people, may neither unmask nor export
    refused = await client.get(
        f"/api/v1/people/{subject}/personal-data", headers=await login(admin.tenant, staff)
    )
    assert refused.status_code == 403
    secretary = await make_user(admin.tenant, "secretary", node_id=branch.id)  # unmask and export: allowed
    allowed = await client.get(
        f"/api/v1/people/{subject}/personal-data", headers=await login(admin.tenant, secretary)
    )
    assert allowed.status_code == 200, allowed.text
    missing = await client.get(
        "/api/v1/people/00000000-0000-0000-0000-000000000000/personal-data", headers=admin.headers
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_the_document_describes_the_file_as_the_object_it_serves(client):
    """The fuzz's response-schema check found the 200 documented as a string (the handler returned bytes)."""
    spec = (await client.get("/schema/openapi.json")).json()
    operation = spec["paths"]["/api/v1/people/{person_id}/personal-data"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["type"] == "object"
    assert {"person", "held_elsewhere", "processing", "watermark"} <= set(schema["properties"])
