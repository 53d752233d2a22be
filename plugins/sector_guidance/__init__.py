"""Sector–area collaboration (条块横向联手), mechanism 2 of the Runzhou model: the plugin at a glance.

Sector departments (行业主管部门: internet affairs, civil affairs, housing, education, market
regulation) carry "one shoulder, two duties" (一肩挑两责): they write their sector's
party-building standard (行业党建标准, a weighted checklist, versioned), assess the
organisations they guide against it every cycle, with evidence and a score, and record
guidance visits. Streets and communities see the records of the organisations in their area.

Its manifest and every hook it implements are in this file; the rules live in
``services.py``, the tables in ``models.py``, the HTTP routes in ``routes.py``, the scheduled
jobs in ``jobs.py`` and the demo records in ``demo.py``. Import only from ``core.api``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.api import (
    AttachmentOwner,
    Figure,
    Manifest,
    MigrationLocation,
    OrgNode,
    PluginPermission,
    add_catalog,
    district_today,
    hookimpl,
)
from plugins.sector_guidance import jobs, services
from plugins.sector_guidance.models import TABLES
from plugins.sector_guidance.routes import CONTROLLERS
from plugins.sector_guidance.schemas import SectorGuidanceConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

# Messages of this plugin (locale/<language>/LC_MESSAGES/sector_guidance.po) join the core's.
add_catalog("sector_guidance", HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=2,
        pillar="political",
        name_zh="条块横向联手",
        name_en="Sector–area collaboration",
        version=__version__,
        description_zh=(
            "行业主管部门履行“一肩挑两责”：制定行业党建工作标准（加权考核清单，分版本发布），"
            "按周期对所管组织开展达标评估（佐证材料、得分），记录指导走访；街道社区同步掌握辖区组织情况。"
        ),
        description_en=(
            "Sector departments carry 'one shoulder, two duties': they publish versioned, weighted "
            "party-building standards for their sector, assess the organisations they guide each cycle "
            "(evidence and score) and record guidance visits; streets and communities see their own area."
        ),
        core_api=">=1.0,<2",
        config=SectorGuidanceConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看行业党建标准、评估和指导走访",
                description_en="Read sectors, standards, assessments and guidance visits",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="管理行业、所管组织和行业党建标准",
                description_en="Manage sectors, their organisations and their standards",
                default_roles=("system_admin", "org_admin"),
            ),
            PluginPermission(
                key=services.ASSESS,
                description_zh="开展达标评估、记录指导走访",
                description_en="Assess organisations and record guidance visits",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/sector_guidance/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/sector_guidance/: sectors, assessments, one assessment."""
    from plugins.sector_guidance.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Evidence (佐证材料) on assessments and photos or notes of guidance visits, reached like the records."""
    from plugins.sector_guidance.models import SectorAssessment, SectorGuidanceVisit

    return [
        AttachmentOwner(
            f"{SLUG}.assessment",
            SectorAssessment,
            services.READ,
            services.ASSESS,
            load=services.assessment_record,
        ),
        AttachmentOwner(
            f"{SLUG}.visit", SectorGuidanceVisit, services.READ, services.ASSESS, load=services.visit_in_reach
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
    config = await services.config_of(session)
    return await services.figures(session, node, district_today(), config)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.sector_guidance.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.sector_guidance.isolation import examples

    return dict(examples())
