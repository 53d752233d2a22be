"""The registry of the cross-tenant isolation suite: one example per API route.

Every route the application serves must either have an *example* here or be
listed in ``EXEMPT`` with a reason (whole non-API URL spaces, the OpenAPI
document and static assets, in ``EXEMPT_PREFIXES``); ``test_isolation.py`` enumerates
``app.routes`` and fails on any route with neither, so a new route cannot
ship without saying how it stays inside its district.

An example is an async builder that, given the ``World`` (tenant A with its
objects, tenant B's administrators, a sibling-street secretary of A),
creates whatever fresh objects it needs in tenant A and returns the concrete
request: URL with the path parameters filled with A's ids, optional JSON
body, and what the owner's success looks like::

    from tests.isolation.registry import Example, register

    @register("GET", "/api/v1/m/grids/grids/{grid_id:uuid}")
    async def read_grid(world):
        grid = await make_grid(world, parent=world.c1)  # a fresh object of tenant A
        return Example(f"/api/v1/m/grids/grids/{grid}", expect=200, owner_sees=(str(grid),))

The path is the route template exactly as Litestar reports it
(``route.path``). Plugins register their examples the same way, from their
test package or, once the plugin host calls it, through the hook that hands
them ``register`` and ``exempt``; the registry itself is a plain dict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.isolation.world import World

from core.isolation import Example

Builder = Callable[["World"], Awaitable[Example]]


@dataclass(frozen=True)
class RouteKey:
    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


EXAMPLES: dict[RouteKey, Builder] = {}
EXEMPT: dict[RouteKey, str] = {}
# Whole URL spaces outside the API (documentation, static assets): any method, any path below.
EXEMPT_PREFIXES: dict[str, str] = {}
_sources: dict[RouteKey, str] = {}


def register(method: str, path: str) -> Callable[[Builder], Builder]:
    """Decorator: ``builder`` is the isolation example of ``method path``."""
    key = RouteKey(method.upper(), path)

    def decorate(builder: Builder) -> Builder:
        if key in EXAMPLES and EXAMPLES[key] is not builder:
            raise ValueError(f"{key} already has an isolation example ({_sources[key]})")
        if key in EXEMPT:
            raise ValueError(f"{key} is exempt from isolation; remove the exemption first")
        EXAMPLES[key] = builder
        _sources[key] = f"{builder.__module__}.{builder.__qualname__}"
        return builder

    return decorate


def exempt(method: str, path: str, reason: str) -> None:
    """Declare ``method path`` outside the isolation suite, saying why (reviewed like code)."""
    key = RouteKey(method.upper(), path)
    if key in EXAMPLES:
        raise ValueError(f"{key} has an isolation example; it cannot also be exempt")
    if not reason.strip():
        raise ValueError(f"{key}: an exemption needs a reason")
    EXEMPT[key] = reason


def exempt_prefix(prefix: str, reason: str) -> None:
    """Declare every route under ``prefix`` (which must not be under ``/api/``) outside the suite."""
    if prefix.startswith("/api/") or not prefix.startswith("/") or not prefix.strip("/"):
        raise ValueError(f"{prefix!r}: only non-API URL spaces may be exempt as a whole")
    if not reason.strip():
        raise ValueError(f"{prefix}: an exemption needs a reason")
    EXEMPT_PREFIXES[prefix] = reason


def exemption(key: RouteKey) -> str | None:
    """Why ``key`` is outside the suite, or None."""
    if key in EXEMPT:
        return EXEMPT[key]
    for prefix, reason in EXEMPT_PREFIXES.items():
        if key.path == prefix.rstrip("/") or key.path.startswith(prefix.rstrip("/") + "/"):
            return reason
    return None


exempt_prefix("/schema", "the OpenAPI document and its browser: the same for every caller, no tenant data")
exempt_prefix(
    "/t/",
    "console pages (HTML): the district in the URL must be the session's, else 404 (test_console.py and "
    "tests/browser check every page); they call the same scoped services as the API routes covered here. "
    "Public pages carry no session: 404 unless the district publishes and enabled the plugin (test_console.py)",
)
exempt_prefix("/static", "packaged static assets (the OpenAPI browser's scripts): no tenant data")

# Routes that carry no tenant data or run before any tenant is known.
for _method, _path, _reason in (
    ("GET", "/health/live", "liveness probe: no tenant, no data"),
    ("GET", "/health/ready", "readiness probe: database and Redis reachability only"),
    ("GET", "/metrics", "operator scrape: counts labelled by route template and district slug, no records"),
    (
        "POST",
        "/api/v1/auth/login",
        "pre-auth: the district comes from the body; wrong-district logins are tested in test_auth.py",
    ),
    (
        "POST",
        "/api/v1/auth/login/totp",
        "pre-auth: the challenge names its district and account and is checked against the hash stored "
        "there, once and for minutes; a forged or foreign challenge is refused (test_totp.py)",
    ),
    (
        "POST",
        "/api/v1/auth/forgot",
        "pre-auth: the district comes from the body, the answer is the same 202 for every account; "
        "a username of another district never gets a link (test_password_reset.py)",
    ),
    (
        "POST",
        "/api/v1/auth/redeem",
        "pre-auth: a token is looked up only inside the named district; "
        "redeeming one district's token under another is tested in test_auth.py",
    ),
    (
        "GET",
        "/api/v1/files/{token:str}",
        "a signed link is a capability for one file for minutes, encrypted with the platform key and naming "
        "its district; issuing it is isolated (POST .../link), forging and expiry are tested in test_attachments.py",
    ),
):
    exempt(_method, _path, _reason)
