"""One district in one file: a versioned, checksummed archive of every row it owns, and back.

The archive is a zip holding ``manifest.json`` (format version, the tenant,
installed plugins, and per table its row count and SHA-256) and one
``tables/<name>.jsonl`` per table. Every table of the metadata whose rows
carry the tenant's id is included (the core's and every installed plugin's,
found through their models), except sessions and the outbox, which are
transient. Ids and relations are kept; encrypted fields stay encrypted.

Importing under a new slug and code makes a copy with a new tenant id: its
encrypted fields are re-keyed (decrypted with the old district's key and
encrypted with the new one, blind indexes recomputed), which needs the same
master secret as the platform that exported it.

The audit chain is verified with the exported district's key before anything
is written (a broken chain refuses the import); a copy's records are then
signed again under the new district's key, keeping their order and numbers
(``core.audit.chain``). Records from an archive written before the chain
existed are chained on import, in the order they were written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import secrets
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core import crypto
from core.crypto import ENCRYPTED_COLUMNS as ENCRYPTED_COLUMNS  # core.testing imports it from here
from core.db.base import Base
from core.db.ids import new_id as make_id
from core.db.migrate import head_revisions
from core.db.session import TenantSession
from core.people.validation import mask_id_card, mask_phone
from core.tenancy.models import Tenant

FORMAT = "quanyu-tenant-archive"
FORMAT_VERSION = 1
TRANSIENT_TABLES = frozenset({"auth_session", "outbox"})
# Columns derived from a ciphertext at write time (absent from archives written before they existed):
# filled on import from the decrypted value when the archive does not carry them.
DERIVED_COLUMNS: dict[str, dict[str, tuple[str, Callable[[str], str]]]] = {
    "person": {
        "id_card_masked": ("id_card_encrypted", mask_id_card),
        "phone_masked": ("phone_encrypted", mask_phone),
    },
}


# Columns a copy signs again under its own key, so they differ from the original's (core.testing's
# round trip compares every other column).
RESIGNED_COLUMNS: dict[str, frozenset[str]] = {
    "audit_record": frozenset({"prev_hash", "hash"}),
    "audit_chain_head": frozenset({"hash"}),
    "audit_checkpoint": frozenset({"mac"}),
}


class ArchiveError(ValueError):
    """An archive that cannot be read or imported; the message says why."""


def archived_tables() -> list[Table]:
    """Tables holding a district's rows, parents before children."""
    import core.models  # noqa: F401
    from core.plugins.host import import_plugin_models

    import_plugin_models()
    return [
        t
        for t in Base.metadata.sorted_tables
        if "tenant_id" in t.c and t.name not in TRANSIENT_TABLES and t.name != "tenant"
    ]


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row_order(table: Table) -> list[Any]:
    # A tree table refers to itself: parents (shallower) first so foreign keys hold while inserting.
    if "depth" in table.c:
        return [table.c.depth, *table.primary_key.columns]
    return list(table.primary_key.columns)


