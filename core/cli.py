"""``quanyu``: the operator's command line.

Every command exits non-zero with a one-line message on bad input and
writes nothing in that case.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click
import msgspec
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.audit import service as audit
from core.settings import get_settings

T = TypeVar("T")


def run_async(fn: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return asyncio.run(_with_database(fn, *args, **kwargs))

    return wrapper


async def _with_database(fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run a command with a database of its own, created from settings and disposed after.

    A command owns its event loop (``asyncio.run``), and connection pools are
    bound to the loop that made them, so no database is shared with a caller.
    """
    import sqlalchemy.exc
    from redis.exceptions import RedisError

    from core.db.session import Database, current_database, set_database

    settings = get_settings()
    outer = current_database()
    try:
        database = Database(settings.app_database_url, settings.system_database_url, pool_size=2)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        name, url = database_setting("app")
        raise fail(f"{name} is not a usable database URL ({masked_url(url)}): {exc}") from None
    set_database(database)
    try:
        return await fn(*args, **kwargs)
    except Exception as exc:
        # A server that went away after the start-up checks: one line, not a traceback.
        if not is_connection_failure(exc):
            raise
        if isinstance(exc, RedisError):
            raise cannot_use_redis(exc) from None
        raise cannot_use_database(exc, "app", "system") from None
    finally:
        set_database(outer)
        await database.dispose()


def fail(message: str) -> click.ClickException:
    return click.ClickException(message)


# A socket's errors (no file name): the server is not there or went away.
NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.EHOSTDOWN,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)


def masked_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def database_setting(role: str) -> tuple[str, str]:
    """The variable that gives the URL of ``role`` ("app", "system" or "owner") here, and that URL."""
    settings = get_settings()
    own = {"app": "", "system": settings.database_system_url, "owner": settings.database_owner_url}[role]
    url = {
        "app": settings.app_database_url,
        "system": settings.system_database_url,
        "owner": settings.owner_database_url,
    }[role]
    if own:
        return f"QUANYU_DATABASE_{role.upper()}_URL", url
    return ("QUANYU_DATABASE_URL" if settings.database_url else "QUANYU_VAR_DIR"), url


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says a server could not be reached or refused us, rather than a bug in a command."""
    import asyncpg
    import sqlalchemy.exc
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if isinstance(exc, socket.gaierror | TimeoutError) or (
        isinstance(exc, OSError) and exc.errno in NETWORK_ERRNOS
    ):
        return True
    return isinstance(
        exc,
        sqlalchemy.exc.OperationalError
        | sqlalchemy.exc.InterfaceError
        | RedisConnectionError
        | RedisTimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InvalidAuthorizationSpecificationError  # no such role, wrong password (SQLSTATE 28)
        | asyncpg.InvalidCatalogNameError  # no such database
        | asyncpg.CannotConnectNowError  # starting up, shutting down
        | asyncpg.TooManyConnectionsError,
    )


def _reason(exc: BaseException) -> str:
    import asyncpg
    import sqlalchemy.exc

    cause: BaseException = exc
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.orig is not None:
        # SQLAlchemy wraps the driver's error in an adapter's, which wraps asyncpg's own.
        cause = exc.orig.__cause__ or exc.orig
    if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError):
        # The server says why (no such role, wrong password): one message for all, so that it never
        # confirms which part of a login was wrong.
        return "the server refused the login (check the user name and password)"
    if isinstance(cause, socket.gaierror):
        return f"the host name is unknown ({cause.strerror})"
    if isinstance(cause, TimeoutError) or (isinstance(cause, OSError) and cause.errno in NETWORK_ERRNOS):
        return f"no server answers there ({cause.strerror or 'timed out'}; check the host and port)"
    return (str(cause).splitlines() or [type(cause).__name__])[0] or type(cause).__name__


def cannot_use_database(exc: BaseException, *roles: str) -> click.ClickException:
    """The one line for a database that cannot be reached or used: which variable, where (password
    hidden), why. Several ``roles`` when it is not known which of their connections failed."""
    where = " or ".join(
        f"{name} ({masked_url(url)})" for name, url in dict(database_setting(role) for role in roles).items()
    )
    return fail(f"cannot use the database of {where}: {_reason(exc)}")


def cannot_use_redis(exc: BaseException) -> click.ClickException:
    return fail(
        f"cannot reach Redis at QUANYU_REDIS_URL ({masked_url(get_settings().redis_url)}): {_reason(exc)}"
    )


async def require_redis() -> None:
    """Fail with one line when Redis is configured and does not answer."""
    url = get_settings().redis_url
    if not url:
        return
    from redis.asyncio import Redis

    try:
        client = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    except ValueError as exc:
        raise fail(f"QUANYU_REDIS_URL is not a Redis URL ({masked_url(url)}): {exc}") from None
    try:
        await client.ping()
    except Exception as exc:
        raise cannot_use_redis(exc) from None
    finally:
        await client.aclose()


@click.group()
@click.version_option(package_name="quanyu")
def main() -> None:
    """Quanyu 全域党建: operate districts, the database and the server."""
    try:
        get_settings()
    except ValueError as exc:
        raise fail(str(exc)) from None


# --- database ----------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


def _role_of(url: str) -> str | None:
    parsed = make_url(url)
    return parsed.username if parsed.get_backend_name() == "postgresql" else None


async def migrate_database() -> dict[str, list[str]]:
    import sqlalchemy.exc

    from core.db.engine import create_engine
    from core.db.migrate import current_revisions, upgrade

    settings = get_settings()
    if settings.is_sqlite:
        settings.var_path.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(settings.owner_database_url)
    except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
        name, url = database_setting("owner")
        raise fail(f"{name} is not a usable database URL ({masked_url(url)}): {exc}") from None
    try:
        app_role = _role_of(settings.app_database_url)
        system_role = _role_of(settings.system_database_url)
        owner_role = _role_of(settings.owner_database_url)
        await upgrade(
            engine,
            app_role=app_role if app_role != owner_role else None,
            system_role=system_role if system_role != owner_role else None,
        )
        return await current_revisions(engine)
    finally:
        await engine.dispose()


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the core and every installed plugin to their latest schema."""
    try:
        revisions = asyncio.run(migrate_database())
    except Exception as exc:
        if not is_connection_failure(exc):
            raise
        raise cannot_use_database(exc, "owner") from None
    for name, heads in revisions.items():
        click.echo(f"{name}: {', '.join(heads) or '(empty)'}")


