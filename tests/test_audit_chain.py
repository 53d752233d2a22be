"""The audit log as a keyed hash chain per district: tampering found by `quanyu audit verify`, purges beyond the
retention leave a checkpoint verification continues from, imports keep the chain verifiable."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import secrets
import uuid
import zipfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import Uuid, bindparam, func, select, text

from core.audit import chain
from core.audit.models import AuditCheckpoint, AuditRecord
from core.audit.service import record
from core.settings import get_settings, override_settings


async def run_cli(cli: Any, *args: str) -> Any:
    # Each command runs its own event loop; a thread keeps it off the test's.
    return await asyncio.to_thread(cli, *args)


async def audit_some(
    database: Any, tenant_id: uuid.UUID, count: int, *, at: dt.datetime | None = None
) -> None:
    for n in range(count):
        async with database.transaction(tenant_id) as session:
            if at is None:
                await record(
                    session, "test.write", object_type="note", object_id=n, changes={"n": [n, n + 1]}
                )
            else:
                chain.queue(session, AuditRecord(tenant_id=tenant_id, action="test.old", at=at, changes={}))


async def seqs(database: Any, tenant_id: uuid.UUID) -> list[int]:
    async with database.system_transaction() as session:
        return list(
            await session.scalars(
                select(AuditRecord.seq).where(AuditRecord.tenant_id == tenant_id).order_by(AuditRecord.seq)
            )
        )


async def raw(database: Any, sql: str, **params: Any) -> None:
    """SQL as the system role (on PostgreSQL it may change audit records; the app role may not)."""
    statement = text(sql).bindparams(
        *(bindparam(name, type_=Uuid()) for name, value in params.items() if isinstance(value, uuid.UUID))
    )
    async with database.system_engine.begin() as conn:
        await conn.execute(statement, params)


async def verify(database: Any, tenant_id: uuid.UUID) -> chain.ChainReport:
    async with database.system_transaction() as session:
        return await chain.verify_chain(session, tenant_id)


def test_every_column_but_the_hash_is_hashed() -> None:
    columns = {c.name for c in AuditRecord.__table__.c} - {"hash"}
    assert set(chain.HASHED_FIELDS) == columns


# --- writing and verifying -------------------------------------------------------------------------


async def test_a_clean_chain_verifies_and_records_are_numbered_without_gaps(database, admin, cli) -> None:
    await audit_some(database, admin.tenant.id, 3)
    numbers = await seqs(database, admin.tenant.id)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 3
    result = await run_cli(cli, "audit", "verify", "--tenant", admin.tenant.slug)
    assert result.exit_code == 0, result.output
    assert f"{admin.tenant.slug}: ok, {len(numbers)} records from the start" in result.output


async def test_a_changed_field_is_found_and_named_by_its_seq(database, admin, make_tenant, cli) -> None:
    other = await make_tenant()
    await audit_some(database, admin.tenant.id, 4)
    await audit_some(database, other.id, 2)
    numbers = await seqs(database, admin.tenant.id)
    target = numbers[-2]
    await raw(
        database,
        "UPDATE audit_record SET success = NOT success WHERE tenant_id = :t AND seq = :s",
        t=admin.tenant.id,
        s=target,
    )
    result = await run_cli(cli, "audit", "verify", "--tenant", admin.tenant.slug)
    assert result.exit_code == 1
    assert f"BROKEN at record {target} (hash)" in result.output
    assert (await verify(database, other.id)).ok, "another district's chain is its own"
    clean = await run_cli(cli, "audit", "verify", "--tenant", other.slug)
    assert clean.exit_code == 0, clean.output


async def test_a_deleted_record_leaves_a_gap(database, admin) -> None:
    await audit_some(database, admin.tenant.id, 4)
    middle = (await seqs(database, admin.tenant.id))[-3]
    await raw(
        database, "DELETE FROM audit_record WHERE tenant_id = :t AND seq = :s", t=admin.tenant.id, s=middle
    )
    report = await verify(database, admin.tenant.id)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (middle, "gap")


async def test_a_relinked_or_cut_chain_is_found(database, admin) -> None:
    await audit_some(database, admin.tenant.id, 3)
    last = (await seqs(database, admin.tenant.id))[-1]
    await raw(
        database,
        "UPDATE audit_record SET prev_hash = :h WHERE tenant_id = :t AND seq = :s",
        h="f" * 64,
        t=admin.tenant.id,
        s=last,
    )
    report = await verify(database, admin.tenant.id)
    assert report.problem is not None and (report.problem.seq, report.problem.kind) == (last, "prev_hash")
    await raw(
        database, "DELETE FROM audit_record WHERE tenant_id = :t AND seq = :s", t=admin.tenant.id, s=last
    )
    report = await verify(database, admin.tenant.id)
    assert report.problem is not None and report.problem.kind == "head", "the head still says where it ended"


async def test_concurrent_audited_writes_make_one_gapless_chain(database, client, admin) -> None:
    before = len(await seqs(database, admin.tenant.id))

    async def create(n: int) -> int:
        response = await client.post(
            "/api/v1/org/nodes",
            headers=admin.headers,
            json={"parent_id": str(admin.tenant.root_id), "kind": "street", "name": f"街道{n}"},
        )
        return response.status_code

    statuses = await asyncio.gather(*(create(n) for n in range(20)))
    assert statuses == [201] * 20
    numbers = await seqs(database, admin.tenant.id)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= before + 20
    assert (await verify(database, admin.tenant.id)).ok


async def test_records_of_a_rolled_back_savepoint_are_not_written(database, admin) -> None:
    async with database.transaction(admin.tenant.id) as session:
        await record(session, "test.kept", object_id="outer")
        with pytest.raises(RuntimeError):
            async with session.begin_nested():
                await record(session, "test.dropped", object_id="inner")
                raise RuntimeError("refused")
        async with session.begin_nested():
            await record(session, "test.kept", object_id="released")
    async with database.system_transaction() as session:
        actions = list(
            await session.scalars(
                select(AuditRecord.object_id).where(
                    AuditRecord.tenant_id == admin.tenant.id, AuditRecord.action.startswith("test.")
                )
            )
        )
    assert sorted(actions) == ["outer", "released"]
    assert (await verify(database, admin.tenant.id)).ok


async def test_an_audit_record_added_directly_is_refused(database, admin) -> None:
    with pytest.raises(RuntimeError, match=r"core\.audit\.service\.record"):
        async with database.transaction(admin.tenant.id) as session:
            session.add(AuditRecord(tenant_id=admin.tenant.id, action="test.direct"))
            await session.flush()


async def test_the_chain_head_is_locked_at_commit_not_when_recording(database, admin, make_node) -> None:
    """Naively locking the head in ``record`` deadlocks: A records and then waits for a row B holds,
    while B, holding that row, records and waits for the head. Locked last, at commit, nothing waits in a cycle."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: no row locks to cross")
    from core.orgs.models import OrgNode

    node = await make_node(admin.tenant, admin.tenant.root_id, "street", "锁街道")
    lock_node = select(OrgNode).where(OrgNode.id == node.id).with_for_update()
    async with database.transaction(admin.tenant.id) as a, database.transaction(admin.tenant.id) as b:
        await record(a, "test.a")
        await b.execute(lock_node)
        await record(b, "test.b")
        a_waits = asyncio.create_task(a.execute(lock_node))
        await b.commit()  # with the head locked by A's record() this would wait for A forever
        await asyncio.wait_for(a_waits, timeout=60)  # a guard against a hang, not a timing assertion
    assert (await verify(database, admin.tenant.id)).ok


