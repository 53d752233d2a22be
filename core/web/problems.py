"""Rendering every error as problem+json (RFC 9457), in the request's language."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db.session import CrossTenantWrite
from core.errors import (
    BadRequest,
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    RateLimited,
    Unauthorized,
    not_found,
)
from core.i18n import _, current_locale
from core.web.security import body_limit_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("quanyu.web")


class ProblemField(msgspec.Struct):
    field: str
    code: str
    message: str
    row: int | None = None
    column: str | None = None


class ProblemDetails(msgspec.Struct, kw_only=True):
    """The error body of every operation (RFC 9457)."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = None
    error_count: int | None = None
    request_id: str | None = None
    reference: str | None = None  # of an internal error: the id under which it was logged


def problem_response(request: Request[Any, Any, Any] | None, error: ProblemError) -> Response[Any]:
    from core.context import current_context
    from core.web.middleware import REQUEST_ID_KEY, request_locale

    locale = current_locale()
    request_id = current_context().request_id
    if request is not None:
        # Routing errors (unknown path, wrong method) are raised before the request middleware runs:
        # read the language and id from the request itself rather than from a previous request's context.
        state = request.scope.get("state", {})
        request_id = state.get(REQUEST_ID_KEY) or uuid.uuid4().hex
        locale = request_locale(
            request.scope.get("query_string", b"").decode("latin-1"),
            request.headers.get("cookie", ""),
            request.headers.get("accept-language"),
        )
    if request is not None:
        from core.console.errors import console_error

        page = console_error(request, error, locale)
        if page is not None:
            if page.status_code == error.status:  # an error page, not the login redirect
                for name, value in error.headers.items():
                    page.headers.setdefault(name, value)
            return page
    body = error.to_problem(locale, instance=request.url.path if request is not None else None)
    headers = dict(error.headers)
    if request_id:
        body["request_id"] = request_id
        # Errors raised in middleware are answered outside the middleware that stamps this header.
        headers["X-Request-ID"] = request_id
    return Response(
        content=body, status_code=error.status, media_type=PROBLEM_MEDIA_TYPE, headers=headers or None
    )


_MISSING_PARAMETER = re.compile(r"Missing required (?:\w+ )?parameter '(?P<name>[^']+)'")
_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD = re.compile(r"`(?P<name>[^`]+)`")


def field_problem_from_msgspec(message: str, key: str | None = None) -> FieldProblem:
    """Turn a msgspec validation message into a field problem naming the field."""
    path = ""
    at = _AT.search(message)
    if at:
        path = at.group("path").lstrip(".")
        message = message[: at.start()]
    if message.startswith("Object missing required field"):
        name = _FIELD.search(message)
        field = ".".join(filter(None, [path, name.group("name") if name else ""]))
        return FieldProblem(field or key or "body", "missing", _("This field is required."))
    if message.startswith("Object contains unknown field"):
        name = _FIELD.search(message)
        field = ".".join(filter(None, [path, name.group("name") if name else ""]))
        return FieldProblem(field or key or "body", "unknown_field", _("This field is not allowed."))
    field = path or key or "body"
    if "length" in message and ("<=" in message or "<" in message):
        limit = re.search(r"length <= (\d+)", message)
        if limit:
            return FieldProblem(
                field, "too_long", _("At most {max} characters are allowed."), {"max": int(limit.group(1))}
            )
    if "length >=" in message:
        limit = re.search(r"length >= (\d+)", message)
        if limit:
            return FieldProblem(
                field, "too_short", _("At least {min} characters are required."), {"min": int(limit.group(1))}
            )
    if message.startswith("Expected `"):
        bound = re.search(r"(<=|>=|<|>) (-?[\d.]+)", message)
        if bound:
            return FieldProblem(
                field,
                "out_of_range",
                _("The value must be {op} {limit}."),
                {"op": bound.group(1), "limit": bound.group(2)},
            )
        expected = re.search(r"Expected `([^`]+)`", message)
        return FieldProblem(
            field,
            "wrong_type",
            _("Expected a value of type {type}."),
            {"type": expected.group(1) if expected else "?"},
        )
    if message.startswith("Invalid enum value"):
        return FieldProblem(field, "not_allowed", _("This value is not one of the allowed values."))
    if message.startswith("Invalid"):
        return FieldProblem(field, "invalid", _("This value is not valid."))
    return FieldProblem(field, "invalid", _("This value is not valid."))


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    messages = [str(item.get("message", "")) for item in extra if isinstance(item, dict)]
    detail = str(exc.detail or "")
    if any("malformed" in m.lower() or "not valid json" in m.lower() for m in [*messages, detail]):
        return problem_response(
            request, BadRequest(_("The request body is not valid JSON."), code="malformed_body")
        )
    problems = []
    for item in extra:
        if isinstance(item, dict):
            key = item.get("key")
            if key == "data":  # Litestar's name for the request body
                key = "body"
            problems.append(
                field_problem_from_msgspec(str(item.get("message", "")), str(key) if key else None)
            )
    if not problems:
        missing = _MISSING_PARAMETER.search(detail)
        if missing:
            problems.append(FieldProblem(missing.group("name"), "missing", _("This field is required.")))
        else:
            problems.append(field_problem_from_msgspec(detail))
    return problem_response(request, Invalid(_("The input is not valid."), errors=problems))


