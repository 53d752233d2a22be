"""Schemathesis fuzzes every operation of the served OpenAPI document, as the district's administrators.

The app under test is the production one: every installed plugin (the suite's fixture plugins left
out), each enabled for a fresh district of the throwaway test database (PostgreSQL with row-level
security on the CI half). Separation of duties forbids one account holding every permission, so each
operation runs as the administrator whose duty covers its permission (system, security or audit).
Cases come from a fixed seed, a bounded number per operation and generation mode (valid data, then
data the schema forbids), and each response passes exactly the checks in ``CHECKS``.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyotp
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Per operation and generation mode: ~230 operations x 2 modes make about 3,600 cases, a couple of minutes.
MAX_EXAMPLES = 8
CASES_PROPERTY = "schemathesis_cases_per_operation"
ADMIN_ROLES = ("system_admin", "security_admin", "audit_admin")

# Operations fuzzing cannot keep calling with the administrators' sessions (each reason stated):
EXCLUDED = {
    # Ends the session every later case runs with.
    ("POST", "/api/v1/auth/logout"): "ends the fuzzing session",
    # Revoking a session by id can hit the administrator's own current one.
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): "can revoke the fuzzing session",
    # A generated new password that passes the policy would lock the next login out of TEST_PASSWORD.
    ("POST", "/api/v1/auth/password"): "changes the fuzzing account's password",
}
# 403 codes that mean the administrator lost access to everything, not a refusal of this one case.
LOCKED_OUT_CODES = {"second_factor_required", "password_change_required"}


# Of the positive cases of an operation with an id in its path, the share (in quarters) sent with real
# ids: a generated UUID matches nothing and stops at the lookup's 404, before the handler's own code.
REAL_ID_QUARTERS = 3
# Operations that get only generated ids (each reason stated):
GENERATED_IDS_ONLY: dict[tuple[str, str], str] = {}
# Isolation examples not built for the fuzz: they act on the run's own sessions, accounts or plugins.
SKIPPED_EXAMPLE_PREFIXES = ("/api/v1/auth", "/api/v1/plugins", "/api/v1/me")
SKIPPED_EXAMPLES: set[tuple[str, str]] = set()
# Run order: what creates and lists objects first (their ids feed the operations below them), what
# removes them last, so one DELETE does not leave every later operation without its objects.
METHOD_ORDER = {"POST": 0, "GET": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}


@dataclass
class KnownIds:
    """Real ids for path parameters, gathered from the fixture's objects and from 2xx responses.

    ``by_collection`` maps a path template (``/api/v1/m/funds/funds``) to the path parameters of the
    request that answered there plus the id of an object in the answer: an operation one level down
    (``.../funds/{fund_id}/income``) gets a consistent set, parent and child. ``by_name`` maps a
    parameter name (``node_id``) to ids seen in fields of that name, for paths no listing covers.
    ``protected`` ids are never fed: the administrators' own accounts, grants and roles, and the
    district's root node (archiving or moving them would end the run's access, not test a handler).
    """

    by_collection: defaultdict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    by_name: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    protected: set[str] = field(default_factory=set)
    by_template: defaultdict[str, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    unbuilt: list[str] = field(default_factory=list)

    def add_name(self, name: str, value: Any) -> None:
        value = str(value)
        if value not in self.protected and value not in self.by_name[name] and _is_uuid(value):
            self.by_name[name].append(value)

    def harvest(self, template: str, path_parameters: dict[str, Any], body: Any) -> None:
        objects = body if isinstance(body, list) else [body]
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            objects = body["items"]
        known = self.by_collection[template]
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            for key, value in obj.items():
                if key.endswith("_id") and isinstance(value, str):
                    self.add_name(key, value)
            value = obj.get("id")
            if not isinstance(value, str) or value in self.protected or not _is_uuid(value):
                continue
            entry = {**{k: str(v) for k, v in path_parameters.items()}, "id": value}
            if entry not in known:
                known.append(entry)

    def fill_body(self, body: dict[str, Any], pick: int) -> dict[str, Any]:
        """``body`` with its top-level ``*_id`` strings replaced by real ids of that name (an ``org_node_id``
        by a node's), so that creates succeed and their objects feed the operations below them."""
        filled = dict(body)
        for key, value in body.items():
            if not key.endswith("_id") or not isinstance(value, str):
                continue
            pool = self.by_name.get(key) or (self.by_name.get("node_id") if key.endswith("node_id") else None)
            if pool:
                filled[key] = pool[pick % len(pool)]
        return filled

    def choices(self, template: str) -> list[dict[str, str]]:
        """Sets of real path parameters for ``template``, consistent where a listing supplied them."""
        names = re.findall(r"\{(\w+)\}", template)
        if not names:
            return []
        last = names[-1]
        collection, _, _ = template.rpartition("/{" + last + "}")
        found = [
            {**{k: v for k, v in entry.items() if k != "id"}, last: entry["id"]}
            for entry in self.by_collection.get(collection, [])
        ]
        found += self.by_template.get(template, [])
        found += [{last: value} for value in self.by_name.get(last, [])]
        return [params for params in found if set(params) <= set(names)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class FuzzTarget:
    app: Any
    headers_by_role: dict[str, dict[str, str]]
    permissions_by_role: dict[str, frozenset[str]]
    permission_of: dict[tuple[str, str], str | None]
    known_ids: KnownIds


def _operation_permissions(app: Any) -> dict[tuple[str, str], str | None]:
    from litestar.routes import HTTPRoute

    found: dict[tuple[str, str], str | None] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            for method in handler.http_methods:
                found[(method, path)] = handler.opt.get("permission")
    return found


def _production_app(database: Any, redis: Any, host: Any, test_settings: Any) -> Any:
    from core.settings import override_settings
    from core.web.app import create_app

    # Without the embedded worker the app's event loop only serves requests; jobs stay queued.
    override_settings(msgspec.structs.replace(test_settings, embedded_worker=False))
    try:
        return create_app(database, redis, plugin_host=host)
    finally:
        override_settings(test_settings)


@pytest.fixture
async def fuzz_target(
    backend: Any,
    database: Any,
    client: Any,
    test_settings: Any,
    make_tenant: Any,
    make_node: Any,
    make_user: Any,
    login: Any,
) -> AsyncIterator[FuzzTarget]:
    from sqlalchemy import select

    from core.auth.models import Role
    from core.db.session import Database
    from core.plugins import state
    from core.testing import _in_ci, build_plugin_host

    if backend.name == "sqlite" and _in_ci():
        # CI fuzzes the production database (PostgreSQL, row-level security on) once; the run is long.
        pytest.skip("CI fuzzes on PostgreSQL")
    # What a district installs: the entry-point plugins, not the suite's fixture plugins.
    host = build_plugin_host()
    tenant = await make_tenant()
    pending = [manifest.slug for manifest in host.manifests()]
    while pending:
        progressed = False
        for slug in list(pending):
            try:
                async with database.transaction(tenant.id) as session:
                    await state.enable(session, host, tenant.id, slug)
            except Exception:  # requirements not enabled yet: retried on the next pass
                continue
            pending.remove(slug)
            progressed = True
        assert progressed, f"plugins that cannot be enabled: {pending}"
    headers_by_role = {}
    admins = {}
    for role in ADMIN_ROLES:
        admins[role] = await make_user(tenant, role)
        headers = await login(tenant, admins[role])
        # Enrolled in two-step verification, as the district default requires of administrators: a
        # fuzzed settings PUT that puts the default back must not lock the run out (403 for every case).
        setup = await client.post("/api/v1/auth/totp/setup", headers=headers)
        assert setup.status_code == 200, setup.text
        code = pyotp.TOTP(setup.json()["secret"]).now()
        confirmed = await client.post("/api/v1/auth/totp/confirm", headers=headers, json={"code": code})
        assert confirmed.status_code == 200, confirmed.text
        headers_by_role[role] = headers
    async with database.transaction(tenant.id) as session:
        roles = (await session.scalars(select(Role).where(Role.key.in_(ADMIN_ROLES)))).all()
        permissions_by_role = {r.key: frozenset(r.permissions) for r in roles}
    known_ids = await _seed_objects(tenant, database, client, headers_by_role, admins, make_node, make_user)

    # The app runs on schemathesis's own event loop (its ASGI client's thread), so it gets its own
    # database pools and Redis client there.
    fuzz_database = Database(backend.app_url, backend.system_url, pool_size=5)
    redis = None
    if backend.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(backend.redis_url)
    app = _production_app(fuzz_database, redis, host, test_settings)
    app.on_shutdown.append(fuzz_database.dispose)
    if redis is not None:
        app.on_shutdown.append(redis.aclose)
    try:
        yield FuzzTarget(app, headers_by_role, permissions_by_role, _operation_permissions(app), known_ids)
    finally:
        asgi.shutdown_lifespans()


async def _seed_objects(
    tenant: Any,
    database: Any,
    client: Any,
    headers_by_role: dict[str, dict[str, str]],
    admins: dict[str, Any],
    make_node: Any,
    make_user: Any,
) -> KnownIds:
    """Objects of the fuzzed district whose ids the fuzz puts in paths: an organisation subtree, people
    on it, an account, and what every route's isolation example builds."""
    from sqlalchemy import select

    from core.auth.models import RoleAssignment, User
    from core.people.validation import make_id_card

    known = KnownIds()
    async with database.transaction(tenant.id) as session:
        accounts = (await session.scalars(select(User))).all()
        assignments = (await session.scalars(select(RoleAssignment))).all()
    known.protected |= {str(tenant.root_id)}
    known.protected |= {str(user.id) for user in accounts}
    known.protected |= {str(a.id) for a in assignments} | {str(a.role_id) for a in assignments}

    street = await make_node(tenant, tenant.root_id, "street", "和平路街道")
    community = await make_node(tenant, street.id, "community", "大西路社区")
    branches = [await make_node(tenant, community.id, "branch", f"大西路社区第{n}党支部") for n in "一二"]
    for node in (street, community, *branches):
        known.add_name("node_id", node.id)
    user = await make_user(tenant, node_id=branches[0].id)
    known.add_name("user_id", user.id)
    headers = headers_by_role[ADMIN_ROLES[0]]
    for sequence, branch in enumerate(branches, start=1):
        person = {
            "name": "王建国",
            "id_card": make_id_card("321111", dt.date(1980, 5, 17), sequence, "male"),
            "org_node_id": str(branch.id),
            "phone": "138 0000 1234",
            "party_status": "full",
            "joined_on": "2005-07-01",
            "full_member_on": "2006-07-01",
        }
        created = await client.post("/api/v1/people", headers=headers, json=person)
        assert created.status_code == 201, created.text
        known.add_name("person_id", created.json()["id"])
    await _build_isolation_examples(
        known, tenant, database, client, headers_by_role, admins, street, community, branches[0]
    )
    return known


async def _build_isolation_examples(
    known: KnownIds,
    tenant: Any,
    database: Any,
    client: Any,
    headers_by_role: dict[str, dict[str, str]],
    admins: dict[str, Any],
    street: Any,
    community: Any,
    branch: Any,
) -> None:
    """Each route's isolation example (tests/isolation, and the plugins' through their hook) already
    builds the objects its URL names; built in the fuzzed district, its URL gives that operation a set
    of path parameters that exist and belong together (a fund's transaction of that fund)."""
    import tests.isolation.attachment_examples
    import tests.isolation.core_examples
    import tests.isolation.people_examples
    import tests.isolation.plugin_examples  # noqa: F401  (these modules register the examples)
    from tests.isolation.registry import EXAMPLES
    from tests.isolation.world import Party, World

    class FuzzWorld(World):
        async def ensure_plugin(self, slug: str, *, enabled: bool) -> None:
            # Every plugin is already on; the one district here has no outsider to set up.
            assert enabled, slug

    world = FuzzWorld(client, database, None)
    world.a = tenant
    world.root, world.s1, world.c1, world.b1 = tenant.root_id, street.id, community.id, branch.id
    world.paths = {tenant.root_id: tenant.root_path} | {n.id: n.path for n in (street, community, branch)}
    for label, role in zip(("system", "security", "audit"), ADMIN_ROLES, strict=True):
        world.owners[label] = Party(
            f"A.{role}", tenant, role, tenant.root_id, admins[role], headers_by_role[role]
        )
    for key in sorted(EXAMPLES, key=str):
        template = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", key.path)
        names = re.findall(r"\{(\w+)\}", template)
        if (
            not names
            or (key.method, template) in SKIPPED_EXAMPLES
            or template.startswith(SKIPPED_EXAMPLE_PREFIXES)
        ):
            continue
        try:
            example = await EXAMPLES[key](world)
        except Exception as exc:  # e.g. an example that needs the isolation world's second district
            known.unbuilt.append(f"{key}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        pattern = re.escape(template)
        for name in names:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/?]+)")
        matched = re.fullmatch(pattern, example.url.split("?", 1)[0])
        if matched is None:
            continue
        params = matched.groupdict()
        if not set(params.values()) & known.protected:
            known.by_template[template].append(params)


def _role_for(target: FuzzTarget, method: str, path: str) -> str:
    permission = target.permission_of.get((method, path))
    for role in ADMIN_ROLES:
        if permission is None or permission in target.permissions_by_role.get(role, frozenset()):
            return role
    return ADMIN_ROLES[0]  # no administrator holds it: the 403 must still be documented


@dataclass
class Tally:
    """Per operation: cases sent, how many succeeded (2xx), how many got past the lookups (not 404), and how many valid requests sent with the
    token were refused as if the administrator were logged out or locked out of everything."""

    cases: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)
    reached: Counter[str] = field(default_factory=Counter)
    locked_out: Counter[str] = field(default_factory=Counter)


