"""Spreadsheet import (all rows or none, with a row/column report) and masked export, by API and CLI."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from core.imports import spreadsheet
from core.imports.people import PERSON_COLUMNS
from core.people.validation import make_id_card

BIRTH = dt.date(1980, 5, 17)
HEADERS = [
    "姓名",
    "身份证号",
    "性别",
    "手机",
    "政治面貌",
    "入党日期",
    "转正日期",
    "学历",
    "人员类别",
    "所在组织",
]
BRANCH = "和平路街道/大西路社区/大西路社区第一党支部"
COMMUNITY = "和平路街道/大西路社区"
PEOPLE_IMPORT = "/api/v1/people/import"
ORG_IMPORT = "/api/v1/org/import"
XLSX = spreadsheet.XLSX_MEDIA_TYPE


def id_card(sequence: int = 1, gender: str = "male", birth: dt.date = BIRTH) -> str:
    return make_id_card("321111", birth, sequence, gender)


def member(sequence: int, **change):
    row = {
        "姓名": f"党员{sequence}",
        "身份证号": id_card(sequence),
        "性别": "男",
        "手机": f"1380000{sequence:04d}",
        "政治面貌": "中共党员",
        "入党日期": dt.date(2005, 7, 1),
        "转正日期": "2006/7/1",
        "学历": "大学本科",
        "人员类别": "在职",
        "所在组织": BRANCH,
    }
    row.update(change)
    return [row[h] for h in HEADERS]


def resident(sequence: int, **change):
    return member(
        sequence,
        **{
            "身份证号": id_card(sequence, "female"),
            "性别": "女",
            "政治面貌": "群众",
            "入党日期": None,
            "转正日期": None,
            "人员类别": "居民",
            "所在组织": COMMUNITY,
            **change,
        },
    )


def xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue().encode(encoding)


async def upload(
    client, headers, content: bytes, name: str = "people.xlsx", url: str = PEOPLE_IMPORT, **params
):
    return await client.post(url, headers=headers, files={"file": (name, content)}, params=params)


async def total_people(client, headers) -> int:
    response = await client.get("/api/v1/people", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["total"]


def problems(response) -> set[tuple[int | None, str | None, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {(e.get("row"), e.get("column"), e["code"]) for e in response.json()["errors"]}


async def audit_records(client, tenant, make_user, login, action: str) -> list[dict]:
    auditor = await make_user(tenant, "audit_admin")
    response = await client.get(
        "/api/v1/audit", headers=await login(tenant, auditor), params={"action": action}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
async def tree(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    branch = await make_node(admin.tenant, community.id, "branch", "大西路社区第一党支部")
    branch2 = await make_node(admin.tenant, community.id, "branch", "大西路社区第二党支部")
    return {"street": street, "community": community, "branch": branch, "branch2": branch2}


# --- people import -----------------------------------------------------------------------------------


async def test_xlsx_import_creates_everyone_and_is_audited(client, admin, tree, make_user, login):
    rows = [
        HEADERS,
        member(1),
        [None] * len(HEADERS),
        member(2, **{"入党日期": "2005年7月1日", "转正日期": "2006-07-01", "学历": "bachelor"}),
        resident(3, **{"所在组织": "测试区/和平路街道/大西路社区", "手机": None}),
    ]
    response = await upload(client, admin.headers, xlsx(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "dry_run": False}
    assert await total_people(client, admin.headers) == 3

    found = await client.get("/api/v1/people", headers=admin.headers, params={"id_card": id_card(2)})
    person = found.json()["items"][0]
    assert (person["name"], person["gender"], person["education"], person["category"]) == (
        "党员2",
        "male",
        "bachelor",
        "in_service",
    )
    assert (person["party_status"], person["joined_on"], person["full_member_on"]) == (
        "full",
        "2005-07-01",
        "2006-07-01",
    )
    assert person["org_node_id"] == str(tree["branch"].id)
    relations = await client.get(f"/api/v1/people/{person['id']}/relations", headers=admin.headers)
    assert [(r["org_node_id"], r["reason"]) for r in relations.json()] == [
        (str(tree["branch"].id), "imported")
    ]
    neighbour = await client.get(
        "/api/v1/people", headers=admin.headers, params={"id_card": id_card(3, "female")}
    )
    assert neighbour.json()["items"][0]["party_status"] == "none"
    assert neighbour.json()["items"][0]["org_node_id"] == str(tree["community"].id)

    records = await audit_records(client, admin.tenant, make_user, login, "person.import")
    assert [(r["changes"], r["detail"], r["username"]) for r in records] == [
        ({"count": 3}, "people.xlsx", admin.user.username)
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
async def test_csv_import_with_english_headers_in_any_encoding(client, admin, tree, encoding):
    rows = [
        [
            "name",
            "id_card",
            "gender",
            "phone",
            "party_status",
            "joined_on",
            "full_member_on",
            "education",
            "org",
        ],
        ["王建国", id_card(1), "male", "138 0000 1234", "full", "2005-07-01", "2006-07-01", "master", BRANCH],
        ["李红", id_card(2, "female"), "女", "", "预备党员", "2024/7/1", "", "硕士", BRANCH],
    ]
    response = await upload(client, admin.headers, csv_bytes(rows, encoding), name="people.csv")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    found = await client.get("/api/v1/people", headers=admin.headers, params={"q": "李红"})
    assert found.json()["items"][0]["party_status"] == "probationary"
    assert found.json()["items"][0]["education"] == "master"


async def test_two_bad_rows_among_good_ones_create_nobody(client, admin, tree):
    wrong_check_digit = id_card(3)[:17] + ("0" if id_card(3)[17] != "0" else "1")
    rows = [
        HEADERS,
        member(1),
        member(3, **{"身份证号": wrong_check_digit}),
        member(4),
        member(5, **{"入党日期": "七月一日"}),
        resident(6),
    ]
    response = await upload(client, admin.headers, xlsx(rows))
    assert problems(response) == {(3, "身份证号", "id_card_check_digit"), (5, "入党日期", "date_format")}
    body = response.json()
    assert body["code"] == "import_rejected" and body["error_count"] == 2
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"rows[3].id_card", "rows[5].joined_on"}
    assert all(fields.values())
    assert await total_people(client, admin.headers) == 0


async def test_every_problem_of_a_row_is_listed_with_its_column(client, admin, tree):
    rows = [
        HEADERS,
        member(
            1,
            **{
                "性别": "女",
                "手机": "12345",
                "政治面貌": "党员",
                "入党日期": "1990-01-01",
                "学历": "幼儿园",
                "人员类别": "学生",
            },
        ),
        resident(2, **{"姓名": None, "所在组织": "和平路街道/没有这个社区"}),
        member(3, **{"所在组织": COMMUNITY}),
    ]
    response = await upload(client, admin.headers, xlsx(rows))
    assert problems(response) == {
        (2, "性别", "id_card_mismatch"),
        (2, "手机", "phone_format"),
        (2, "入党日期", "too_young"),
        (2, "学历", "not_allowed"),
        (2, "人员类别", "not_allowed"),
        (3, "姓名", "missing"),
        (3, "所在组织", "unknown_org"),
        (4, "所在组织", "not_member_node"),
    }
    assert [e["row"] for e in response.json()["errors"]] == sorted(
        e["row"] for e in response.json()["errors"]
    )


async def test_duplicate_id_cards_in_the_file_and_in_the_district(client, admin, tree):
    existing = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={"name": "张三", "id_card": id_card(9), "org_node_id": str(tree["community"].id)},
    )
    assert existing.status_code == 201, existing.text
    rows = [HEADERS, member(1), member(2, **{"身份证号": id_card(1).lower()}), member(9), member(4)]
    response = await upload(client, admin.headers, xlsx(rows))
    assert problems(response) == {(3, "身份证号", "duplicate_in_file"), (4, "身份证号", "duplicate")}
    in_file = next(e for e in response.json()["errors"] if e["code"] == "duplicate_in_file")
    assert "2" in in_file["message"]
    assert await total_people(client, admin.headers) == 1


async def test_unknown_and_missing_columns_stop_before_any_row(client, admin, tree):
    unknown = await upload(client, admin.headers, xlsx([[*HEADERS, "爱好"], [*member(1), "读书"]]))
    assert problems(unknown) == {(1, "爱好", "unknown_column")}
    assert unknown.json()["errors"][0]["field"] == "columns"

    without_id = [h for h in HEADERS if h != "身份证号"]
    missing = await upload(client, admin.headers, xlsx([without_id, ["某人"] * len(without_id)]))
    assert problems(missing) == {(1, "身份证号", "missing_column")}

    twice = await upload(client, admin.headers, xlsx([[*HEADERS, "name"], [*member(1), "x"]]))
    assert problems(twice) == {(1, "name", "duplicate_column")}

    stray = await upload(client, admin.headers, xlsx([[*HEADERS, None], [*member(1), "备注"]]))
    assert problems(stray) == {(2, "K", "no_header")}

    marked = await upload(
        client,
        admin.headers,
        xlsx([["Name", "身份证号码*", " 所在组织 "], ["张三", id_card(7, "female"), COMMUNITY]]),
    )
    assert marked.status_code == 200, marked.text
    assert await total_people(client, admin.headers) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2005, 7, 1), "2005-07-01"),
        (dt.datetime(2005, 7, 1), "2005-07-01"),
        (38534, "2005-07-01"),
        ("2005-07-01", "2005-07-01"),
        ("2005/7/1", "2005-07-01"),
        ("2005年7月1日", "2005-07-01"),
        ("2005.7.1", "2005-07-01"),
        ("20050701", "2005-07-01"),
        ("2005-02-30", "date_invalid"),
        ("2005-13-01", "date_invalid"),
        ("七月一日", "date_format"),
        ("2005-7", "date_format"),
    ],
)
async def test_dates(client, admin, tree, value, expected):
    response = await upload(client, admin.headers, xlsx([HEADERS, member(1, **{"入党日期": value})]))
    if expected.startswith("date_"):
        assert problems(response) == {(2, "入党日期", expected)}
        return
    assert response.status_code == 200, response.text
    found = await client.get("/api/v1/people", headers=admin.headers, params={"id_card": id_card(1)})
    assert found.json()["items"][0]["joined_on"] == expected


async def test_id_card_saved_as_a_number_is_named(client, admin, tree):
    response = await upload(
        client, admin.headers, xlsx([HEADERS, member(1, **{"身份证号": 3.21111198005170e17})])
    )
    assert problems(response) == {(2, "身份证号", "number_cell")}


async def test_nodes_outside_the_callers_scope_are_rejected(client, admin, tree, make_node, make_user, login):
    other = await make_node(admin.tenant, admin.tenant.root_id, "street", "解放路街道")
    other_community = await make_node(admin.tenant, other.id, "community", "解放社区")
    await make_node(admin.tenant, other_community.id, "branch", "解放社区党支部")
    other_admin = await make_user(admin.tenant, "org_admin", node_id=other.id)
    headers = await login(admin.tenant, other_admin)

    outside = await upload(
        client, headers, xlsx([HEADERS, member(1), member(2, **{"所在组织": str(tree["branch"].id)})])
    )
    assert problems(outside) == {(2, "所在组织", "unknown_org"), (3, "所在组织", "unknown_org")}
    assert await total_people(client, admin.headers) == 0

    inside = await upload(
        client, headers, xlsx([HEADERS, member(1, **{"所在组织": "解放路街道/解放社区/解放社区党支部"})])
    )
    assert inside.status_code == 200, inside.text

    secretary = await make_user(admin.tenant, "secretary", node_id=tree["street"].id)
    refused = await upload(client, await login(admin.tenant, secretary), xlsx([HEADERS, member(5)]))
    assert refused.status_code == 403
    assert await total_people(client, admin.headers) == 1


async def test_dry_run_writes_nothing(client, admin, tree, make_user, login):
    content = xlsx([HEADERS, member(1), resident(2)])
    checked = await upload(client, admin.headers, content, dry_run="true")
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"created": 2, "dry_run": True}
    bad = await upload(client, admin.headers, xlsx([HEADERS, member(1, **{"学历": "?"})]), dry_run="true")
    assert problems(bad) == {(2, "学历", "not_allowed")}
    assert await total_people(client, admin.headers) == 0
    assert await audit_records(client, admin.tenant, make_user, login, "person.import") == []
    written = await upload(client, admin.headers, content)
    assert written.json() == {"created": 2, "dry_run": False}


async def test_limits_on_rows_and_listed_problems(client, admin, tree, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 2)
    too_many = await upload(client, admin.headers, xlsx([HEADERS, member(1), member(2), member(3)]))
    assert too_many.status_code == 422
    assert [(e["field"], e["code"]) for e in too_many.json()["errors"]] == [("file", "too_many_rows")]

    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 50)
    monkeypatch.setattr(spreadsheet, "MAX_LISTED_PROBLEMS", 3)
    bad = [member(n, **{"学历": "?"}) for n in range(1, 6)]
    capped = await upload(client, admin.headers, xlsx([HEADERS, *bad]))
    assert capped.status_code == 422
    assert len(capped.json()["errors"]) == 3 and capped.json()["error_count"] == 5


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", 415, "file_type"),
        (b"%PDF-1.7\n\x00\x01\x02", "people.pdf", 415, "file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "people.xls", 415, "xls"),
        (_zip({"word/document.xml": b"<w/>"}), "people.docx", 415, "file_type"),
        (_zip({"xl/workbook.xml": b"not xml"}), "people.xlsx", 422, "unreadable"),
        (b"", "people.csv", 422, "empty"),
        (b"\x81\x30\xff\xfe\x00", "people.csv", 415, "file_type"),
    ],
)
async def test_files_that_are_not_spreadsheets_are_4xx(client, admin, content, name, status, code):
    for url in (PEOPLE_IMPORT, ORG_IMPORT):
        response = await upload(client, admin.headers, content, name=name, url=url)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("file", code)]


async def test_missing_empty_and_oversized_uploads(client, admin):
    header_only = await upload(client, admin.headers, "姓名,身份证号,所在组织\n".encode(), name="people.csv")
    assert problems(header_only) == {(None, None, "no_rows")}
    missing = await client.post(PEOPLE_IMPORT, headers=admin.headers, files={"upload": ("a.csv", b"x")})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["file"]
    as_json = await client.post(PEOPLE_IMPORT, headers=admin.headers, json={"file": "x"})
    assert 400 <= as_json.status_code < 500
    large = await upload(client, admin.headers, b"a" * (spreadsheet.MAX_FILE_BYTES + 1), name="big.csv")
    assert large.status_code == 413
    assert [e["field"] for e in large.json()["errors"]] == ["file"]
    huge = await upload(client, admin.headers, b"a" * (spreadsheet.MAX_FILE_BYTES + 200_000), name="big.csv")
    assert huge.status_code == 413


# --- organisation import -----------------------------------------------------------------------------

ORG_HEADERS = ["上级组织", "类型", "名称", "编码", "地址", "电话"]


async def test_org_import_with_parents_created_earlier_in_the_file(client, admin, tree, make_user, login):
    rows = [
        ORG_HEADERS,
        ["和平路街道", "社区党委", "新华社区", "HP-XH", "新华路1号", "0511-85551234"],
        ["HP-XH", "党支部", "新华社区第一党支部", "HP-XH-1", None, None],
        ["测试区/和平路街道/新华社区", "branch", "新华社区第二党支部", None, None, None],
        ["HP-XH-1", "Party group", "第一党小组", None, None, None],
    ]
    response = await upload(client, admin.headers, xlsx(rows), name="org.xlsx", url=ORG_IMPORT)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 4, "dry_run": False}
    subtree = await client.get(f"/api/v1/org/nodes/{tree['street'].id}/subtree", headers=admin.headers)
    nodes = {n["name"]: n for n in subtree.json()["items"]}
    assert {"新华社区", "新华社区第一党支部", "新华社区第二党支部", "第一党小组"} <= set(nodes)
    assert nodes["新华社区"]["attrs"] == {"address": "新华路1号", "phone": "0511-85551234"}
    assert nodes["新华社区第一党支部"]["parent_id"] == nodes["新华社区"]["id"]
    assert nodes["第一党小组"]["parent_id"] == nodes["新华社区第一党支部"]["id"]
    assert nodes["第一党小组"]["kind"] == "group"

    people = await upload(client, admin.headers, xlsx([HEADERS, member(1, **{"所在组织": "HP-XH-1"})]))
    assert people.status_code == 200, people.text
    records = await audit_records(client, admin.tenant, make_user, login, "org.import")
    assert [r["changes"] for r in records] == [{"count": 4}]


async def test_org_import_problems_write_nothing(client, admin, tree):
    rows = [
        ORG_HEADERS,
        ["和平路街道", "社区党委", "新华社区", "HP-XH", None, None],
        [COMMUNITY, "党小组", "错位小组", None, None, None],
        ["和平路街道", "不存在的类型", "某组织", None, None, None],
        ["和平路街道", "社区党委", "大西路社区", None, None, None],
        ["和平路街道", "社区党委", "坏编码社区", "bad code!", None, None],
        ["和平路街道/坏编码社区", "党支部", "某支部", None, None, None],
        ["和平路街道", "社区党委", "另一社区", "HP-XH", None, "12"],
        ["没有的街道", "社区党委", "某社区", None, None, None],
        ["和平路街道", "区委", "第二区委", None, None, None],
    ]
    response = await upload(client, admin.headers, csv_bytes(rows), name="org.csv", url=ORG_IMPORT)
    assert problems(response) == {
        (3, "上级组织", "parent_kind_not_allowed"),
        (4, "类型", "not_allowed"),
        (5, "名称", "duplicate"),
        (6, "编码", "invalid"),
        (7, "上级组织", "parent_row_invalid"),
        (8, "编码", "duplicate"),
        (9, "上级组织", "unknown_org"),
        (10, "类型", "root_kind"),
    }
    subtree = await client.get(f"/api/v1/org/nodes/{tree['street'].id}/subtree", headers=admin.headers)
    assert "新华社区" not in {n["name"] for n in subtree.json()["items"]}


async def test_org_import_needs_org_write_in_scope(client, admin, tree, make_node, make_user, login):
    other = await make_node(admin.tenant, admin.tenant.root_id, "street", "解放路街道")
    other_admin = await make_user(admin.tenant, "org_admin", node_id=other.id)
    headers = await login(admin.tenant, other_admin)
    rows = [ORG_HEADERS, ["和平路街道", "社区党委", "新华社区", None, None, None]]
    response = await upload(client, headers, xlsx(rows), url=ORG_IMPORT)
    assert problems(response) == {(2, "上级组织", "unknown_org")}
    viewer = await make_user(admin.tenant, "viewer")
    refused = await upload(client, await login(admin.tenant, viewer), xlsx(rows), url=ORG_IMPORT)
    assert refused.status_code == 403


# --- export ------------------------------------------------------------------------------------------


def cells(content: bytes) -> list[tuple]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def raw_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


async def test_export_is_masked_scoped_and_audited(client, admin, tree, make_node, make_user, login):
    # CSV, because openpyxl would store the name as a formula in the uploaded workbook itself.
    content = csv_bytes([HEADERS, member(1), resident(2, **{"姓名": '=HYPERLINK("http://x","y")'})])
    imported = await upload(client, admin.headers, content, name="people.csv")
    assert imported.status_code == 200, imported.text

    response = await client.get("/api/v1/people/export", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".xlsx" in response.headers["content-disposition"]
    table = cells(response.content)
    assert list(table[0]) == [c.label for c in PERSON_COLUMNS]
    by_name = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert set(by_name) == {"党员1", '=HYPERLINK("http://x","y")'}
    first = by_name["党员1"]
    number = id_card(1)
    assert first["身份证号"] == number[:4] + "*" * 10 + number[-4:]
    assert first["手机"] == "138****0001"
    assert (first["性别"], first["政治面貌"], first["学历"], first["人员类别"]) == (
        "男",
        "中共党员",
        "大学本科",
        "在职",
    )
    assert first["所在组织"] == BRANCH
    assert first["入党日期"].date() == dt.date(2005, 7, 1)
    text = raw_text(response.content)
    for secret in (number, id_card(2, "female"), "13800000001", "13800000002"):
        assert secret not in text
    exported = openpyxl.load_workbook(io.BytesIO(response.content))
    formula = exported.active["A2"]
    assert formula.data_type == "s"
    # The watermark names the exporting account and the time, in the properties and on every printed page.
    mark = exported.properties.description
    assert admin.user.username in mark and "导出" in mark and str(dt.date.today().year) in mark
    assert exported.active.oddHeader.center.text == mark
    assert exported.properties.creator == admin.user.username

    only_branch2 = await client.get(
        "/api/v1/people/export", headers=admin.headers, params={"node_id": str(tree["branch2"].id)}
    )
    assert len(cells(only_branch2.content)) == 1

    other = await make_node(admin.tenant, admin.tenant.root_id, "street", "解放路街道")
    secretary = await make_user(admin.tenant, "secretary", node_id=other.id)
    theirs = await client.get("/api/v1/people/export", headers=await login(admin.tenant, secretary))
    assert theirs.status_code == 200 and len(cells(theirs.content)) == 1
    not_theirs = await client.get(
        "/api/v1/people/export",
        headers=await login(admin.tenant, secretary),
        params={"node_id": str(tree["branch"].id)},
    )
    assert not_theirs.status_code == 404

    viewer = await make_user(admin.tenant, "viewer")
    assert (
        await client.get("/api/v1/people/export", headers=await login(admin.tenant, viewer))
    ).status_code == 403

    records = await audit_records(client, admin.tenant, make_user, login, "person.export")
    assert sorted(r["changes"]["count"] for r in records) == [0, 0, 2]
    assert all(r["changes"]["watermark"] for r in records)


# --- command line ------------------------------------------------------------------------------------


async def run_cli(cli, *args: str):
    # Each command runs its own event loop; a thread keeps it off the test's.
    return await asyncio.to_thread(cli, *args)


async def test_cli_people_import_and_export(cli, client, admin, tree, tmp_path, make_user, login):
    slug = admin.tenant.slug
    good = tmp_path / "people.xlsx"
    good.write_bytes(xlsx([HEADERS, member(1), resident(2)]))

    dry = await run_cli(cli, "people", "import", str(good), "--tenant", slug, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and await total_people(client, admin.headers) == 0

    imported = await run_cli(cli, "people", "import", str(good), "--tenant", slug)
    assert imported.exit_code == 0, imported.output
    assert "imported 2 people" in imported.output
    assert await total_people(client, admin.headers) == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADERS, member(3), member(4, **{"学历": "幼儿园"}), member(1)]))
    rejected = await run_cli(cli, "people", "import", str(bad), "--tenant", slug)
    assert rejected.exit_code == 1
    assert "nothing was imported: 2 problems" in rejected.output
    assert "学历" in rejected.output and "幼儿园" in rejected.output and "身份证号" in rejected.output
    assert "Traceback" not in rejected.output
    assert await total_people(client, admin.headers) == 2

    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(csv_bytes([[*HEADERS, "爱好"], [*member(5), "x"]]))
    header_problem = await run_cli(cli, "people", "import", str(unknown), "--tenant", slug)
    assert header_problem.exit_code == 1 and "爱好" in header_problem.output

    out = tmp_path / "out.xlsx"
    exported = await run_cli(cli, "people", "export", "--tenant", slug, "--out", str(out), "--node", BRANCH)
    assert exported.exit_code == 0, exported.output
    assert "exported 1 people" in exported.output
    rows = cells(out.read_bytes())
    assert [r[0] for r in rows[1:]] == ["党员1"]
    assert id_card(1) not in raw_text(out.read_bytes())

    records = await audit_records(client, admin.tenant, make_user, login, "person.import")
    assert [r["username"].startswith("cli") for r in records] == [True]


async def test_cli_org_import_and_bad_input(cli, client, admin, tree, tmp_path):
    slug = admin.tenant.slug
    org_file = tmp_path / "org.csv"
    org_file.write_bytes(
        csv_bytes(
            [
                ORG_HEADERS,
                ["和平路街道", "社区党委", "新华社区", "HP-XH", None, None],
                ["HP-XH", "党支部", "新华社区第一党支部", None, None, None],
            ],
            "gb18030",
        )
    )
    result = await run_cli(cli, "org", "import", str(org_file), "--tenant", slug)
    assert result.exit_code == 0, result.output
    assert "imported 2 organisations" in result.output
    subtree = await client.get(f"/api/v1/org/nodes/{tree['street'].id}/subtree", headers=admin.headers)
    assert "新华社区第一党支部" in {n["name"] for n in subtree.json()["items"]}

    again = await run_cli(cli, "org", "import", str(org_file), "--tenant", slug)
    assert again.exit_code == 1 and "编码" in again.output and "名称" in again.output

    missing = await run_cli(cli, "org", "import", str(tmp_path / "nope.csv"), "--tenant", slug)
    assert missing.exit_code == 1 and "cannot read" in missing.output
    no_district = await run_cli(cli, "org", "import", str(org_file), "--tenant", "nosuchdistrict")
    assert no_district.exit_code == 1 and "no district" in no_district.output
    picture = tmp_path / "photo.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    not_sheet = await run_cli(cli, "people", "import", str(picture), "--tenant", slug)
    assert not_sheet.exit_code == 1 and "xlsx" in not_sheet.output