async def test_the_app_role_cannot_change_audit_records_or_checkpoints(database, admin) -> None:
    if database.dialect != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    from sqlalchemy.exc import DBAPIError

    from core.db.session import SET_TENANT_SQL

    for sql in (
        "UPDATE audit_record SET hash = ''",
        "DELETE FROM audit_record",
        "DELETE FROM audit_checkpoint",
    ):
        async with database.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="permission denied"):
                async with conn.begin():
                    await conn.execute(SET_TENANT_SQL, {"tenant_id": str(admin.tenant.id)})
                    await conn.execute(text(sql))


# --- retention and purge ---------------------------------------------------------------------------


def test_retention_below_185_days_is_refused() -> None:
    from core.tenancy.settings import SecurityPolicy, parse_tenant_settings

    assert SecurityPolicy().audit_retention_days >= 185
    with pytest.raises(msgspec.ValidationError, match="audit_retention_days"):
        parse_tenant_settings({"security": {"audit_retention_days": 184}})


async def test_purge_deletes_only_records_beyond_the_retention_and_verification_continues(
    database, make_tenant, cli
) -> None:
    tenant = await make_tenant(security={"audit_retention_days": 185})
    now = dt.datetime.now(dt.UTC)
    await audit_some(database, tenant.id, 2, at=now - dt.timedelta(days=186))
    await audit_some(database, tenant.id, 1, at=now - dt.timedelta(days=184))
    # Older than the retention but written after a younger record: deleting it would leave a hole.
    await audit_some(database, tenant.id, 1, at=now - dt.timedelta(days=190))
    async with database.system_transaction() as session:
        young = await session.scalar(
            select(func.min(AuditRecord.seq)).where(
                AuditRecord.tenant_id == tenant.id, AuditRecord.at >= now - dt.timedelta(days=185)
            )
        )
    result = await chain.purge(database, tenant.id, now=now)
    assert result.checkpoint_seq == young - 1 and result.deleted == young - 1
    async with database.system_transaction() as session:
        left = (
            await session.execute(
                select(AuditRecord.seq, AuditRecord.at, AuditRecord.action)
                .where(AuditRecord.tenant_id == tenant.id)
                .order_by(AuditRecord.seq)
            )
        ).all()
    assert left[0].seq == young
    old_ones = [r for r in left if r.action == "test.old"]
    assert [r.at < now - dt.timedelta(days=185) for r in old_ones] == [False, True], (
        "the 184-day record is kept, and so is the 190-day one written after it"
    )
    assert left[-1].action == "audit.purge", "the purge is audited in the chain"
    report = await verify(database, tenant.id)
    assert report.ok and report.checkpoint_seq == young - 1, report.problem
    assert (await chain.purge(database, tenant.id, now=now)).deleted == 0, "a second run finds nothing due"

    await raw(database, "UPDATE audit_checkpoint SET hash = :h WHERE tenant_id = :t", h="e" * 64, t=tenant.id)
    verified = await run_cli(cli, "audit", "verify", "--tenant", tenant.slug)
    assert verified.exit_code == 1 and "(checkpoint)" in verified.output, verified.output