def _locked_out(response: Any) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code != 403:
        return False
    return response.json().get("code") in LOCKED_OUT_CODES


def _drops_token(case: Any) -> bool:
    data = case.meta.phase.data if case.meta is not None else None
    named = [getattr(data, "parameter", None)]
    named += [mutation.parameter for mutation in getattr(data, "mutations", None) or ()]
    return any(isinstance(name, str) and name.lower() == "authorization" for name in named)


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    tally: Tally,
    known_ids: KnownIds | None = None,
) -> None:
    secured = bool(
        operation.schema.raw_schema["paths"][operation.path][operation.method.lower()].get("security")
    )
    # Negative cases keep their generated path: a real id could make the very part meant to be invalid valid.
    feed_ids = known_ids is not None and mode is GenerationMode.POSITIVE

    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(min_value=0, max_value=1 << 16))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, pick: int) -> None:
        if feed_ids and known_ids is not None and pick % 4 < REAL_ID_QUARTERS:
            choices = known_ids.choices(operation.path)
            if choices:
                case.path_parameters = {**(case.path_parameters or {}), **choices[pick % len(choices)]}
            if isinstance(case.body, dict):
                case.body = known_ids.fill_body(case.body, pick)
        tally.cases[operation.label] += 1
        # A negative case that leaves the token out on purpose goes without it: sent with the token, the
        # request would be valid but for its other (ignorable) negations and be reported as accepted.
        sent = {} if mode is GenerationMode.NEGATIVE and _drops_token(case) else headers
        response = case.call_and_validate(headers=sent, checks=CHECKS)
        if response.status_code != 404:
            tally.reached[operation.label] += 1
        if 200 <= response.status_code < 300:
            tally.succeeded[operation.label] += 1
            if known_ids is not None and any(
                "json" in value for value in response.headers.get("content-type", [])
            ):
                known_ids.harvest(operation.path, case.path_parameters or {}, response.json())
        # Negative cases include requests whose token schemathesis left out on purpose: 401 is right there.
        elif secured and mode is GenerationMode.POSITIVE and _locked_out(response):
            tally.locked_out[operation.label] += 1

    run()


