"""A person's correction and erasure requests (PIPL arts. 46-47): filed for them, decided by a holder of
``person.rights``, applied atomically with the request, audited by field name without the values; an
erasure erases contact data and says precisely what it kept and why (party rules, the law)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from core.people.validation import make_id_card

API = "/api/v1/people"


def card(sequence: int) -> str:
    return make_id_card("321112", dt.date(1975, 3, 9), sequence, "female")


@pytest.fixture
async def tree(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "梦溪街道")
    branch = await make_node(admin.tenant, street.id, "branch", "梦溪第一党支部")
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "京口街道")
    community = await make_node(admin.tenant, street.id, "community", "梦溪社区")
    return {"street": street, "branch": branch, "other_street": other_street, "community": community}


async def create(client, admin, node, sequence: int, *, member: bool = True, **extra: Any) -> str:
    body: dict[str, Any] = {
        "name": f"李秀英{sequence}",
        "id_card": card(sequence),
        "org_node_id": str(node.id),
        "phone": "13912340000",
        "address": "梦溪路1号",
        "work_unit": "梦溪机械厂",
        "ethnicity": "汉族",
        "education": "bachelor",
    }
    if member:
        body |= {"party_status": "full", "joined_on": "2001-07-01", "full_member_on": "2002-07-01"}
    body |= extra
    response = await client.post(API, headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def audit_records(client, admin, make_user, login, action: str) -> list[dict[str, Any]]:
    auditor = await make_user(admin.tenant, "audit_admin")
    response = await client.get(
        "/api/v1/audit", headers=await login(admin.tenant, auditor), params={"action": action}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_a_correction_is_filed_then_applied_and_audited_without_the_values(
    client, admin, tree, make_user, login
):
    person = await create(client, admin, tree["branch"], 1)
    filed = await client.post(
        f"{API}/{person}/data-requests/correction",
        headers=admin.headers,
        json={"changes": {"phone": "139 5555 6666", "address": "中山路8号"}, "reason": "搬家了"},
    )
    assert filed.status_code == 201, filed.text
    request = filed.json()
    assert request["kind"] == "correction" and request["status"] == "open"
    assert request["fields"] == ["address", "phone"]
    # The decider sees what is asked, the phone masked as everywhere else.
    assert request["requested_changes"] == {"address": "中山路8号", "phone": "139****6666"}
    assert "13955556666" not in filed.text

    unchanged = (await client.post(f"{API}/{person}/unmask", headers=admin.headers)).json()
    assert unchanged["phone"] == "13912340000"

    decided = await client.post(
        f"{API}/{person}/data-requests/{request['id']}/decide",
        headers=admin.headers,
        json={"decision": "apply"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "done"
    assert decided.json()["decided_by"] == str(admin.user.id)
    assert decided.json()["requested_changes"] is None  # the values are dropped once decided
    assert (await client.post(f"{API}/{person}/unmask", headers=admin.headers)).json()[
        "phone"
    ] == "13955556666"
    assert (await client.get(f"{API}/{person}", headers=admin.headers)).json()["address"] == "中山路8号"

    listed = await client.get(f"{API}/{person}/data-requests", headers=admin.headers)
    assert [r["status"] for r in listed.json()] == ["done"]

    for action in ("person.correction_request", "person.correction_apply", "person.update"):
        records = await audit_records(client, admin, make_user, login, action)
        assert records, action
        text = json.dumps(records, ensure_ascii=False)
        assert "13955556666" not in text and "中山路8号" not in text and "搬家" not in text, action
    applied = (await audit_records(client, admin, make_user, login, "person.correction_apply"))[0]
    assert applied["changes"]["fields"] == ["address", "phone"]
    update = (await audit_records(client, admin, make_user, login, "person.update"))[0]
    assert update["changes"]["address"] == ["***", "***"]


async def test_erasure_of_an_active_member_erases_contact_data_and_says_what_it_kept_and_why(
    client, admin, tree, make_user, login
):
    person = await create(client, admin, tree["branch"], 2)
    assert (await client.post("/api/v1/plugins/care_fund/enable", headers=admin.headers)).status_code == 200
    beneficiary = await client.post(
        "/api/v1/m/care_fund/beneficiaries",
        headers=admin.headers,
        json={
            "org_node_id": str(tree["branch"].id),
            "kind": "member",
            "name": "李秀英",
            "hardship": "illness",
            "person_id": person,
            "note": "独居，儿子在外地",
        },
    )
    assert beneficiary.status_code == 201, beneficiary.text
    filed = await client.post(f"{API}/{person}/data-requests/erasure", headers=admin.headers, json={})
    assert filed.status_code == 201, filed.text
    decided = await client.post(
        f"{API}/{person}/data-requests/{filed.json()['id']}/decide",
        headers=admin.headers | {"Accept-Language": "en"},
        json={"decision": "apply"},
    )
    assert decided.status_code == 200, decided.text
    outcome = decided.json()
    assert outcome["status"] == "done"
    assert outcome["erased"][0]["fields"] == ["phone", "address", "work_unit"]
    kept = {item["table"] or "": item for item in outcome["kept"]}
    membership = next(item for item in outcome["kept"] if "party_status" in item["fields"])
    assert "active party member" in membership["reason"]
    assert "name" in next(item for item in outcome["kept"] if "id_card" in item["fields"])["fields"]
    assert kept["person_relation"]["rows"] == 1
    # The care fund says for itself what it erased (the note) and what it keeps (the beneficiary) and why.
    fund_erased = next(item for item in outcome["erased"] if item["table"] == "care_fund_beneficiary")
    assert fund_erased["fields"] == ["note"] and fund_erased["rows"] == 1
    assert "accountable" in kept["care_fund_beneficiary"]["reason"]
    assert "Cybersecurity Law" in kept["audit_record"]["reason"]
    assert "Kept:" in outcome["outcome"] and "active party member" in outcome["outcome"]

    after = (await client.get(f"{API}/{person}", headers=admin.headers)).json()
    assert after["phone_masked"] is None and after["address"] is None and after["work_unit"] is None
    assert (
        after["party_status"] == "full"
        and after["joined_on"] == "2001-07-01"
        and after["ethnicity"] == "汉族"
    )
    assert (await client.post(f"{API}/{person}/unmask", headers=admin.headers)).json()["phone"] is None

    records = await audit_records(client, admin, make_user, login, "person.erasure_apply")
    assert records[0]["changes"]["erased"] == [
        "person.phone",
        "person.address",
        "person.work_unit",
        "care_fund_beneficiary.note",
    ]
    assert "person.party_status" in records[0]["changes"]["kept"]
    text = json.dumps(
        await audit_records(client, admin, make_user, login, "person.update"), ensure_ascii=False
    )
    assert "梦溪路1号" not in text and "梦溪机械厂" not in text
    assert "独居" not in json.dumps(records, ensure_ascii=False)


async def test_a_table_of_a_mechanism_that_declares_no_erasure_is_reported_as_kept_for_review(
    client, admin, tree, database
):
    """Saying nothing never passes for erased: without the mechanism's hook its rows are listed as kept."""
    from core.people.data_requests import erase
    from core.people.models import Person

    person = await create(client, admin, tree["branch"], 7)
    assert (await client.post("/api/v1/plugins/care_fund/enable", headers=admin.headers)).status_code == 200
    beneficiary = await client.post(
        "/api/v1/m/care_fund/beneficiaries",
        headers=admin.headers,
        json={
            "org_node_id": str(tree["branch"].id),
            "kind": "member",
            "name": "李秀英",
            "hardship": "illness",
            "person_id": person,
        },
    )
    assert beneficiary.status_code == 201, beneficiary.text
    async with database.transaction(admin.tenant.id) as session:
        row = await session.get_one(Person, (admin.tenant.id, uuid.UUID(person)))
        erased, kept = await erase(session, row, plugin_host=None)
        await session.rollback()
    by_table = {item["table"]: item for item in kept}
    assert by_table["care_fund_beneficiary"]["rows"] == 1
    assert "by hand" in by_table["care_fund_beneficiary"]["reason"]
    assert not any(item["table"] == "care_fund_beneficiary" for item in erased)