async def test_purge_never_deletes_a_younger_record(database, make_tenant) -> None:
    tenant = await make_tenant(security={"audit_retention_days": 185})
    now = dt.datetime.now(dt.UTC)
    await audit_some(database, tenant.id, 1, at=now - dt.timedelta(days=184))
    await audit_some(database, tenant.id, 1, at=now - dt.timedelta(days=186))
    before = await seqs(database, tenant.id)
    first_young = min(before)  # provisioning's records and the 184-day one come first
    result = await chain.purge(database, tenant.id, now=now)
    assert result.deleted == 0 and first_young == 1
    assert await seqs(database, tenant.id) == before


async def test_purge_refuses_when_a_record_due_was_changed(database, make_tenant) -> None:
    tenant = await make_tenant()
    now = dt.datetime.now(dt.UTC)
    await audit_some(database, tenant.id, 2, at=now - dt.timedelta(days=400))
    await raw(
        database, "UPDATE audit_record SET action = 'forged' WHERE tenant_id = :t AND seq = 1", t=tenant.id
    )
    before = await seqs(database, tenant.id)
    with pytest.raises(chain.PurgeRefused, match="record 1 was changed"):
        await chain.purge(database, tenant.id, now=now + dt.timedelta(days=1))
    assert await seqs(database, tenant.id) == before, "nothing deleted"


