"""Changing the master secret: `quanyu keys rotate` re-encrypts every stored value and re-keys its blind index."""

from __future__ import annotations

import ast
import asyncio
import base64
import datetime as dt
import logging
import secrets
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import Column, MetaData, String, Table, Text, select

from core import crypto
from core.people.validation import make_id_card
from core.settings import get_settings, override_settings

ROOT = Path(__file__).resolve().parent.parent
# Modules that re-key every registered place generically (``row[column] = crypto.encrypt(...)``).
GENERIC_REKEYERS = {"core/tenancy/archive.py", "core/keys.py"}


def new_secret() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def id_card(sequence: int) -> str:
    return make_id_card("321111", dt.date(1975, 2, 3), sequence, "male")


# --- the registry is complete ------------------------------------------------------------------------


def unregistered_encrypted_columns(tables: Any) -> set[str]:
    """``table.column`` of every column named ``*_encrypted`` that ``crypto.ENCRYPTED_COLUMNS`` lacks."""
    return {
        f"{table.name}.{column.name}"
        for table in tables
        for column in table.columns
        if column.name.endswith("_encrypted")
        and column.name not in crypto.ENCRYPTED_COLUMNS.get(table.name, {})
    }


def all_tables() -> list[Table]:
    import core.models  # noqa: F401
    from core.db.base import Base
    from core.plugins.host import import_plugin_models

    import_plugin_models()
    return list(Base.metadata.tables.values())


def test_every_encrypted_column_of_core_and_plugins_is_registered():
    tables = all_tables()
    assert {"person", "app_user", "hello_note"} <= {t.name for t in tables}, "plugin tables are scanned too"
    assert unregistered_encrypted_columns(tables) == set()
    by_name = {t.name: t for t in tables}
    for table_name, columns in crypto.ENCRYPTED_COLUMNS.items():
        for column, (index_column, _field) in columns.items():
            assert column in by_name[table_name].c, f"{table_name}.{column} is registered but does not exist"
            assert index_column is None or index_column in by_name[table_name].c

    stray = Table("stray_note", MetaData(), Column("id", String), Column("secret_note_encrypted", Text))
    assert unregistered_encrypted_columns([stray]) == {"stray_note.secret_note_encrypted"}, "negative control"


