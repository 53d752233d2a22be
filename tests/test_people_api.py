"""People: validation, masking, audited unmask, relation history, affiliations."""

from __future__ import annotations

import datetime as dt

import pytest

from core.people.validation import make_id_card

BIRTH = dt.date(1980, 5, 17)


def id_card(sequence: int = 1, gender: str = "male", birth: dt.date = BIRTH) -> str:
    return make_id_card("321111", birth, sequence, gender)


@pytest.fixture
async def tree(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    branch = await make_node(admin.tenant, community.id, "branch", "大西路社区第一党支部")
    branch2 = await make_node(admin.tenant, community.id, "branch", "大西路社区第二党支部")
    return {"street": street, "community": community, "branch": branch, "branch2": branch2}


def member(node, sequence=1, **extra):
    body = {
        "name": "王建国",
        "id_card": id_card(sequence),
        "org_node_id": str(node.id),
        "phone": "138 0000 1234",
        "party_status": "full",
        "joined_on": "2005-07-01",
        "full_member_on": "2006-07-01",
    }
    body.update(extra)
    return body


async def test_create_masks_and_unmask_is_audited(client, admin, tree, make_user, login):
    created = await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))
    assert created.status_code == 201, created.text
    body = created.json()
    number = id_card(1)
    assert body["id_card_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert body["phone_masked"] == "138****1234"
    assert number not in created.text and "13800001234" not in created.text
    assert body["gender"] == "male"

    unmasked = await client.post(f"/api/v1/people/{body['id']}/unmask", headers=admin.headers)
    assert unmasked.status_code == 200
    assert unmasked.json()["id_card"] == number
    assert unmasked.json()["phone"] == "13800001234"

    viewer = await make_user(admin.tenant, "viewer")
    viewer_headers = await login(admin.tenant, viewer)
    assert (await client.get(f"/api/v1/people/{body['id']}", headers=viewer_headers)).status_code == 200
    refused = await client.post(f"/api/v1/people/{body['id']}/unmask", headers=viewer_headers)
    assert refused.status_code == 403

    auditor = await make_user(admin.tenant, "audit_admin")
    records = await client.get(
        "/api/v1/audit", headers=await login(admin.tenant, auditor), params={"action": "person.unmask"}
    )
    assert records.status_code == 200
    assert [r["object_id"] for r in records.json()["items"]] == [body["id"]]


async def test_exact_lookup_by_id_card_and_phone(client, admin, tree):
    await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))
    await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json=member(tree["branch"], 2, name="李红", id_card=id_card(2, "female"), phone="13900002222"),
    )
    found = await client.get(
        "/api/v1/people", headers=admin.headers, params={"id_card": id_card(2, "female")}
    )
    assert [p["name"] for p in found.json()["items"]] == ["李红"]
    found = await client.get("/api/v1/people", headers=admin.headers, params={"phone": "138-0000-1234"})
    assert [p["name"] for p in found.json()["items"]] == ["王建国"]
    subtree = await client.get(
        "/api/v1/people", headers=admin.headers, params={"node_id": str(tree["community"].id)}
    )
    assert subtree.json()["total"] == 2


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"id_card": "32111119800517001"}, "id_card", "id_card_format"),
        (
            {"id_card": id_card(1)[:17] + ("0" if id_card(1)[17] != "0" else "1")},
            "id_card",
            "id_card_check_digit",
        ),
        ({"phone": "12345"}, "phone", "phone_format"),
        ({"gender": "female"}, "gender", "id_card_mismatch"),
        ({"joined_on": None}, "joined_on", "missing"),
        ({"joined_on": "1990-01-01"}, "joined_on", "too_young"),
        ({"party_status": "probationary"}, "full_member_on", "not_full"),
        ({"party_status": "none"}, "joined_on", "not_member"),
        ({"party_status": "elder"}, "party_status", None),
        ({"nickname": "x"}, "nickname", None),
    ],
)
async def test_bad_person_input_names_the_field(client, admin, tree, change, field, code):
    response = await client.post(
        "/api/v1/people", headers=admin.headers, json=member(tree["branch"], **change)
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert field in [e["field"] for e in errors]
    if code:
        assert code in [e["code"] for e in errors]
    listed = await client.get("/api/v1/people", headers=admin.headers)
    assert listed.json()["total"] == 0


async def test_member_must_sit_in_a_branch_and_id_is_unique(client, admin, tree):
    at_community = await client.post("/api/v1/people", headers=admin.headers, json=member(tree["community"]))
    assert at_community.status_code == 422
    assert at_community.json()["errors"][0]["field"] == "org_node_id"
    resident = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={
            "name": "张三",
            "id_card": id_card(3),
            "org_node_id": str(tree["community"].id),
            "category": "resident",
        },
    )
    assert resident.status_code == 201
    duplicate = await client.post(
        "/api/v1/people", headers=admin.headers, json=member(tree["branch"], 3, id_card=id_card(3))
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "id_card"


async def test_move_keeps_relation_history(client, admin, tree):
    created = (await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))).json()
    moved = await client.post(
        f"/api/v1/people/{created['id']}/move",
        headers=admin.headers,
        json={"org_node_id": str(tree["branch2"].id), "note": "工作调动"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["org_node_id"] == str(tree["branch2"].id)
    history = (await client.get(f"/api/v1/people/{created['id']}/relations", headers=admin.headers)).json()
    assert [(h["org_node_id"], h["ended_on"] is None) for h in history] == [
        (str(tree["branch"].id), False),
        (str(tree["branch2"].id), True),
    ]
    into_street = await client.post(
        f"/api/v1/people/{created['id']}/move",
        headers=admin.headers,
        json={"org_node_id": str(tree["street"].id)},
    )
    assert into_street.status_code == 422


async def test_affiliations(client, admin, tree):
    created = (await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))).json()
    url = f"/api/v1/people/{created['id']}/affiliations"
    added = await client.post(
        url, headers=admin.headers, json={"org_node_id": str(tree["community"].id), "kind": "check_in"}
    )
    assert added.status_code == 201, added.text
    again = await client.post(
        url, headers=admin.headers, json={"org_node_id": str(tree["community"].id), "kind": "check_in"}
    )
    assert again.status_code == 409
    wrong = await client.post(
        url, headers=admin.headers, json={"org_node_id": str(tree["branch"].id), "kind": "check_in"}
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "org_node_id"
    unknown = await client.post(
        url, headers=admin.headers, json={"org_node_id": str(tree["community"].id), "kind": "nope"}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "kind"
    ended = await client.post(f"{url}/{added.json()['id']}/end", headers=admin.headers, json={})
    assert ended.status_code == 200 and ended.json()["ended_on"] is not None
    listed = (await client.get(url, headers=admin.headers)).json()
    assert len(listed) == 1


async def test_archive_and_restore_keep_history(client, admin, tree):
    created = (await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))).json()
    url = f"/api/v1/people/{created['id']}"
    assert (await client.post(f"{url}/archive", headers=admin.headers)).json()["archived_at"] is not None
    listed = await client.get("/api/v1/people", headers=admin.headers)
    assert listed.json()["total"] == 0
    changed = await client.patch(url, headers=admin.headers, json={"name": "王建民"})
    assert changed.status_code == 409 and changed.json()["code"] == "archived"
    again = await client.post("/api/v1/people", headers=admin.headers, json=member(tree["branch"]))
    assert again.status_code == 409
    restored = await client.post(f"{url}/restore", headers=admin.headers)
    assert restored.status_code == 200 and restored.json()["archived_at"] is None
    history = (await client.get(f"{url}/relations", headers=admin.headers)).json()
    assert [(h["reason"], h["ended_on"] is None) for h in history] == [
        ("registered", False),
        ("restored", True),
    ]


