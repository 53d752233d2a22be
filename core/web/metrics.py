"""Prometheus metrics at ``/metrics``: requests, latency, jobs, the outbox and the queue, per district.

Labels are bounded: routes are path templates (``/api/v1/people/{person_id}``, never a raw path;
unmatched paths are not counted), jobs are registered names, districts are provisioned slugs. With
several API processes set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, see
docs/operating.md) so that any process answers for all of them.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import func, select

from core.settings import get_settings

PREFIX = "quanyu"

TENANT_REQUESTS = Counter(
    f"{PREFIX}_tenant_requests",
    "Authenticated requests per district",
    ["tenant"],
)
JOBS = Counter(
    f"{PREFIX}_jobs", "Jobs run, by job and outcome (done, skipped, retry, failed)", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    f"{PREFIX}_job_duration_seconds",
    "Time a job took, by job",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_PENDING = Gauge(
    f"{PREFIX}_outbox_pending", "Jobs waiting in the outbox and due now", multiprocess_mode="mostrecent"
)
OUTBOX_LAG = Gauge(
    f"{PREFIX}_outbox_lag_seconds",
    "How long the oldest due job has waited in the outbox",
    multiprocess_mode="mostrecent",
)
QUEUE_DEPTH = Gauge(
    f"{PREFIX}_queue_depth", "Messages waiting in the broker's queue (Redis)", multiprocess_mode="mostrecent"
)


def prometheus_config() -> PrometheusConfig:
    """Litestar's request metrics: count, latency histogram and errors by method, route template and status."""
    return PrometheusConfig(
        app_name=PREFIX,
        prefix=PREFIX,
        group_path=True,
        exclude_unhandled_paths=True,
        exclude=["^/metrics", "^/static/", "^/schema/swagger"],
    )


def count_tenant_request(tenant_slug: str) -> None:
    TENANT_REQUESTS.labels(tenant_slug).inc()


def job_finished(name: str, outcome: str, seconds: float) -> None:
    JOBS.labels(name, outcome).inc()
    JOB_SECONDS.labels(name).observe(seconds)


def _registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


async def _observe_backlog(request: Request[Any, Any, Any]) -> None:
    """Outbox and queue figures, read at scrape time (across districts: the system role)."""
    from core.db.base import utcnow
    from core.jobs.models import JOB_PENDING, OutboxEntry

    now = utcnow()
    async with request.app.state.database.system_transaction() as session:
        pending, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxEntry.available_at)).where(
                    OutboxEntry.status == JOB_PENDING, OutboxEntry.available_at <= now
                )
            )
        ).one()
    OUTBOX_PENDING.set(pending)
    OUTBOX_LAG.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        from core.jobs.broker import QUEUE

        QUEUE_DEPTH.set(await redis.llen(f"quanyu:{QUEUE}"))


@get(
    "/metrics",
    opt={"exclude_from_auth": True},
    media_type=CONTENT_TYPE_LATEST,
    tags=["health"],
    summary="Prometheus metrics (bearer token when QUANYU_METRICS_TOKEN is set)",
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The scrape endpoint. With ``QUANYU_METRICS_TOKEN`` set, only ``Authorization: Bearer <token>`` reads it."""
    token = get_settings().metrics_token
    if token:
        supplied = request.headers.get("authorization", "")
        if not secrets.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
            raise NotAuthorizedException()
    started = time.perf_counter()
    await _observe_backlog(request)
    body = generate_latest(_registry())
    return Response(
        body,
        media_type=CONTENT_TYPE_LATEST,
        headers={"X-Scrape-Seconds": f"{time.perf_counter() - started:.4f}"},
    )
