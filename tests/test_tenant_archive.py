"""A district leaves as one checksummed archive and comes back with every row, id and relation."""

from __future__ import annotations

import json
import secrets
import zipfile

from core.people.validation import make_id_card


async def populate(client, admin, make_node, database):
    from tests.fixture_plugins.hello import HelloNote

    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    branch = await make_node(admin.tenant, community.id, "branch", "大西路社区第一党支部")
    import datetime as dt

    person = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={
            "name": "王建国",
            "id_card": make_id_card("321111", dt.date(1970, 3, 4), 7, "male"),
            "phone": "13800001234",
            "org_node_id": str(branch.id),
            "party_status": "full",
            "joined_on": "2000-07-01",
        },
    )
    assert person.status_code == 201, person.text
    await client.post("/api/v1/plugins/hello/enable", headers=admin.headers)
    async with database.transaction(admin.tenant.id) as session:
        session.add(HelloNote(org_node_id=branch.id, text="留言"))
    return person.json()


async def test_round_trip_keeps_every_row_of_core_and_plugins(client, admin, make_node, database, round_trip):
    await populate(client, admin, make_node, database)
    compared = await round_trip(admin.tenant)
    assert compared["org_node"] == (4, 4)
    assert compared["person"] == (1, 1)
    assert compared["hello_note"] == (1, 1), "plugin tables travel too"
    assert compared["tenant_plugin"] == (1, 1)
    assert compared["app_user"][0] >= 1 and compared["audit_record"][0] >= 1


