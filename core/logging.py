"""Logs as structured events (JSON lines in production) carrying the request id and tenant.

Standard-library loggers (uvicorn, SQLAlchemy, Alembic, ours) all go through
structlog's formatter, so one switch (``QUANYU_LOG_JSON``) changes every line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog

from core.settings import get_settings

_configured = False

# A query string may carry an ID number (``/api/v1/people?id_card=...``), a phone or a signed link's
# token; uvicorn's access log and httpx print whole URLs. Names stay, values go.
_QUERY_VALUE = re.compile(r"([?&][^=&\s\"'#?]+=)[^&\s\"'#]*")


class RedactQueryValues(logging.Filter):
    """Replace every query-string value in a log line with ``***`` (PIPL; 等保 L3 剩余信息保护)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):  # structlog's own events (a dict) come from our code
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's to report
            return True
        if "?" in message and "=" in message:
            redacted = _QUERY_VALUE.sub(r"\1***", message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


def _add_request_context(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    from core.context import current_context
    from core.tenancy.context import current_tenant_id

    ctx = current_context()
    if ctx.request_id and "request_id" not in event:
        event["request_id"] = ctx.request_id
    tenant_id = current_tenant_id()
    if tenant_id is not None and "tenant_id" not in event:
        event["tenant_id"] = str(tenant_id)
    if ctx.principal is not None and "user" not in event:
        event["user"] = ctx.principal.username
    if ctx.plugin is not None and "plugin" not in event:
        event["plugin"] = ctx.plugin
    if ctx.job is not None and "job" not in event:
        event["job"] = ctx.job
    return event


def configure_logging(*, force: bool = False) -> None:
    """Route every logger through structlog once per process."""
    global _configured
    if _configured and not force:
        return
    settings = get_settings()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_context,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler.addFilter(RedactQueryValues())
    handler.set_name("quanyu")
    root = logging.getLogger()
    # Replace only our own handler, so test runners' capture handlers survive.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "quanyu"] + [handler]
    root.setLevel(settings.log_level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True
