"""Request context and session authentication.

``RequestContextMiddleware`` gives every request an id, its client address
and its language. ``SessionAuthMiddleware`` resolves the session (cookie or
bearer token), binds the request's database session and tenant context to
the session's tenant, and loads the principal. The tenant of an API request
comes from the principal only, never from the URL or the body.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.denials import REFUSED_SESSION_KEY
from core.auth.principal import load_principal
from core.auth.sessions import (
    SESSION_COOKIE,
    DatabaseSessionStore,
    RedisSessionStore,
    SessionStore,
    resolve_session,
)
from core.context import RequestContext, set_context
from core.db.session import Database, bind_tenant
from core.i18n import negotiate, set_locale
from core.tenancy.context import set_current_tenant
from core.web.metrics import count_tenant_request
from core.web.security import AUTH_VIA_COOKIE_KEY

DB_SESSION_KEY = "quanyu_db_session"
LANG_COOKIE = "quanyu_lang"
REQUEST_ID_KEY = "quanyu_request_id"


def request_locale(query_string: str, cookie_header: str, accept_language: str | None) -> str:
    """The language of a request: ``?lang=``, then the ``quanyu_lang`` cookie, then Accept-Language."""
    lang = next((p[5:] for p in query_string.split("&") if p.startswith("lang=")), None)
    cookie_lang = next(
        (
            c.split("=", 1)[1]
            for c in (x.strip() for x in cookie_header.split(";"))
            if c.startswith(LANG_COOKIE + "=")
        ),
        None,
    )
    return negotiate(lang, cookie_lang, accept_language)


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http":
            await app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        supplied = headers.get("x-request-id", "")
        request_id = supplied if 0 < len(supplied) <= 64 and supplied.isprintable() else uuid.uuid4().hex
        client = scope.get("client")
        set_context(RequestContext(request_id=request_id, address=client[0] if client else None))
        scope.setdefault("state", {})[REQUEST_ID_KEY] = request_id
        set_current_tenant(None)
        set_locale(
            request_locale(
                scope.get("query_string", b"").decode("latin-1"),
                headers.get("cookie", ""),
                headers.get("accept-language"),
            )
        )

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware


def session_store(app_state: Any, db: AsyncSession) -> SessionStore:
    redis = getattr(app_state, "redis", None)
    return RedisSessionStore(redis) if redis is not None else DatabaseSessionStore(db)


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    authorization = connection.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


def token_from(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The session token: a bearer token if one is sent, else the session cookie."""
    if connection.headers.get("authorization", "")[:7].lower() == "bearer ":
        return bearer_token(connection)
    return connection.cookies.get(SESSION_COOKIE) or None


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            session: AsyncSession | None = scope.get("state", {}).pop(DB_SESSION_KEY, None)
            if session is not None:
                await session.close()

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = token_from(connection)
        if not token:
            raise NotAuthorizedException()
        database: Database = connection.app.state.database
        db = database.session(None)
        connection.scope.setdefault("state", {})[DB_SESSION_KEY] = db
        store = session_store(connection.app.state, db)
        record = await resolve_session(store, token)
        if record is None:
            await db.commit()  # a timed-out session was just removed; the refusal must not bring it back
            raise NotAuthorizedException()
        await bind_tenant(db, record.tenant_id)
        set_current_tenant(record.tenant_id)
        principal = await load_principal(db, record.tenant_id, record.user_id, record.token_hash)
        if principal is None:
            await store.delete(record.token_hash)
            await db.commit()
            # The district is known: the refusal is audited there (core.audit.denials).
            connection.scope["state"][REFUSED_SESSION_KEY] = (record.tenant_id, record.user_id)
            raise NotAuthorizedException()
        count_tenant_request(principal.tenant_slug)
        if bearer_token(connection) is None:
            # A browser sends the cookie on its own: such writes must also carry the CSRF token.
            connection.scope["state"][AUTH_VIA_COOKIE_KEY] = True
        ctx = RequestContext(request_id=_ctx_request_id(), address=_ctx_address(), principal=principal)
        set_context(ctx)
        return AuthenticationResult(user=principal, auth=record)


def _ctx_request_id() -> str | None:
    from core.context import current_context

    return current_context().request_id


def _ctx_address() -> str | None:
    from core.context import current_context

    return current_context().address
