"""The whole Runzhou demo district leaves one database and arrives in an empty one exactly.

Two throwaway installations of the same kind (their own database and var
folder, one master secret) are built from nothing with the operator's
commands: ``db upgrade`` and ``demo ensure`` (every installed mechanism
enabled and filled) on the first, then ``tenant export`` there, ``tenant
import`` on the second and ``tenant export`` again. Every tenant table's rows
(all columns: ids, ciphertext, timestamps, JSON), the stored attachment bytes
and the two archives' contents must then be identical; the only difference
allowed is the audit record each command leaves of itself.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import secrets
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import column, inspect, select

from core.settings import Settings, get_settings, override_settings
from core.testing import DEFAULT_TEST_DATABASE_URL, _in_ci, _prepare_postgresql, backends

DEFINITION = Path(__file__).resolve().parent.parent / "tenants" / "runzhou.toml"
# What each command writes of itself into the district's audit log: present on one side only.
OWN_AUDIT = {"tenant.export", "tenant.import"}


@dataclass
class Installation:
    """One platform: its settings (database URLs, var folder) and what removes it afterwards."""

    name: str
    settings: Settings
    drop: Any = None
    files: Path = field(init=False)

    def __post_init__(self) -> None:
        self.files = self.settings.var_path / "files"

    def run(self, *args: str) -> str:
        from click.testing import CliRunner

        from core.cli import main

        previous = get_settings()
        override_settings(self.settings)
        try:
            result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        finally:
            override_settings(previous)
        assert result.exit_code == 0, f"{self.name}: quanyu {' '.join(args)}\n{result.output}"
        return result.output

    def owner_engine(self) -> Any:
        from core.db.engine import create_engine

        return create_engine(self.settings.owner_database_url)


@pytest.fixture(params=backends())
def installations(request: pytest.FixtureRequest, test_settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """Two empty installations of one backend kind, sharing the master secret and nothing else."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    made: list[Installation] = []

    def make(name: str) -> Installation:
        var = tmp_path / name
        urls: dict[str, str] = {}
        drop = None
        if request.param == "postgresql":
            admin_url = os.environ.get("QUANYU_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
            try:
                prepared = asyncio.run(_prepare_postgresql(admin_url))
            except ConnectionError as exc:
                if _in_ci():
                    pytest.fail(f"{exc} (CI=true: the PostgreSQL half of the suite must run)")
                pytest.skip(str(exc))
            urls = {
                "database_url": prepared.app_url,
                "database_system_url": prepared.system_url,
                "database_owner_url": prepared.owner_url,
            }
            drop = prepared.cleanup
        settings = msgspec.structs.replace(
            test_settings, var_dir=str(var), secret_key=secret, redis_url="", storage_url="", **urls
        )
        made.append(Installation(name, settings, drop))
        return made[-1]

    try:
        yield make
    finally:
        for installation in made:
            for step in installation.drop or []:
                asyncio.run(step())


async def _add_attachments(installation: Installation, tenant_id: uuid.UUID) -> None:
    """The demo makes no files: attach a picture (stored with its thumbnail) and a PDF to a record."""
    from PIL import Image

    from core.attachments.models import Attachment
    from core.attachments.service import _blob_for, owner_keys, owner_of
    from core.db.session import Database

    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(picture, format="PNG")
    files = [("活动照片.png", picture.getvalue(), "image/png"), ("会议纪要.pdf", _pdf(), "application/pdf")]
    previous = get_settings()
    override_settings(installation.settings)
    database = Database(
        installation.settings.app_database_url, installation.settings.system_database_url, pool_size=2
    )
    try:
        async with database.transaction(tenant_id) as session:
            for owner in map(owner_of, owner_keys()):
                record = (await session.scalars(select(owner.model).limit(1))).first()
                if record is not None:
                    break
            assert record is not None, "the demo made records that take files"
            for name, data, content_type in files:
                blob = await _blob_for(session, tenant_id, data, content_type)
                session.add(
                    Attachment(
                        blob_id=blob.id,
                        owner_type=owner.key,
                        owner_id=record.id,
                        org_node_id=getattr(record, getattr(owner.model, "__scope_node__", "org_node_id")),
                        name=name,
                        content_type=content_type,
                        size=len(data),
                    )
                )
    finally:
        await database.dispose()
        override_settings(previous)


def _pdf() -> bytes:
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + secrets.token_bytes(2048) + b"\n%%EOF\n"


async def _district_rows(installation: Installation, tenant_id: uuid.UUID) -> dict[str, dict[Any, Any]]:
    """Every row the district owns in every tenant table, as stored, by primary key."""
    from core.tenancy.archive import TRANSIENT_TABLES, archived_tables

    tables = archived_tables()
    engine = installation.owner_engine()
    found: dict[str, dict[Any, Any]] = {}
    try:
        async with engine.connect() as conn:
            on_disk = await conn.run_sync(
                lambda c: {
                    name
                    for name in inspect(c).get_table_names()
                    if "tenant_id" in {column["name"] for column in inspect(c).get_columns(name)}
                }
            )
            # A table with a tenant id that no model declares would never travel: none may exist.
            assert on_disk == {t.name for t in tables} | TRANSIENT_TABLES
            from core.tenancy.models import Tenant

            tenant = Tenant.__table__
            for table, owned in [(tenant, tenant.c.id), *((t, t.c.tenant_id) for t in tables)]:
                # Untyped columns: the values as the database stores them (SQLite's text of a timestamp
                # or a JSON document, not what the model would make of it), so no conversion hides a change.
                stored = [column(c.name) for c in table.c]
                result = await conn.execute(select(*stored).select_from(table).where(owned == tenant_id))
                key = [c.name for c in table.primary_key.columns]
                found[table.name] = {tuple(row[k] for k in key): dict(row) for row in result.mappings()}
    finally:
        await engine.dispose()
    return found


def _without_own_audit(rows: dict[str, dict[Any, Any]], *actions: str) -> dict[str, dict[Any, Any]]:
    """The rows without the audit records the round trip's own commands wrote (``actions``, one each),
    and without the audit chain's head, which moved on with them."""
    audit = rows["audit_record"]
    own = sorted(row["action"] for row in audit.values() if row["action"] in OWN_AUDIT)
    assert own == sorted(actions), "each command records itself once"
    kept = {name: table for name, table in rows.items() if name != "audit_chain_head"}
    return {**kept, "audit_record": {pk: r for pk, r in audit.items() if r["action"] not in OWN_AUDIT}}


def _stored_files(installation: Installation, tenant_id: uuid.UUID) -> dict[str, bytes]:
    folder = installation.files / str(tenant_id)
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _archive_members(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        members = {name: archive.read(name) for name in archive.namelist() if name != "manifest.json"}
    return manifest, members


def test_the_whole_runzhou_district_round_trips_exactly(installations: Any, tmp_path: Path) -> None:
    source, target = installations("source"), installations("target")
    first_archive, second_archive = tmp_path / "runzhou-1.zip", tmp_path / "runzhou-2.zip"

    source.run("db", "upgrade")
    source.run("demo", "ensure", "--definition", str(DEFINITION))
    tenant_id = uuid.UUID(json.loads(source.run("tenant", "show", "runzhou", "--json"))["id"])
    asyncio.run(_add_attachments(source, tenant_id))
    source.run("tenant", "export", "runzhou", str(first_archive))

    target.run("db", "upgrade")
    target.run("tenant", "import", str(first_archive))
    assert "runzhou: ok" in target.run("audit", "verify", "--tenant", "runzhou"), "the chain came along"
    target.run("tenant", "export", "runzhou", str(second_archive))

    before = _without_own_audit(asyncio.run(_district_rows(source, tenant_id)), "tenant.export")
    after = _without_own_audit(
        asyncio.run(_district_rows(target, tenant_id)), "tenant.import", "tenant.export"
    )
    assert len(before["person"]) == 12000 and len(before["attachment_blob"]) == 2
    from core.plugins.host import plugin_migration_locations

    for location in plugin_migration_locations():
        if not location.path.is_relative_to(DEFINITION.parent.parent / "plugins"):
            continue  # the suite's fixture plugins make no demo data
        assert any(before.get(name) for name in location.tables or ()), f"the demo filled {location.name}"
    for name in sorted(before):
        assert before[name].keys() == after[name].keys(), f"{name}: other rows after the round trip"
        changed = [pk for pk, row in before[name].items() if after[name][pk] != row]
        if changed:
            row, other = before[name][changed[0]], after[name][changed[0]]
            columns = {c: (row[c], other[c]) for c in row if row[c] != other[c]}
            pytest.fail(f"{name}: {len(changed)} rows changed, e.g. {changed[0]}: {columns}")

    stored = _stored_files(source, tenant_id)
    assert len(stored) == 3, "two files and the picture's thumbnail"
    assert _stored_files(target, tenant_id) == stored

    first_manifest, first_members = _archive_members(first_archive)
    second_manifest, second_members = _archive_members(second_archive)
    assert first_members.keys() == second_members.keys()
    for name in sorted(first_members):
        if name in ("tables/audit_record.jsonl", "tables/audit_chain_head.jsonl"):
            continue
        assert first_members[name] == second_members[name], f"{name} differs between the two archives"
    imported_audit = [
        line
        for line in second_members["tables/audit_record.jsonl"].splitlines()
        if json.loads(line)["action"] != "tenant.import"
    ]
    assert imported_audit == first_members["tables/audit_record.jsonl"].splitlines()
    for manifest in (first_manifest, second_manifest):
        manifest.pop("created_at")
        manifest["tables"].pop("audit_record")
        manifest["tables"].pop("audit_chain_head")
    assert first_manifest == second_manifest


async def test_an_export_reads_the_district_as_it_was_when_the_export_began(
    admin, database, tmp_path, monkeypatch
):
    """A file stored while the tables are being read is in neither the tables nor the files of the archive."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite: every transaction begins IMMEDIATE, so a writer waits for the export to end")
    from core.attachments.service import _blob_for
    from core.tenancy import archive

    read_files = archive._write_files

    async def store_a_file_meanwhile(session: Any, tenant_id: uuid.UUID, zipped: Any) -> Any:
        async with database.transaction(tenant_id) as writer:
            await _blob_for(writer, tenant_id, _pdf(), "application/pdf")
        return await read_files(session, tenant_id, zipped)

    monkeypatch.setattr(archive, "_write_files", store_a_file_meanwhile)
    path = tmp_path / "during.zip"
    async with database.system_transaction() as session:
        manifest = await archive.export_tenant(session, admin.tenant.id, path)
    _manifest, tables = archive.read_archive(path)
    assert manifest["files"] == {}, "the file stored after the export began is not in it"
    assert tables["attachment_blob"] == []
