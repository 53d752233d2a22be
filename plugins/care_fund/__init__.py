"""Care fund (关爱基金联筹), mechanism 14 of the Runzhou model: the plugin at a glance.

A "red fund" (红色基金) raised from party-dues transfers, unit donations, members' and social
donations helps party members and residents in hardship. Each fund belongs to an organisation;
its money moves only through an append-only double-entry ledger in integer fen (分), every
transaction balanced, the stored balance never negative, corrections by reversal only. Income has
a receipt; disbursements are applied → approved by someone else (and a third person above the
district's amount) → paid. Money-moving requests take an ``Idempotency-Key``. A disclosure
report (公示) per fund and period, a nightly trial balance, figures for any subtree.

Its manifest and every hook it implements are in this file; the rules live in ``services.py``,
the tables in ``models.py``, the HTTP routes in ``routes.py``, idempotency in ``idempotency.py``,
the files of the disclosure in ``exports.py``, the jobs in ``jobs.py`` and the demo records in
``demo.py``. Import only from ``core.api``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.api import (
    AttachmentOwner,
    ErasureItem,
    Figure,
    Manifest,
    MigrationLocation,
    NotificationTemplate,
    OrgNode,
    PluginPermission,
    _,
    add_catalog,
    hookimpl,
    register_template,
)
from plugins.care_fund import jobs, services
from plugins.care_fund.models import TABLES
from plugins.care_fund.routes import CONTROLLERS
from plugins.care_fund.schemas import CareFundConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")
register_template(
    NotificationTemplate(
        key="care_fund.trial_balance_failed",
        title={
            "zh_CN": "关爱基金试算不平衡：{count}个基金（{funds}）",
            "en": "Care fund trial balance failed: {count} fund(s) ({funds})",
        },
        body={
            "zh_CN": "夜间试算发现基金余额与分录合计不符或凭证借贷不平，请立即核查。",
            "en": "The nightly trial balance found a stored balance differing from its entries or an unbalanced transaction; check at once.",
        },
    )
)


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=14,
        pillar="resource",
        name_zh="关爱基金联筹",
        name_en="Care fund",
        version=__version__,
        description_zh=(
            "通过党费划转、驻区单位捐助、党员志愿捐款和社会捐赠设立“红色基金”，对生活困难党员群众给予帮扶："
            "复式记账、只增不改，收入有收据，支出经申请、他人审批（大额双人审批）后支付，冲正更正，定期公示。"
        ),
        description_en=(
            "A 'red fund' from party-dues transfers, unit, member and social donations helps members and "
            "residents in hardship: an append-only double-entry ledger in fen, receipts for income, "
            "disbursements approved by others (two approvers above an amount) before payment, corrections "
            "by reversal, and a public disclosure report."
        ),
        core_api=">=1.0,<2",
        config=CareFundConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看关爱基金、账目、帮扶对象和公示",
                description_en="Read funds, ledgers, beneficiaries and disclosure reports",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="设立和管理关爱基金",
                description_en="Set up and manage funds",
                default_roles=("system_admin", "org_admin"),
            ),
            PluginPermission(
                key=services.RECORD,
                description_zh="登记收入、帮扶对象和帮扶申请",
                description_en="Record income, beneficiaries and disbursement applications",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
            PluginPermission(
                key=services.APPROVE,
                description_zh="审批帮扶支出",
                description_en="Approve or reject disbursements",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
            PluginPermission(
                key=services.PAY,
                description_zh="支付帮扶支出、冲正账目",
                description_en="Pay disbursements and reverse transactions",
                default_roles=("system_admin", "org_admin"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/care_fund/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/care_fund/: funds, one fund, its disclosure report."""
    from plugins.care_fund.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Receipts scanned for income and documents of disbursements (applications, signed receipts)."""
    from plugins.care_fund.models import CareFundDisbursement, CareFundTransaction

    return [
        AttachmentOwner(f"{SLUG}.transaction", CareFundTransaction, services.READ, services.RECORD),
        AttachmentOwner(f"{SLUG}.disbursement", CareFundDisbursement, services.READ, services.RECORD),
    ]


@hookimpl
async def quanyu_person_erasure(tenant_id: Any, person_id: Any, session: Any) -> list[ErasureItem]:
    """A granted erasure: the free-text note about the person goes; who was helped and why stays,
    since the fund's payments to them must stay accountable to its donors and auditors."""
    from sqlalchemy import func, select, update

    from plugins.care_fund.models import CareFundBeneficiary

    mine = CareFundBeneficiary.person_id == person_id
    rows = int(await session.scalar(select(func.count()).select_from(CareFundBeneficiary).where(mine)) or 0)
    if not rows:
        return []
    await session.execute(update(CareFundBeneficiary).where(mine).values(note=None))
    return [
        ErasureItem(
            what=_("Care-fund notes about the person"),
            erased=True,
            table="care_fund_beneficiary",
            fields=["note"],
            rows=rows,
        ),
        ErasureItem(
            what=_("Care-fund beneficiary records"),
            erased=False,
            reason=_(
                "The fund's payments must stay accountable to its donors and auditors: who was helped, "
                "and for which hardship, is kept with the ledger."
            ),
            table="care_fund_beneficiary",
            fields=["name", "kind", "hardship", "person_id"],
            rows=rows,
        ),
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: OrgNode, session: Any) -> list[Figure]:
    return await services.figures(session, node)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.care_fund.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.care_fund.isolation import examples

    return dict(examples())
