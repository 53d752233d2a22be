"""The hourly removal of ended sessions kept in the database (``auth.session_purge``, a core job).

Without Redis, sessions are rows of ``auth_session``; one that timed out is refused at once, but its row
(with the address and browser it came from) stayed until someone presented the token again. The
scheduler fans this job out to every district.
"""

from __future__ import annotations

import logging

from core.auth.sessions import DatabaseSessionStore
from core.db.base import utcnow
from core.jobs.service import JobContext, register_job

log = logging.getLogger("quanyu.auth")
SESSION_PURGE_JOB = "auth.session_purge"
SESSION_PURGE_CRON = "17 * * * *"


async def session_purge_job(ctx: JobContext) -> None:
    if ctx.tenant_id is None:
        return
    removed = await DatabaseSessionStore(ctx.session).delete_ended(ctx.tenant_id, utcnow())
    if removed:
        log.info("removed %d ended sessions", removed)


register_job(SESSION_PURGE_JOB, session_purge_job)
