"""HTTP hardening: security headers on every response, CSRF for cookie-authenticated writes, body limits.

The headers are added in a ``before_send`` hook, not a middleware: Litestar
runs middleware per route, so a routing error (unknown path, wrong method)
would be answered without them. See docs/security.md for why each value is
what it is.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Message, Receive, Scope, Send

from core.settings import get_settings

# The console's scripts and styles are files served by the platform; no inline script, handler or style.
# Leaflet is installed but no page draws a map yet, so no tile server is allowed; add one here (and say
# why in docs/security.md) when a page does.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# Swagger UI's own stylesheet draws its icons from data: URIs; the page shows no user data.
OPENAPI_UI_POLICY = CONTENT_SECURITY_POLICY.replace("img-src 'self'", "img-src 'self' data:")
OPENAPI_UI_PREFIX = "/schema"
# No browser feature the console uses needs a permission; deny the ones a page could ask for.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# One year, the minimum browsers' preload lists accept; no includeSubDomains: a district's other
# services on sibling hosts may still be served over plain HTTP on its intranet.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"

API_PREFIX = "/api/"
# JSON bodies stay small; upload routes set their own, larger limit on the handler.
JSON_BODY_LIMIT = 1024 * 1024
AUTH_VIA_COOKIE_KEY = "quanyu_auth_via_cookie"


def served_over_https(scope: Scope) -> bool:
    """HTTPS as the client saw it: uvicorn rewrites the scheme from X-Forwarded-Proto of trusted proxies
    (``QUANYU_FORWARDED_ALLOW_IPS``); ``QUANYU_COOKIE_SECURE`` declares that users reach the platform by HTTPS
    even when the proxy does not say so."""
    return scope.get("scheme") == "https" or get_settings().cookie_secure


def _is_authenticated(scope: Scope) -> bool:
    return scope.get("user") is not None


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Before-send hook: the security headers on every HTTP response (handlers' own values win)."""
    if message["type"] != "http.response.start" or str(scope["type"]) != "http":
        return
    headers = MutableScopeHeaders.from_message(message)
    path: str = scope.get("path", "")
    defaults = {
        "Content-Security-Policy": OPENAPI_UI_POLICY
        if path.startswith(OPENAPI_UI_PREFIX)
        else CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if served_over_https(scope):
        defaults["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    # Personal data must not stay in a browser's or a proxy's cache: every API answer (the login's
    # token included) and every page shown to a logged-in user.
    if path.startswith(API_PREFIX) or _is_authenticated(scope):
        defaults["Cache-Control"] = "no-store"
    for name, value in defaults.items():
        if headers.get(name) is None:
            headers[name] = value


class SessionCSRFMiddleware(CSRFMiddleware):
    """Litestar's double-submit CSRF check, for every console write and for API writes authenticated by
    the session cookie. An API request carrying a bearer token (or no session at all) is not a browser
    riding on a cookie, so it needs no token; one the session cookie authenticated does.

    Runs after the session middleware, which marks a request authenticated by the cookie."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            str(scope["type"]) == "http"
            and str(scope.get("path", "")).startswith(API_PREFIX)
            and not scope.get("state", {}).get(AUTH_VIA_COOKIE_KEY)
        ):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def body_limit_of(request: Any) -> int | None:
    """The body limit (bytes) of the request's route, if it was routed."""
    handler = request.scope.get("route_handler")
    if handler is None:
        return None
    limit = handler.resolve_request_max_body_size()
    return int(limit) if limit else None
