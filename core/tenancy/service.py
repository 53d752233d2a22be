"""Provisioning and lifecycle of districts (tenants): operator work, run on the system role.

A district is defined by a TOML file (``tenants/*.toml``). ``load_definition``
turns one into a checked ``TenantDefinition`` or a ``DefinitionError`` that
names the line or the key; ``provision`` writes the tenant, its root node and
its built-in roles in one transaction, so a failure leaves nothing behind.
"""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import Meta
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import Role
from core.auth.permissions import BUILTIN_ROLES
from core.db.base import utcnow
from core.orgs import kinds
from core.orgs.models import OrgNode, segment
from core.tenancy.models import TENANT_ACTIVE, TENANT_SUSPENDED, Tenant
from core.tenancy.settings import TenantSettings, dump_tenant_settings

log = logging.getLogger("quanyu.tenancy")

SLUG_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"
CODE_PATTERN = r"^[1-9][0-9]{5}$"


class DefinitionError(ValueError):
    """A tenant definition that cannot be used; the message names where it is wrong."""


class TenantDefinition(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, Meta(pattern=CODE_PATTERN, description="GB/T 2260 six-digit division code")]
    slug: Annotated[str, Meta(pattern=SLUG_PATTERN)]
    name_zh: Annotated[str, Meta(min_length=1, max_length=100)]
    name_en: Annotated[str, Meta(min_length=1, max_length=100)]
    settings: TenantSettings = msgspec.field(default_factory=TenantSettings)
    # The demo generator's own table; checked by ``core.demo`` when used.
    demo: dict[str, Any] | None = None


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=|^\s*\[+\s*(?:[\w.-]+\.)?{re.escape(key)}\s*\]+", re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_definition(text: str, source: str, overrides: dict[str, Any] | None = None) -> TenantDefinition:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{source}: not valid TOML: {exc}") from None
    for name, value in (overrides or {}).items():
        if value is not None:
            raw[name] = value
    try:
        return msgspec.convert(raw, TenantDefinition)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = re.search(r"`\$\.([\w.\[\]]+)`", message)
        unknown = re.search(r"unknown field `([^`]+)`", message)
        key: str | None = unknown.group(1) if unknown else field.group(1).split(".")[-1] if field else None
        line = _line_of(text, key) if key else None
        where = f"{source}, line {line}" if line else source
        raise DefinitionError(f"{where}: {message}") from None


def load_definition(path: Path, overrides: dict[str, Any] | None = None) -> TenantDefinition:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DefinitionError(f"{path}: not UTF-8 text") from None
    return parse_definition(text, str(path), overrides)


class DuplicateTenant(ValueError):
    pass


async def find_tenant(session: AsyncSession, slug_or_code: str) -> Tenant | None:
    stmt = select(Tenant).where(or_(Tenant.slug == slug_or_code, Tenant.code == slug_or_code))
    return (await session.scalars(stmt)).first()


async def provision(session: AsyncSession, definition: TenantDefinition) -> Tenant:
    """Create a district with its root node and built-in roles (caller's system transaction)."""
    clash = (
        await session.scalars(
            select(Tenant).where(or_(Tenant.slug == definition.slug, Tenant.code == definition.code))
        )
    ).first()
    if clash is not None:
        which = "slug" if clash.slug == definition.slug else "code"
        value = definition.slug if which == "slug" else definition.code
        raise DuplicateTenant(f"a district with {which} {value!r} already exists ({clash.name_zh})")
    tenant = Tenant(
        code=definition.code,
        slug=definition.slug,
        name_zh=definition.name_zh,
        name_en=definition.name_en,
        status=TENANT_ACTIVE,
        settings=dump_tenant_settings(definition.settings),
    )
    session.add(tenant)
    await session.flush()
    root = OrgNode(
        tenant_id=tenant.id, kind=kinds.ROOT_KIND, name=tenant.name_zh, code=tenant.code, depth=0, attrs={}
    )
    root.path = segment(root.id)
    session.add(root)
    for builtin in BUILTIN_ROLES:
        session.add(
            Role(
                tenant_id=tenant.id,
                key=builtin.key,
                name_zh=builtin.name_zh,
                name_en=builtin.name_en,
                permissions=sorted(builtin.permissions),
                builtin=True,
            )
        )
    await session.flush()
    await _tell_plugins(session, tenant)
    return tenant