@db.command("revision")
@click.argument("location_name", metavar="LOCATION")
@click.option("-m", "--message", required=True, help="What the revision changes.")
@click.option("--empty", is_flag=True, help="Write an empty revision instead of comparing the models.")
def db_revision(location_name: str, message: str, empty: bool) -> None:
    """Write the next migration of LOCATION (``core`` or a plugin's slug) from its models.

    The models are compared with a scratch SQLite database migrated to the
    current heads, so the result does not depend on any real database. Read
    the script before committing it: add ``enable_tenant_rls`` for new
    tenant tables and anything autogenerate cannot see.
    """
    import tempfile

    from sqlalchemy import create_engine as create_sync_engine

    from core.db.migrate import _upgrade_sync, all_locations, head_revisions, revision

    locations = all_locations()
    location = next((loc for loc in locations if loc.name == location_name), None)
    if location is None:
        names = ", ".join(loc.name for loc in locations)
        raise fail(f"no migration location named {location_name!r}; installed: {names}")
    heads = head_revisions()[location.name]
    suffix = heads[0].rsplit("_", 1)[-1] if heads else "0"
    number = int(suffix) if suffix.isdigit() else len(heads)
    rev_id = f"{location.name}_{number + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_sync_engine(f"sqlite:///{scratch}/scratch.db")
        with engine.begin() as connection:
            _upgrade_sync(connection, locations, "heads")
            (location.path / "versions").mkdir(parents=True, exist_ok=True)
            script = revision(location, message, connection=connection, autogenerate=not empty, rev_id=rev_id)
        engine.dispose()
    click.echo(f"wrote {script.path}")