def test_fuzz_every_operation(fuzz_target: FuzzTarget, record_property: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", fuzz_target.app)
    tally = Tally()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    operations.sort(
        key=lambda op: (
            op.method.upper() == "DELETE",
            op.path.count("{"),
            METHOD_ORDER.get(op.method.upper(), 2),
            op.path,
        )
    )
    for operation in operations:
        key = (operation.method.upper(), operation.path)
        if key in EXCLUDED:
            continue
        headers = fuzz_target.headers_by_role[_role_for(fuzz_target, *key)]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                known_ids = None if key in GENERATED_IDS_ONLY else fuzz_target.known_ids
                _fuzz(operation, mode, headers, tally, known_ids)
            except Unsatisfiable:
                # Nothing of this operation can be invalid (no parameters, no body): no negative cases.
                if mode is not GenerationMode.NEGATIVE:
                    raise
            except BaseException as exc:  # schemathesis reports its findings as a BaseExceptionGroup
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    width = max((len(label) for label in tally.cases), default=10)
    lines = [f"{'operation':<{width}}  cases   2xx  not 404"]
    lines += [
        f"{label:<{width}}  {tally.cases[label]:>5}  {tally.succeeded[label]:>4}  {tally.reached[label]:>7}"
        for label in sorted(tally.cases)
    ]
    total = f"total ({len(tally.cases)} operations)"
    lines.append(
        f"{total:<{width}}  {sum(tally.cases.values()):>5}  {sum(tally.succeeded.values()):>4}"
        f"  {sum(tally.reached.values()):>7}"
    )
    lines += [
        f"isolation example not built for the fuzz: {reason}" for reason in fuzz_target.known_ids.unbuilt
    ]
    lines += [
        f"{method} {path}: generated ids only, {reason}"
        for (method, path), reason in GENERATED_IDS_ONLY.items()
    ]
    lines += [f"{method} {path}: not fuzzed, {reason}" for (method, path), reason in EXCLUDED.items()]
    # Shown at the end of the run by tests/conftest.py (also from an xdist worker, which prints nothing).
    record_property(CASES_PROPERTY, "\n".join(lines))
    # The administrators' tokens held to the end (nothing fuzzed logged them out or locked them), and
    # the run reached the handlers rather than only the validation in front of them.
    assert not tally.locked_out, f"valid requests refused for the whole session: {dict(tally.locked_out)}"
    assert sum(tally.succeeded.values()) > len(tally.cases), "too few cases succeeded to mean much"
    assert not failures, f"{len(failures)} fuzzing failures:\n\n" + "\n\n".join(failures)


def test_ignored_auth_fails_an_operation_that_declares_a_login_it_does_not_need(
    tmp_path: Any, test_settings: Any
) -> None:
    """Negative control: the check is live (it would be vacuous if the document declared no security)."""
    from core.db.session import Database
    from core.testing import build_plugin_host
    from core.web.app import BEARER_SCHEME

    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")  # /health/live reads nothing
    app = _production_app(database, None, build_plugin_host(), test_settings)
    live = next(h for route in app.routes if route.path == "/health/live" for h in route.route_handlers)
    live.security = [{BEARER_SCHEME: []}]  # /health/live answers anyone: now the document says otherwise
    try:
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
        operation = schema["/health/live"]["GET"]
        with pytest.raises(BaseException, match="API accepts requests without authentication"):
            _fuzz(operation, GenerationMode.POSITIVE, {"Authorization": "Bearer x"}, Tally())
    finally:
        asgi.shutdown_lifespans()
