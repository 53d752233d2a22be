"""``/api/v1/org``: the organisation tree."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.auth.scope import node_in_scope, scoped_select
from core.orgs import services
from core.orgs.models import OrgNode
from core.orgs.schemas import KindOut, NodeCreate, NodeMove, NodeOut, NodeUpdate
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Page, paginate


class OrgController(Controller):
    path = "/org"
    tags = ["org"]

    @get("/kinds", opt={"permission": "org.read"}, summary="Organisation kinds and their allowed parents")
    async def kinds(self) -> list[KindOut]:
        return services.all_kind_outs()

    @get("/roots", opt={"permission": "org.read"}, summary="The top nodes of the caller's scope")
    async def roots(self, db: DB, principal: CurrentPrincipal) -> list[NodeOut]:
        return [services.node_out(n) for n in await services.scope_roots(db, principal)]

    @post("/nodes", opt={"permission": "org.write"}, summary="Create an organisation under a parent")
    async def create(self, db: DB, principal: CurrentPrincipal, data: JSONBody[NodeCreate]) -> NodeOut:
        node = await services.create_node(db, principal, data)
        return services.node_out(node, await services.warnings_for(db, node))

    @get(
        "/nodes/{node_id:uuid}",
        opt={"permission": "org.read"},
        summary="One organisation, with rule warnings",
    )
    async def read(self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID]) -> NodeOut:
        node = await node_in_scope(db, principal, node_id, "org.read")
        return services.node_out(node, await services.warnings_for(db, node))

    @patch(
        "/nodes/{node_id:uuid}",
        opt={"permission": "org.write"},
        summary="Change name, code, kind or attributes",
    )
    async def update(
        self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID], data: JSONBody[NodeUpdate]
    ) -> NodeOut:
        node = await services.update_node(db, principal, node_id, data)
        return services.node_out(node, await services.warnings_for(db, node))

    @post(
        "/nodes/{node_id:uuid}/move",
        opt={"permission": "org.write"},
        status_code=200,
        summary="Move an organisation and its subtree under another parent",
    )
    async def move(
        self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID], data: JSONBody[NodeMove]
    ) -> NodeOut:
        return services.node_out(await services.move_node(db, principal, node_id, data))

    @post(
        "/nodes/{node_id:uuid}/archive",
        opt={"permission": "org.write"},
        status_code=200,
        summary="Archive an organisation with no active children or people",
    )
    async def archive(self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID]) -> NodeOut:
        return services.node_out(await services.archive_node(db, principal, node_id))

    @get("/nodes/{node_id:uuid}/children", opt={"permission": "org.read"}, summary="Direct children")
    async def children(
        self,
        db: DB,
        principal: CurrentPrincipal,
        node_id: FromPath[uuid.UUID],
        page: Paging,
        include_archived: FromQuery[bool] = False,
    ) -> Page[NodeOut]:
        node = await node_in_scope(db, principal, node_id, "org.read")
        stmt = scoped_select(OrgNode, principal, "org.read").where(OrgNode.parent_id == node.id)
        if not include_archived:
            stmt = stmt.where(OrgNode.archived_at.is_(None))
        rows, total = await paginate(db, stmt.order_by(OrgNode.name, OrgNode.id), page)
        return Page(
            items=[services.node_out(n) for n in rows], total=total, limit=page.limit, offset=page.offset
        )

    @get(
        "/nodes/{node_id:uuid}/subtree",
        opt={"permission": "org.read"},
        summary="The subtree in path order, optionally one kind or a name search",
    )
    async def subtree(
        self,
        db: DB,
        principal: CurrentPrincipal,
        node_id: FromPath[uuid.UUID],
        page: Paging,
        kind: Annotated[str | None, Parameter(max_length=40)] = None,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[NodeOut]:
        node = await node_in_scope(db, principal, node_id, "org.read")
        if kind is not None:
            services.validate_kind(kind)
        stmt = services.subtree_select(principal, node, kind=kind, include_archived=include_archived, q=q)
        rows, total = await paginate(db, stmt, page)
        return Page(
            items=[services.node_out(n) for n in rows], total=total, limit=page.limit, offset=page.offset
        )

    @get(
        "/nodes/{node_id:uuid}/ancestors",
        opt={"permission": "org.read"},
        summary="The chain from the district down to the parent",
    )
    async def ancestors(
        self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID]
    ) -> list[NodeOut]:
        node = await node_in_scope(db, principal, node_id, "org.read")
        return [services.node_out(n) for n in await services.ancestors(db, node)]


__all__ = ["OrgController"]