@db.command("citus-sql")
def db_citus_sql() -> None:
    """Print the SQL that distributes every table on a Citus cluster (deploy/citus/distribute.sql).

    Prints nothing and fails when a table breaks a rule of Citus.
    """
    from core.db.citus import distribution_sql_for_installed_schema

    sql, problems = distribution_sql_for_installed_schema()
    if problems:
        raise fail("the schema cannot be distributed on Citus:\n" + "\n".join(problems))
    click.echo(sql, nl=False)


async def _require_schema(*, redis: bool = True) -> None:
    """Fail with one line unless the database answers (through both roles), is migrated, (PostgreSQL)
    the system role bypasses RLS, and, with ``redis``, Redis answers if configured.

    Checked before a command changes anything, so that a server that is not there stops it
    before it has written half of what it does (a district suspended but its sessions kept in Redis).
    """
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from core.db.migrate import current_revisions, head_revisions
    from core.db.session import get_database

    settings = get_settings()
    url = make_url(settings.system_database_url)
    # A one-task command loop: a blocking stat here delays nothing else.
    if url.get_backend_name() == "sqlite" and url.database and not os.path.exists(url.database):  # noqa: ASYNC240
        raise fail(f"no database at {url.database}; run `quanyu db upgrade` first")
    engine = get_database().system_engine
    try:
        current = await current_revisions(engine)
        bypasses = True
        if engine.dialect.name == "postgresql":
            async with engine.connect() as conn:
                bypasses = bool(
                    await conn.scalar(
                        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
                    )
                )
    except Exception as exc:  # any driver's connect or query failure: report it in one line
        raise cannot_use_database(exc, "system") from None
    database = get_database()
    if database.engine is not engine:
        try:
            async with database.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise cannot_use_database(exc, "app") from None
    if not bypasses:
        raise fail(
            "operator commands span districts and need a role with BYPASSRLS: set "
            "QUANYU_DATABASE_SYSTEM_URL (see docs/operating.md)"
        )
    if current.get("core") != head_revisions()["core"]:
        raise fail("the database is not migrated; run `quanyu db upgrade` first")
    if redis:
        await require_redis()


# --- tenants -----------------------------------------------------------------------------------------


@main.command("settings")
@click.option(
    "--markdown", is_flag=True, help="Print the table of every QUANYU_* variable (deploy/README.md)."
)
def show_settings(markdown: bool) -> None:
    """The settings this process sees (secrets and passwords hidden), or with --markdown the table of all."""
    from sqlalchemy.engine import make_url

    from core.settings import SECRET_SETTINGS, Settings, settings_markdown_table

    if markdown:
        click.echo(settings_markdown_table(), nl=False)
        return
    settings = get_settings()
    for field in msgspec.structs.fields(Settings):
        value = getattr(settings, field.name)
        if field.name in SECRET_SETTINGS and value:
            value = "(set, hidden)"
        elif field.name.endswith("_url") and isinstance(value, str) and "@" in value:
            try:
                value = make_url(value).render_as_string(hide_password=True)
            except Exception:
                value = "(set, hidden: not a database URL)"
        click.echo(f"QUANYU_{field.name.upper()}={value}")


@main.group()
def tenant() -> None:
    """Districts (tenants): provision, list, show, suspend, resume, export, import, delete."""


@tenant.command("create")
@click.option("--from", "source", required=True, type=click.Path(path_type=Path), help="District TOML file.")
@click.option("--code", help="Override the six-digit division code.")
@click.option("--slug", help="Override the slug (used to log in).")
@click.option("--name-zh", help="Override the Chinese name.")
@click.option("--name-en", help="Override the English name.")
@run_async
async def tenant_create(
    source: Path, code: str | None, slug: str | None, name_zh: str | None, name_en: str | None
) -> None:
    """Provision a district from a definition file."""
    from core.db.session import get_database
    from core.tenancy.service import DefinitionError, DuplicateTenant, load_definition, provision

    try:
        definition = load_definition(
            source, {"code": code, "slug": slug, "name_zh": name_zh, "name_en": name_en}
        )
    except DefinitionError as exc:
        raise fail(str(exc)) from None
    await _require_schema()
    try:
        async with get_database().system_transaction() as session:
            created = await provision(session, definition)
            await audit.record_operator(session, created.id, "tenant.create", detail=f"from {source}")
    except DuplicateTenant as exc:
        raise fail(str(exc)) from None
    click.echo(f"created district {created.slug} ({created.code} {created.name_zh}) id={created.id}")


