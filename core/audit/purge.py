"""The daily purge of audit records beyond each district's retention (``audit.purge``, a core job).

The scheduler fans it out to every district once a day; the purge reads the district's
``security.audit_retention_days`` (at least 185) and runs on the system role
(``core.audit.chain.purge``): the app role, which runs jobs, can never delete an audit record.
"""

from __future__ import annotations

import logging

from core.audit.chain import purge
from core.db.session import get_database
from core.jobs.service import JobContext, register_job

log = logging.getLogger("quanyu.audit")
PURGE_JOB = "audit.purge"
PURGE_CRON = "30 3 * * *"  # 03:30 district time, when districts are quiet


async def purge_job(ctx: JobContext) -> None:
    # The job's own session is left untouched until the job is marked done: on SQLite a write
    # transaction opened there would wait for the purge's, and the purge for it.
    if ctx.tenant_id is None:
        return
    result = await purge(get_database(), ctx.tenant_id)
    if result.deleted:
        log.info("audit purge: %d records up to %s", result.deleted, result.checkpoint_seq)


register_job(PURGE_JOB, purge_job)
