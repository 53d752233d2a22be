"""示范片区联建 demonstration zones ("1+X"), mechanism 4 of the Runzhou model: the plugin at a glance.

The "1+X" wild-goose formation (雁阵工作法): one renowned community or secretary is the lead goose
(领头雁), a non-establishment joint committee (非建制联合党委) is set up as a ``joint_committee``
node of the organisation tree, and the surrounding organisations (the "X": communities, resident
units, two-new organisations) join the zone. The zone holds shared activities (活动联办), exports
its experience (经验输出) to organisations that adopt it, and is reviewed periodically (a job
reminds its leads when a review falls due).

Disabling the plugin hides its routes, pages, job and figures and keeps every record. The joint
committee nodes it created stay in the organisation tree as ordinary nodes (they are a record of
the tree: people, grants and other mechanisms may refer to them); re-enabling finds them again.

The rules are in ``services.py``, the tables in ``models.py``, the API in ``routes.py``, the
scheduled job in ``jobs.py``, the console in ``console.py`` and the demo records in ``demo.py``.
Import only from ``core.api``.
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
from plugins.model_zones import jobs, services
from plugins.model_zones.models import TABLES
from plugins.model_zones.routes import ROUTE_HANDLERS
from plugins.model_zones.schemas import ModelZonesConfig

__version__ = "1.0.0"
SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

# Messages of this plugin (locale/<language>/LC_MESSAGES/model_zones.po) join the core's.
add_catalog(SLUG, HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=4,
        pillar="organisation",
        name_zh="示范片区联建",
        name_en="Demonstration zones (1+X)",
        version=__version__,
        description_zh=(
            "“1+X”雁阵工作法：以名书记、名社区为领头雁，成立非建制联合党委，吸纳周边组织加入片区，"
            "联办活动、输出经验做法、定期评估，带动整片建强。"
        ),
        description_en=(
            "The '1+X' formation: a renowned community or secretary leads a zone with a non-establishment "
            "joint committee; surrounding organisations join, hold shared activities, adopt the experience "
            "the zone exports, and the zone is reviewed periodically."
        ),
        core_api=">=1.0,<2",
        config=ModelZonesConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看示范片区",
                description_en="Read demonstration zones, members, activities, experiences and reviews",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="管理示范片区（创建片区、成员单位、评估）",
                description_en="Set up zones and their joint committees, members and reviews",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
            PluginPermission(
                key=services.RECORD,
                description_zh="记录片区联办活动和经验输出",
                description_en="Record shared activities, exported experiences and their adoptions",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(ROUTE_HANDLERS)  # served under /api/v1/m/model_zones/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/model_zones/: the zones, one zone."""
    from plugins.model_zones.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """The zone's own files (charter, plans), photos of activities, and experience documents."""
    from plugins.model_zones.models import Zone, ZoneActivity, ZoneExperience

    return [
        AttachmentOwner(f"{SLUG}.zone", Zone, services.READ, services.MANAGE),
        AttachmentOwner(f"{SLUG}.activity", ZoneActivity, services.READ, services.RECORD),
        AttachmentOwner(f"{SLUG}.experience", ZoneExperience, services.READ, services.RECORD),
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
def quanyu_plugin_disabled(tenant_id: Any, session: Any) -> None:
    """Nothing to undo: the zones are kept, and their joint committee nodes stay in the tree."""


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: OrgNode, session: Any) -> list[Figure]:
    return await services.figures(session, node, district_today())


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: OrgNode, session: Any) -> list[MapFeature]:
    return await services.map_features(session, node, district_today())


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.model_zones.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.model_zones.isolation import examples

    return dict(examples())
