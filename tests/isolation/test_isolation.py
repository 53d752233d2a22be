"""Cross-tenant isolation: every route either has an example in the registry or an exemption.

For each example the owner's request must succeed (the example is real);
tenant B's administrators must get 404 (403 where they lack the route's
permission altogether), or for caller-scoped reads a response naming none
of A's objects; their writes must leave A unchanged; A's secretary of the
sibling street S2 must not reach anything under S1.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar.routes import HTTPRoute

import tests.isolation.attachment_examples
import tests.isolation.core_examples
import tests.isolation.import_examples
import tests.isolation.notification_examples
import tests.isolation.people_examples
import tests.isolation.plugin_examples  # noqa: F401  (these modules register the core's examples)
from tests.isolation.registry import EXAMPLES, EXEMPT, EXEMPT_PREFIXES, Example, RouteKey, exemption
from tests.isolation.world import Party, World

IGNORED_METHODS = {"OPTIONS", "HEAD"}
PROBLEM = "application/problem+json"


def app_route_keys(app: Any) -> set[RouteKey]:
    keys = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method in route.methods:
            if method not in IGNORED_METHODS:
                keys.add(RouteKey(method, route.path))
    return keys


def route_permission(app: Any, key: RouteKey) -> str | None:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == key.path:
            for handler in route.route_handlers:
                if key.method in handler.http_methods:
                    return handler.opt.get("permission")
    raise AssertionError(f"no handler for {key}")


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory, test_settings: Any) -> Any:
    """The application as deployed (no database is touched to list its routes)."""
    from core.db.session import Database
    from core.web.app import create_app

    path = Path(tmp_path_factory.mktemp("routes")) / "unused.db"
    return create_app(Database(f"sqlite+aiosqlite:///{path}"), None)


def test_every_route_has_an_example_or_an_exemption(bare_app: Any) -> None:
    routes = app_route_keys(bare_app)
    assert len(routes) > 20, "the route enumeration found suspiciously few routes"
    missing = sorted(str(k) for k in routes if k not in EXAMPLES and exemption(k) is None)
    assert not missing, (
        "routes without an isolation example (register one in tests/isolation, "
        "or exempt it with a reason):\n  " + "\n  ".join(missing)
    )
    both = sorted(str(k) for k in EXAMPLES if exemption(k) is not None)
    assert not both, "routes both exempt and exemplified:\n  " + "\n  ".join(both)
    stale = sorted(str(k) for k in set(EXAMPLES) | set(EXEMPT) if k not in routes)
    stale += sorted(
        p for p in EXEMPT_PREFIXES if not any(exemption(k) and k.path.startswith(p) for k in routes)
    )
    assert not stale, "isolation entries for routes that do not exist:\n  " + "\n  ".join(stale)


def test_registry_refuses_a_route_both_exempt_and_exemplified() -> None:
    from tests.isolation.registry import exempt, register

    key = next(iter(EXEMPT))
    with pytest.raises(ValueError, match="exempt"):
        register(key.method, key.path)(lambda world: None)  # type: ignore[arg-type,return-value]
    taken = next(iter(EXAMPLES))
    with pytest.raises(ValueError):
        exempt(taken.method, taken.path, "because")


def _problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    body = response.json()
    assert body["status"] == response.status_code
    return body


def check_outsider(
    world: World, key: RouteKey, example: Example, party: Party, permission: str | None, response: Any
) -> None:
    """What an outsider (other district, or sibling street for S1 objects) may see."""
    where = f"{party.label} {key.method} {example.url} -> {response.status_code}: {response.text[:300]}"
    watched = world.s1_ids if party is world.sibling or party.label.startswith("A.") else world.a_ids
    if not party.holds(permission):
        # Without the permission: 403, or 404 where a plugin the caller's district has not enabled hides
        # the route altogether (the plugin gate answers before the permission guard).
        hidden = key.path.startswith("/api/v1/m/")
        assert response.status_code in ((403, 404) if hidden else (403,)), where
        assert _problem(response)["code"] in ("forbidden", "not_found"), where
        return
    if example.kind == "object":
        status, code = example.refusal
        assert response.status_code == status, where
        assert _problem(response)["code"] == code, where
        return
    # collection / local_write: the caller's own district, with nothing of A's in it. A write into
    # the caller's own district may also be refused by that district's own state (409/422).
    allowed_refusals = (409, 422) if example.kind == "local_write" else ()
    assert 200 <= response.status_code < 300 or response.status_code in allowed_refusals, where
    leaked = world.leaked(response.text, watched)
    assert not leaked, f"{where}\nleaked ids of tenant A: {leaked}"


def _ids(keys: Any) -> list[str]:
    return [str(k) for k in keys]


@pytest.mark.parametrize("key", sorted(EXAMPLES, key=str), ids=_ids(sorted(EXAMPLES, key=str)))
async def test_route_is_isolated(world: World, key: RouteKey) -> None:
    await assert_route_isolated(world, key, await EXAMPLES[key](world))


async def assert_route_isolated(world: World, key: RouteKey, example: Example) -> None:
    """The whole check of one route: outsiders refused and A unchanged, then the owner succeeds."""
    permission = route_permission(world.app, key)
    owner = world.owners[example.owner]
    assert world.sibling is not None
    outsiders = [*world.outsiders.values(), world.sibling]
    if example.own_user:
        owner = await world.throwaway(owner)
        outsiders = [await world.throwaway(p) for p in outsiders]
    assert owner.holds(permission), f"{key}: the owner {owner.label} lacks {permission}"

    async def readback() -> Any:
        assert example.readback is not None
        response = await world.call(owner, "GET", example.readback)
        assert response.status_code == 200, f"readback {example.readback}: {response.text}"
        return response.json()

    before = await readback() if example.readback else None
    for party in outsiders:
        response = await world.call(
            party, key.method, example.url, example.json, example.params, example.files
        )
        check_outsider(world, key, example, party, permission, response)
        if example.readback:
            assert await readback() == before, f"{party.label}'s {key} changed tenant A's data"

    response = await world.call(owner, key.method, example.url, example.json, example.params, example.files)
    assert response.status_code == example.expect, f"owner {owner.label} {key}: {response.text}"
    for needle in example.owner_sees:
        assert needle in response.text, f"owner's {key} response lacks {needle}: {response.text[:500]}"
    if example.readback and example.readback_changes:
        assert await readback() != before, f"{key}: the readback {example.readback} cannot see the write"


# --- references mixing a district's own objects with another's -----------------------------------


async def test_outsider_cannot_point_own_objects_at_foreign_ones(world: World) -> None:
    """B's administrators naming A's nodes or users next to B's own objects get 404; A is unchanged."""
    assert world.b is not None
    b_sys, b_sec = world.outsiders["system"], world.outsiders["security"]
    b_street = (
        await world.call(
            b_sys,
            "POST",
            "/api/v1/org/nodes",
            {"parent_id": str(world.b.root_id), "kind": "street", "name": f"乙街道{uuid.uuid4().hex[:6]}"},
        )
    ).json()["id"]
    before = (await world.call(world.owners["system"], "GET", f"/api/v1/org/nodes/{world.s1}/subtree")).json()

    moved = await world.call(
        b_sys, "POST", f"/api/v1/org/nodes/{b_street}/move", {"parent_id": str(world.root)}
    )
    assert moved.status_code == 404, moved.text
    user = await world.call(
        b_sys,
        "POST",
        "/api/v1/users",
        {"username": f"x{uuid.uuid4().hex[:8]}", "display_name": "越界", "org_node_id": str(world.c1)},
    )
    assert user.status_code == 404, user.text
    b_user = await world.user(world.b.root_id, "viewer", tenant=world.b)
    at_foreign_node = await world.call(
        b_sec,
        "POST",
        "/api/v1/grants",
        {"user_id": str(b_user.id), "role": "viewer", "org_node_id": str(world.c1)},
    )
    assert at_foreign_node.status_code == 404, at_foreign_node.text
    a_user = await world.user(world.c1, "viewer")
    foreign_user = await world.call(
        b_sec,
        "POST",
        "/api/v1/grants",
        {"user_id": str(a_user.id), "role": "viewer", "org_node_id": str(world.b.root_id)},
    )
    assert foreign_user.status_code == 404, foreign_user.text
    grants = await world.call(world.owners["security"], "GET", f"/api/v1/users/{a_user.id}/grants")
    assert [g["role"] for g in grants.json()] == ["viewer"]
    after = (await world.call(world.owners["system"], "GET", f"/api/v1/org/nodes/{world.s1}/subtree")).json()
    assert after == before
    b_node = await world.call(b_sys, "GET", f"/api/v1/org/nodes/{b_street}")
    assert b_node.json()["parent_id"] == str(world.b.root_id)


def _workbook_text(response: Any) -> str:
    import io

    from openpyxl import load_workbook

    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return "\n".join(
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    )


async def test_district_wide_export_holds_only_the_callers_scope(world: World) -> None:
    """The export's items are in a workbook, which the generic text check cannot read."""
    from tests.isolation.people_examples import person

    someone = await person(world, world.b1)
    name = (await world.call(world.owners["system"], "GET", f"/api/v1/people/{someone}")).json()["name"]
    assert name in _workbook_text(await world.call(world.owners["system"], "GET", "/api/v1/people/export"))
    assert world.sibling is not None
    for party in (world.outsiders["system"], world.sibling):
        text = _workbook_text(await world.call(party, "GET", "/api/v1/people/export"))
        assert name not in text, f"{party.label}'s export holds a person of S1"
        assert "一支部" not in text and "一街道" not in text
