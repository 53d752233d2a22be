"""The job worker loop: the embedded default runs it inside the API process, ``quanyu worker`` standalone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from core.db.session import Database
from core.jobs.service import run_due

log = logging.getLogger("quanyu.jobs")


async def work(
    database: Database, host: Any, *, poll_seconds: float = 2.0, stop: asyncio.Event | None = None
) -> None:
    """Run due jobs until ``stop`` is set; sleeps ``poll_seconds`` whenever nothing is due."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            ran = await run_due(database, host)
        except Exception:
            log.exception("the job worker's step failed; retrying after a pause")
            ran = 0
        if not ran:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