def _encrypt_targets(source: str) -> list[str | None]:
    """Where each ``crypto.encrypt(...)``/``encrypt(...)`` result is stored: a column, keyword or dict key
    name, or None when the place is computed (``row[column] = ...``)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    targets: list[str | None] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        )
        if name != "encrypt" or (
            isinstance(func, ast.Attribute) and getattr(func.value, "id", "") != "crypto"
        ):
            continue
        child: ast.AST = node
        parent = parents[child]
        while isinstance(parent, ast.IfExp):
            child, parent = parent, parents[parent]
        target: str | None = None
        if isinstance(parent, ast.keyword):
            target = parent.arg
        elif isinstance(parent, ast.Dict):
            key = parent.keys[parent.values.index(child)]  # type: ignore[arg-type]
            target = key.value if isinstance(key, ast.Constant) else None
        elif isinstance(parent, ast.Assign):
            place = parent.targets[0]
            if isinstance(place, ast.Attribute):
                target = place.attr
            elif isinstance(place, ast.Subscript) and isinstance(place.slice, ast.Constant):
                target = place.slice.value
        targets.append(target)
    return targets


def test_every_call_to_encrypt_stores_into_a_registered_place():
    from core.auth.emails import TOKEN_EMAIL_JOB

    assert TOKEN_EMAIL_JOB in crypto.ENCRYPTED_JOB_PAYLOADS
    registered = {c for columns in crypto.ENCRYPTED_COLUMNS.values() for c in columns} | {
        key for keys in crypto.ENCRYPTED_JOB_PAYLOADS.values() for key in keys
    }
    seen = 0
    for path in sorted([*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative == "core/crypto.py" or "/migrations/" in relative:
            continue
        for target in _encrypt_targets(path.read_text(encoding="utf-8")):
            seen += 1
            if target is None:
                assert relative in GENERIC_REKEYERS, f"{relative}: encrypts into a place computed at run time"
            else:
                assert target in registered, (
                    f"{relative} stores ciphertext in {target!r}: add it to crypto.ENCRYPTED_COLUMNS "
                    "or ENCRYPTED_JOB_PAYLOADS, or `quanyu keys rotate` will not re-encrypt it"
                )
    assert seen >= 8, "the scan found the known call sites"
    assert _encrypt_targets("note.secret_note = crypto.encrypt(t, v) if v else None") == ["secret_note"]
    assert _encrypt_targets("row[c] = crypto.encrypt(t, v)") == [None]


# --- rotating ----------------------------------------------------------------------------------------


@pytest.fixture
def keyed_cli(backend, database, test_settings):
    """``await in_thread(keyed_cli, settings, "keys", "rotate", ...)``: a command run with these secrets on this backend."""
    from click.testing import CliRunner

    from core.cli import main

    runner = CliRunner()

    def invoke(settings: Any, *args: str) -> Any:
        command_settings = msgspec.structs.replace(
            settings,
            database_url=backend.app_url,
            database_system_url=backend.system_url,
            database_owner_url=backend.owner_url,
            redis_url=backend.redis_url or "",
        )
        previous = get_settings()
        override_settings(command_settings)
        try:
            return runner.invoke(main, list(args), catch_exceptions=False)
        finally:
            override_settings(previous)

    yield invoke
    override_settings(test_settings)


async def in_thread(keyed_cli: Any, settings: Any, *args: str) -> Any:
    # Each command runs its own event loop; a thread keeps it off the test's.
    return await asyncio.to_thread(keyed_cli, settings, *args)


@pytest.fixture
def secrets_of(test_settings):
    def build(current: str, *old: str) -> Any:
        return msgspec.structs.replace(test_settings, secret_key=current, old_secret_keys=",".join(old))

    return build


@pytest.fixture
async def branch(admin, make_node):
    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    return await make_node(admin.tenant, street.id, "branch", "第一党支部")


async def register(client, admin, branch, sequence: int, phone: str) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/people",
        headers=admin.headers,
        json={"name": "王建国", "id_card": id_card(sequence), "phone": phone, "org_node_id": str(branch.id)},
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    body["uuid"] = uuid.UUID(body["id"])
    return body


async def find(client, admin, **query: str) -> list[str]:
    found = await client.get("/api/v1/people", headers=admin.headers, params=query)
    assert found.status_code == 200, found.text
    return [p["id"] for p in found.json()["items"]]


def counts(output: str, place: str) -> str:
    line = next(line for line in output.splitlines() if line.strip().startswith(place + " "))
    return " ".join(line.split()[1:])


def key_forms(*keys: str) -> list[str]:
    """A secret as configured, and its bytes in hex, either of which would be a leak."""
    forms = []
    for key in keys:
        forms += [key, base64.urlsafe_b64decode(key).hex()]
    return forms


async def test_rotation_re_encrypts_re_indexes_and_then_needs_only_the_new_secret(
    client, admin, branch, database, keyed_cli, secrets_of, caplog
):
    from core.audit.models import AuditRecord
    from core.auth.models import User
    from core.jobs.models import OutboxEntry
    from core.people.models import Person

    old, new = new_secret(), new_secret()
    override_settings(secrets_of(old))
    first = await register(client, admin, branch, 1, "13800001111")
    second = await register(client, admin, branch, 2, "13900002222")
    async with database.transaction(admin.tenant.id) as session:
        user = await session.get_one(User, (admin.tenant.id, admin.user.id))
        user.email_encrypted = crypto.encrypt(admin.tenant.id, "admin@example.cn")
        session.add(
            OutboxEntry(
                tenant_id=admin.tenant.id,
                name="auth.token_email",
                payload={"user_id": str(user.id), "token": crypto.encrypt(admin.tenant.id, "one-time-token")},
                status="done",
            )
        )
    shown_before = (await client.get(f"/api/v1/people/{first['id']}", headers=admin.headers)).json()

    override_settings(secrets_of(new, old))
    assert await find(client, admin, id_card=id_card(1)) == [], "old blind indexes miss under the new secret"
    slug = admin.tenant.slug
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement with its parameters
    caplog.clear()
    dry = await in_thread(keyed_cli, secrets_of(new, old), "keys", "rotate", "--tenant", slug, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert counts(dry.output, "person.id_card_encrypted") == "would re-encrypt 2, re-indexed 0, current 0"
    assert counts(dry.output, "person.phone_encrypted") == "would re-encrypt 2, re-indexed 0, current 0"
    assert counts(dry.output, "app_user.email_encrypted") == "would re-encrypt 1, re-indexed 0, current 0"
    assert counts(dry.output, "outbox.payload[auth.token_email].token").startswith("would re-encrypt 1,")
    async with database.system_transaction() as session:
        stored = (
            await session.execute(select(Person.id_card_encrypted).where(Person.id == first["uuid"]))
        ).scalar()
    assert crypto.decrypt_noting_key(admin.tenant.id, stored) == (id_card(1), False), (
        "a dry run writes nothing"
    )

    rotated = await in_thread(
        keyed_cli, secrets_of(new, old), "keys", "rotate", "--tenant", slug, "--batch-size", "1"
    )
    assert rotated.exit_code == 0, rotated.output
    assert counts(rotated.output, "person.id_card_encrypted") == "re-encrypted 2, re-indexed 0, current 0"
    assert "6 values changed" in rotated.output
    again = await in_thread(keyed_cli, secrets_of(new, old), "keys", "rotate", "--tenant", slug, "--dry-run")
    assert again.exit_code == 0 and "0 values would change" in again.output, again.output
    assert counts(again.output, "person.phone_encrypted") == "would re-encrypt 0, re-indexed 0, current 2"
    settings_shown = await in_thread(keyed_cli, secrets_of(new, old), "settings")
    cli_logs = caplog.text
    assert "UPDATE person SET" in cli_logs, "the log lines were captured"
    for form in key_forms(old, new):
        for text in (dry.output, rotated.output, again.output, settings_shown.output, cli_logs):
            assert form not in text
    assert "one-time-token" not in cli_logs and id_card(1) not in cli_logs

    override_settings(secrets_of(new))  # the old secret is gone
    assert await find(client, admin, id_card=id_card(1)) == [first["id"]]
    assert await find(client, admin, phone="139 0000 2222") == [second["id"]]
    shown_after = (await client.get(f"/api/v1/people/{first['id']}", headers=admin.headers)).json()
    assert {k: shown_after[k] for k in ("id_card_masked", "phone_masked")} == {
        k: shown_before[k] for k in ("id_card_masked", "phone_masked")
    }
    unmasked = await client.post(f"/api/v1/people/{second['id']}/unmask", headers=admin.headers)
    assert unmasked.json()["id_card"] == id_card(2) and unmasked.json()["phone"] == "13900002222"
    async with database.system_transaction() as session:
        email = (await session.execute(select(User.email_encrypted).where(User.id == admin.user.id))).scalar()
        outbox = (
            await session.scalars(
                select(OutboxEntry).where(
                    OutboxEntry.tenant_id == admin.tenant.id, OutboxEntry.name == "auth.token_email"
                )
            )
        ).one()
        records = list(
            await session.scalars(
                select(AuditRecord).where(
                    AuditRecord.tenant_id == admin.tenant.id, AuditRecord.action == "keys.rotate"
                )
            )
        )
    assert crypto.decrypt(admin.tenant.id, email) == "admin@example.cn"
    assert crypto.decrypt(admin.tenant.id, outbox.payload["token"]) == "one-time-token"
    assert len(records) == 1, "one record per district and run, none for dry runs"
    assert records[0].changes["person.id_card_encrypted"] == {"rotated": 2}
    assert "13800001111" not in str(records[0].changes) and old not in str(records[0].changes)

    refused = await in_thread(keyed_cli, secrets_of(new), "keys", "rotate", "--tenant", slug)
    assert refused.exit_code == 1 and "QUANYU_OLD_SECRET_KEYS is empty" in refused.output
    check = await in_thread(keyed_cli, secrets_of(new), "keys", "rotate", "--tenant", slug, "--dry-run")
    assert check.exit_code == 0 and "0 values would change" in check.output, "the check before dropping a key"


async def test_values_no_secret_decrypts_are_reported_and_left_alone(
    client, admin, branch, database, keyed_cli, secrets_of
):
    from core.people.models import Person

    old, new, lost = new_secret(), new_secret(), new_secret()
    override_settings(secrets_of(old))
    kept = await register(client, admin, branch, 3, "13800003333")
    orphan = await register(client, admin, branch, 4, "13800004444")
    override_settings(secrets_of(lost))
    unknown = crypto.encrypt(admin.tenant.id, "13700009999")
    async with database.transaction(admin.tenant.id) as session:
        person = await session.get_one(Person, (admin.tenant.id, orphan["uuid"]))
        person.phone_encrypted = unknown

    result = await in_thread(keyed_cli, secrets_of(new, old), "keys", "rotate", "--tenant", admin.tenant.slug)
    assert result.exit_code == 1, result.output
    assert counts(result.output, "person.phone_encrypted") == (
        "re-encrypted 1, re-indexed 0, current 0, UNDECRYPTABLE 1"
    )
    assert counts(result.output, "person.id_card_encrypted") == "re-encrypted 2, re-indexed 0, current 0"
    assert "1 values no configured secret decrypts were left as they are" in result.output
    assert "13700009999" not in result.output and "13800003333" not in result.output
    for form in key_forms(old, new, lost):
        assert form not in result.output
    async with database.system_transaction() as session:
        phones = dict(
            (
                await session.execute(
                    select(Person.id, Person.phone_encrypted).where(Person.tenant_id == admin.tenant.id)
                )
            )
            .tuples()
            .all()
        )
    assert phones[orphan["uuid"]] == unknown, "left exactly as it was"
    override_settings(secrets_of(new))
    assert crypto.decrypt(admin.tenant.id, phones[kept["uuid"]]) == "13800003333"
    assert await find(client, admin, id_card=id_card(4)) == [orphan["id"]], "its ID card was rotated still"


async def test_an_id_number_registered_twice_meanwhile_is_a_conflict_not_a_crash(
    client, admin, branch, database, keyed_cli, secrets_of
):
    old, new = new_secret(), new_secret()
    override_settings(secrets_of(old))
    first = await register(client, admin, branch, 5, "13800005555")
    override_settings(secrets_of(new, old))
    # Between the restart and the rotation, duplicate detection misses the old index.
    twin = await register(client, admin, branch, 5, "13800006666")

    result = await in_thread(keyed_cli, secrets_of(new, old), "keys", "rotate", "--tenant", admin.tenant.slug)
    assert result.exit_code == 1, result.output
    assert f"CONFLICTS 1 (rows {first['id']})" in result.output
    assert "resolve the duplicates" in result.output
    assert await find(client, admin, id_card=id_card(5)) == [twin["id"]]
    assert await find(client, admin, phone="13800005555") == [first["id"]], "its other values were rotated"


def test_refusals_and_generate(cli, keyed_cli, secrets_of):
    generated = cli("keys", "generate")
    assert generated.exit_code == 0
    assert len(base64.urlsafe_b64decode(generated.output.strip())) == 32
    assert cli("keys", "generate").output != generated.output

    refused = keyed_cli(secrets_of(new_secret()), "keys", "rotate")
    assert refused.exit_code == 1 and "QUANYU_OLD_SECRET_KEYS is empty" in refused.output
    garbled = keyed_cli(secrets_of(new_secret(), "not base64!"), "keys", "rotate")
    assert garbled.exit_code == 1 and "not URL-safe base64" in garbled.output
    assert "not base64!" not in garbled.output
    nowhere = keyed_cli(
        secrets_of(new_secret(), new_secret()), "keys", "rotate", "--tenant", "nosuchdistrict"
    )
    assert nowhere.exit_code == 1 and "no district" in nowhere.output
