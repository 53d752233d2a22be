"""组织共建联席 co-building agreements (mechanism 3 of the Runzhou model): the plugin at a glance.

Streets and communities sign co-building agreements (共建协议) with resident units (驻区单位),
cross-district units and two-new organisations (两新组织): a term, a status and the signed
document; a two-way service list (双向服务清单) of needs and resources in both directions, each
with its fulfilment; joint activities and joint meetings; expiry reminders; and an annual
fulfilment review. The co-building rate (resident units with an agreement in force ÷ resident
units) is the mechanism's headline figure.

Its manifest and every hook it implements are in this file; the rules live in ``services.py``,
the tables in ``models.py``, the HTTP routes in ``routes.py``, the scheduled jobs in ``jobs.py``
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
from plugins.co_building import jobs, services
from plugins.co_building.models import TABLES
from plugins.co_building.routes import CONTROLLERS
from plugins.co_building.schemas import CoBuildingConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

# Messages of this plugin (locale/<language>/LC_MESSAGES/co_building.po) join the core's.
add_catalog(SLUG, HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=3,
        pillar="organisation",
        name_zh="组织共建联席",
        name_en="Co-building agreements",
        version=__version__,
        description_zh=(
            "街道社区与驻区、跨区单位和“两新”组织签订共建协议，开出“双向服务”清单并跟踪履约，"
            "开展共建活动和联席会议；协议到期提醒，年度履约评议；统计驻区单位共建率。"
        ),
        description_en=(
            "Streets and communities sign co-building agreements with resident units and two-new "
            "organisations: two-way service lists with fulfilment, joint activities and meetings, "
            "expiry reminders, annual fulfilment reviews and the co-building rate."
        ),
        core_api=">=1.0,<2",
        config=CoBuildingConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看共建协议、服务清单、活动和评议",
                description_en="Read agreements, service lists, activities and reviews",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="签订和变更共建协议、编制服务清单、开展年度评议",
                description_en="Record and change agreements, their service lists and annual reviews",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
            PluginPermission(
                key=services.RECORD,
                description_zh="登记清单履约情况和共建活动",
                description_en="Record fulfilment of service-list items and joint activities",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/co_building/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/co_building/: agreements, one agreement."""
    from plugins.co_building.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """The signed agreement (协议文本) on the agreement; photos and minutes on activities and meetings."""
    from plugins.co_building.models import Activity, Agreement

    return [
        AttachmentOwner(f"{SLUG}.agreement", Agreement, services.READ, services.MANAGE),
        AttachmentOwner(f"{SLUG}.activity", Activity, services.READ, services.RECORD),
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
    """Joint activities with coordinates, and the units of agreements in force (where the unit has them)."""
    return await services.map_features(session, node, district_today())


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.co_building.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.co_building.isolation import examples

    return dict(examples())
