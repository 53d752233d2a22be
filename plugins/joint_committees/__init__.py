"""三级责任联动 three-level responsibility linkage (mechanism 1), the plugin at a glance.

Committees at three levels (the district guidance committee, street 大工委,
community 大党委) are attached to organisations; seats hold members and the
part-time members (兼职委员) of resident units, owners' committees and property
companies; work meetings have agendas, attendance and minutes; decisions are
handed down the levels with an owner and a deadline, and overdue ones climb
back up one level at a time (a scheduled job). The rules are in
``services.py``, the tables in ``models.py``, the API in ``routes.py``.
Import only from ``core.api``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.api import (
    AttachmentOwner,
    Figure,
    Manifest,
    MigrationLocation,
    PluginPermission,
    add_catalog,
    district_today,
    hookimpl,
)
from plugins.joint_committees import demo, jobs, services
from plugins.joint_committees.models import Attendance, Committee, Decision, Escalation, Meeting, Seat
from plugins.joint_committees.routes import ROUTE_HANDLERS
from plugins.joint_committees.schemas import LinkageConfig

__version__ = "1.0.0"
SLUG = services.SLUG
HERE = Path(__file__).resolve().parent

add_catalog(SLUG, HERE / "locale")


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug=SLUG,
        number=1,
        pillar="political",
        name_zh="三级责任联动",
        name_en="Three-level responsibility linkage",
        description_zh="区、街道、社区三级联席委员会：兼职委员、工作例会、议定事项逐级交办、逾期逐级督办。",
        description_en=(
            "Linkage committees at district, street and community level: part-time members, work "
            "meetings, decisions handed down the levels, overdue decisions escalated one level up."
        ),
        version=__version__,
        core_api=">=1.0,<2",
        config=LinkageConfig,
        permissions=(
            PluginPermission(
                key=services.READ,
                description_zh="查看联席委员会",
                description_en="Read linkage committees, meetings and decisions",
                default_roles=("system_admin", "org_admin", "secretary", "staff", "viewer"),
            ),
            PluginPermission(
                key=services.MANAGE,
                description_zh="管理联席委员会",
                description_en="Set up committees and seats, hold meetings, hand down decisions",
                default_roles=("system_admin", "org_admin", "secretary"),
            ),
            PluginPermission(
                key=services.REPORT,
                description_zh="报告议定事项进展",
                description_en="Report progress on decisions handed down",
                default_roles=("system_admin", "org_admin", "secretary", "staff"),
            ),
        ),
    )


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return list(ROUTE_HANDLERS)


@hookimpl
def quanyu_console_pages() -> Any:
    from plugins.joint_committees.console import PAGES

    return PAGES


@hookimpl
def quanyu_migration_location() -> MigrationLocation:
    tables = {model.__tablename__ for model in (Committee, Seat, Meeting, Attendance, Decision, Escalation)}
    return MigrationLocation(SLUG, HERE / "migrations", frozenset(tables))


@hookimpl
def quanyu_attachment_owners() -> list[AttachmentOwner]:
    """Meetings take their minutes and photos; decisions the evidence that they were carried out."""
    return [
        AttachmentOwner(f"{SLUG}.meeting", Meeting, services.READ, services.MANAGE),
        AttachmentOwner(f"{SLUG}.decision", Decision, services.READ, services.REPORT),
    ]


@hookimpl
def quanyu_jobs() -> dict[str, Any]:
    return dict(jobs.JOBS)


@hookimpl
def quanyu_schedules() -> list[tuple[str, str]]:
    return list(jobs.SCHEDULES)


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: Any, session: Any) -> list[Figure]:
    return await services.figures(session, node, district_today())


@hookimpl
async def quanyu_demo_data(tenant_id: Any, session: Any, plan: Any) -> dict[str, int]:
    return await demo.fill(session, seed=getattr(plan, "reference_date", district_today()).toordinal())


@hookimpl
def quanyu_isolation_examples() -> dict[tuple[str, str], Any]:
    from plugins.joint_committees.isolation import examples

    return examples()
