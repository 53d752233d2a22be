"""Projects for the people (为民项目联认), mechanism 15 of the Runzhou model: the plugin at a glance.

Communities collect residents' needs (door-to-door visits, the hotline, grid workers, online,
meetings), residents back them, and the needs become projects for the people (为民项目) that
organs, co-building units, two-new organisations and in-service members claim (认领) with
commitments of money, labour or material. Projects go draft → published → claimed → in progress →
completed → evaluated; residents rate the result. The district reports projects, money and their
growth on last year, and residents' satisfaction.

Its manifest and every hook it implements are in this file; the rules live in ``services.py``,
the tables in ``models.py``, the HTTP routes in ``routes.py``, the scheduled job in ``jobs.py``
and the demo records in ``demo.py``. Import only from ``core.api``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.api import (
    AttachmentOwner,
    Figure,
    Manifest,
    MapFeature,
    MigrationLocation,
    OrgNode,
    PluginPermission,
    add_catalog,
    district_today,
    hookimpl,
)
from plugins.people_projects import jobs, services
from plugins.people_projects.models import TABLES
from plugins.people_projects.routes import CONTROLLERS
from plugins.people_projects.schemas import PeopleProjectsConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")

_EVERYONE = ("system_admin", "org_admin", "secretary", "staff", "viewer")
_WORKERS = ("system_admin", "org_admin", "secretary", "staff")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=15,
        pillar="resource",
        name_zh="为民项目联认",
        name_en="Projects for the people",
        version=__version__,
        description_zh=(
            "收集群众需求（入户走访、热线、网格员、网上、会议），转化为为民项目并发布，"
            "由机关、共建单位、两新组织和在职党员认领（资金、人力、物资），跟踪进展，群众评议，统计项目数、资金及同比增长和满意度。"
        ),
        description_en=(
            "Collect residents' needs, publish them as projects for organisations and members to claim "
            "with money, labour or material, follow progress, let residents evaluate the result, and report "
            "projects, money, their growth on last year and satisfaction."
        ),
        core_api=">=1.0,<2",
        config=PeopleProjectsConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看群众需求和为民项目",
                description_en="Read residents' needs and projects for the people",
                default_roles=_EVERYONE,
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="登记需求、立项、推进项目状态和进展",
                description_en="Record needs, draft projects, move them through their life and report progress",
                default_roles=_WORKERS,
            ),
            PluginPermission(
                key=services.CLAIM,
                description_zh="登记组织或党员认领项目及资金到位",
                description_en="Record claims by organisations or members and the money delivered",
                default_roles=_WORKERS,
            ),
            PluginPermission(
                key=services.EVALUATE,
                description_zh="登记群众对项目的评议",
                description_en="Record residents' evaluations of projects",
                default_roles=_WORKERS,
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/people_projects/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/people_projects/: needs, the board, one project."""
    from plugins.people_projects.console import PAGES

    return PAGES


@hookimpl
def quanyu_public_pages() -> Any:
    """The residents' page under /t/<tenant>/public/m/people_projects/projects: the district's projects."""
    from plugins.people_projects.console import PUBLIC

    return PUBLIC


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Photos and documents of projects and of their progress updates, reached like the project."""
    from plugins.people_projects.models import ProgressUpdate, Project

    return [
        AttachmentOwner(f"{SLUG}.project", Project, services.READ, services.MANAGE),
        AttachmentOwner(f"{SLUG}.progress", ProgressUpdate, services.READ, services.MANAGE),
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: OrgNode, session: Any) -> list[Figure]:
    return await services.figures(session, node, district_today())


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: OrgNode, session: Any) -> list[MapFeature]:
    return await services.map_features(session, node)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.people_projects.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.people_projects.isolation import examples

    return dict(examples())
