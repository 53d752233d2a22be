"""Provision the demo district: tenant, generated tree and people, one account per built-in role.

Idempotent: a district that already exists is left alone. The accounts'
passwords are generated once and written to ``<var>/demo-logins.txt``
(mode 0600), which ``quanyu serve`` prints at start.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import insert

from core import crypto
from core.auth.service import create_user
from core.db.base import utcnow
from core.db.ids import new_id
from core.db.session import get_database
from core.demo.generator import DemoPlan, DemoSpec, generate
from core.orgs.models import OrgNode, segment
from core.people.models import MEMBER_STATUSES, Person, PersonRelation
from core.people.services import id_card_index, phone_index
from core.people.validation import mask_id_card, mask_phone
from core.settings import get_settings
from core.tenancy.service import TenantDefinition, find_tenant, load_definition, provision, root_node

# (username, display name, role, where: "root" or the key of a generated node)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "区委组织部管理员", "system_admin", "root"),
    ("security", "安全管理员", "security_admin", "root"),
    ("auditor", "审计管理员", "audit_admin", "root"),
    ("orgadmin", "组织管理员", "org_admin", "root"),
    ("secretary", "街道党工委书记", "secretary", "first_street"),
    ("staff", "社区工作人员", "staff", "first_community"),
    ("viewer", "查看者", "viewer", "root"),
)


@dataclass
class DemoResult:
    slug: str
    created: bool
    nodes: int = 0
    people: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    logins_file: Path | None = None
    mechanisms: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.created:
            return f"demo district {self.slug} is already provisioned"
        lines = [f"demo district {self.slug}: {self.nodes} organisations, {self.people} people"]
        lines += [f"  mechanism {slug}: {counts}" for slug, counts in self.mechanisms.items()]
        lines += [f"  {role:<15} {username:<10} {password}" for username, role, password in self.logins]
        return "\n".join(lines)


def logins_text(slug: str, logins: list[tuple[str, str, str]], totp_required: bool = False) -> str:
    admin = next(x for x in logins if x[1] == "system_admin")
    second_factor = (
        "  two-step verification: required of administrators; after the password they may only enrol,"
        if totp_required
        else "  two-step verification: not required of this demo's administrators; any account may turn it on"
    )
    lines = [
        f"Demo district (演示区): {slug}   administrator: {admin[0]} / {admin[2]}",
        f"  console: http://127.0.0.1:8000/t/{slug}/console   (API: POST /api/v1/auth/login {{district, username, password}})",
        second_factor,
        f"    at http://127.0.0.1:8000/t/{slug}/console/totp with an authenticator app (TOTP)",
        "  other demo accounts (role, username, password):",
    ]
    lines += [f"    {role:<15} {username:<10} {password}" for username, role, password in logins]
    return "\n".join(lines) + "\n"


def _write_logins(text: str) -> Path:
    path = get_settings().var_path / "demo-logins.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _password() -> str:
    # Three character classes guaranteed, whatever token_urlsafe draws.
    return f"Qy-{secrets.token_urlsafe(9)}-7a"


async def load_plan(tenant_id: Any, root: OrgNode, plan: DemoPlan) -> dict[str, uuid.UUID]:
    """Write the generated nodes and people with bulk inserts in one tenant transaction."""
    now = utcnow()
    paths: dict[str | None, tuple[uuid.UUID, str, int]] = {None: (root.id, root.path, root.depth)}
    node_rows: list[dict[str, Any]] = []
    for node in plan.nodes:
        parent_id, parent_path, parent_depth = paths[node.parent_key]
        node_id = new_id()
        path = parent_path + segment(node_id)
        paths[node.key] = (node_id, path, parent_depth + 1)
        node_rows.append(
            {
                "tenant_id": tenant_id,
                "id": node_id,
                "kind": node.kind,
                "name": node.name,
                "code": node.code,
                "parent_id": parent_id,
                "path": path,
                "depth": parent_depth + 1,
                "attrs": node.attrs,
                "created_at": now,
                "updated_at": now,
            }
        )
    person_rows: list[dict[str, Any]] = []
    relation_rows: list[dict[str, Any]] = []
    for person in plan.people:
        person_id = new_id()
        node_id = paths[person.node_key][0]
        person_rows.append(
            {
                "tenant_id": tenant_id,
                "id": person_id,
                "name": person.name,
                "gender": person.gender,
                "ethnicity": person.ethnicity,
                "birth_date": person.birth_date,
                "id_card_encrypted": crypto.encrypt(tenant_id, person.id_card),
                "id_card_index": id_card_index(tenant_id, person.id_card),
                "id_card_masked": mask_id_card(person.id_card),
                "phone_encrypted": crypto.encrypt(tenant_id, person.phone),
                "phone_index": phone_index(tenant_id, person.phone),
                "phone_masked": mask_phone(person.phone),
                "education": person.education,
                "party_status": person.party_status,
                "joined_on": person.joined_on,
                "full_member_on": person.full_member_on,
                "category": person.category,
                "work_unit": person.work_unit,
                "address": person.address,
                "lost_contact": False,
                "last_contact_on": None,
                "org_node_id": node_id,
                "archived_at": None,
                "created_at": now,
                "updated_at": now,
            }
        )
        if person.party_status in MEMBER_STATUSES:
            relation_rows.append(
                {
                    "tenant_id": tenant_id,
                    "id": new_id(),
                    "person_id": person_id,
                    "org_node_id": node_id,
                    "started_on": person.joined_on,
                    "ended_on": None,
                    "reason": "registered",
                    "note": None,
                    "recorded_at": now,
                }
            )
    async with get_database().transaction(tenant_id) as session:
        for table, rows in ((OrgNode, node_rows), (Person, person_rows), (PersonRelation, relation_rows)):
            for start in range(0, len(rows), 1000):
                await session.execute(insert(table), rows[start : start + 1000])
    return {node.key: paths[node.key][0] for node in plan.nodes}


def _first_of_kind(plan: DemoPlan, kind: str) -> str:
    return next(n.key for n in plan.nodes if n.kind == kind)


async def ensure_demo(
    definition_path: Path, *, progress: Callable[[str], Any] = lambda _message: None
) -> DemoResult:
    definition: TenantDefinition = load_definition(definition_path)
    if definition.demo is None:
        raise ValueError(f"{definition_path}: has no [demo] table")
    try:
        spec = msgspec.convert(definition.demo, DemoSpec)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{definition_path}: [demo]: {exc}") from None
    database = get_database()
    async with database.system_transaction() as session:
        if await find_tenant(session, definition.slug) is not None:
            return DemoResult(definition.slug, created=False)
        tenant = await provision(session, definition)
        root = await root_node(session, tenant.id)
        tenant_id = tenant.id
    progress(f"provisioned {definition.slug}; generating demo data (seed {spec.seed})")
    started = dt.datetime.now()
    plan = generate(spec)
    placed = await load_plan(tenant_id, root, plan)
    progress(
        f"wrote {len(plan.nodes)} organisations and {len(plan.people)} people "
        f"in {(dt.datetime.now() - started).total_seconds():.1f}s"
    )
    where = {
        "root": root.id,
        "first_street": placed[_first_of_kind(plan, "street")],
        "first_community": placed[_first_of_kind(plan, "community")],
    }
    logins: list[tuple[str, str, str]] = []
    async with database.transaction(tenant_id) as session:
        for username, display_name, role, place in DEMO_ACCOUNTS:
            node = await session.get_one(OrgNode, (tenant_id, where[place]))
            password = _password()
            await create_user(
                session,
                username=username,
                display_name=display_name,
                org_node=node,
                password=password,
                role_keys=[role],
                must_change_password=False,
            )
            logins.append((username, role, password))
    totp_required = definition.settings.security.totp_required_for_admins
    path = _write_logins(logins_text(definition.slug, logins, totp_required))
    mechanisms = await enable_mechanisms_with_demo_data(tenant_id, plan, progress)
    return DemoResult(definition.slug, True, len(plan.nodes) + 1, len(plan.people), logins, path, mechanisms)


def _requirements_first(host: Any) -> list[str]:
    """Installed plugins' slugs ordered so that each comes after the plugins it requires."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(slug: str) -> None:
        if slug in ordered or slug in visiting or host.manifest(slug) is None:
            return
        visiting.add(slug)
        for required in sorted(host.manifest(slug).requires):
            visit(required)
        ordered.append(slug)

    for manifest in host.manifests():
        visit(manifest.slug)
    return ordered


