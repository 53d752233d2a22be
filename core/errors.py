"""The one error shape: RFC 9457 problem+json with a machine code and a localised message.

Services raise ``ProblemError`` subclasses with English message ids and
parameters; the web layer renders them in the request's language. Field
problems name the field (a dotted path into the request body, or the
query/path parameter name) so a form can show the message beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

import msgspec

from core.i18n import _, translate


class FieldProblem(msgspec.Struct, frozen=True):
    """One problem with one field: ``field`` is e.g. ``id_card`` or ``rows[3].phone``.

    A problem in an uploaded spreadsheet also carries the sheet ``row``
    (the header is row 1) and the ``column`` header as the file wrote it.
    """

    field: str
    code: str
    message: str
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    row: int | None = None
    column: str | None = None

    def render(self, locale: str | None = None) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "field": self.field,
            "code": self.code,
            "message": translate(self.message, locale, **self.params),
        }
        if self.row is not None:
            rendered["row"] = self.row
        if self.column is not None:
            rendered["column"] = self.column
        return rendered


class AccessCheck(msgspec.Struct, frozen=True):
    """The authorisation check a refusal failed, for its audit record (``core.audit.denials``):
    ``kind`` is ``permission`` (a route's or a service's permission check) or ``scope`` (the object is
    absent or outside the caller's scope for ``permission``)."""

    kind: str
    permission: str | None = None
    object_type: str | None = None


class ProblemError(Exception):
    """Base of every error a user can act on."""

    default_status: ClassVar[int] = 400
    default_code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = _("Bad request")
    # Set by the shared guards on the refusals they raise; other 401/403/404 are named by their code.
    failed_check: AccessCheck | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Sequence[FieldProblem] = (),
        headers: dict[str, str] | None = None,
        status: int | None = None,
        **params: Any,
    ) -> None:
        if status is not None and not isinstance(status, int):
            # A message placeholder named {status} (a record's state) is a parameter, not the HTTP status.
            params["status"], status = status, None
        self.status = status or self.default_status
        self.message = message or self.title
        self.code = code or self.default_code
        self.errors = list(errors)
        self.params = params
        self.headers = headers or {}
        super().__init__(self.message.format(**params) if params else self.message)

    def failing(self, check: AccessCheck) -> Self:
        """This refusal, naming the authorisation check that failed (``raise Forbidden(...).failing(...)``)."""
        self.failed_check = check
        return self

    def cli_message(self, locale: str = "en") -> str:
        """One line for a terminal: the detail, then each field problem as ``field: message``."""
        body = self.to_problem(locale)
        parts = [body["detail"]] + [f"{e['field']}: {e['message']}" for e in body.get("errors", [])]
        return "; ".join(parts)

    def to_problem(self, locale: str | None = None, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://quanyu.dev/problems/{self.code}",
            "title": translate(self.title, locale),
            "status": self.status,
            "code": self.code,
            "detail": translate(self.message, locale, **self.params),
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.render(locale) for e in self.errors]
        return body


class BadRequest(ProblemError):
    pass


class Unauthorized(ProblemError):
    default_status = 401
    default_code = "unauthorized"
    title = _("Authentication required")


class Forbidden(ProblemError):
    default_status = 403
    default_code = "forbidden"
    title = _("Forbidden")


class NotFound(ProblemError):
    """Absent and out-of-scope objects alike (never reveal that an object exists)."""

    default_status = 404
    default_code = "not_found"
    title = _("Not found")


class MethodNotAllowed(ProblemError):
    default_status = 405
    default_code = "method_not_allowed"
    title = _("Method not allowed")


class Conflict(ProblemError):
    default_status = 409
    default_code = "conflict"
    title = _("Conflict")


class PayloadTooLarge(ProblemError):
    default_status = 413
    default_code = "payload_too_large"
    title = _("Payload too large")


class Invalid(ProblemError):
    default_status = 422
    default_code = "invalid"
    title = _("Invalid input")


class RateLimited(ProblemError):
    default_status = 429
    default_code = "rate_limited"
    title = _("Too many requests")


def invalid_field(field: str, message: str, *, code: str = "invalid", **params: Any) -> Invalid:
    """A 422 naming one field."""
    return Invalid(_("The input is not valid."), errors=[FieldProblem(field, code, message, params)])


def not_found() -> NotFound:
    return NotFound(_("The object does not exist or is outside your scope."))
