"""Spark plan (星火计划联育), mechanism 5 of the Runzhou model: the plugin at a glance.

In the emerging fields (新兴领域: the internet sector, social organisations, commercial buildings
and four more), the district selects organisations, cultivates them with a plan, milestones and
mentors, assesses them and names the best benchmarks (示范标杆), whose practice becomes the
field's party-building standard (党建工作标准). The coverage of two-new organisations (两新组织)
by party organisations is the figure the mechanism answers for.

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
from plugins.spark_incubation import jobs, services
from plugins.spark_incubation.models import TABLES
from plugins.spark_incubation.routes import CONTROLLERS
from plugins.spark_incubation.schemas import SparkConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=5,
        pillar="organisation",
        name_zh="星火计划联育",
        name_en="Spark plan",
        version=__version__,
        description_zh=(
            "在互联网业、社会组织、商务楼宇等新兴领域遴选培育对象，按“提名—培育—评估—树标杆/退出”推进，"
            "制定培育计划、节点任务和联系导师，把标杆经验提炼为党建工作标准；统计两新组织党组织覆盖率。"
        ),
        description_en=(
            "In emerging fields (internet, social organisations, commercial buildings...) nominate "
            "organisations, cultivate them with plans, milestones and mentors, assess them, name "
            "benchmarks and turn their practice into standards; report the party-organisation coverage "
            "of two-new organisations."
        ),
        core_api=">=1.0,<2",
        config=SparkConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看新兴领域、培育对象、培育计划和标准",
                description_en="Read fields, candidates, plans and standards",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="管理新兴领域、确定示范标杆、制定标准",
                description_en="Manage fields, name benchmarks and write standards",
                default_roles=("system_admin", "org_admin"),
            ),
            PluginPermission(
                key=services.CULTIVATE,
                description_zh="提名培育对象、推进培育阶段、管理培育计划",
                description_en="Nominate candidates, move them through the stages and keep their plans",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/spark_incubation/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/spark_incubation/: fields, one field, one candidate."""
    from plugins.spark_incubation.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Assessment documents on candidates and the plan document, reached like the candidate."""
    from plugins.spark_incubation.models import SparkCandidate, SparkPlan

    return [
        AttachmentOwner(
            f"{SLUG}.candidate",
            SparkCandidate,
            services.READ,
            services.CULTIVATE,
            load=services.candidate_record,
        ),
        AttachmentOwner(
            f"{SLUG}.plan", SparkPlan, services.READ, services.CULTIVATE, load=services.plan_record
        ),
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
async def quanyu_plugin_enabled(tenant_id: Any, session: Any) -> None:
    """Seed the seven emerging fields of the seed under the district, unless it has fields already."""
    config = await services.config_of(session)
    if config.seed_fields:
        await services.seed_fields(session)


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: OrgNode, session: Any) -> list[Figure]:
    config = await services.config_of(session)
    return await services.figures(session, node, district_today(), config)


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: OrgNode, session: Any) -> list[MapFeature]:
    return await services.map_features(session, node)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.spark_incubation.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.spark_incubation.isolation import examples

    return dict(examples())
