"""``GET /api/v1/dashboard``: the figures of an org subtree, from the core and every enabled plugin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter
from sqlalchemy import func, select

from core.auth.scope import node_in_scope
from core.dashboard.figures import Figure
from core.i18n import current_locale
from core.orgs.models import OrgNode, in_subtree
from core.orgs.schemas import NodeRef
from core.people.models import MEMBER_STATUSES, Person
from core.plugins.host import PluginHost
from core.web.deps import DB, CurrentPrincipal
from core.web.schemas import Output


class FigureOut(Output):
    plugin: str
    key: str
    name: str
    name_zh: str
    name_en: str
    value: int | float
    unit: str


class DashboardOut(Output):
    node: NodeRef
    figures: list[FigureOut]


async def core_figures(db: Any, node: OrgNode) -> list[Figure]:
    """What the core itself knows of a subtree: its organisations and party members."""
    subtree = select(OrgNode.id).where(in_subtree(OrgNode.path, node.path), OrgNode.archived_at.is_(None))
    branches = await db.scalar(
        select(func.count())
        .select_from(OrgNode)
        .where(in_subtree(OrgNode.path, node.path), OrgNode.archived_at.is_(None), OrgNode.kind == "branch")
    )
    counts = (
        await db.execute(
            select(
                func.count().filter(Person.party_status.in_(MEMBER_STATUSES)),
                func.count().filter(Person.party_status == "probationary"),
            ).where(Person.org_node_id.in_(subtree), Person.archived_at.is_(None))
        )
    ).one()
    return [
        Figure(
            key="branches",
            name_zh="党支部",
            name_en="Party branches",
            value=int(branches or 0),
            unit_zh="个",
            unit_en="",
        ),
        Figure(
            key="members",
            name_zh="党员",
            name_en="Party members",
            value=int(counts[0]),
            unit_zh="名",
            unit_en="",
        ),
        Figure(
            key="probationary_members",
            name_zh="预备党员",
            name_en="Probationary members",
            value=int(counts[1]),
            unit_zh="名",
            unit_en="",
        ),
    ]


def figure_out(plugin: str, figure: Figure) -> FigureOut:
    en = current_locale() == "en"
    return FigureOut(
        plugin=plugin,
        key=figure.key,
        name=figure.name_en if en else figure.name_zh,
        name_zh=figure.name_zh,
        name_en=figure.name_en,
        value=figure.value,
        unit=figure.unit_en if en else figure.unit_zh,
    )


class DashboardController(Controller):
    path = "/dashboard"
    tags = ["dashboard"]

    @get(
        "/",
        opt={"permission": "org.read"},
        summary="Figures of an org subtree from the core and enabled plugins",
    )
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        node: Annotated[uuid.UUID, Parameter(description="Root of the subtree")],
    ) -> DashboardOut:
        root = await node_in_scope(db, principal, node, "org.read")
        host: PluginHost = request.app.state.plugin_host
        enabled = await request.app.state.plugin_cache.enabled(db, principal.tenant_id)
        figures = [figure_out("core", f) for f in await core_figures(db, root)]
        for slug, contributed in await host.call(
            "quanyu_dashboard_figures", enabled=enabled, tenant_id=principal.tenant_id, node=root, session=db
        ):
            for figure in contributed:
                if isinstance(figure, Figure):
                    figures.append(figure_out(slug, figure))
                else:
                    try:
                        figures.append(figure_out(slug, msgspec.convert(figure, Figure)))
                    except (msgspec.ValidationError, TypeError):
                        import logging

                        logging.getLogger("quanyu.plugins").error(
                            "plugin %s returned a bad figure: %r", slug, figure
                        )
        return DashboardOut(node=NodeRef(id=root.id, kind=root.kind, name=root.name), figures=figures)
