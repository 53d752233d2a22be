"""Dependencies every handler uses: the request's database session and principal, and the guard."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.scope import Principal, require
from core.db.session import Database
from core.errors import Forbidden, Unauthorized
from core.i18n import _
from core.web.middleware import DB_SESSION_KEY
from core.web.schemas import PageParams


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """The request's transaction: committed when the handler succeeds, rolled back when it raises."""
    state = request.scope.setdefault("state", {})
    session: AsyncSession | None = state.get(DB_SESSION_KEY)
    owned = session is None
    if session is None:
        database: Database = request.app.state.database
        session = database.session(None)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        if owned:
            await session.close()


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized(_("Log in to continue."))
    return user


def permission_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The route-level check: the handler's ``opt["permission"]`` must be held somewhere.

    Object-level checks (is *this* object inside the caller's scope?) are
    done by ``core.auth.scope.load_in_scope`` in the service.
    """
    if handler.opt.get("exclude_from_auth"):
        return
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise Unauthorized(_("Log in to continue."))
    permission = handler.opt.get("permission")
    if permission:
        require(principal, permission)


def second_factor_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """An administrator who has not enrolled the second factor their district requires may only enrol
    (handlers marked ``allowed_before_second_factor``): on every route, the console's pages included."""
    principal = connection.scope.get("user")
    if (
        isinstance(principal, Principal)
        and principal.second_factor_enrolment_required
        and not handler.opt.get("allowed_before_second_factor")
    ):
        raise Forbidden(
            _("Set up two-step verification first: your district requires it of administrators."),
            code="second_factor_required",
        )


def password_change_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A session whose password must change (set by an administrator, or expired) may only change it
    (handlers marked ``allowed_before_password_change``): on every route, the console's pages included
    (they redirect to the console's password page, ``core.console.errors``)."""
    principal = connection.scope.get("user")
    if (
        isinstance(principal, Principal)
        and principal.must_change_password
        and not handler.opt.get("allowed_before_password_change")
    ):
        raise Forbidden(_("Change your password first."), code="password_change_required")


# Handler parameter types: the dependency is named explicitly, as Litestar 3 requires.
DB = NamedDependency[AsyncSession]
CurrentPrincipal = NamedDependency[Principal]
Paging = NamedDependency[PageParams]