async def enable_mechanisms_with_demo_data(
    tenant_id: uuid.UUID, plan: DemoPlan, progress: Callable[[str], Any] = lambda _message: None
) -> dict[str, Any]:
    """The demo district runs the whole model: enable every installed mechanism, then let each fill
    its demo records (``quanyu_demo_data``), each in its own transaction so one failing plugin leaves
    the others' records whole. Returns what each plugin reported."""
    from core.plugins import state
    from core.plugins.host import get_host

    host = get_host()
    database = get_database()
    enabled: list[str] = []
    for slug in _requirements_first(host):
        try:
            async with database.transaction(tenant_id) as session:
                await state.enable(session, host, tenant_id, slug)
            enabled.append(slug)
        except Exception as exc:  # a plugin that refuses (unmet requirement, veto) stays off
            progress(f"mechanism {slug} left disabled: {exc}")
    from core.plugins.cli import _redis

    await state.EnabledCache(await _redis()).invalidate(tenant_id)
    reported: dict[str, Any] = {}
    for slug in enabled:
        started = dt.datetime.now()
        async with database.transaction(tenant_id) as session:
            for found_slug, result in await host.call(
                "quanyu_demo_data", enabled=[slug], tenant_id=tenant_id, session=session, plan=plan
            ):
                reported[found_slug] = result
        if slug in reported:
            progress(
                f"demo data of {slug} in {(dt.datetime.now() - started).total_seconds():.1f}s: {reported[slug]}"
            )
    return reported