async def test_erasure_of_someone_never_a_member_erases_their_details_and_ties_too(client, admin, tree):
    person = await create(
        client, admin, tree["branch"], 3, member=False, org_node_id=str(tree["community"].id)
    )
    tie = await client.post(
        f"{API}/{person}/affiliations",
        headers=admin.headers,
        json={"org_node_id": str(tree["community"].id), "kind": "volunteer"},
    )
    assert tie.status_code == 201, tie.text
    filed = await client.post(f"{API}/{person}/data-requests/erasure", headers=admin.headers, json={})
    decided = await client.post(
        f"{API}/{person}/data-requests/{filed.json()['id']}/decide",
        headers=admin.headers,
        json={"decision": "apply"},
    )
    assert decided.status_code == 200, decided.text
    erased = {item["table"]: item for item in decided.json()["erased"] if item["table"] == "affiliation"}
    assert erased["affiliation"]["rows"] == 1
    assert not any("party_status" in item["fields"] for item in decided.json()["kept"])
    after = (await client.get(f"{API}/{person}", headers=admin.headers)).json()
    assert after["ethnicity"] is None and after["education"] is None and after["phone_masked"] is None
    assert (await client.get(f"{API}/{person}/affiliations", headers=admin.headers)).json() == []


async def test_a_refusal_needs_a_reason_leaves_the_person_alone_and_is_final(client, admin, tree):
    person = await create(client, admin, tree["branch"], 4)
    filed = await client.post(f"{API}/{person}/data-requests/erasure", headers=admin.headers, json={})
    url = f"{API}/{person}/data-requests/{filed.json()['id']}/decide"
    no_reason = await client.post(url, headers=admin.headers, json={"decision": "refuse"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    refused = await client.post(
        url, headers=admin.headers, json={"decision": "refuse", "reason": "身份未核实"}
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused" and refused.json()["decision_reason"] == "身份未核实"
    assert (await client.get(f"{API}/{person}", headers=admin.headers)).json()["address"] == "梦溪路1号"
    again = await client.post(url, headers=admin.headers, json={"decision": "apply"})
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"changes": {"phone": "12345"}}, "changes.phone"),
        ({"changes": {"id_card": "110101199003070000"}}, "changes.id_card"),
        ({"changes": {}}, "changes"),
        ({"changes": {"education": "phd"}}, "changes.education"),
        ({"changes": {"party_status": "none", "joined_on": "2001-07-01"}}, "changes.joined_on"),
        ({"changes": {"colour": "red"}}, "changes.colour"),
        ({"changes": {"gender": "male"}}, "changes.gender"),
        ({"changes": {"name": "x"}, "reason": "x" * 501}, "reason"),
        ({}, "changes"),
    ],
)
async def test_a_bad_correction_is_refused_naming_the_field(client, admin, tree, body, field):
    person = await create(client, admin, tree["branch"], 5)
    response = await client.post(f"{API}/{person}/data-requests/correction", headers=admin.headers, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    # An unknown nested field is named by itself (how the web layer reports msgspec's unknown fields).
    assert any(e["field"] in (field, field.split(".")[-1]) for e in response.json()["errors"]), response.text


async def test_outside_the_subtree_or_district_is_404_and_deciding_needs_the_permission(
    client, admin, tree, make_user, login, make_actor
):
    person = await create(client, admin, tree["branch"], 6)
    filed = await client.post(f"{API}/{person}/data-requests/erasure", headers=admin.headers, json={})
    decide = f"{API}/{person}/data-requests/{filed.json()['id']}/decide"
    sibling = await make_user(admin.tenant, "org_admin", node_id=tree["other_street"].id)
    sibling_headers = await login(admin.tenant, sibling)
    outsider = await make_actor()
    for headers in (sibling_headers, outsider.headers):
        assert (await client.get(f"{API}/{person}/data-requests", headers=headers)).status_code == 404
        for url, body in (
            (f"{API}/{person}/data-requests/erasure", {}),
            (f"{API}/{person}/data-requests/correction", {"changes": {"address": "x"}}),
            (decide, {"decision": "apply"}),
        ):
            response = await client.post(url, headers=headers, json=body)
            assert response.status_code == 404, (url, response.text)
    staff = await make_user(admin.tenant, "staff")  # may file and list, may not decide
    staff_headers = await login(admin.tenant, staff)
    assert (await client.get(f"{API}/{person}/data-requests", headers=staff_headers)).status_code == 200
    refused = await client.post(decide, headers=staff_headers, json={"decision": "apply"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert (await client.get(f"{API}/{person}/data-requests", headers=admin.headers)).json()[0][
        "status"
    ] == "open"


async def test_a_corrected_date_and_id_card_are_applied_as_an_edit_would(client, admin, tree):
    person = await create(client, admin, tree["branch"], 8)
    filed = await client.post(
        f"{API}/{person}/data-requests/correction",
        headers=admin.headers,
        json={"changes": {"joined_on": "2000-07-01", "id_card": card(9)}},
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["requested_changes"]["id_card"] != card(9)  # masked
    decided = await client.post(
        f"{API}/{person}/data-requests/{filed.json()['id']}/decide",
        headers=admin.headers,
        json={"decision": "apply"},
    )
    assert decided.status_code == 200, decided.text
    assert (await client.get(f"{API}/{person}", headers=admin.headers)).json()["joined_on"] == "2000-07-01"
    assert (await client.post(f"{API}/{person}/unmask", headers=admin.headers)).json()["id_card"] == card(9)