def handle_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    return problem_response(request, exc)


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) or status == 401:
        error: ProblemError = Unauthorized(_("Log in to continue."))
    elif isinstance(exc, PermissionDeniedException) or status == 403:
        error = Forbidden(_("You may not do this."))
    elif isinstance(exc, NotFoundException) or status == 404:
        error = NotFound(_("No such resource."))
    elif isinstance(exc, MethodNotAllowedException) or status == 405:
        error = MethodNotAllowed(_("This method is not allowed here."))
    elif status == 413:
        limit = body_limit_of(request)
        if limit is None:
            error = PayloadTooLarge(_("The request body is too large."))
        else:
            error = PayloadTooLarge(
                _("The request body is larger than {limit} bytes, the most this address accepts."),
                code="body_too_large",
                limit=limit,
                headers={"X-Max-Body-Size": str(limit)},
            )
    elif status == 429:
        error = RateLimited(_("Too many requests; try again later."))
    elif 400 <= status < 500:
        message = str(exc.detail or "").lower()
        # msgspec: "JSON is malformed: ..." or, for a body cut short, "Input data was truncated".
        if "malformed" in message or "json" in message or "truncated" in message:
            error = BadRequest(_("The request body is not valid JSON."), code="malformed_body")
        else:
            error = BadRequest(_("The request is not valid."), status=status)
    else:
        return handle_unexpected(request, exc)
    return problem_response(request, error)


def handle_integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Services check uniqueness first; this answers the race between two writers.
    log.info("integrity error answered as 409: %s", exc.orig)
    return problem_response(
        request, Conflict(_("The change conflicts with existing data; reload and try again."))
    )


def handle_database(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    # SQLSTATE class 22 (data exception): a value the database cannot store or compare, such as
    # a NUL character in text on PostgreSQL. The client's input, not our failure.
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if sqlstate.startswith("22"):
        log.info("data exception answered as 422: %s", exc.orig)
        return problem_response(request, Invalid(_("The input is not valid.")))
    return handle_unexpected(request, exc)


def handle_bad_encoding(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[Any]:
    # msgspec raises UnicodeDecodeError (not DecodeError) for a body that is not UTF-8.
    return problem_response(
        request, BadRequest(_("The request body is not valid JSON."), code="malformed_body")
    )


def handle_cross_tenant(request: Request[Any, Any, Any], exc: CrossTenantWrite) -> Response[Any]:
    log.error("cross-tenant write refused: %s", exc)
    return problem_response(request, not_found())


class InternalError(ProblemError):
    """An unhandled exception, as the client sees it: a generic message and the reference of the log entry."""

    default_status = HTTP_500_INTERNAL_SERVER_ERROR
    default_code = "internal"
    title = _("Internal error")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The exception's text may hold SQL, paths or personal data: it goes to the log only, under a
    # reference of its own (a client may choose its request id, so that id is not unique).
    reference = uuid.uuid4().hex
    log.error(
        "unhandled error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    error = InternalError(
        _("Something went wrong on our side; the change was not saved. Reference: {reference}"),
        reference=reference,
        headers={"X-Error-Reference": reference},
    )
    response = problem_response(request, error)
    if isinstance(response.content, dict):
        response.content["reference"] = reference
    return response


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ProblemError: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    IntegrityError: handle_integrity,
    DBAPIError: handle_database,
    UnicodeDecodeError: handle_bad_encoding,
    CrossTenantWrite: handle_cross_tenant,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_MEDIA_TYPE", "MediaType", "ProblemDetails", "problem_response"]
