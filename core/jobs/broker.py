"""Production delivery: the outbox relayed to dramatiq on Redis, run by ``quanyu worker`` processes.

The relay claims due outbox rows (as the embedded worker does) and sends
them as messages of up to ten rows, each row named by its id and tenant; the
actor runs each row with ``run_relayed``, which marks it done in the job's
own transaction. If Redis loses the message (a restart without persistence,
a flush), the row's lease runs out and the next relay sends it again; a row
already done is skipped, so the effect lands once.

The actor is a coroutine: dramatiq's worker threads take the messages and
hand each message to one event loop per process (dramatiq's AsyncIO
middleware), where the jobs of all messages run side by side, up to
``JOBS_AT_ONCE``, on one database engine. An event loop and an engine per
thread cost each job a loop start and stop and left the threads' loops
contending for the interpreter (docs/performance.md, figure 6).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any, cast

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware.asyncio import AsyncIO
from sqlalchemy.exc import DBAPIError

from core.db.session import Database
from core.jobs.service import JobFunction, claim_for_relay, job_functions, registrations, release, run_relayed

log = logging.getLogger("quanyu.jobs")
ACTOR_NAME = "quanyu_outbox_job"
QUEUE = "quanyu"
WORKER_APPLICATION_NAME = "quanyu-worker"
WORKER_THREADS = 4
# Jobs a worker process runs at once on its event loop, each on a connection of its own: the jobs of a
# message run side by side, so the loop has work while statements are on the wire (a waiting job costs no
# thread). One pool of this size (no overflow is ever used) replaces a small pool per thread.
JOBS_AT_ONCE = 8
# A message carries several rows when the relay has many at once: a message costs the worker about as
# much Python as a no-op job's own transaction (fetch, hand-over between threads, acknowledgement), so a
# burst (a morning's schedules fanned out to every district) runs some twice as fast. Few rows still go
# one per message, spread over the worker threads.
MAX_JOBS_PER_MESSAGE = 10

_database_factory: Callable[[], Database] | None = None
_host_factory: Callable[[], Any] | None = None
_database: Database | None = None
_slots: asyncio.Semaphore | None = None
_functions: dict[str, tuple[str | None, JobFunction]] = {}
_functions_key: tuple[int, int, int] | None = None


def configure_worker(database_factory: Callable[[], Database], host_factory: Callable[[], Any]) -> None:
    """How the worker builds its database and finds the plugins (set once per process, before the
    worker starts)."""
    global _database_factory, _host_factory
    _database_factory = database_factory
    _host_factory = host_factory


def worker_database(app_url: str, system_url: str | None, connections: int = JOBS_AT_ONCE) -> Database:
    """The database of a worker process: a connection for each job running at once, and no ping before
    each use. A ping costs three round trips on asyncpg, as many as the job's own work; a connection the
    database dropped (a restart, a failover) fails the job's first statement instead, before anything
    ran, and ``_run_one`` runs the job again on a fresh connection."""
    return Database(
        app_url, system_url, pool_size=connections, pre_ping=False, application_name=WORKER_APPLICATION_NAME
    )


class JobLoop(AsyncIO):
    """dramatiq's event loop thread for async actors, owning the worker's database: made when the worker
    boots, disposed on its loop before the loop stops (a pool belongs to the loop its connections were
    made on, so a worker started again in the same process gets a new one)."""

    def before_worker_boot(self, broker: Any, worker: Any) -> None:
        global _database, _slots
        if _database_factory is None:
            raise RuntimeError("configure_worker() was not called before the worker started")
        super().before_worker_boot(broker, worker)  # type: ignore[no-untyped-call]
        _database = _database_factory()
        _slots = asyncio.Semaphore(JOBS_AT_ONCE)

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        global _database
        loop_thread, database, _database = get_event_loop_thread(), _database, None
        try:
            if database is not None and loop_thread is not None:
                loop_thread.run_coroutine(database.dispose())
        finally:
            # The loop thread stops even if closing the pool failed (the database already gone).
            super().after_worker_shutdown(broker, worker)  # type: ignore[no-untyped-call]


def _job_functions() -> dict[str, tuple[str | None, JobFunction]]:
    """The job functions, collected once per worker (asking every plugin for its jobs and event handlers
    cost more than the rest of a no-op job's Python); again only when a plugin or a core job was
    registered since. Only the event loop's thread reads and writes them."""
    global _functions, _functions_key
    assert _host_factory is not None
    host = _host_factory()
    key = (id(host), len(getattr(host, "plugins", ())), registrations())
    if _functions_key != key:
        _functions, _functions_key = job_functions(host), key
    return _functions


async def _run_one(database: Database, entry_id: str, tenant_id: str | None) -> None:
    entry, tenant = uuid.UUID(entry_id), uuid.UUID(tenant_id) if tenant_id else None
    try:
        status = await run_relayed(database, entry, tenant, _job_functions())
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The pool has dropped the dead connection; nothing committed (or, if the commit landed, the row
        # is done and the second run skips it), so run it once more on a fresh one.
        log.info("outbox job %s met a dropped database connection; running it on a fresh one", entry_id)
        status = await run_relayed(database, entry, tenant, _job_functions())
    log.info("outbox job %s (tenant %s): %s", entry_id, tenant_id, status)


async def _run_in_slot(
    database: Database, slots: asyncio.Semaphore, entry_id: str, tenant_id: str | None
) -> None:
    async with slots:
        try:
            await _run_one(database, entry_id, tenant_id)
        except Exception as exc:
            log.warning("outbox job %s could not run (%s: %s)", entry_id, type(exc).__name__, exc)
            raise


async def run_outbox_jobs(entries: list[tuple[str, str | None]]) -> None:
    """The actor: run relayed outbox rows (``[entry id, tenant id]`` pairs) on the worker's event loop,
    side by side (at most ``JOBS_AT_ONCE`` in the process), each in its own transaction. A row that
    could not run (the database away) does not keep the others from running; it stays taken until its
    lease runs out and is relayed again, and the first such error is raised once the others ran, for
    dramatiq to log."""
    if _database is None or _slots is None:
        raise RuntimeError("the worker's database is not ready (is JobLoop among the broker's middleware?)")
    outcomes = await asyncio.gather(
        *(_run_in_slot(_database, _slots, entry_id, tenant_id) for entry_id, tenant_id in entries),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome


def make_broker(url: str, **options: Any) -> RedisBroker:
    """A Redis broker with the outbox actor declared on it (never at import time)."""
    broker = RedisBroker(url=url, namespace="quanyu", **options)  # type: ignore[no-untyped-call]
    broker.add_middleware(JobLoop())
    dramatiq.set_broker(broker)
    # The outbox retries (with back-off, and across Redis restarts); dramatiq itself must not.
    dramatiq.Actor(
        cast(Any, run_outbox_jobs),  # dramatiq's stubs do not take a coroutine function with defaults
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE,
        priority=0,
        options={"max_retries": 0},
    )
    return broker


def message_batches(entries: list[Any], threads: int = WORKER_THREADS) -> list[list[Any]]:
    """Rows in the order claimed, packed into messages: at most ``MAX_JOBS_PER_MESSAGE`` each, and at
    least as many messages as a worker has threads while there are rows enough, so none idles."""
    size = max(1, min(MAX_JOBS_PER_MESSAGE, len(entries) // threads))
    return [entries[start : start + size] for start in range(0, len(entries), size)]


async def relay_due(database: Database, broker: RedisBroker, limit: int = 100) -> int:
    """Claim due outbox rows and send them to the broker; returns how many were sent. Rows not sent
    because Redis failed are released, then the error is raised for the caller to wait and retry."""
    entries = await claim_for_relay(database, limit)
    actor = broker.get_actor(ACTOR_NAME)
    sent = 0
    for batch in message_batches(entries):
        try:
            actor.send(
                [[str(entry.id), str(entry.tenant_id) if entry.tenant_id else None] for entry in batch]
            )
        except Exception:
            await release(database, [unsent.id for unsent in entries[sent:]])
            raise
        sent += len(batch)
    return sent