def _tenant_dict(t: Any) -> dict[str, Any]:
    return {
        "id": str(t.id),
        "code": t.code,
        "slug": t.slug,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "status": t.status,
        "created_at": t.created_at.isoformat(),
        "suspended_at": t.suspended_at.isoformat() if t.suspended_at else None,
    }


@tenant.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def tenant_list(as_json: bool) -> None:
    """List districts."""
    from core.db.session import get_database
    from core.tenancy.models import Tenant

    await _require_schema(redis=False)
    async with get_database().system_transaction() as session:
        tenants = [_tenant_dict(t) for t in await session.scalars(select(Tenant).order_by(Tenant.code))]
    if as_json:
        click.echo(json.dumps(tenants, ensure_ascii=False, indent=2))
        return
    for t in tenants:
        click.echo(f"{t['code']}  {t['slug']:<20} {t['status']:<10} {t['name_zh']} / {t['name_en']}")
    if not tenants:
        click.echo("no districts yet; create one with `quanyu tenant create --from tenants/<file>.toml`")


async def _find(session: Any, key: str) -> Any:
    from core.tenancy.service import find_tenant

    found = await find_tenant(session, key)
    if found is None:
        raise fail(f"no district with slug or code {key!r}")
    return found


@tenant.command("show")
@click.argument("district")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@run_async
async def tenant_show(district: str, as_json: bool) -> None:
    """Show one district with its counts."""
    from sqlalchemy import func

    from core.auth.models import User
    from core.db.session import get_database
    from core.orgs.models import OrgNode
    from core.people.models import Person

    await _require_schema(redis=False)
    async with get_database().system_transaction() as session:
        found = await _find(session, district)
        info = _tenant_dict(found)
        for label, model in (("org_nodes", OrgNode), ("people", Person), ("users", User)):
            info[label] = await session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == found.id)
            )
        info["settings"] = found.settings
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    for key, value in info.items():
        if key != "settings":
            click.echo(f"{key:<13} {value}")


async def _set_status(district: str, status: str) -> None:
    from core.db.session import get_database
    from core.tenancy.service import set_status

    await _require_schema()
    async with get_database().system_transaction() as session:
        found = await _find(session, district)
        if found.status == status:
            raise fail(f"district {found.slug} is already {status}")
        await set_status(session, found, status)
        await audit.record_operator(
            session, found.id, f"tenant.{'suspend' if status == 'suspended' else 'resume'}"
        )
        if status == "suspended":
            from core.auth.sessions import DatabaseSessionStore, RedisSessionStore

            # Sessions may be in either store (the setting can change): end them in both.
            await DatabaseSessionStore(session).delete_for_tenant(found.id)
            redis_url = get_settings().redis_url
            if redis_url:
                from redis.asyncio import Redis

                redis = Redis.from_url(redis_url)
                try:
                    await RedisSessionStore(redis).delete_for_tenant(found.id)
                finally:
                    await redis.aclose()
    click.echo(f"district {found.slug} is now {status}")


@tenant.command("suspend")
@click.argument("district")
@run_async
async def tenant_suspend(district: str) -> None:
    """Suspend a district: its sessions end and nobody can log in until it is resumed."""
    await _set_status(district, "suspended")


@tenant.command("resume")
@click.argument("district")
@run_async
async def tenant_resume(district: str) -> None:
    """Resume a suspended district."""
    await _set_status(district, "active")