async def _tell_plugins(session: AsyncSession, tenant: Tenant) -> None:
    """Call every installed plugin's ``quanyu_tenant_provisioned``, each in a savepoint: a plugin that
    fails is logged and its writes undone, and the district is provisioned all the same."""
    from core.plugins.host import get_host

    host = get_host()
    tenant_id, tenant_slug = tenant.id, tenant.slug
    undone = False
    for slug in sorted(host.plugins):
        try:
            async with session.begin_nested():
                await host.call_one(
                    slug, "quanyu_tenant_provisioned", raise_errors=True, tenant_id=tenant_id, session=session
                )
        except Exception:
            undone = True
            log.exception("plugin %s failed in quanyu_tenant_provisioned for %s; left out", slug, tenant_slug)
    if undone:
        await session.refresh(tenant)  # a rolled-back savepoint expired what it had touched


async def root_node(session: AsyncSession, tenant_id: Any) -> OrgNode:
    stmt = select(OrgNode).where(OrgNode.tenant_id == tenant_id, OrgNode.parent_id.is_(None))
    return (await session.scalars(stmt)).one()


async def set_status(session: AsyncSession, tenant: Tenant, status: str) -> None:
    tenant.status = status
    tenant.suspended_at = utcnow() if status == TENANT_SUSPENDED else None
    await session.flush()


def tenant_tables() -> list[Any]:
    """Every table holding a district's rows (core and installed plugins), children before parents."""
    import core.models  # noqa: F401
    from core.db.base import Base
    from core.plugins.host import import_plugin_models

    import_plugin_models()
    return [t for t in reversed(Base.metadata.sorted_tables) if "tenant_id" in t.c and t.name != "tenant"]


async def tenant_row_counts(session: AsyncSession, tenant_id: Any) -> dict[str, int]:
    """Rows the district holds, per table (only tables where it has any)."""
    from sqlalchemy import func

    counts = {}
    for table in tenant_tables():
        count = int(
            await session.scalar(
                select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
            )
            or 0
        )
        if count:
            counts[table.name] = count
    return counts


# Set for the transaction that erases a district, so that append-only tables' guards (a plugin's
# ledger, say) can let exactly that district's rows go: ``current_setting('quanyu.erasing_tenant', true)``.
ERASING_SETTING = "quanyu.erasing_tenant"


async def erase_tenant(session: AsyncSession, tenant: Tenant) -> dict[str, int]:
    """Delete every row of the district, the tenant row last, in the caller's (system) transaction.

    Tables of plugins no longer installed go with the tenant row (every ``tenant_id`` references it
    ON DELETE CASCADE). Files, sessions and cached state are removed by ``forget_tenant`` once this
    transaction has committed. Returns the rows deleted per table.
    """
    from sqlalchemy import delete, text, update

    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT set_config(:name, :value, true)"), {"name": ERASING_SETTING, "value": str(tenant.id)}
        )
    from core.plugins.models import TenantPlugin

    # Every mechanism is switched off first and its switch goes last: a plugin's guard that lets a disabled
    # plugin's rows go (the only signal on SQLite, which has no session settings) sees it off throughout.
    await session.execute(
        update(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id).values(enabled=False)
    )
    deleted: dict[str, int] = {}
    ordered = [t for t in tenant_tables() if t.name != TenantPlugin.__tablename__]
    for table in [*ordered, TenantPlugin.__table__]:
        result = await session.execute(delete(table).where(table.c.tenant_id == tenant.id))
        if result.rowcount:  # type: ignore[attr-defined]
            deleted[table.name] = int(result.rowcount)  # type: ignore[attr-defined]
    await session.execute(delete(Tenant).where(Tenant.id == tenant.id))
    deleted["tenant"] = 1
    log.warning("district %s (%s) erased: %s rows", tenant.slug, tenant.id, sum(deleted.values()))
    return deleted


async def forget_tenant(tenant_id: Any, redis_url: str | None) -> int:
    """After ``erase_tenant`` committed: the district's files in attachment storage and its Redis keys
    (sessions, cache versions). Returns the number of stored objects removed."""
    from core.attachments.storage import get_storage

    removed = await get_storage().delete_prefix(f"{tenant_id}/")
    if redis_url:
        from redis.asyncio import Redis

        from core.auth.sessions import RedisSessionStore

        redis = Redis.from_url(redis_url)
        try:
            await RedisSessionStore(redis).delete_for_tenant(tenant_id)
            keys = [key async for key in redis.scan_iter(f"quanyu:t:{tenant_id}:*")]
            if keys:
                await redis.delete(*keys)
        finally:
            await redis.aclose()
    return removed
