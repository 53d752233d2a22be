"""The action branches API, mounted by the core under ``/api/v1/m/action_branches/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules of ``services``),
call a service, shape the answer. The core's gate answers 404 to a district that has not enabled
the plugin, and ``db`` commits when a handler returns.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.action_branches import services
from plugins.action_branches.schemas import (
    ActionDetailOut,
    ActionIn,
    ActionOut,
    BranchIn,
    BranchKind,
    BranchOut,
    BranchStatus,
    BranchUpdate,
    LeaveIn,
    MemberIn,
    MemberOut,
    ParticipantsIn,
)
from plugins.action_branches.services import MANAGE, READ, RECORD


class BranchController(Controller):
    """Action branches (行动支部), their members and their actions."""

    path = "/branches"
    tags = ["action_branches"]

    @get("/", opt={"permission": READ}, summary="Action branches within the caller's scope")
    async def list_branches(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        kind: FromQuery[BranchKind | None] = None,
        status: FromQuery[BranchStatus | None] = None,
        node_id: Annotated[uuid.UUID | None, Parameter(description="Only branches in this subtree")] = None,
        q: Annotated[str | None, Parameter(max_length=100, description="Part of the name")] = None,
    ) -> Page[BranchOut]:
        rows, total = await services.branches_page(
            db, principal, page, kind=kind, status=status, node_id=node_id, q=q
        )
        return Page(
            items=await services.branch_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post("/", opt={"permission": MANAGE}, summary="Form an action branch under a host organisation")
    async def create_branch(self, db: DB, principal: CurrentPrincipal, data: JSONBody[BranchIn]) -> BranchOut:
        branch = await services.create_branch(db, principal, data)
        return (await services.branch_outs(db, [branch]))[0]

    @get("/{branch_id:uuid}", opt={"permission": READ}, summary="One action branch")
    async def read_branch(
        self, db: DB, principal: CurrentPrincipal, branch_id: FromPath[uuid.UUID]
    ) -> BranchOut:
        branch = await services.branch_in_scope(db, principal, branch_id, READ)
        return (await services.branch_outs(db, [branch]))[0]

    @patch(
        "/{branch_id:uuid}",
        opt={"permission": MANAGE},
        summary="Rename, re-kind, change the leader or place of, or dissolve a branch",
    )
    async def update_branch(
        self,
        db: DB,
        principal: CurrentPrincipal,
        branch_id: FromPath[uuid.UUID],
        data: JSONBody[BranchUpdate],
    ) -> BranchOut:
        branch = await services.update_branch(db, principal, branch_id, data)
        return (await services.branch_outs(db, [branch]))[0]

    @get("/{branch_id:uuid}/members", opt={"permission": READ}, summary="The branch's members")
    async def list_members(
        self,
        db: DB,
        principal: CurrentPrincipal,
        branch_id: FromPath[uuid.UUID],
        page: Paging,
        include_left: Annotated[bool, Parameter(description="Also those who left")] = False,
    ) -> Page[MemberOut]:
        branch = await services.branch_in_scope(db, principal, branch_id, READ)
        rows, total = await services.members_page(db, branch, page, include_left)
        return Page(
            items=await services.member_outs(db, branch, rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post(
        "/{branch_id:uuid}/members",
        opt={"permission": MANAGE},
        summary="Add a person as a member (an affiliation; the formal relation is untouched)",
    )
    async def join(
        self, db: DB, principal: CurrentPrincipal, branch_id: FromPath[uuid.UUID], data: JSONBody[MemberIn]
    ) -> MemberOut:
        branch, row = await services.join(db, principal, branch_id, data)
        return (await services.member_outs(db, branch, [row]))[0]

    @post(
        "/{branch_id:uuid}/members/leave",
        opt={"permission": MANAGE},
        status_code=200,
        summary="End a member's membership",
    )
    async def leave(
        self, db: DB, principal: CurrentPrincipal, branch_id: FromPath[uuid.UUID], data: JSONBody[LeaveIn]
    ) -> MemberOut:
        branch, row = await services.leave(db, principal, branch_id, data)
        return (await services.member_outs(db, branch, [row]))[0]

    @get("/{branch_id:uuid}/actions", opt={"permission": READ}, summary="The branch's actions, newest first")
    async def list_actions(
        self, db: DB, principal: CurrentPrincipal, branch_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ActionOut]:
        branch = await services.branch_in_scope(db, principal, branch_id, READ)
        rows, total = await services.actions_page(db, branch, page)
        return Page(
            items=await services.action_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{branch_id:uuid}/actions",
        opt={"permission": RECORD},
        summary="Record an action with its participants and their hours",
    )
    async def record_action(
        self, db: DB, principal: CurrentPrincipal, branch_id: FromPath[uuid.UUID], data: JSONBody[ActionIn]
    ) -> ActionDetailOut:
        action = await services.record_action(db, principal, branch_id, data)
        return await services.action_detail(db, action)


class ActionController(Controller):
    """One action (活动) of a branch and its participants."""

    path = "/actions"
    tags = ["action_branches"]

    @get("/{action_id:uuid}", opt={"permission": READ}, summary="One action with its participants")
    async def read_action(
        self, db: DB, principal: CurrentPrincipal, action_id: FromPath[uuid.UUID]
    ) -> ActionDetailOut:
        action = await services.action_in_scope(db, principal, action_id, READ)
        return await services.action_detail(db, action)

    @put(
        "/{action_id:uuid}/participants",
        opt={"permission": RECORD},
        summary="Record who took part and their hours (replaces what was recorded)",
    )
    async def record_participants(
        self,
        db: DB,
        principal: CurrentPrincipal,
        action_id: FromPath[uuid.UUID],
        data: JSONBody[ParticipantsIn],
    ) -> ActionDetailOut:
        action = await services.replace_participants(db, principal, action_id, data.participants)
        return await services.action_detail(db, action)


CONTROLLERS = [BranchController, ActionController]
