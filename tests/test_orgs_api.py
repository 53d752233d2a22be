"""The organisation-tree API: create, read, update, move, archive, list, validation and rule warnings."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

API = "/api/v1/org"
PROBLEM = "application/problem+json"


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert {"type", "title", "status", "code", "detail"} <= set(body), body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    errors = body.get("errors") or []
    for error in errors:
        assert {"field", "code", "message"} <= set(error) and error["message"], error
    return {e["field"]: e["code"] for e in errors}


class Tree:
    """Helpers over the API as the district's system administrator."""

    def __init__(self, client: Any, admin: Any) -> None:
        self.client = client
        self.headers = admin.headers
        self.root = str(admin.tenant.root_id)

    async def create(self, parent: str, kind: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"{API}/nodes",
            headers=self.headers,
            json={
                "parent_id": parent,
                "kind": kind,
                "name": name or f"{kind}{secrets.token_hex(3)}",
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def get(self, url: str, **params: Any) -> Any:
        return await self.client.get(url, headers=self.headers, params=params or None)

    async def post(self, url: str, json: Any = None) -> Any:
        return await self.client.post(url, headers=self.headers, json=json)

    async def patch(self, url: str, json: Any) -> Any:
        return await self.client.patch(url, headers=self.headers, json=json)


@pytest.fixture
def tree(client: Any, admin: Any) -> Tree:
    return Tree(client, admin)


# --- create, read, update ---------------------------------------------------------------------------


async def test_create_read_update(tree: Tree):
    street = await tree.create(tree.root, "street", "和平路街道", code="320502001")
    assert street["kind"] == "street"
    assert street["kind_name"] == "街道党工委"
    assert street["parent_id"] == tree.root
    assert street["depth"] == 1
    assert street["code"] == "320502001"
    assert street["archived_at"] is None
    assert street["warnings"] == []

    read = await tree.get(f"{API}/nodes/{street['id']}")
    assert read.status_code == 200
    assert {k: read.json()[k] for k in ("id", "name", "kind", "code", "depth")} == {
        k: street[k] for k in ("id", "name", "kind", "code", "depth")
    }

    updated = await tree.patch(
        f"{API}/nodes/{street['id']}",
        {
            "name": "  和平路   街道 ",
            "code": "320502009",
            "attrs": {"address": "和平路1号", "longitude": 119.4},
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["name"] == "和平路 街道"  # whitespace collapsed
    assert body["code"] == "320502009"
    assert body["attrs"] == {"address": "和平路1号", "longitude": 119.4}
    again = (await tree.get(f"{API}/nodes/{street['id']}")).json()
    assert again["name"] == "和平路 街道" and again["attrs"]["address"] == "和平路1号"

    cleared = await tree.patch(f"{API}/nodes/{street['id']}", {"code": None})
    assert cleared.status_code == 200 and cleared.json()["code"] is None
    english = await tree.client.get(
        f"{API}/nodes/{street['id']}", headers=tree.headers, params={"lang": "en"}
    )
    assert english.json()["kind_name"] == "Street working committee"


async def test_kind_change_checks_parent_and_children(tree: Tree):
    street = await tree.create(tree.root, "street")
    community = await tree.create(street["id"], "community")
    await tree.create(community["id"], "branch")
    to_village = await tree.patch(f"{API}/nodes/{community['id']}", {"kind": "village"})
    assert to_village.status_code == 200 and to_village.json()["kind"] == "village"
    # A branch under it could not stay under a "unit"? It can (units host party organisations);
    # a property company cannot host a branch.
    refused = await tree.patch(f"{API}/nodes/{community['id']}", {"kind": "property_company"})
    assert field_errors(problem(refused, 422)) == {"kind": "children_not_allowed"}
    misplaced = await tree.patch(f"{API}/nodes/{street['id']}", {"kind": "community"})
    assert field_errors(problem(misplaced, 422)) == {"kind": "parent_kind_not_allowed"}
    root_kind = await tree.patch(f"{API}/nodes/{tree.root}", {"kind": "street"})
    assert field_errors(problem(root_kind, 422)) == {"kind": "root_kind"}
    root_code = await tree.patch(f"{API}/nodes/{tree.root}", {"code": "999999"})
    assert field_errors(problem(root_code, 422)) == {"code": "root_code"}


# --- move -------------------------------------------------------------------------------------------


async def test_move_takes_the_whole_subtree(tree: Tree):
    s1 = await tree.create(tree.root, "street", "一街道")
    s2 = await tree.create(tree.root, "street", "二街道")
    c1 = await tree.create(s1["id"], "community", "一社区")
    b1 = await tree.create(c1["id"], "branch", "一支部")
    g1 = await tree.create(b1["id"], "group", "一小组")

    moved = await tree.post(f"{API}/nodes/{c1['id']}/move", {"parent_id": s2["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == s2["id"] and moved.json()["depth"] == 2

    ancestors = (await tree.get(f"{API}/nodes/{g1['id']}/ancestors")).json()
    assert [n["id"] for n in ancestors] == [tree.root, s2["id"], c1["id"], b1["id"]]
    assert (await tree.get(f"{API}/nodes/{g1['id']}")).json()["depth"] == 4
    s1_subtree = (await tree.get(f"{API}/nodes/{s1['id']}/subtree")).json()
    assert [n["id"] for n in s1_subtree["items"]] == [s1["id"]]
    s2_subtree = (await tree.get(f"{API}/nodes/{s2['id']}/subtree")).json()
    assert [n["id"] for n in s2_subtree["items"]] == [s2["id"], c1["id"], b1["id"], g1["id"]]

    same = await tree.post(f"{API}/nodes/{c1['id']}/move", {"parent_id": s2["id"]})
    assert same.status_code == 200 and same.json()["parent_id"] == s2["id"]


async def test_move_refusals(tree: Tree):
    s1 = await tree.create(tree.root, "street", "一街道")
    s2 = await tree.create(tree.root, "street", "二街道")
    c1 = await tree.create(s1["id"], "community", "同名社区")
    b1 = await tree.create(c1["id"], "branch")
    g1 = await tree.create(b1["id"], "group")
    await tree.create(s2["id"], "community", "同名社区")

    under_itself = await tree.post(f"{API}/nodes/{s1['id']}/move", {"parent_id": b1["id"]})
    assert field_errors(problem(under_itself, 422)) == {"parent_id": "cycle"}
    onto_itself = await tree.post(f"{API}/nodes/{s1['id']}/move", {"parent_id": s1["id"]})
    assert field_errors(problem(onto_itself, 422)) == {"parent_id": "cycle"}
    wrong_parent = await tree.post(f"{API}/nodes/{c1['id']}/move", {"parent_id": b1["id"]})
    assert field_errors(problem(wrong_parent, 422)) == {"parent_id": "cycle"}
    wrong_kind = await tree.post(f"{API}/nodes/{g1['id']}/move", {"parent_id": s2["id"]})
    assert field_errors(problem(wrong_kind, 422)) == {"parent_id": "parent_kind_not_allowed"}
    clash = await tree.post(f"{API}/nodes/{c1['id']}/move", {"parent_id": s2["id"]})
    assert field_errors(problem(clash, 409)) == {"name": "duplicate"}
    root = await tree.post(f"{API}/nodes/{tree.root}/move", {"parent_id": s1["id"]})
    assert field_errors(problem(root, 422)) == {"parent_id": "root_move"}
    nowhere = await tree.post(
        f"{API}/nodes/{c1['id']}/move", {"parent_id": "00000000-0000-7000-8000-000000000000"}
    )
    problem(nowhere, 404, "not_found")
    # Nothing moved.
    assert (await tree.get(f"{API}/nodes/{b1['id']}")).json()["parent_id"] == c1["id"]
    assert (await tree.get(f"{API}/nodes/{g1['id']}")).json()["parent_id"] == b1["id"]
    assert (await tree.get(f"{API}/nodes/{c1['id']}")).json()["parent_id"] == s1["id"]


# --- archive ----------------------------------------------------------------------------------------


async def test_archive(tree: Tree):
    street = await tree.create(tree.root, "street")
    community = await tree.create(street["id"], "community")

    blocked = await tree.post(f"{API}/nodes/{street['id']}/archive")
    body = problem(blocked, 409, "has_children")
    assert "1" in body["detail"]

    archived = await tree.post(f"{API}/nodes/{community['id']}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    children = (await tree.get(f"{API}/nodes/{street['id']}/children")).json()
    assert children["items"] == [] and children["total"] == 0
    with_archived = (await tree.get(f"{API}/nodes/{street['id']}/children", include_archived="true")).json()
    assert [n["id"] for n in with_archived["items"]] == [community["id"]]

    problem(await tree.patch(f"{API}/nodes/{community['id']}", {"name": "复活"}), 409, "archived")
    problem(
        await tree.post(f"{API}/nodes/{community['id']}/move", {"parent_id": street["id"]}), 409, "archived"
    )
    under_archived = await tree.client.post(
        f"{API}/nodes",
        headers=tree.headers,
        json={"parent_id": community["id"], "kind": "branch", "name": "新支部"},
    )
    assert field_errors(problem(under_archived, 422)) == {"parent_id": "parent_archived"}
    # Archiving twice is harmless; the name is free again for a new sibling.
    assert (await tree.post(f"{API}/nodes/{community['id']}/archive")).status_code == 200
    await tree.create(street["id"], "community", community["name"])
    now_empty = await tree.post(f"{API}/nodes/{street['id']}/archive")
    problem(now_empty, 409, "has_children")
    problem(await tree.post(f"{API}/nodes/{tree.root}/archive"), 409, "root_archive")


async def test_archive_with_people_is_refused(tree: Tree, database: Any, admin: Any):
    street = await tree.create(tree.root, "street")
    community = await tree.create(street["id"], "community")
    branch = await tree.create(community["id"], "branch")
    await add_people(database, admin.tenant.id, branch["id"], ["full"])
    problem(await tree.post(f"{API}/nodes/{branch['id']}/archive"), 409, "has_people")


# --- reading the tree -------------------------------------------------------------------------------


async def test_children_subtree_ancestors_and_roots(tree: Tree):
    street = await tree.create(tree.root, "street", "街道")
    communities = [await tree.create(street["id"], "community", f"社区{i}") for i in range(3)]
    branches = [await tree.create(c["id"], "branch", f"支部{i}") for i, c in enumerate(communities)]
    unit = await tree.create(street["id"], "unit", "驻区单位")

    children = (await tree.get(f"{API}/nodes/{street['id']}/children")).json()
    assert children["total"] == 4
    assert {n["id"] for n in children["items"]} == {unit["id"], *(c["id"] for c in communities)}
    paged = (await tree.get(f"{API}/nodes/{street['id']}/children", limit=2, offset=1)).json()
    assert (paged["limit"], paged["offset"], paged["total"], len(paged["items"])) == (2, 1, 4, 2)

    only_branches = (await tree.get(f"{API}/nodes/{tree.root}/subtree", kind="branch")).json()
    assert only_branches["total"] == 3
    assert {n["id"] for n in only_branches["items"]} == {b["id"] for b in branches}
    page1 = (await tree.get(f"{API}/nodes/{tree.root}/subtree", kind="branch", limit=2)).json()
    page2 = (await tree.get(f"{API}/nodes/{tree.root}/subtree", kind="branch", limit=2, offset=2)).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1 and page1["total"] == 3
    assert {n["id"] for n in page1["items"] + page2["items"]} == {b["id"] for b in branches}

    whole = (await tree.get(f"{API}/nodes/{street['id']}/subtree", limit=200)).json()
    assert whole["total"] == 8
    assert whole["items"][0]["id"] == street["id"]  # path order: the root of the subtree first
    seen: set[str] = set()
    for item in whole["items"]:  # path order: every node after its parent
        assert item["id"] == street["id"] or item["parent_id"] in seen, whole["items"]
        seen.add(item["id"])
    search = (await tree.get(f"{API}/nodes/{tree.root}/subtree", q="支部1")).json()
    assert [n["id"] for n in search["items"]] == [branches[1]["id"]]

    ancestors = (await tree.get(f"{API}/nodes/{branches[0]['id']}/ancestors")).json()
    assert [n["id"] for n in ancestors] == [tree.root, street["id"], communities[0]["id"]]
    assert (await tree.get(f"{API}/nodes/{tree.root}/ancestors")).json() == []

    roots = (await tree.get(f"{API}/roots")).json()
    assert [n["id"] for n in roots] == [tree.root]


async def test_list_limits_are_enforced(tree: Tree):
    too_many = await tree.get(f"{API}/nodes/{tree.root}/subtree", limit=201)
    assert too_many.status_code in (400, 422), too_many.text
    assert "limit" in field_errors(problem(too_many, too_many.status_code))
    assert (await tree.get(f"{API}/nodes/{tree.root}/subtree", limit=200)).status_code == 200
    for bad in ({"limit": 0}, {"limit": -1}, {"limit": "many"}, {"offset": -1}):
        response = await tree.get(f"{API}/nodes/{tree.root}/children", **bad)
        assert response.status_code in (400, 422), (bad, response.text)
        assert set(bad) <= set(field_errors(problem(response, response.status_code))), bad
    unknown_kind = await tree.get(f"{API}/nodes/{tree.root}/subtree", kind="castle")
    assert field_errors(problem(unknown_kind, 422)) == {"kind": "unknown_kind"}


async def test_kinds_registry(tree: Tree):
    response = await tree.get(f"{API}/kinds")
    assert response.status_code == 200
    kinds = {k["key"]: k for k in response.json()}
    assert {"district", "street", "community", "village", "branch", "general_branch", "group", "unit"} <= set(
        kinds
    )
    assert kinds["street"]["parents"] == ["district"]
    assert kinds["group"]["parents"] == ["branch"]
    assert "community" in kinds["branch"]["parents"] and kinds["branch"]["holds_members"] is True
    assert kinds["unit"]["party"] is False
    assert (
        kinds["street"]["name"] == "街道党工委" and kinds["street"]["name_en"] == "Street working committee"
    )


# --- validation -------------------------------------------------------------------------------------


async def create_raw(tree: Tree, body: Any) -> Any:
    return await tree.client.post(f"{API}/nodes", headers=tree.headers, json=body)


async def test_create_validation_names_the_field(tree: Tree):
    street = await tree.create(tree.root, "street", "街道")
    unknown_kind = await create_raw(tree, {"parent_id": tree.root, "kind": "castle", "name": "城堡"})
    assert field_errors(problem(unknown_kind, 422, "invalid")) == {"kind": "unknown_kind"}
    second_root = await create_raw(tree, {"parent_id": tree.root, "kind": "district", "name": "另一区"})
    assert field_errors(problem(second_root, 422)) == {"kind": "root_kind"}
    misplaced = await create_raw(tree, {"parent_id": tree.root, "kind": "community", "name": "社区"})
    assert field_errors(problem(misplaced, 422)) == {"parent_id": "parent_kind_not_allowed"}
    unknown_field = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "街道二", "colour": "red"}
    )
    assert field_errors(problem(unknown_field, 422)) == {"colour": "unknown_field"}
    empty = await create_raw(tree, {"parent_id": tree.root, "kind": "street", "name": ""})
    assert set(field_errors(problem(empty, 422))) == {"name"}
    blank = await create_raw(tree, {"parent_id": tree.root, "kind": "street", "name": "   "})
    assert field_errors(problem(blank, 422)) == {"name": "missing"}
    missing = await create_raw(tree, {"parent_id": tree.root, "kind": "street"})
    assert field_errors(problem(missing, 422)) == {"name": "missing"}
    too_long = await create_raw(tree, {"parent_id": tree.root, "kind": "street", "name": "长" * 201})
    assert field_errors(problem(too_long, 422)) == {"name": "too_long"}
    bad_uuid = await create_raw(tree, {"parent_id": "not-a-uuid", "kind": "street", "name": "街道三"})
    assert set(field_errors(problem(bad_uuid, 422))) == {"parent_id"}
    bad_code = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "街道四", "code": "a b"}
    )
    assert set(field_errors(problem(bad_code, 422))) == {"code"}
    bad_attr = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "街道五", "attrs": {"longitude": 500}}
    )
    assert field_errors(problem(bad_attr, 422)) == {"attrs.longitude": "out_of_range"}
    unknown_attr = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "街道六", "attrs": {"mood": "calm"}}
    )
    assert field_errors(problem(unknown_attr, 422)) == {"attrs.mood": "unknown_field"}
    wrong_level = await create_raw(
        tree, {"parent_id": street["id"], "kind": "unit", "name": "单位", "attrs": {"level": "galactic"}}
    )
    assert set(field_errors(problem(wrong_level, 422))) == {"attrs.level"}

    malformed = await tree.client.post(
        f"{API}/nodes", headers={**tree.headers, "content-type": "application/json"}, content=b'{"name": '
    )
    problem(malformed, 400, "malformed_body")
    not_object = await create_raw(tree, ["a", "list"])
    assert not_object.status_code in (400, 422), not_object.text
    problem(not_object, not_object.status_code)

    duplicate = await create_raw(tree, {"parent_id": tree.root, "kind": "street", "name": "街道"})
    body = problem(duplicate, 409, "conflict")
    assert field_errors(body) == {"name": "duplicate"}
    assert "街道" in body["errors"][0]["message"]
    # The same name elsewhere in the tree is fine.
    await tree.create(street["id"], "community", "街道")

    await tree.create(tree.root, "street", "有代码", code="C-1")
    code_clash = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "别名", "code": "C-1"}
    )
    assert field_errors(problem(code_clash, 409)) == {"code": "duplicate"}

    # Nothing of the refused requests was created.
    names = [
        n["name"] for n in (await tree.get(f"{API}/nodes/{tree.root}/children", limit=200)).json()["items"]
    ]
    assert sorted(names) == sorted(["街道", "有代码"])


