"""行动支部联组 Action branches, mechanism 6 of the Runzhou model: the plugin at a glance.

Functional action branches (功能型行动支部) formed by shared cause, interest, trade or place
(志缘/趣缘/业缘/地缘), hosted by an organisation, led by a person of the district, with members who
keep their formal branch (membership is an affiliation, never the formal relation), and actions
(活动) with participants and the hours each gave ("边行动、边活动").

Its manifest and every hook it implements are in this file; the rules live in ``services.py``, the
tables in ``models.py``, the HTTP routes in ``routes.py``, the scheduled job in ``jobs.py`` and the
demo records in ``demo.py``. Import only from ``core.api``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.api import (
    AffiliationKind,
    AttachmentOwner,
    Figure,
    Manifest,
    MapFeature,
    MigrationLocation,
    NodeKind,
    OrgNode,
    PluginPermission,
    add_catalog,
    district_today,
    hookimpl,
)
from plugins.action_branches import jobs, services
from plugins.action_branches.models import TABLES
from plugins.action_branches.routes import CONTROLLERS
from plugins.action_branches.schemas import ActionBranchesConfig

__version__ = "1.0.0"

SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")

# Organisations that may host an action branch: every built-in kind but party groups.
HOST_KINDS = frozenset(
    {
        "district",
        "street",
        "community",
        "village",
        "party_committee",
        "general_branch",
        "branch",
        "joint_committee",
        "unit",
        "sector_department",
        "social_org",
        "enterprise",
        "owners_committee",
        "property_company",
    }
)


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=6,
        pillar="organisation",
        name_zh="行动支部联组",
        name_en="Action branches",
        version=__version__,
        description_zh=(
            "按志缘、趣缘、业缘、地缘灵活组建功能型行动支部：依托组织、负责人、成员（不改变组织关系），"
            "登记活动、参与人员和服务时长，“边行动、边活动”。"
        ),
        description_en=(
            "Functional action branches formed by cause, interest, trade or place: host organisation, "
            "leader, members (an affiliation, never the formal relation), actions with participants and hours."
        ),
        core_api=">=1.0,<2",
        config=ActionBranchesConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看行动支部、成员和活动",
                description_en="Read action branches, their members and actions",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="组建、调整、撤销行动支部，管理成员",
                description_en="Form, change and dissolve action branches; manage members",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
            PluginPermission(
                key=services.RECORD,
                description_zh="登记活动、参与人员和服务时长",
                description_en="Record actions, participants and hours",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(CONTROLLERS)  # served under /api/v1/m/action_branches/


@hookimpl
def quanyu_console_pages() -> Any:
    """Console pages under /t/<tenant>/console/m/action_branches/: branches, one branch, one action."""
    from plugins.action_branches.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    return MigrationLocation(SLUG, HERE / "migrations", TABLES)


@hookimpl
def quanyu_org_kinds() -> list[NodeKind]:
    """Each branch is a node under its host, so grants on the host reach it; it holds no formal members."""
    return [
        NodeKind(
            services.NODE_KIND,
            "行动支部",
            "Action branch",
            HOST_KINDS,
            party=True,
            holds_members=False,
        )
    ]


@hookimpl
def quanyu_affiliation_kinds() -> list[AffiliationKind]:
    return [
        AffiliationKind(
            services.AFFILIATION_KIND,
            "行动支部成员",
            "Action branch member",
            frozenset({services.NODE_KIND}),
        )
    ]


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Photos and notes of actions, reached like the actions."""
    from plugins.action_branches.models import ActionBranchAction

    return [
        AttachmentOwner(
            f"{SLUG}.action", ActionBranchAction, services.READ, services.RECORD, load=services.action_record
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
    config = await services.config_of(session)
    return await services.figures(session, node, district_today(), config)


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: OrgNode, session: Any) -> list[MapFeature]:
    config = await services.config_of(session)
    return await services.map_features(session, node, district_today(), config)


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    from plugins.action_branches.demo import load_demo

    return await load_demo(session, plan)


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    """How each route stays inside its district, for the core's cross-tenant isolation suite."""
    from plugins.action_branches.isolation import examples

    return dict(examples())