async def test_the_daily_purge_job_runs_for_each_district(
    database, make_tenant, run_jobs, plugin_host
) -> None:
    from core.jobs.scheduler import schedules
    from core.jobs.service import enqueue

    assert "audit.purge" in {s.job_name for s in schedules(plugin_host)}
    tenant = await make_tenant()
    await audit_some(database, tenant.id, 2, at=dt.datetime.now(dt.UTC) - dt.timedelta(days=366))
    async with database.transaction(tenant.id) as session:
        await enqueue(session, "audit.purge", {})
    await run_jobs()
    async with database.system_transaction() as session:
        checkpoint = (
            await session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.tenant_id == tenant.id))
        ).one()
    assert checkpoint.seq == 2
    assert (await verify(database, tenant.id)).ok


# --- import ----------------------------------------------------------------------------------------


async def test_an_imported_district_and_an_imported_copy_keep_verifiable_chains(
    database, make_tenant, tmp_path: Path, cli
) -> None:
    district = await make_tenant()
    now = dt.datetime.now(dt.UTC)
    await audit_some(database, district.id, 2, at=now - dt.timedelta(days=400))
    await audit_some(database, district.id, 2)
    await chain.purge(database, district.id, now=now)
    archive = tmp_path / "district.zip"
    exported = await run_cli(cli, "tenant", "export", district.slug, str(archive))
    assert exported.exit_code == 0, exported.output

    copy_slug = f"c{secrets.token_hex(4)}"
    copied = await run_cli(cli, "tenant", "import", str(archive), "--slug", copy_slug, "--code", "999901")
    assert copied.exit_code == 0, copied.output
    verified = await run_cli(cli, "audit", "verify", "--tenant", copy_slug)
    assert verified.exit_code == 0 and "from the checkpoint at record" in verified.output, verified.output
    async with database.system_transaction() as session:
        copy_id = await session.scalar(text("SELECT id FROM tenant WHERE slug = :s"), {"s": copy_slug})
        copy_id = uuid.UUID(str(copy_id))
        hashes = dict(
            (
                await session.execute(
                    select(AuditRecord.id, AuditRecord.hash).where(AuditRecord.tenant_id == copy_id)
                )
            ).all()
        )
        originals = dict(
            (
                await session.execute(
                    select(AuditRecord.id, AuditRecord.hash).where(AuditRecord.tenant_id == district.id)
                )
            ).all()
        )
        last = (
            await session.scalars(
                select(AuditRecord)
                .where(AuditRecord.tenant_id == copy_id)
                .order_by(AuditRecord.seq.desc())
                .limit(1)
            )
        ).one()
    assert last.action == "tenant.import", "the import is audited on top of the imported chain"
    shared = set(hashes) & set(originals)
    assert shared and all(hashes[i] != originals[i] for i in shared), "the copy is signed under its own key"

    deleted = await run_cli(cli, "tenant", "delete", district.slug, "--confirm", district.slug)
    assert deleted.exit_code == 0, deleted.output
    restored = await run_cli(cli, "tenant", "import", str(archive))
    assert restored.exit_code == 0, restored.output
    verified = await run_cli(cli, "audit", "verify", "--tenant", district.slug)
    assert verified.exit_code == 0, verified.output


def tampered_copy(archive: Path, target: Path) -> None:
    """The archive with one audit record's detail changed and its checksums made to match again."""
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    lines = members["tables/audit_record.jsonl"].decode().splitlines()
    row = json.loads(lines[0])
    row["detail"] = "nothing happened here"
    lines[0] = json.dumps(row, ensure_ascii=False)
    data = ("\n".join(lines) + "\n").encode()
    members["tables/audit_record.jsonl"] = data
    manifest = json.loads(members["manifest.json"])
    manifest["tables"]["audit_record"]["sha256"] = hashlib.sha256(data).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)


