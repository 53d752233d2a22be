"""Pytest fixtures for the core and for plugin authors (registered as the ``quanyu`` pytest plugin).

Every test that asks for ``database`` runs twice: on an embedded SQLite file
with sessions in the database, and on PostgreSQL through the non-superuser
``app`` role (row-level security enforced) with sessions in Redis. PostgreSQL
comes from ``QUANYU_TEST_DATABASE_URL`` (a superuser URL used only to create
the test roles and a scratch database; default the local server) and Redis
from ``QUANYU_TEST_REDIS_URL``. Outside CI an unreachable server skips its
half; with ``CI=true`` it is an error, so CI can never pass without them.

A plugin package's ``conftest.py`` names the plugins under test by overriding
``quanyu_plugins``; ``plugin_host`` registers them (besides every installed
plugin) before ``database`` migrates, so their tables and routes exist.
``enable_plugin`` switches one on for a district through the API and
``make_actor`` logs in an account of a fresh (or given) district.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from core.settings import Settings, override_settings

if TYPE_CHECKING:
    from core.plugins.host import PluginHost

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
TEST_PASSWORD = "Quanyu-Test-2026!"
ROLE_PREFIX = "quanyu_test"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def backends() -> list[str]:
    chosen = os.environ.get("QUANYU_TEST_BACKENDS", "sqlite,postgresql")
    return [b.strip() for b in chosen.split(",") if b.strip()]


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    var_dir = tmp_path_factory.mktemp("quanyu-var")
    settings = Settings(
        var_dir=str(var_dir),
        secret_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        # Cheap hashes keep the suite fast; production costs are the defaults.
        argon2_time_cost=1,
        argon2_memory_kib=64,
        # Every test client logs in from 127.0.0.1 and the counters outlive each test's app.
        login_limit_per_address=100_000,
    )
    override_settings(settings)
    yield settings
    override_settings(None)


@dataclass
class Backend:
    """One database the suite runs against, with the URLs of its three roles."""

    name: str
    app_url: str
    system_url: str
    owner_url: str
    redis_url: str | None = None
    cleanup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


async def _prepare_postgresql(admin_url: str) -> Backend:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConnectionError(f"PostgreSQL at {url.render_as_string()} is unreachable: {exc}") from exc
    db_name = f"{ROLE_PREFIX}_{os.getpid()}_{secrets.token_hex(3)}"
    roles = {
        "owner": f"{ROLE_PREFIX}_owner",
        "app": f"{ROLE_PREFIX}_app",
        "system": f"{ROLE_PREFIX}_system",
    }
    attributes = {
        "owner": "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE",
        "app": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB",
        "system": "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB",
    }
    try:
        for kind, role in roles.items():
            exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await admin.execute(f'{verb} ROLE "{role}" {attributes[kind]}')
        await admin.execute(f'CREATE DATABASE "{db_name}" OWNER "{roles["owner"]}"')
        await admin.execute(f'REVOKE ALL ON DATABASE "{db_name}" FROM PUBLIC')
        for kind in ("app", "system"):
            await admin.execute(f'GRANT CONNECT ON DATABASE "{db_name}" TO "{roles[kind]}"')
    finally:
        await admin.close()
    scratch = url.set(drivername="postgresql+asyncpg", database=db_name)

    def as_role(kind: str) -> str:
        return scratch.set(username=roles[kind], password=None).render_as_string(hide_password=False)

    async def drop() -> None:
        conn = await asyncpg.connect(dsn, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            await conn.close()

    backend = Backend("postgresql", as_role("app"), as_role("system"), as_role("owner"))
    backend.cleanup.append(drop)
    return backend


async def _check_redis(url: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as exc:
        raise ConnectionError(f"Redis at {url} is unreachable: {exc}") from exc
    finally:
        await redis.aclose()


@pytest.fixture(scope="session", params=backends())
async def backend(request: pytest.FixtureRequest, test_settings: Settings) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(test_settings.var_dir) / 'test.db'}"
        yield Backend("sqlite", url, url, url)
        return
    admin_url = os.environ.get("QUANYU_TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    redis_url = os.environ.get("QUANYU_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    try:
        prepared = await _prepare_postgresql(admin_url)
        await _check_redis(redis_url)
    except ConnectionError as exc:
        if _in_ci():
            pytest.fail(f"{exc} (CI=true: the PostgreSQL and Redis half of the suite must run)")
        pytest.skip(str(exc))
    prepared.redis_url = redis_url
    try:
        yield prepared
    finally:
        for step in prepared.cleanup:
            await step()


def build_plugin_host(*plugins: Any, entry_points: bool = True) -> PluginHost:
    """A plugin host with every installed plugin (``entry_points``) and ``plugins`` registered.

    A plugin already loaded from its entry point is not registered twice; one
    that cannot be registered (bad manifest, slug taken) raises with the reason.
    """
    from core.plugins.host import PluginHost

    host = PluginHost()
    if entry_points:
        host.load_entry_points()
    for obj in plugins:
        if any(loaded.obj is obj for loaded in host.plugins.values()):
            continue
        name = getattr(obj, "__name__", type(obj).__name__)
        if host.register(obj, source=f"tests ({name})") is None:
            raise RuntimeError(f"plugin {name} could not be registered: {host.broken[-1].error}")
    return host


@pytest.fixture(scope="session")
def quanyu_plugins() -> list[Any]:
    """The plugins under test besides the installed ones: override it in your ``conftest.py``.

    ::

        @pytest.fixture(scope="session")
        def quanyu_plugins():
            import quanyu_visits

            return [quanyu_visits]
    """
    return []


@pytest.fixture(scope="session")
def plugin_host(quanyu_plugins: list[Any]) -> Iterator[PluginHost]:
    """The process's plugin host for the session: installed plugins plus ``quanyu_plugins``.

    Set before ``database`` migrates (so the plugins' tables exist) and used by
    ``client``; the previous host is put back at the end of the session.
    """
    from core.plugins.host import get_host, set_host

    previous = get_host()
    if not quanyu_plugins:
        yield previous
        return
    host = build_plugin_host(*quanyu_plugins)
    set_host(host)
    try:
        yield host
    finally:
        set_host(previous)


@pytest.fixture(scope="session")
async def database(backend: Backend, plugin_host: PluginHost) -> AsyncIterator[Any]:
    """The migrated database of this backend (core and every plugin of ``plugin_host``), used through the app role."""
    from sqlalchemy.engine import make_url

    from core.db.engine import create_engine
    from core.db.migrate import upgrade
    from core.db.session import Database, set_database

    owner = create_engine(backend.owner_url)
    try:
        if backend.name == "postgresql":
            await upgrade(
                owner,
                app_role=make_url(backend.app_url).username,
                system_role=make_url(backend.system_url).username,
            )
        else:
            await upgrade(owner)
    finally:
        await owner.dispose()
    db = Database(backend.app_url, backend.system_url, pool_size=5)
    db.backend = backend  # type: ignore[attr-defined]
    set_database(db)
    try:
        yield db
    finally:
        set_database(None)
        await db.dispose()


@pytest.fixture(scope="session")
async def redis_client(backend: Backend) -> AsyncIterator[Any]:
    """Redis on the PostgreSQL half (sessions live there, as in production); None on SQLite."""
    if backend.redis_url is None:
        yield None
        return
    from redis.asyncio import Redis

    client = Redis.from_url(backend.redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@dataclass
class TenantHandle:
    """A provisioned district for one test: its tenant row and root node."""

    id: uuid.UUID
    slug: str
    code: str
    root_id: uuid.UUID
    root_path: str


def _unique_code() -> str:
    return str(secrets.randbelow(899_999) + 100_000)


@pytest.fixture
def make_tenant(database: Any) -> Callable[..., Awaitable[TenantHandle]]:
    """Factory: a fresh district with a unique slug and code (tests never share a tenant).

    Unlike a real district's default, administrators need no second factor unless the test says so.
    """
    from core.tenancy.service import TenantDefinition, provision, root_node

    async def make(name_zh: str = "测试区", **settings: Any) -> TenantHandle:
        import msgspec

        from core.tenancy.settings import TenantSettings

        # The suite logs administrators in everywhere with a password alone; tests of the second
        # factor ask for it with ``make_tenant(security={"totp_required_for_admins": True})``.
        settings["security"] = {"totp_required_for_admins": False, **settings.get("security", {})}

        slug = f"t{secrets.token_hex(5)}"
        definition = TenantDefinition(
            code=_unique_code(),
            slug=slug,
            name_zh=name_zh,
            name_en="Test district",
            settings=msgspec.convert(settings, TenantSettings),
        )
        for _attempt in range(5):
            try:
                async with database.system_transaction() as session:
                    tenant = await provision(session, definition)
                    root = await root_node(session, tenant.id)
                return TenantHandle(tenant.id, tenant.slug, tenant.code, root.id, root.path)
            except ValueError:
                definition.code = _unique_code()
        raise RuntimeError("could not find a free district code")

    return make


@pytest.fixture
def make_node(database: Any) -> Callable[..., Awaitable[Any]]:
    """Factory: an org node under ``parent_id`` (written directly, bypassing the API)."""
    from core.orgs.models import OrgNode, segment

    async def make(tenant: TenantHandle, parent_id: uuid.UUID, kind: str, name: str, **attrs: Any) -> OrgNode:
        async with database.transaction(tenant.id) as session:
            parent = await session.get_one(OrgNode, (tenant.id, parent_id))
            node = OrgNode(kind=kind, name=name, parent_id=parent.id, depth=parent.depth + 1, attrs=attrs)
            node.path = parent.path + segment(node.id)
            session.add(node)
        return node

    return make


@pytest.fixture
def make_user(database: Any) -> Callable[..., Awaitable[Any]]:
    """Factory: an active account holding ``roles`` at ``node_id`` (default the district), password TEST_PASSWORD."""
    from core.auth.service import create_user
    from core.orgs.models import OrgNode

    async def make(
        tenant: TenantHandle, *roles: str, node_id: uuid.UUID | None = None, username: str | None = None
    ) -> Any:
        async with database.transaction(tenant.id) as session:
            node = await session.get_one(OrgNode, (tenant.id, node_id or tenant.root_id))
            return await create_user(
                session,
                username=username or f"u{secrets.token_hex(4)}",
                display_name="测试用户",
                org_node=node,
                password=TEST_PASSWORD,
                role_keys=list(roles),
                must_change_password=False,
            )

    return make


# Apps built for the session, by backend, Redis client and plugin host: with some 600 route handlers,
# building the app took longer than most tests that use it. Each holds what it was built with, so that
# an object's id can never be reused for another while its app is kept.
_apps: dict[tuple[int, int, int], tuple[tuple[Any, ...], Any]] = {}


def shared_app(database: Any, redis_client: Any, plugin_host: PluginHost) -> Any:
    """The app for these, built once per session; built afresh when the settings were overridden since
    (the app reads a few of them, the CSRF key among them, when it is built). Requests keep no state in
    the app itself: sessions, rate limits and plugin versions live in the database and Redis, and every
    test works in districts of its own."""
    from core.settings import get_settings
    from core.web.app import create_app

    made_with = (get_settings(), database, redis_client, plugin_host)
    key = (id(database), id(redis_client), id(plugin_host))
    kept = _apps.get(key)
    if kept is not None and all(a is b for a, b in zip(kept[0], made_with, strict=True)):
        return kept[1]
    app = create_app(database, redis_client, plugin_host=plugin_host)
    _apps[key] = (made_with, app)
    return app


@pytest.fixture
async def client(database: Any, redis_client: Any, plugin_host: PluginHost) -> AsyncIterator[Any]:
    """An HTTP test client of the whole app (with the plugins of ``plugin_host``) on this backend."""
    import httpx

    # ASGITransport runs the app on the test's own event loop, which the
    # database pools are bound to (Litestar's test client uses another loop).
    app = shared_app(database, redis_client, plugin_host)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def login(client: Any) -> Callable[..., Awaitable[dict[str, str]]]:
    """Log ``user`` in to ``tenant``; returns bearer headers."""

    async def do_login(tenant: TenantHandle, user: Any, password: str = TEST_PASSWORD) -> dict[str, str]:
        response = await client.post(
            "/api/v1/auth/login",
            json={"district": tenant.slug, "username": user.username, "password": password},
        )
        assert response.status_code == 200, response.text
        client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return do_login


@pytest.fixture
async def admin(make_tenant: Any, make_user: Any, login: Any) -> Any:
    """A fresh district with a logged-in system administrator: ``admin.tenant``, ``admin.user``, ``admin.headers``."""
    tenant = await make_tenant()
    user = await make_user(tenant, "system_admin")
    return Actor(tenant, user, await login(tenant, user))


@dataclass
class Actor:
    """A logged-in account: its district, its user row and the bearer ``headers`` to send."""

    tenant: TenantHandle
    user: Any
    headers: dict[str, str]


@pytest.fixture
def make_actor(make_tenant: Any, make_user: Any, login: Any) -> Callable[..., Awaitable[Actor]]:
    """Factory: a logged-in account holding ``roles`` (default ``system_admin``).

    ``await make_actor()`` is the administrator of a fresh district (another
    district than ``admin``'s); ``await make_actor("secretary", tenant=admin.tenant,
    node_id=street.id)`` a secretary of one street of ``admin``'s district.
    """

    async def make(
        *roles: str, tenant: TenantHandle | None = None, node_id: uuid.UUID | None = None
    ) -> Actor:
        district = tenant or await make_tenant()
        user = await make_user(district, *(roles or ("system_admin",)), node_id=node_id)
        return Actor(district, user, await login(district, user))

    return make


@pytest.fixture
def enable_plugin(client: Any) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Factory: ``await enable_plugin(admin, "visits")`` enables a plugin for ``admin``'s district.

    It goes through the API as a district administrator would (``POST
    /api/v1/plugins/<slug>/enable``), so ``actor`` must hold ``tenant.configure``
    at the district root, and the plugin's requirements must be enabled first.
    Returns the plugin as the API shows it.
    """

    async def enable(actor: Actor, slug: str) -> dict[str, Any]:
        response = await client.post(f"/api/v1/plugins/{slug}/enable", headers=actor.headers)
        client.cookies.clear()
        assert response.status_code == 200, f"enabling {slug}: {response.status_code} {response.text}"
        result: dict[str, Any] = response.json()
        return result

    return enable


def run(coro: Awaitable[Any]) -> Any:
    """Run a coroutine from synchronous test code."""
    return asyncio.get_event_loop().run_until_complete(coro)


@pytest.fixture
def cli(backend: Backend, database: Any, test_settings: Settings) -> Iterator[Any]:
    """Invoke ``quanyu`` commands against this backend: ``cli("tenant", "list", input=None)``.

    Call it from synchronous tests: each command runs its own event loop.
    """
    from click.testing import CliRunner

    from core.cli import main

    command_settings = msgspec.structs.replace(
        test_settings,
        database_url=backend.app_url,
        database_system_url=backend.system_url,
        database_owner_url=backend.owner_url,
        redis_url=backend.redis_url or "",
    )
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        override_settings(command_settings)
        try:
            return runner.invoke(main, list(args), input=input, catch_exceptions=False)
        finally:
            override_settings(test_settings)

    yield invoke


@pytest.fixture
def round_trip(database: Any, tmp_path: Path) -> Callable[..., Awaitable[dict[str, tuple[int, int]]]]:
    """Export a district, import it as a copy, and compare every table row by row.

    Returns ``{table: (rows in the original, rows in the copy)}`` after asserting
    that each row of the copy equals its original apart from ``tenant_id`` (and
    re-keyed ciphertext, compared decrypted, and the audit hashes a copy signs again). Plugin tests call it after
    creating their records to prove their tables survive export and import.
    """
    from sqlalchemy import select

    from core import crypto
    from core.tenancy.archive import (
        ENCRYPTED_COLUMNS,
        RESIGNED_COLUMNS,
        archived_tables,
        export_tenant,
        import_tenant,
    )

    async def run(tenant: TenantHandle) -> dict[str, tuple[int, int]]:
        archive = tmp_path / f"{tenant.slug}.zip"
        async with database.system_transaction() as session:
            await export_tenant(session, tenant.id, archive)
        async with database.system_transaction() as session:
            copy = await import_tenant(session, archive, slug=f"c{secrets.token_hex(5)}", code=_unique_code())
        compared: dict[str, tuple[int, int]] = {}
        async with database.system_transaction() as session:
            for table in archived_tables():
                key = [c.name for c in table.primary_key.columns if c.name != "tenant_id"]

                async def rows(
                    tenant_id: uuid.UUID, table: Any = table, key: list[str] = key
                ) -> dict[Any, Any]:
                    result = await session.execute(select(table).where(table.c.tenant_id == tenant_id))
                    return {tuple(r[k] for k in key): dict(r) for r in result.mappings()}

                original, copied = await rows(tenant.id), await rows(copy.id)
                assert original.keys() == copied.keys(), f"{table.name}: rows differ after the round trip"
                secret = ENCRYPTED_COLUMNS.get(table.name, {})
                resigned = RESIGNED_COLUMNS.get(table.name, frozenset())
                for pk, row in original.items():
                    other = copied[pk]
                    for column, value in row.items():
                        if column == "tenant_id" or column in {i for i, _f in secret.values()} | resigned:
                            continue
                        if column in secret and value is not None:
                            assert crypto.decrypt(tenant.id, value) == crypto.decrypt(copy.id, other[column])
                            continue
                        assert other[column] == value, (
                            f"{table.name}.{column} of {pk} changed in the round trip"
                        )
                compared[table.name] = (len(original), len(copied))
        return compared

    return run


@pytest.fixture
def run_jobs(database: Any, plugin_host: PluginHost) -> Callable[[], Awaitable[int]]:
    """``await run_jobs()`` works the outbox as the worker does until nothing is due; returns how many ran.

    Jobs run through the real path (claimed, run with their district's session,
    skipped where their plugin is disabled, retried later when they fail).
    """
    from core.jobs.service import run_due

    async def run() -> int:
        total = 0
        while ran := await run_due(database, plugin_host, limit=1000):
            total += ran
        return total

    return run


@pytest.fixture
def fire_schedule(database: Any, plugin_host: PluginHost, run_jobs: Any) -> Callable[..., Awaitable[int]]:
    """``await fire_schedule("visits.remind", tick)`` does what the scheduler does at ``tick`` for that
    job (one outbox job per district with the plugin enabled, deduplicated per tick), then runs the jobs.

    Returns how many districts got a new job (0 when this tick was fired already).
    """
    from core.jobs.scheduler import fan_out, schedules

    async def fire(job_name: str, tick: dt.datetime | None = None) -> int:
        found = [s for s in schedules(plugin_host) if s.job_name == job_name]
        assert found, (
            f"no schedule for {job_name!r}; declared: {[s.job_name for s in schedules(plugin_host)]}"
        )
        created = await fan_out(database, found[0], tick or dt.datetime.now(dt.UTC))
        await run_jobs()
        return created

    return fire
