"""Production delivery: the outbox relayed to dramatiq on Redis, run by ``quanyu worker`` processes.

The relay claims due outbox rows (as the embedded worker does) and sends one
message per row, carrying the row's id and tenant; the actor runs the row
with ``run_one``, which marks it done in the job's own transaction. If Redis
loses the message (a restart without persistence, a flush), the row's lease
runs out and the next relay sends it again; a row already done is skipped,
so the effect lands once.

dramatiq runs actors in worker threads: each thread keeps its own event loop
and database engine, because connection pools belong to the loop that made them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy.exc import DBAPIError

from core.db.session import Database
from core.jobs.service import JobFunction, claim_for_relay, job_functions, registrations, release, run_relayed

log = logging.getLogger("quanyu.jobs")
ACTOR_NAME = "quanyu_outbox_job"
QUEUE = "quanyu"
WORKER_APPLICATION_NAME = "quanyu-worker"

_local = threading.local()
_database_factory: Callable[[], Database] | None = None
_host_factory: Callable[[], Any] | None = None


def configure_worker(database_factory: Callable[[], Database], host_factory: Callable[[], Any]) -> None:
    """How worker threads build their database and find the plugins (set once per process)."""
    global _database_factory, _host_factory
    _database_factory = database_factory
    _host_factory = host_factory


def worker_database(app_url: str, system_url: str | None) -> Database:
    """The database of one worker thread: a small pool, and no ping before each use. A ping costs three
    round trips on asyncpg, as many as the job's own work; a connection the database dropped (a restart,
    a failover) fails the job's first statement instead, before anything ran, and ``run_outbox_job``
    runs the job again on a fresh connection."""
    return Database(
        app_url, system_url, pool_size=2, pre_ping=False, application_name=WORKER_APPLICATION_NAME
    )


def _thread_loop() -> tuple[asyncio.AbstractEventLoop, Database]:
    if getattr(_local, "loop", None) is None:
        if _database_factory is None:
            raise RuntimeError("configure_worker() was not called in this process")
        _local.loop = asyncio.new_event_loop()
        _local.database = _database_factory()
    return _local.loop, _local.database


def _job_functions() -> dict[str, tuple[str | None, JobFunction]]:
    """The job functions, collected once per worker thread (asking every plugin for its jobs and event
    handlers cost more than the rest of a no-op job's Python); again only when a plugin or a core job
    was registered since."""
    assert _host_factory is not None
    host = _host_factory()
    key = (id(host), len(getattr(host, "plugins", ())), registrations())
    if getattr(_local, "functions_key", None) != key:
        _local.functions = job_functions(host)
        _local.functions_key = key
    functions: dict[str, tuple[str | None, JobFunction]] = _local.functions
    return functions


async def _run_entry(database: Database, entry_id: uuid.UUID, tenant_id: uuid.UUID | None) -> str:
    return await run_relayed(database, entry_id, tenant_id, _job_functions())


def run_outbox_job(entry_id: str, tenant_id: str | None = None) -> None:
    """The actor: run one relayed outbox row in this worker thread's loop."""
    loop, database = _thread_loop()
    entry, tenant = uuid.UUID(entry_id), uuid.UUID(tenant_id) if tenant_id else None
    try:
        status = loop.run_until_complete(_run_entry(database, entry, tenant))
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The pool has dropped the dead connection; nothing committed (or, if the commit landed, the row
        # is done and the second run skips it), so run it once more on a fresh one.
        log.info("outbox job %s met a dropped database connection; running it on a fresh one", entry_id)
        status = loop.run_until_complete(_run_entry(database, entry, tenant))
    log.info("outbox job %s (tenant %s): %s", entry_id, tenant_id, status)


def make_broker(url: str, **options: Any) -> RedisBroker:
    """A Redis broker with the outbox actor declared on it (never at import time)."""
    broker = RedisBroker(url=url, namespace="quanyu", **options)  # type: ignore[no-untyped-call]
    dramatiq.set_broker(broker)
    # The outbox retries (with back-off, and across Redis restarts); dramatiq itself must not.
    dramatiq.Actor(
        run_outbox_job,
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE,
        priority=0,
        options={"max_retries": 0},
    )
    return broker


async def relay_due(database: Database, broker: RedisBroker, limit: int = 100) -> int:
    """Claim due outbox rows and send each to the broker; returns how many were sent. Rows not sent
    because Redis failed are released, then the error is raised for the caller to wait and retry."""
    entries = await claim_for_relay(database, limit)
    actor = broker.get_actor(ACTOR_NAME)
    for index, entry in enumerate(entries):
        try:
            actor.send(str(entry.id), str(entry.tenant_id) if entry.tenant_id else None)
        except Exception:
            await release(database, [unsent.id for unsent in entries[index:]])
            raise
    return len(entries)