@asynccontextmanager
async def _snapshot(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A session that sees one state of the database for the whole export.

    At PostgreSQL's default isolation (read committed) each query sees what was
    committed before it started, so rows written while the tables are read one
    by one would leave the archive with a child but not its parent. A read-only
    repeatable-read transaction of its own reads every table as of its first
    query. SQLite needs nothing: every transaction begins IMMEDIATE, so writers
    wait until the export's transaction ends.
    """
    engine = session.bind
    if session.get_bind().dialect.name != "postgresql" or not isinstance(engine, AsyncEngine):
        yield session
        return
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with AsyncSession(bind=connection, sync_session_class=TenantSession) as reading:
            reading.info.update(session.info)
            yield reading


async def export_tenant(session: AsyncSession, tenant_id: uuid.UUID, path: Path) -> dict[str, Any]:
    """Write the archive of ``tenant_id`` to ``path`` (system session); returns its manifest.

    The archive is written to a temporary file beside ``path`` and renamed only
    when complete: a failure (a full disk, a lost connection) leaves no file at
    ``path`` and no temporary one, and raises the error (an ``OSError`` for the disk).
    """
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        # Blocking writes, like the zip's own: exports run in an operator command's one-task loop.
        with open(partial, "xb") as handle:  # noqa: ASYNC230
            async with _snapshot(session) as reading:
                manifest = await _write_archive(reading, tenant_id, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


async def _write_archive(session: AsyncSession, tenant_id: uuid.UUID, target: BinaryIO) -> dict[str, Any]:
    from core.plugins.host import get_host

    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise ArchiveError(f"no district with id {tenant_id}")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "tenant": {c.name: _encode(getattr(tenant, c.key)) for c in Tenant.__table__.c},
        "plugins": {m.slug: m.version for m in get_host().manifests()},
        # The schema the rows were written under: an installation that does not know one of these
        # revisions is older than the archive and refuses it rather than guess at new columns.
        "schema": head_revisions(),
        "tables": {},
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in archived_tables():
            buffer = io.BytesIO()
            count = 0
            result = await session.execute(
                select(table).where(table.c.tenant_id == tenant_id).order_by(*_row_order(table))
            )
            for row in result.mappings():
                buffer.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode())
                buffer.write(b"\n")
                count += 1
            data = buffer.getvalue()
            archive.writestr(f"tables/{table.name}.jsonl", data)
            manifest["tables"][table.name] = {"rows": count, "sha256": hashlib.sha256(data).hexdigest()}
        manifest["files"] = await _write_files(session, tenant_id, archive)
        manifest["extras"] = {}
        for slug, extra in await _plugin_extras(session, tenant_id):
            for name, rows in sorted(dict(extra).items()):
                data = b"".join(
                    json.dumps({k: _encode(v) for k, v in dict(row).items()}, ensure_ascii=False).encode()
                    + b"\n"
                    for row in rows
                )
                archive.writestr(f"extras/{slug}/{name}.jsonl", data)
                manifest["extras"][f"{slug}/{name}"] = {
                    "rows": len(rows),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


async def _write_files(
    session: AsyncSession, tenant_id: uuid.UUID, archive: zipfile.ZipFile
) -> dict[str, Any]:
    """The bytes of every attachment blob (and thumbnail) of the district, as ``files/<sha256>[.thumb.jpg]``."""
    from core.attachments.models import AttachmentBlob
    from core.attachments.service import THUMBNAIL_VARIANT
    from core.attachments.storage import blob_key, get_storage

    storage = get_storage()
    files: dict[str, Any] = {}
    blobs = await session.scalars(
        select(AttachmentBlob).where(AttachmentBlob.tenant_id == tenant_id).order_by(AttachmentBlob.sha256)
    )
    for blob in blobs:
        variants = ["", THUMBNAIL_VARIANT] if blob.has_thumbnail else [""]
        for variant in variants:
            data = await storage.get(blob_key(tenant_id, blob.sha256, variant))
            archive.writestr(f"files/{blob.sha256}{variant}", data)
            files[f"{blob.sha256}{variant}"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files


async def _restore_files(tenant_id: uuid.UUID, path: Path, manifest: dict[str, Any]) -> None:
    """Put the archive's attachment bytes into this platform's storage under the (new) district."""
    from core.attachments.storage import blob_key, get_storage

    storage = get_storage()
    with zipfile.ZipFile(path) as archive:
        for name, info in sorted(manifest.get("files", {}).items()):
            data = archive.read(f"files/{name}")
            if hashlib.sha256(data).hexdigest() != info["sha256"]:
                raise ArchiveError(f"{path}: file {name} is damaged (checksum mismatch)")
            digest, _, variant = name.partition(".")
            await storage.put(
                blob_key(tenant_id, digest, f".{variant}" if variant else ""),
                data,
                "application/octet-stream",
            )


async def _plugin_extras(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[str, Any]]:
    """What the district's enabled plugins keep outside their tables (``quanyu_tenant_export``).

    A plugin's tables are archived with the core's, found through its models;
    this hook is for anything else it must carry (files, external state).
    """
    from core.plugins.host import get_host
    from core.plugins.models import TenantPlugin

    enabled = list(
        await session.scalars(
            select(TenantPlugin.slug).where(
                TenantPlugin.tenant_id == tenant_id, TenantPlugin.enabled.is_(True)
            )
        )
    )
    return await get_host().call(
        "quanyu_tenant_export", enabled=enabled, tenant_id=tenant_id, session=session
    )


def read_archive(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The manifest and the rows of every table (and of plugins' extras, keyed ``<slug>/<name>``),
    checksums of rows and files verified."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise ArchiveError(f"{path}: not a Quanyu district archive")
            if manifest.get("version") != FORMAT_VERSION:
                raise ArchiveError(f"{path}: archive format {manifest.get('version')} is not supported")
            tables: dict[str, list[dict[str, Any]]] = {}
            entries = [(name, f"tables/{name}.jsonl", info) for name, info in manifest["tables"].items()]
            # A plugin's extras are keyed "<slug>/<name>": a slash never occurs in a table's name.
            entries += [
                (key, f"extras/{key}.jsonl", info) for key, info in manifest.get("extras", {}).items()
            ]
            for name, member, info in entries:
                data = archive.read(member)
                if hashlib.sha256(data).hexdigest() != info["sha256"]:
                    raise ArchiveError(f"{path}: table {name} is damaged (checksum mismatch)")
                rows = [json.loads(line) for line in data.splitlines() if line.strip()]
                if len(rows) != info["rows"]:
                    raise ArchiveError(
                        f"{path}: table {name} has {len(rows)} rows, the manifest says {info['rows']}"
                    )
                tables[name] = rows
            # Every file is checked before anything is imported: a damaged one found while the bytes are
            # being stored would leave the files stored before it behind.
            for name, info in manifest.get("files", {}).items():
                if hashlib.sha256(archive.read(f"files/{name}")).hexdigest() != info["sha256"]:
                    raise ArchiveError(f"{path}: file {name} is damaged (checksum mismatch)")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, FileNotFoundError) as exc:
        raise ArchiveError(f"{path}: unreadable archive ({type(exc).__name__}: {exc})") from None
    return manifest, tables


def _check_schema(
    path: Path, manifest: dict[str, Any], tables: dict[str, list[dict[str, Any]]], known: dict[str, Table]
) -> None:
    """Refuse an archive written under a schema this installation does not have (a newer release)."""
    from core.db.migrate import known_revisions

    here = known_revisions()
    for location, heads in sorted(manifest.get("schema", {}).items()):
        if location not in here:
            continue  # a plugin not installed here: its tables, if any, are refused below
        newer = [head for head in heads if head not in here[location]]
        if newer:
            raise ArchiveError(
                f"{path}: written by a newer Quanyu ({location} schema {', '.join(newer)}, unknown here); "
                "upgrade this installation first"
            )
    for name, rows in tables.items():
        table = known.get(name)
        if table is None or not rows:
            continue
        unknown = sorted(set().union(*(row.keys() for row in rows)) - set(table.c.keys()))
        if unknown:
            raise ArchiveError(
                f"{path}: table {name} has columns this installation does not know ({', '.join(unknown)}); "
                "it was written by a newer Quanyu"
            )


def _decoder(table: Table) -> Callable[[dict[str, Any]], dict[str, Any]]:
    converters: dict[str, Callable[[Any], Any]] = {}
    for column in table.c:
        try:
            python_type = column.type.python_type
        except Exception:  # a type with no Python equivalent: its values pass through as JSON gave them
            continue
        if python_type is uuid.UUID:
            converters[column.name] = uuid.UUID
        elif python_type is dt.datetime:
            converters[column.name] = dt.datetime.fromisoformat
        elif python_type is dt.date:
            converters[column.name] = dt.date.fromisoformat

    def decode(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (converters[k](v) if v is not None and k in converters else v) for k, v in row.items()}

    return decode


async def import_tenant(
    session: AsyncSession, path: Path, *, slug: str | None = None, code: str | None = None
) -> Tenant:
    """Restore an archive (system session, one transaction). With ``slug``/``code``: a copy under a new id."""
    from sqlalchemy import or_

    manifest, tables = read_archive(path)
    known = {t.name: t for t in archived_tables()}
    _check_schema(path, manifest, tables, known)
    extras: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for key in [k for k in tables if "/" in k]:
        slug_of_extra, name = key.split("/", 1)
        extras.setdefault(slug_of_extra, {})[name] = tables.pop(key)
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise ArchiveError(f"{path}: tables from plugins not installed here: {', '.join(unknown)}")
    source = manifest["tenant"]
    old_id = uuid.UUID(source["id"])
    copy = slug is not None or code is not None
    new_id = make_id() if copy else old_id
    slug = slug or source["slug"]
    code = code or source["code"]
    clash = (
        await session.scalars(
            select(Tenant).where(or_(Tenant.id == new_id, Tenant.slug == slug, Tenant.code == code))
        )
    ).first()
    if clash is not None:
        raise ArchiveError(
            f"a district with this {'id' if clash.id == new_id else 'slug or code'} exists ({clash.slug}, "
            f"{clash.code}); import a copy with --slug and --code"
        )
    _audit_chain_for_import(path, tables, known, old_id, new_id)
    tenant_table = Base.metadata.tables["tenant"]
    tenant_row = _decoder(tenant_table)(dict(source))
    tenant_row.update(id=new_id, slug=slug, code=code)
    await session.execute(insert(tenant_table), [tenant_row])
    for table in archived_tables():
        rows = tables.get(table.name, [])
        if not rows:
            continue
        decode = _decoder(table)
        prepared = []
        for raw in rows:
            row = decode(raw)
            row["tenant_id"] = new_id
            for column, (source_column, derive) in DERIVED_COLUMNS.get(table.name, {}).items():
                if column not in row and row.get(source_column):
                    row[column] = derive(crypto.decrypt(old_id, row[source_column]))
            if copy:
                for column, (index_column, field) in ENCRYPTED_COLUMNS.get(table.name, {}).items():
                    if row.get(column):
                        plain = crypto.decrypt(old_id, row[column])
                        row[column] = crypto.encrypt(new_id, plain)
                        if index_column is not None:
                            row[index_column] = crypto.blind_index(new_id, field, plain)
            prepared.append(row)
        for start in range(0, len(prepared), 1000):
            await session.execute(insert(table), prepared[start : start + 1000])
    await _restore_extras(session, new_id, extras, path)
    await _restore_files(new_id, path, manifest)
    imported = await session.get_one(Tenant, new_id)
    return imported


def _audit_chain_for_import(
    path: Path,
    tables: dict[str, list[dict[str, Any]]],
    known: dict[str, Table],
    old_id: uuid.UUID,
    new_id: uuid.UUID,
) -> None:
    """Verify the archive's audit chain under the exported district's key (refused when broken) and, for a
    copy, sign it again under the new district's; ``tables`` is updated in place (archive form)."""
    from core.audit import chain

    decode = {
        name: _decoder(known[name]) for name in ("audit_record", "audit_chain_head", "audit_checkpoint")
    }
    records = [decode["audit_record"](row) for row in tables.get("audit_record", [])]
    heads = [decode["audit_chain_head"](row) for row in tables.get("audit_chain_head", [])]
    checkpoints = sorted(
        (decode["audit_checkpoint"](row) for row in tables.get("audit_checkpoint", [])),
        key=lambda r: r["seq"],
    )
    if any("hash" not in row for row in records):
        # Written before the chain existed: chain the records in the order they were written.
        for seq, row in enumerate(sorted(records, key=lambda r: (r["at"], r["id"])), start=1):
            row["seq"] = seq
        checkpoint = None
    else:
        checkpoint = checkpoints[-1] if checkpoints else None
        report = chain.verify_rows(old_id, records, checkpoint, heads[0] if heads else None)
        if report.problem is not None:
            raise ArchiveError(
                f"{path}: the audit chain is broken at record {report.problem.seq} ({report.problem.message}); "
                "an archive whose audit log was changed is not imported"
            )
        if new_id == old_id:
            return
    key = crypto.audit_keys(new_id)[0]
    signed, head = chain.rechain_rows(new_id, records, checkpoint, key)
    resigned_checkpoints = [
        {**row, "mac": chain.checkpoint_mac(key, new_id, row["seq"], row["hash"], row["at"])}
        for row in checkpoints
    ]
    head_id = heads[0]["id"] if heads else make_id()
    tables["audit_record"] = [_encode_row(row) for row in signed]
    tables["audit_checkpoint"] = [_encode_row(row) for row in resigned_checkpoints]
    tables["audit_chain_head"] = [
        _encode_row({"tenant_id": new_id, "id": head_id, "seq": head.seq, "hash": head.hash})
    ]


def _encode_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _encode(v) for k, v in row.items()}


async def _restore_extras(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    extras: dict[str, dict[str, list[dict[str, Any]]]],
    path: Path,
) -> None:
    from core.plugins.host import get_host

    host = get_host()
    for slug, tables in sorted(extras.items()):
        if host.manifest(slug) is None:
            raise ArchiveError(f"{path}: holds data of plugin {slug}, which is not installed here")
        try:
            await host.call_one(
                slug,
                "quanyu_tenant_import",
                raise_errors=True,
                tenant_id=tenant_id,
                session=session,
                tables=tables,
            )
        except ArchiveError:
            raise
        except Exception as exc:
            raise ArchiveError(f"{path}: plugin {slug} could not import its data ({exc})") from exc