@tenant.command("delete")
@click.argument("district")
@click.option("--confirm", "confirmation", help="The district's slug, to delete without being asked.")
@run_async
async def tenant_delete(district: str, confirmation: str | None) -> None:
    """Delete a district entirely: every row it owns, its files and its sessions. Cannot be undone.

    Shows what would go, then asks for the district's slug (or takes it from --confirm).
    Export it first (`quanyu tenant export`) if it may be needed again.
    """
    from core.db.session import get_database
    from core.tenancy.service import erase_tenant, forget_tenant, tenant_row_counts

    await _require_schema()
    async with get_database().system_transaction() as session:
        found = await _find(session, district)
        counts = await tenant_row_counts(session, found.id)
    click.echo(f"district {found.slug} ({found.code}, {found.name_zh}) holds {sum(counts.values())} rows:")
    for name, count in sorted(counts.items()):
        click.echo(f"  {name:<32} {count}")
    if confirmation is None:
        confirmation = click.prompt(
            f"Type {found.slug} to delete it for good", default="", show_default=False
        )
    if confirmation != found.slug:
        raise fail(f"not deleted: the confirmation {confirmation!r} is not the slug {found.slug!r}")
    async with get_database().system_transaction() as session:
        found = await _find(session, district)
        deleted = await erase_tenant(session, found)
    files = await forget_tenant(found.id, get_settings().redis_url or None)
    click.echo(f"district {found.slug} deleted: {sum(deleted.values())} rows, {files} stored files")


@tenant.command("export")
@click.argument("district")
@click.argument("file", type=click.Path(path_type=Path))
@run_async
async def tenant_export(district: str, file: Path) -> None:
    """Write one district (every core and plugin row it owns) to a checksummed archive FILE."""
    from core.db.session import get_database
    from core.tenancy.archive import export_tenant

    # Blocking checks of the target: a one-task command loop, and before the database is read.
    if file.exists():  # noqa: ASYNC240
        raise fail(f"{file} exists; choose a new file name")
    folder = file.parent
    if not folder.is_dir():
        raise fail(f"cannot write {file}: the folder {folder} does not exist")
    await _require_schema(redis=False)
    async with get_database().system_transaction() as session:
        found = await _find(session, district)
        try:
            manifest = await export_tenant(session, found.id, file)
        except OSError as exc:
            if is_connection_failure(exc):
                raise
            # export_tenant removed its temporary file: nothing is left at the target.
            raise fail(f"cannot write {file}: {exc.strerror or exc}; nothing was written") from None
        await audit.record_operator(session, found.id, "tenant.export", detail=f"to {file}")
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"exported {found.slug}: {rows} rows in {len(manifest['tables'])} tables to {file}")


@tenant.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--slug", help="Import as a copy under this slug (a new district id; needs --code too if taken)."
)
@click.option("--code", help="Import as a copy under this six-digit code.")
@run_async
async def tenant_import(file: Path, slug: str | None, code: str | None) -> None:
    """Restore a district from an archive FILE (all or nothing)."""
    import re

    from core.db.session import get_database
    from core.tenancy.archive import ArchiveError, import_tenant
    from core.tenancy.service import CODE_PATTERN, SLUG_PATTERN

    if slug is not None and not re.match(SLUG_PATTERN, slug):
        raise fail(f"--slug {slug!r} must match {SLUG_PATTERN}")
    if code is not None and not re.match(CODE_PATTERN, code):
        raise fail(f"--code {code!r} must be a six-digit division code")
    await _require_schema(redis=False)
    try:
        async with get_database().system_transaction() as session:
            imported = await import_tenant(session, file, slug=slug, code=code)
            await audit.record_operator(session, imported.id, "tenant.import", detail=f"from {file}")
    except ArchiveError as exc:
        raise fail(str(exc)) from None
    click.echo(f"imported district {imported.slug} ({imported.code} {imported.name_zh}) id={imported.id}")


# --- encryption keys ---------------------------------------------------------------------------------


@main.group()
def keys() -> None:
    """The master secret: generate a new one, re-encrypt stored values after changing it."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new master secret (32 random bytes, URL-safe base64) for QUANYU_SECRET_KEY."""
    from core.keys import generate_secret

    click.echo(generate_secret())