def test_cli_export_import_and_broken_archives(cli, tmp_path):
    slug = f"ar{secrets.token_hex(3)}"
    code = str(200000 + secrets.randbelow(600000))
    definition = tmp_path / "d.toml"
    definition.write_text(
        f'code = "{code}"\nslug = "{slug}"\nname_zh = "存档区"\nname_en = "Archive"\n', encoding="utf-8"
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0
    archive = tmp_path / "out.zip"
    exported = cli("tenant", "export", slug, str(archive))
    assert exported.exit_code == 0, exported.output
    assert cli("tenant", "export", slug, str(archive)).exit_code == 1, "never overwrites a file"

    same = cli("tenant", "import", str(archive))
    assert same.exit_code == 1 and "--slug and --code" in same.output
    copy_slug = f"cp{secrets.token_hex(3)}"
    copy_code = str(200000 + secrets.randbelow(600000))
    copied = cli("tenant", "import", str(archive), "--slug", copy_slug, "--code", copy_code)
    assert copied.exit_code == 0, copied.output
    shown = json.loads(cli("tenant", "show", copy_slug, "--json").output)
    assert shown["org_nodes"] == 1 and shown["name_zh"] == "存档区"

    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(
                item,
                data.replace("存档区".encode(), "篡改区".encode()) if "org_node" in item.filename else data,
            )
    refused = cli("tenant", "import", str(damaged), "--slug", f"dm{secrets.token_hex(3)}", "--code", "399999")
    assert refused.exit_code == 1 and "checksum" in refused.output
    not_zip = tmp_path / "plain.txt"
    not_zip.write_text("hello", encoding="utf-8")
    unreadable = cli(
        "tenant", "import", str(not_zip), "--slug", f"nz{secrets.token_hex(3)}", "--code", "399998"
    )
    assert unreadable.exit_code == 1 and "unreadable archive" in unreadable.output
    bad_slug = cli("tenant", "import", str(archive), "--slug", "Bad Slug")
    assert bad_slug.exit_code == 1 and "--slug" in bad_slug.output


async def test_what_a_plugin_keeps_outside_its_tables_travels_through_its_export_hook(
    client, admin, enable_plugin, database, tmp_path
):
    from core.tenancy.archive import export_tenant, import_tenant, read_archive
    from tests.fixture_plugins.hello import VISITOR_BOOK

    await enable_plugin(admin, "hello")
    VISITOR_BOOK[admin.tenant.id] = [{"name": "张三", "came_on": "2026-11-27"}]
    archive = tmp_path / "with-extras.zip"
    async with database.system_transaction() as session:
        manifest = await export_tenant(session, admin.tenant.id, archive)
    assert manifest["extras"]["hello/visitor_book"]["rows"] == 1
    assert read_archive(archive)[1]["hello/visitor_book"] == [{"name": "张三", "came_on": "2026-11-27"}]
    async with database.system_transaction() as session:
        copy = await import_tenant(session, archive, slug=f"c{secrets.token_hex(4)}", code="654321")
    assert VISITOR_BOOK[copy.id] == [{"name": "张三", "came_on": "2026-11-27"}]


async def test_an_archive_whose_extras_were_tampered_with_is_refused(
    client, admin, enable_plugin, database, tmp_path
):
    import pytest

    from core.tenancy.archive import ArchiveError, export_tenant, read_archive
    from tests.fixture_plugins.hello import VISITOR_BOOK

    await enable_plugin(admin, "hello")
    VISITOR_BOOK[admin.tenant.id] = [{"name": "李四"}]
    archive = tmp_path / "tampered.zip"
    async with database.system_transaction() as session:
        await export_tenant(session, admin.tenant.id, archive)
    tampered = tmp_path / "tampered2.zip"
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "extras/hello/visitor_book.jsonl":
                data = data.replace("李四".encode(), "王五".encode())
            target.writestr(item, data)
    with pytest.raises(ArchiveError, match="checksum"):
        read_archive(tampered)


def _rewrite(source_path, target_path, change):
    """Copy an archive, letting ``change(name, data, manifest)`` alter members; checksums kept valid."""
    import hashlib

    with zipfile.ZipFile(source_path) as source:
        manifest = json.loads(source.read("manifest.json"))
        members = {
            item.filename: source.read(item) for item in source.infolist() if item.filename != "manifest.json"
        }
    for name in list(members):
        members[name] = change(name, members[name], manifest)
        table = name.removeprefix("tables/").removesuffix(".jsonl")
        if name.startswith("tables/") and table in manifest["tables"]:
            manifest["tables"][table]["sha256"] = hashlib.sha256(members[name]).hexdigest()
    with zipfile.ZipFile(target_path, "w") as target:
        target.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            target.writestr(name, data)


def test_truncated_newer_or_foreign_archives_are_refused_and_nothing_is_written(cli, tmp_path):
    slug = f"nw{secrets.token_hex(3)}"
    code = str(200000 + secrets.randbelow(600000))
    definition = tmp_path / "d.toml"
    definition.write_text(
        f'code = "{code}"\nslug = "{slug}"\nname_zh = "版本区"\nname_en = "Versions"\n', encoding="utf-8"
    )
    assert cli("tenant", "create", "--from", str(definition)).exit_code == 0
    archive = tmp_path / "out.zip"
    assert cli("tenant", "export", slug, str(archive)).exit_code == 0
    with zipfile.ZipFile(archive) as written:
        assert "core" in json.loads(written.read("manifest.json"))["schema"]

    def refused(path, expected: str) -> None:
        target = f"x{secrets.token_hex(3)}"
        result = cli("tenant", "import", str(path), "--slug", target, "--code", "399997")
        assert result.exit_code == 1 and expected in result.output, result.output
        assert cli("tenant", "show", target).exit_code == 1, "a refused import wrote nothing"

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    refused(truncated, "unreadable archive")

    newer = tmp_path / "newer.zip"

    def future_schema(name, data, manifest):
        manifest["schema"]["core"] = ["core_9999"]
        return data

    _rewrite(archive, newer, future_schema)
    refused(newer, "newer Quanyu (core schema core_9999")

    extra_column = tmp_path / "column.zip"

    def new_column(name, data, manifest):
        if name != "tables/org_node.jsonl":
            return data
        rows = [json.loads(line) for line in data.splitlines() if line.strip()]
        return b"".join(json.dumps({**row, "radius_km": 3}).encode() + b"\n" for row in rows)

    _rewrite(archive, extra_column, new_column)
    refused(extra_column, "org_node has columns this installation does not know (radius_km)")

    over_existing = cli("tenant", "import", str(archive))
    assert over_existing.exit_code == 1 and "exists" in over_existing.output
    assert json.loads(cli("tenant", "show", slug, "--json").output)["org_nodes"] == 1
