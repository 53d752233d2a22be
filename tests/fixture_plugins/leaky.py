"""A plugin with one route that forgets the scope guard, and its guarded twin: the isolation suite's
negative control (tests/isolation/test_negative_control.py). Never registered in the suite's host."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get
from litestar.params import FromPath

from core.api import DB, CurrentPrincipal, Manifest, OrgNode, Output, hookimpl, node_in_scope


class NodeOut(Output):
    id: uuid.UUID
    name: str


class LeakyController(Controller):
    path = "/"

    @get("/unguarded/{node_id:uuid}", opt={"permission": "org.read"})
    async def unguarded(self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID]) -> NodeOut:
        node = await db.get(OrgNode, (principal.tenant_id, node_id))  # the bug: no scope check
        if node is None:
            from core.errors import NotFound

            raise NotFound("no such organisation")
        return NodeOut(id=node.id, name=node.name)

    @get("/guarded/{node_id:uuid}", opt={"permission": "org.read"})
    async def guarded(self, db: DB, principal: CurrentPrincipal, node_id: FromPath[uuid.UUID]) -> NodeOut:
        node = await node_in_scope(db, principal, node_id, "org.read")
        return NodeOut(id=node.id, name=node.name)


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="leaky", name_zh="漏洞示例", name_en="Leaky", version="1.0.0", pillar="other")


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    return [LeakyController]
