"""Errors on console pages: a browser gets a page (or the login form), not problem+json."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Template

from core.errors import ProblemError

# A session that may only do one thing first is sent to the page where it does it.
OWN_ACCOUNT_PAGES = {"second_factor_required": "/totp", "password_change_required": "/password"}


def is_console(path: str) -> bool:
    parts = path.split("/")
    return len(parts) >= 4 and parts[1] == "t" and parts[3] in ("console", "public")


def console_error(request: Request[Any, Any, Any], error: ProblemError, locale: str) -> Response[Any] | None:
    """The login redirect for a missing session, else an error page; None outside the console."""
    if not is_console(request.url.path):
        return None
    if error.status == 401:
        from core.console.routes import login_redirect

        redirect = login_redirect(request.url.path, request.url.query)
        if redirect is not None:
            return redirect
    if error.status == 403 and error.code in OWN_ACCOUNT_PAGES:
        from litestar.response import Redirect

        slug = request.url.path.split("/")[2]
        return Redirect(path=f"/t/{slug}/console{OWN_ACCOUNT_PAGES[error.code]}", status_code=303)
    body = error.to_problem(locale)
    slug = request.url.path.split("/")[2]
    section = request.url.path.split("/")[3]
    return Template(
        template_name="console/error.html",
        context={
            "status": error.status,
            "title": body["title"],
            "detail": body["detail"],
            "console": f"/t/{slug}/{section}",
            "locale": locale,
        },
        status_code=error.status,
    )