async def test_empty_body_names_the_body(client, admin, tree):
    response = await client.post(
        "/api/v1/people", headers={**admin.headers, "content-type": "application/json"}, content=b""
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.status_code == 422:
        assert [e["field"] for e in response.json()["errors"]] == ["body"]


async def test_members_out_of_contact_beyond_the_district_limit_are_flagged(client, admin, tree):
    today = dt.date.today()
    recent = member(tree["branch"], 11, last_contact_on=(today - dt.timedelta(days=30)).isoformat())
    stale = member(
        tree["branch"], 12, name="李四", last_contact_on=(today - dt.timedelta(days=400)).isoformat()
    )
    for body in (recent, stale):
        assert (await client.post("/api/v1/people", headers=admin.headers, json=body)).status_code == 201
    flagged = (
        await client.get("/api/v1/people", headers=admin.headers, params={"lost_contact": "true"})
    ).json()
    assert [(p["name"], p["contact_overdue"]) for p in flagged["items"]] == [("李四", True)]
    others = (
        await client.get("/api/v1/people", headers=admin.headers, params={"lost_contact": "false"})
    ).json()
    assert [(p["name"], p["contact_overdue"]) for p in others["items"]] == [("王建国", False)]


async def test_the_audit_log_records_that_contact_data_changed_never_what_it_says(
    client, admin, tree, make_user, login
):
    body = member(tree["branch"], address="梦溪路12号3单元", work_unit="镇江市第一人民医院")
    created = (await client.post("/api/v1/people", headers=admin.headers, json=body)).json()
    updated = await client.patch(
        f"/api/v1/people/{created['id']}",
        headers=admin.headers,
        json={"address": "中山东路8号", "phone": "139 0000 5678", "education": "master"},
    )
    assert updated.status_code == 200, updated.text

    auditor = await make_user(admin.tenant, "audit_admin")
    log = await client.get(
        "/api/v1/audit", headers=await login(admin.tenant, auditor), params={"object_id": created["id"]}
    )
    assert log.status_code == 200
    by_action = {r["action"]: r["changes"] for r in log.json()["items"]}
    assert by_action["person.create"]["address"] == ["***", "***"]
    assert by_action["person.create"]["work_unit"] == ["***", "***"]
    assert by_action["person.update"]["address"] == ["***", "***"], "that it changed, not what it says"
    assert by_action["person.update"]["education"][1] == "master", "other fields stay readable"
    for secret in ("梦溪路", "中山东路", "人民医院", "13800001234", "13900005678", body["id_card"]):
        assert secret not in log.text
