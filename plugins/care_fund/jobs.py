"""Jobs of the care fund: the nightly trial balance (试算平衡) and the purge of old idempotency keys.

Scheduled jobs run in their district's own transaction (``ctx.session``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.api import JobContext, OrgNode, audit, notify
from plugins.care_fund import idempotency, services

TRIAL_BALANCE_CRON = "30 2 * * *"
PURGE_KEYS_CRON = "45 3 * * *"


async def trial_balance(ctx: JobContext) -> dict[str, Any]:
    """Check every fund (stored balance = sum of its cash entries; each transaction balances); on any
    imbalance alert the district's administrators and write an audit record."""
    checked, problems = await services.trial_balance(ctx.session)
    if problems:
        root = (await ctx.session.scalars(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))).first()
        for problem in problems:
            await audit(
                ctx.session,
                "care_fund.trial_balance_failed",
                object_type="care_fund",
                object_id=problem.fund_id,
                org_node_id=problem.org_node_id,
                changes={
                    "stored_fen": problem.stored_fen,
                    "entries_fen": problem.entries_fen,
                    "unbalanced_transactions": problem.unbalanced_transactions,
                },
            )
        names = "、".join(p.fund_name for p in problems)
        await notify(
            ctx.session,
            template="care_fund.trial_balance_failed",
            params={"count": len(problems), "funds": names},
            kind="trial_balance_failed",
            source=services.SLUG,
            role="system_admin",
            at_node=root,
            link=f"/api/v1/m/{services.SLUG}/funds",
        )
    return {"funds": checked, "imbalances": len(problems)}


async def purge_idempotency_keys(ctx: JobContext) -> dict[str, Any]:
    """Delete Idempotency-Keys older than the district's retention (at least 24 hours)."""
    config = await services.config_of(ctx.session)
    return {"purged": await idempotency.purge_expired(ctx.session, config.idempotency_retention_hours)}


JOBS = {"trial_balance": trial_balance, "purge_idempotency_keys": purge_idempotency_keys}
SCHEDULES = [("trial_balance", TRIAL_BALANCE_CRON), ("purge_idempotency_keys", PURGE_KEYS_CRON)]
