"""Separation of duties (三权分立), exhaustively: on every route the application serves (core and every
installed plugin, enumerated from the app), each of the system, security and audit administrators is
refused (403) whatever its role does not carry, with every mechanism enabled so no route hides behind
the plugin gate. The three roles share no duty: no permission of one duty is held by another's role."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.routes import HTTPRoute

from core.auth.permissions import BUILTIN_ROLES, duties_of
from tests.isolation.world import World

ADMIN_ROLES = {"system": "system_admin", "security": "security_admin", "audit": "audit_admin"}
IGNORED_METHODS = {"OPTIONS", "HEAD"}
PARAMETER = re.compile(r"\{(\w+):(\w+)\}")


def _concrete(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        kind = match.group(2)
        if kind == "uuid":
            return str(uuid.uuid4())
        if kind == "int":
            return "1"
        return "x"

    return PARAMETER.sub(fill, path)


def _permissioned_routes(app: Any) -> list[tuple[str, str, str]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            permission = handler.opt.get("permission")
            for method in handler.http_methods:
                if method not in IGNORED_METHODS and permission:
                    found.append((method, route.path, permission))
    return sorted(found)


def test_the_three_administrators_share_no_duty() -> None:
    roles = {role.key: role for role in BUILTIN_ROLES}
    for duty, key in ADMIN_ROLES.items():
        assert duties_of(roles[key].permissions) == {duty}, (
            f"{key} touches {duties_of(roles[key].permissions)}"
        )


async def test_every_route_refuses_each_administrator_what_their_role_does_not_carry(world: World) -> None:
    host = world.app.state.plugin_host
    for slug in sorted(host.plugins):
        await world.ensure_plugin(slug, enabled=True)
    routes = _permissioned_routes(world.app)
    assert len(routes) > 100, "the route enumeration found too few routes"
    checked = 0
    failures = []
    for label, party in world.owners.items():
        assert party.role == ADMIN_ROLES[label]
        for method, path, permission in routes:
            if party.holds(permission):
                continue
            response = await world.call(party, method, _concrete(path), json={} if method != "GET" else None)
            checked += 1
            if response.status_code != 403 or response.json().get("code") != "forbidden":
                failures.append(f"{party.label} {method} {path} ({permission}) -> {response.status_code}")
    assert not failures, "\n".join(failures[:40])
    assert checked > 300, f"only {checked} refusals checked"


@pytest.mark.parametrize("label", sorted(ADMIN_ROLES))
async def test_each_administrator_still_does_their_own_duty(world: World, label: str) -> None:
    """The positive control: the refusals above are the role's, not a broken login."""
    own = {"system": "/api/v1/users/", "security": "/api/v1/roles/", "audit": "/api/v1/audit/"}[label]
    response = await world.call(world.owners[label], "GET", own)
    assert response.status_code == 200, response.text


# Routes without a route-level permission, each for a reason: the caller's own account, session and
# notifications; what every logged-in user may read of their district and its mechanisms; attachments,
# whose permission is their owner object's (checked inside, per owner kind); and the public entry points.
WITHOUT_ROUTE_PERMISSION = {
    "POST /api/v1/auth/login": "public: logging in",
    "POST /api/v1/auth/login/totp": "public: the second login step",
    "POST /api/v1/auth/forgot": "public: asking for a reset link",
    "POST /api/v1/auth/redeem": "public: redeeming an invitation or reset token",
    "GET /api/v1/files/{token:str}": "public: a signed, expiring download link",
    "POST /api/v1/auth/password": "own account",
    "POST /api/v1/auth/logout": "own session",
    "GET /api/v1/auth/me": "own account",
    "GET /api/v1/auth/sessions": "own sessions",
    "DELETE /api/v1/auth/sessions/{session_id:str}": "own sessions",
    "POST /api/v1/auth/totp/setup": "own account: two-step verification",
    "POST /api/v1/auth/totp/confirm": "own account: two-step verification",
    "POST /api/v1/auth/totp/disable": "own account: two-step verification",
    "GET /api/v1/district": "the caller's district",
    "GET /api/v1/plugins": "the mechanisms the caller's district has enabled",
    "GET /api/v1/plugins/{slug:str}": "one mechanism's state",
    "GET /api/v1/plugins/{slug:str}/config-schema": "a mechanism's configuration schema",
    "GET /api/v1/attachments": "the owner object's permission",
    "POST /api/v1/attachments": "the owner object's permission",
    "GET /api/v1/attachments/{attachment_id:uuid}": "the owner object's permission",
    "DELETE /api/v1/attachments/{attachment_id:uuid}": "the owner object's permission",
    "GET /api/v1/attachments/{attachment_id:uuid}/content": "the owner object's permission",
    "GET /api/v1/attachments/{attachment_id:uuid}/thumbnail": "the owner object's permission",
    "POST /api/v1/attachments/{attachment_id:uuid}/link": "the owner object's permission",
    "GET /api/v1/notifications": "own notifications",
    "POST /api/v1/notifications/read-all": "own notifications",
    "POST /api/v1/notifications/{notification_id:uuid}/read": "own notifications",
    "GET /api/v1/notifications/unread-count": "own notifications",
    "GET /api/v1/notifications/settings": "own notification settings",
    "PUT /api/v1/notifications/settings": "own notification settings",
    "GET /api/v1/notifications/settings/contact": "own contact details",
    "PUT /api/v1/notifications/settings/contact": "own contact details",
}


def test_every_api_route_without_a_permission_says_why(world: World) -> None:
    """A new API action without a route permission would escape the check above: it must be listed here."""
    found = set()
    for route in world.app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("permission"):
                continue
            found |= {f"{m} {route.path}" for m in handler.http_methods if m not in IGNORED_METHODS}
    assert found - set(WITHOUT_ROUTE_PERMISSION) == set(), "API routes without a permission or a reason"
    assert set(WITHOUT_ROUTE_PERMISSION) - found == set(), "reasons for routes that no longer exist"