async def test_update_validation(tree: Tree):
    street = await tree.create(tree.root, "street", "甲街道")
    await tree.create(tree.root, "street", "乙街道")
    clash = await tree.patch(f"{API}/nodes/{street['id']}", {"name": "乙街道"})
    assert field_errors(problem(clash, 409)) == {"name": "duplicate"}
    unknown = await tree.patch(f"{API}/nodes/{street['id']}", {"parent_id": tree.root})
    assert field_errors(problem(unknown, 422)) == {"parent_id": "unknown_field"}
    blank = await tree.patch(f"{API}/nodes/{street['id']}", {"name": " "})
    assert field_errors(problem(blank, 422)) == {"name": "missing"}
    bad_attrs = await tree.patch(f"{API}/nodes/{street['id']}", {"attrs": {"latitude": "north"}})
    assert set(field_errors(problem(bad_attrs, 422))) == {"attrs.latitude"}
    assert (await tree.get(f"{API}/nodes/{street['id']}")).json()["name"] == "甲街道"


async def test_absent_nodes_are_404(tree: Tree):
    absent = "01890000-0000-7000-8000-000000000000"
    problem(await tree.get(f"{API}/nodes/{absent}"), 404, "not_found")
    problem(await tree.patch(f"{API}/nodes/{absent}", {"name": "x"}), 404, "not_found")
    problem(await tree.get(f"{API}/nodes/{absent}/subtree"), 404, "not_found")
    problem(await tree.get(f"{API}/nodes/not-a-uuid"), 404)
    parentless = await create_raw(tree, {"parent_id": absent, "kind": "street", "name": "无父"})
    problem(parentless, 404, "not_found")