@keys.command("rotate")
@click.option("--tenant", "district", help="Only this district (slug or code); default: every district.")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@run_async
async def keys_rotate(district: str | None, dry_run: bool, batch_size: int) -> None:
    """Re-encrypt every encrypted value under QUANYU_SECRET_KEY and recompute its blind index.

    Values a retired secret (QUANYU_OLD_SECRET_KEYS) encrypted are rotated in batches of one
    transaction each, while the platform runs; repeating it is harmless. Values no configured
    secret decrypts are counted and left as they are (exit 1). See docs/operating.md.
    """
    from core.db.session import get_database
    from core.keys import KeyConfigurationError, check_keys, problems_of, rotate_district, summary
    from core.tenancy.models import Tenant

    try:
        check_keys(dry_run=dry_run)
    except KeyConfigurationError as exc:
        raise fail(str(exc)) from None
    await _require_schema()
    database = get_database()
    async with database.system_transaction() as session:
        if district is not None:
            found = await _find(session, district)
            targets = [(found.id, found.slug)]
        else:
            targets = [(t.id, t.slug) for t in await session.scalars(select(Tenant).order_by(Tenant.code))]
    results = [
        await rotate_district(
            database, tenant_id, slug, dry_run=dry_run, batch_size=batch_size, progress=click.echo
        )
        for tenant_id, slug in targets
    ]
    click.echo(summary(results, dry_run=dry_run))
    problems = problems_of(results)
    if problems:
        raise fail(problems)


# --- audit ---------------------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The audit log's hash chains: verify them, sign them again after a key rotation."""


async def _audit_targets(district: str | None) -> list[tuple[Any, str]]:
    from core.db.session import get_database
    from core.tenancy.models import Tenant

    async with get_database().system_transaction() as session:
        if district is not None:
            found = await _find(session, district)
            return [(found.id, found.slug)]
        return [(t.id, t.slug) for t in await session.scalars(select(Tenant).order_by(Tenant.code))]


def _chain_line(slug: str, report: Any) -> str:
    if report.problem is not None:
        return (
            f"{slug}: BROKEN at record {report.problem.seq} ({report.problem.kind}): {report.problem.message}"
        )
    start = (
        f"from the checkpoint at record {report.checkpoint_seq}"
        if report.checkpoint_seq
        else "from the start"
    )
    line = f"{slug}: ok, {report.checked} records {start}, ending at record {report.last_seq}"
    if report.retired_key:
        line += f"; {report.retired_key} signed under a retired secret (run `quanyu audit reseal`)"
    return line


@audit_group.command("verify")
@click.option("--tenant", "district", help="Only this district (slug or code); default: every district.")
@run_async
async def audit_verify(district: str | None) -> None:
    """Check each district's audit chain from its latest checkpoint; exit 1 naming the first broken record."""
    from core.audit.chain import verify_chain
    from core.db.session import get_database

    await _require_schema(redis=False)
    broken = 0
    for tenant_id, slug in await _audit_targets(district):
        async with get_database().system_transaction() as session:
            report = await verify_chain(session, tenant_id)
        click.echo(_chain_line(slug, report))
        broken += not report.ok
    if broken:
        raise fail(f"{broken} audit chain(s) broken: records were changed, removed or inserted")


@audit_group.command("reseal")
@click.option("--tenant", "district", help="Only this district (slug or code); default: every district.")
@run_async
async def audit_reseal(district: str | None) -> None:
    """Verify each chain under any configured secret, then sign it again under QUANYU_SECRET_KEY.

    Run it after `quanyu keys rotate`, before dropping the old secret. A broken chain is left as it is
    (exit 1): resealing must never make a changed record look genuine.
    """
    from core.audit.chain import reseal
    from core.db.session import get_database

    await _require_schema(redis=False)
    broken = 0
    for tenant_id, slug in await _audit_targets(district):
        report = await reseal(get_database(), tenant_id)
        if report.ok:
            async with get_database().system_transaction() as session:
                await audit.record_operator(
                    session, tenant_id, "audit.reseal", detail=f"{report.checked} records signed again"
                )
            click.echo(f"{slug}: {report.checked} records signed again under the current secret")
        else:
            click.echo(_chain_line(slug, report) + "; not resealed")
            broken += 1
    if broken:
        raise fail(f"{broken} audit chain(s) broken; nothing was resealed there")


