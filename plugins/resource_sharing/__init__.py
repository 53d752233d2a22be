"""区域载体联享 Shared resources (mechanism 13 of the Runzhou model): the plugin at a glance.

The whole area's venues, rooms, equipment, services and information, offered by the organisations
of the district (communities, resident units, two-new organisations…) and reserved by each other:
a catalogue with opening hours, places and visibility; published catalogue versions; reservations
requested → approved or rejected → completed, or cancelled, never double-booked (one unique row
per booked slot, whatever the concurrency).

Its manifest and every hook it implements are in this file; the rules live in ``services.py``, the
tables in ``models.py``, the HTTP routes in ``routes.py``, the scheduled jobs in ``jobs.py``, the
console pages in ``console.py`` and the demo records in ``demo.py``. Import only from ``core.api``.
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
    hookimpl,
    utcnow,
)
from plugins.resource_sharing import jobs, services
from plugins.resource_sharing.models import TABLES
from plugins.resource_sharing.routes import CONTROLLERS
from plugins.resource_sharing.schemas import ResourceSharingConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=13,
        pillar="resource",
        name_zh="区域载体联享",
        name_en="Shared resources",
        version=__version__,
        description_zh=(
            "全域梳理组织、信息、阵地、服务资源清单，定期发布，按开放时间、容量和可见范围预约使用；"
            "预约申请、审批、完成或取消，任何并发下都不重复预约。"
        ),
        description_en=(
            "The area's organisation, information, venue and service resources in one catalogue, published "
            "regularly and reserved by opening hours, capacity and visibility; reservations are requested, "
            "approved or rejected, completed or cancelled, and never double-booked, even under concurrency."
        ),
        core_api=">=1.0,<2",
        config=ResourceSharingConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看共享载体目录和预约",
                description_en="Read the shared-resource catalogue and reservations",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.RESERVE,
                description_zh="为本组织预约共享载体",
                description_en="Reserve shared resources for one's organisations",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
            PluginPermission(
                key=services.PROVIDE,
                description_zh="管理本组织提供的载体、审批预约、发布资源清单",
                description_en="Manage provided resources, approve reservations, publish catalogues",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/resource_sharing/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages: catalogue, one resource with its week, my reservations, approvals inbox."""
    from plugins.resource_sharing.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Photos, floor plans and usage rules of a resource, reached like the resource itself."""
    from plugins.resource_sharing.models import SharedResource

    return [
        AttachmentOwner(
            f"{SLUG}.resource",
            SharedResource,
            services.READ,
            services.PROVIDE,
            load=services.resource_for_files,
        )
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: OrgNode, session: Any) -> list[Figure]:
    return await services.figures(session, node, utcnow())


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: OrgNode, session: Any) -> list[MapFeature]:
    return await services.map_features(session, node)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.resource_sharing.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.resource_sharing.isolation import examples

    return dict(examples())