async def test_an_archive_with_a_changed_audit_record_is_refused(
    database, admin, tmp_path: Path, cli
) -> None:
    await audit_some(database, admin.tenant.id, 2)
    archive, forged = tmp_path / "district.zip", tmp_path / "forged.zip"
    exported = await run_cli(cli, "tenant", "export", admin.tenant.slug, str(archive))
    assert exported.exit_code == 0, exported.output
    tampered_copy(archive, forged)
    refused = await run_cli(
        cli, "tenant", "import", str(forged), "--slug", f"c{secrets.token_hex(4)}", "--code", "999902"
    )
    assert refused.exit_code == 1 and "audit chain is broken at record 1" in refused.output, refused.output
    async with database.system_transaction() as session:
        assert await session.scalar(text("SELECT count(*) FROM tenant WHERE code = '999902'")) == 0
    # The negative control: the untouched archive imports.
    accepted = await run_cli(
        cli, "tenant", "import", str(archive), "--slug", f"c{secrets.token_hex(4)}", "--code", "999902"
    )
    assert accepted.exit_code == 0, accepted.output


# --- key rotation ----------------------------------------------------------------------------------


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


async def test_after_a_key_rotation_the_chain_verifies_with_the_old_secret_and_reseal_drops_the_need(
    database, make_tenant, cli, test_settings
) -> None:
    tenant = await make_tenant()
    old, new = test_settings.secret_key, new_secret()
    await audit_some(database, tenant.id, 2)
    rotated = msgspec.structs.replace(test_settings, secret_key=new, old_secret_keys=old)
    only_new = msgspec.structs.replace(test_settings, secret_key=new, old_secret_keys="")
    try:
        override_settings(rotated)
        await audit_some(database, tenant.id, 1)  # signed under the new secret
        report = await verify(database, tenant.id)
        assert report.ok and report.retired_key >= 2, report
        override_settings(only_new)
        assert not (await verify(database, tenant.id)).ok, "without the old secret its records do not verify"
        override_settings(rotated)
        resealed = await chain.reseal(database, tenant.id)
        assert resealed.ok
        override_settings(only_new)
        report = await verify(database, tenant.id)
        assert report.ok and report.retired_key == 0, report
    finally:
        override_settings(test_settings)
    assert get_settings().secret_key == old


# --- the upgrade chains what is there ----------------------------------------------------------------


async def test_the_upgrade_chains_the_records_written_before_it(tmp_path: Path, test_settings) -> None:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.db.engine import create_engine
    from core.db.migrate import _upgrade_sync, core_location
    from core.db.session import TenantSession
    from core.db.types import DateTimeUTC, JSONDocument

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    tenant_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    tenant = sa.table(
        "tenant",
        *(sa.column(n) for n in ("code", "slug", "name_zh", "name_en", "status")),
        sa.column("id", sa.Uuid()),
        sa.column("settings", JSONDocument()),
        *(sa.column(n, DateTimeUTC()) for n in ("created_at", "updated_at")),
    )
    old_record = sa.table(
        "audit_record",
        sa.column("tenant_id", sa.Uuid()),
        sa.column("id", sa.Uuid()),
        sa.column("at", DateTimeUTC()),
        sa.column("action"),
        sa.column("changes", JSONDocument()),
        sa.column("success", sa.Boolean()),
    )
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_sync, [core_location()], "core_0007")
            await conn.execute(
                sa.insert(tenant).values(
                    id=tenant_id,
                    code="999903",
                    slug="old",
                    name_zh="旧区",
                    name_en="Old",
                    status="active",
                    settings={},
                    created_at=now,
                    updated_at=now,
                )
            )
            # Written out of id order: the upgrade numbers them by time.
            for minutes, action in ((3, "third"), (1, "first"), (2, "second")):
                await conn.execute(
                    sa.insert(old_record).values(
                        tenant_id=tenant_id,
                        id=uuid.uuid4(),
                        at=now + dt.timedelta(minutes=minutes),
                        action=action,
                        changes={"n": minutes},
                        success=True,
                    )
                )
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_sync, [core_location()], "heads")
        async with AsyncSession(engine, sync_session_class=TenantSession) as session:
            session.info["system"] = True
            report = await chain.verify_chain(session, tenant_id)
            order = list(await session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))
        assert report.ok and report.checked == 3, report
        assert order == ["first", "second", "third"]
    finally:
        await engine.dispose()