async def test_permissions(client: Any, tree: Tree, admin: Any, make_user: Any, login: Any):
    viewer = await make_user(admin.tenant, "viewer")
    headers = await login(admin.tenant, viewer)
    assert (await client.get(f"{API}/nodes/{tree.root}", headers=headers)).status_code == 200
    refused = await client.post(
        f"{API}/nodes", headers=headers, json={"parent_id": tree.root, "kind": "street", "name": "x"}
    )
    body = problem(refused, 403, "forbidden")
    assert "org.write" in body["detail"]
    problem(await client.get(f"{API}/kinds"), 401, "unauthorized")


async def test_bad_input_never_answers_500(tree: Tree):
    street = await tree.create(tree.root, "street")
    node = street["id"]
    bodies: list[Any] = [
        None,
        [],
        "text",
        123,
        {},
        {"parent_id": None, "kind": None, "name": None},
        {"parent_id": 5, "kind": 5, "name": 5},
        {"parent_id": tree.root, "kind": "street", "name": "x", "attrs": "not-a-dict"},
        {"parent_id": tree.root, "kind": "street", "name": "x", "attrs": {"term_started_on": "yesterday"}},
        {"parent_id": tree.root, "kind": "street", "name": "x", "attrs": {"joint_unit_count": -1}},
        {"parent_id": tree.root, "kind": "street", "name": "\u0000"},
        {"parent_id": tree.root, "kind": "Street", "name": "x"},
        {"parent_id": tree.root, "kind": "k" * 500, "name": "x"},
        {"parent_id": tree.root, "kind": "street", "name": "x", "code": "c" * 65},
    ]
    nul = await create_raw(tree, {"parent_id": tree.root, "kind": "street", "name": "坏\u0000名"})
    assert field_errors(problem(nul, 422)) == {"name": "control_characters"}
    nul_attr = await create_raw(
        tree, {"parent_id": tree.root, "kind": "street", "name": "地址", "attrs": {"address": "\u0000"}}
    )
    assert nul_attr.status_code in (201, 422), nul_attr.text  # PostgreSQL refuses it; SQLite stores it
    if nul_attr.status_code == 422:
        problem(nul_attr, 422, "invalid")
    nul_search = await tree.get(f"{API}/nodes/{tree.root}/subtree", q="\u0000")
    assert nul_search.status_code in (200, 422), nul_search.text
    for body in bodies:
        response = await tree.client.post(f"{API}/nodes", headers=tree.headers, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
        problem(response, response.status_code)
    for body in bodies[:10]:
        for url in (f"{API}/nodes/{node}/move",):
            response = await tree.client.post(url, headers=tree.headers, json=body)
            assert 400 <= response.status_code < 500, (url, body, response.text)
        response = await tree.client.patch(f"{API}/nodes/{node}", headers=tree.headers, json=body)
        if body == {}:  # an empty change is a valid no-op
            assert response.status_code == 200, response.text
        else:
            assert 400 <= response.status_code < 500, (body, response.text)
            problem(response, response.status_code)
    for params in (
        {"limit": "1e9"},
        {"offset": "99999999999999999999"},
        {"include_archived": "perhaps"},
        {"kind": "x" * 41},
        {"q": "%_\\"},
        {"q": "q" * 101},
    ):
        response = await tree.get(f"{API}/nodes/{tree.root}/subtree", **params)
        assert response.status_code < 500, (params, response.text)
        if response.status_code >= 400:
            problem(response, response.status_code)
    garbage = await tree.client.post(
        f"{API}/nodes",
        headers={**tree.headers, "content-type": "application/json"},
        content='{"name": "\udcff"}'.encode("utf-8", "surrogatepass"),
    )
    problem(garbage, 400, "malformed_body")


# --- rules as warnings ------------------------------------------------------------------------------


async def add_people(database: Any, tenant_id: Any, node_id: str, statuses: list[str]) -> None:
    """Members written directly (dummy ciphertext and blind index: only counts matter here)."""
    import uuid

    from core.people.models import Person

    async with database.transaction(tenant_id) as session:
        for status in statuses:
            session.add(
                Person(
                    name=f"党员{secrets.token_hex(2)}",
                    gender="female",
                    birth_date=dt.date(1980, 5, 1),
                    id_card_encrypted="dummy-ciphertext",
                    id_card_index=secrets.token_hex(16),
                    party_status=status,
                    org_node_id=uuid.UUID(node_id),
                )
            )


async def test_thresholds_are_warnings_not_errors(tree: Tree, database: Any, admin: Any):
    street = await tree.create(tree.root, "street")
    community = await tree.create(street["id"], "community")
    branch = await tree.create(community["id"], "branch", "新支部")
    codes = [w["code"] for w in branch["warnings"]]
    assert codes == ["branch_too_few_full_members"]
    assert "3" in branch["warnings"][0]["message"]

    await add_people(database, admin.tenant.id, branch["id"], ["full", "full", "probationary", "none"])
    still = (await tree.get(f"{API}/nodes/{branch['id']}")).json()
    assert [w["code"] for w in still["warnings"]] == ["branch_too_few_full_members"]
    assert "2" in still["warnings"][0]["message"]

    await add_people(database, admin.tenant.id, branch["id"], ["full"])
    fine = (await tree.get(f"{API}/nodes/{branch['id']}")).json()
    assert fine["warnings"] == []

    joint = await tree.patch(f"{API}/nodes/{branch['id']}", {"attrs": {"joint_unit_count": 6}})
    assert joint.status_code == 200
    assert [w["code"] for w in joint.json()["warnings"]] == ["joint_branch_too_many_units"]

    old_term = await tree.patch(
        f"{API}/nodes/{community['id']}", {"attrs": {"term_started_on": "2015-03-01"}}
    )
    assert old_term.status_code == 200
    assert [w["code"] for w in old_term.json()["warnings"]] == ["term_expired"]
    recent = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    current = await tree.patch(f"{API}/nodes/{community['id']}", {"attrs": {"term_started_on": recent}})
    assert current.json()["warnings"] == []


async def test_thresholds_follow_the_district_settings(
    client: Any, make_tenant: Any, make_user: Any, login: Any
):
    tenant = await make_tenant(org_thresholds={"branch_min_full_members": 0})
    user = await make_user(tenant, "system_admin")
    tree = Tree(client, type("A", (), {"headers": await login(tenant, user), "tenant": tenant})())
    street = await tree.create(tree.root, "street")
    community = await tree.create(street["id"], "community")
    branch = await tree.create(community["id"], "branch")
    assert branch["warnings"] == []