# --- users -------------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """User accounts of a district."""


@user.command("create")
@click.option("--tenant", "district", required=True, help="District slug or code.")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option(
    "--role", "roles", multiple=True, required=True, help="Built-in or custom role key (repeatable)."
)
@click.option("--node", help="Org node id or code where the roles hold (default: the district).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@run_async
async def user_create(
    district: str,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    node: str | None,
    password_stdin: bool,
) -> None:
    """Create an account; prints a one-time password unless one is given on stdin."""
    import secrets
    import uuid

    from core.auth.service import create_user
    from core.db.session import get_database
    from core.errors import ProblemError
    from core.orgs.models import OrgNode
    from core.tenancy.service import root_node

    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12) + "-A1"
    await _require_schema()
    async with get_database().system_transaction() as lookup:
        found = await _find(lookup, district)
        tenant_id = found.id
    database = get_database()
    try:
        async with database.transaction(tenant_id) as session:
            if node is None:
                target = await root_node(session, tenant_id)
            else:
                try:
                    where = OrgNode.id == uuid.UUID(node)
                except ValueError:
                    where = OrgNode.code == node
                found_node = (await session.scalars(select(OrgNode).where(where))).first()
                if found_node is None:
                    raise fail(f"no org node {node!r} in district {found.slug}")
                target = found_node
            created = await create_user(
                session,
                username=username,
                display_name=display_name,
                org_node=target,
                password=password,
                role_keys=list(roles),
                must_change_password=not password_stdin,
            )
    except ProblemError as exc:
        raise fail(exc.cli_message()) from None
    click.echo(f"created user {created.username} in {found.slug} at {target.name}")
    if not password_stdin:
        click.echo(f"one-time password (must be changed at first login): {password}")


# --- demo, people, server ----------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """The demo district."""


@demo.command("ensure")
@click.option(
    "--definition", type=click.Path(path_type=Path), default=Path("tenants/runzhou.toml"), show_default=True
)
@run_async
async def demo_ensure(definition: Path) -> None:
    """Provision the demo district with generated data and accounts, unless it exists."""
    from core.demo.load import ensure_demo

    await _require_schema()
    try:
        result = await ensure_demo(definition, progress=click.echo)
    except ValueError as exc:
        raise fail(str(exc)) from None
    click.echo(result.summary())


@main.command()
@click.option("--host", default=None, help="Bind address (default from QUANYU_HOST).")
@click.option("--port", default=None, type=int, help="Port (default from QUANYU_PORT).")
@click.option("--workers", default=None, type=int, help="API processes (default from QUANYU_WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the API server (uvicorn, tuned by the QUANYU_* server settings; see deploy/README.md)."""
    import os
    import shutil

    import uvicorn

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    workers = workers or settings.workers
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each process counts its own requests; a shared folder lets any of them answer /metrics for all.
        folder = settings.var_path / f"metrics-{port}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    logins = settings.var_path / "demo-logins.txt"
    click.echo(f"Quanyu is starting on http://{host}:{port}  (API docs: http://{host}:{port}/schema)")
    if logins.exists():
        click.echo(logins.read_text(encoding="utf-8").strip())
    uvicorn.run(
        "core.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_keep_alive=settings.keep_alive_timeout,
        timeout_graceful_shutdown=settings.graceful_timeout,
        limit_concurrency=settings.max_concurrency or None,
        backlog=2048,
        server_header=False,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep the structlog handlers create_app installs
    )


def _register_optional_commands() -> None:
    try:
        from core.people.cli import people
    except ImportError:
        pass
    else:
        main.add_command(people)
    try:
        from core.orgs.cli import org
    except ImportError:
        pass
    else:
        main.add_command(org)
    from core.jobs.cli import enqueue_command, scheduler, worker
    from core.plugins.cli import plugin

    main.add_command(plugin)
    main.add_command(worker)
    main.add_command(enqueue_command)
    main.add_command(scheduler)


_register_optional_commands()
