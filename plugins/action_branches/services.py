"""The rules of action branches (行动支部联组): routes parse and authorise, services decide and write.

A branch lives in the organisation tree as a node of kind ``action_branch`` under its host
organisation, so a grant on the host (or above) reaches the branch, its members and its actions; a
caller outside answers 404, as for a branch that does not exist. Members are core ``Affiliation``
rows of kind ``action_branch`` on the branch's node: joining or leaving never changes anyone's
formal organisational relation (组织关系). People named in a request (leader, members,
participants) must be people of the district within the caller's scope, or the request is refused
with a 422 beside the field, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
    Affiliation,
    Conflict,
    FieldProblem,
    Figure,
    Invalid,
    MapFeature,
    NotificationTemplate,
    OrgNode,
    PageParams,
    Person,
    Principal,
    _,
    add_node,
    audit,
    audit_diff,
    district_today,
    in_subtree,
    invalid_field,
    load_in_scope,
    node_in_scope,
    notify,
    paginate,
    plugin_config,
    register_template,
    scope_predicate,
    utcnow,
)
from plugins.action_branches.models import ActionBranch, ActionBranchAction, ActionBranchParticipation
from plugins.action_branches.schemas import (
    ActionBranchesConfig,
    ActionDetailOut,
    ActionIn,
    ActionOut,
    BranchIn,
    BranchOut,
    BranchUpdate,
    LeaveIn,
    MemberIn,
    MemberOut,
    ParticipantIn,
    ParticipantOut,
)

SLUG = "action_branches"
READ = f"{SLUG}.read"
MANAGE = f"{SLUG}.manage"
RECORD = f"{SLUG}.record"

NODE_KIND = "action_branch"
AFFILIATION_KIND = "action_branch"
LEADER_ROLE = "leader"
KINDS = ("cause", "interest", "trade", "place")
KIND_NAMES = {
    "cause": ("志缘", "Cause"),
    "interest": ("趣缘", "Interest"),
    "trade": ("业缘", "Trade"),
    "place": ("地缘", "Place"),
}
# Organisations that cannot host a branch: party groups and other action branches.
NOT_HOST_KINDS = frozenset({"group", NODE_KIND})

REMINDER_TEMPLATE = f"{SLUG}.idle_branch_reminder"
register_template(
    NotificationTemplate(
        REMINDER_TEMPLATE,
        title={
            "zh_CN": "行动支部提醒：{branch}在{month}没有记录活动",
            "en": "Action branch reminder: {branch} recorded no action in {month}",
        },
        body={
            "zh_CN": "请组织开展“边行动、边活动”，并及时登记活动、参与人员和服务时长。",
            "en": "Please hold an action and record it with its participants and their hours.",
        },
    )
)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _optional(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.strip()
    return cleaned or None


def _required(field: str, text: str) -> str:
    cleaned = _clean(text)
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


def _not_future(field: str, day: dt.date) -> None:
    if day > district_today():
        raise invalid_field(field, _("The date cannot be in the future."), code="in_future")


async def config_of(session: AsyncSession) -> ActionBranchesConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, ActionBranchesConfig)
    return config


# --- scope -----------------------------------------------------------------------------------------


async def branch_in_scope(
    session: AsyncSession, principal: Principal, branch_id: uuid.UUID, permission: str
) -> ActionBranch:
    """The branch if its node lies in the caller's scope for ``permission``; 404 otherwise."""
    return await load_in_scope(session, principal, ActionBranch, branch_id, permission)


async def action_in_scope(
    session: AsyncSession, principal: Principal, action_id: uuid.UUID, permission: str
) -> ActionBranchAction:
    return await load_in_scope(session, principal, ActionBranchAction, action_id, permission)


async def action_record(
    session: AsyncSession, principal: Principal, action_id: uuid.UUID, permission: str
) -> ActionBranchAction:
    """The attachment owners' loader: an action in reach for ``permission``."""
    return await action_in_scope(session, principal, action_id, permission)


async def person_in_reach(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, permission: str, field: str
) -> Person:
    """A person of the district whose organisation lies in the caller's scope; a 422 beside ``field``
    otherwise (the same answer for a person of another district, outside the scope, or archived)."""
    owner = aliased(OrgNode, name="person_node")
    person = (
        await session.scalars(
            select(Person)
            .join(owner, (owner.tenant_id == Person.tenant_id) & (owner.id == Person.org_node_id))
            .where(
                Person.id == person_id,
                Person.archived_at.is_(None),
                scope_predicate(principal, permission, owner.path),
            )
        )
    ).first()
    if person is None:
        raise invalid_field(field, _("No person with this id is within your reach."), code="person_not_found")
    return person


def _require_active(branch: ActionBranch) -> None:
    if branch.status != "active":
        raise Conflict(
            _("The action branch {name} is dissolved; its records can no longer change."),
            code="dissolved",
            name=branch.name,
        )


async def _open_membership(
    session: AsyncSession, branch: ActionBranch, person_id: uuid.UUID
) -> Affiliation | None:
    return (
        await session.scalars(
            select(Affiliation).where(
                Affiliation.org_node_id == branch.org_node_id,
                Affiliation.kind == AFFILIATION_KIND,
                Affiliation.person_id == person_id,
                Affiliation.ended_on.is_(None),
            )
        )
    ).first()


async def _people(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(wanted)))}


async def _nodes(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


# --- branches --------------------------------------------------------------------------------------


async def branch_outs(session: AsyncSession, branches: Sequence[ActionBranch]) -> list[BranchOut]:
    hosts = await _nodes(session, (b.host_node_id for b in branches))
    leaders = await _people(session, (b.leader_person_id for b in branches))
    counts: dict[uuid.UUID, int] = {}
    if branches:
        counts = {
            node_id: int(count)
            for node_id, count in await session.execute(
                select(Affiliation.org_node_id, func.count())
                .where(
                    Affiliation.org_node_id.in_({b.org_node_id for b in branches}),
                    Affiliation.kind == AFFILIATION_KIND,
                    Affiliation.ended_on.is_(None),
                )
                .group_by(Affiliation.org_node_id)
            )
        }
    return [
        BranchOut(
            id=b.id,
            org_node_id=b.org_node_id,
            host_node_id=b.host_node_id,
            host_name=hosts[b.host_node_id].name,
            kind=b.kind,
            name=b.name,
            leader_person_id=b.leader_person_id,
            leader_name=leaders[b.leader_person_id].name,
            description=b.description,
            place=b.place,
            longitude=b.longitude,
            latitude=b.latitude,
            founded_on=b.founded_on,
            status=b.status,
            dissolved_on=b.dissolved_on,
            members=counts.get(b.org_node_id, 0),
            created_at=b.created_at,
        )
        for b in branches
    ]


def _snapshot(branch: ActionBranch) -> dict[str, Any]:
    return {
        "host_node_id": branch.host_node_id,
        "kind": branch.kind,
        "name": branch.name,
        "leader_person_id": branch.leader_person_id,
        "description": branch.description,
        "place": branch.place,
        "longitude": branch.longitude,
        "latitude": branch.latitude,
        "status": branch.status,
    }


def _check_coordinates(longitude: float | None, latitude: float | None) -> None:
    if (longitude is None) != (latitude is None):
        field = "latitude" if latitude is None else "longitude"
        raise invalid_field(field, _("Give both longitude and latitude, or neither."), code="half_a_place")


async def branches_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    kind: str | None = None,
    status: str | None = None,
    node_id: uuid.UUID | None = None,
    q: str | None = None,
) -> tuple[list[ActionBranch], int]:
    node = aliased(OrgNode, name="branch_node")
    stmt = (
        select(ActionBranch)
        .join(node, (node.tenant_id == ActionBranch.tenant_id) & (node.id == ActionBranch.org_node_id))
        .where(scope_predicate(principal, READ, node.path))
    )
    if kind is not None:
        stmt = stmt.where(ActionBranch.kind == kind)
    if status is not None:
        stmt = stmt.where(ActionBranch.status == status)
    if node_id is not None:
        within = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(in_subtree(node.path, within.path))
    if q:
        stmt = stmt.where(ActionBranch.name.contains(q.strip(), autoescape=True))
    return await paginate(session, stmt.order_by(node.path, ActionBranch.id), page)


async def create_branch(session: AsyncSession, principal: Principal, data: BranchIn) -> ActionBranch:
    """Form a branch under the host organisation; its leader becomes its first member."""
    host = await node_in_scope(session, principal, data.host_node_id, MANAGE)
    if host.kind in NOT_HOST_KINDS:
        raise invalid_field(
            "host_node_id",
            _("An action branch cannot be hosted by {name}."),
            code="not_a_host",
            name=host.name,
        )
    if host.archived_at is not None:
        raise invalid_field("host_node_id", _("The organisation is archived."), code="archived")
    name = _required("name", data.name)
    leader = await person_in_reach(session, principal, data.leader_person_id, MANAGE, "leader_person_id")
    founded_on = data.founded_on or district_today()
    _not_future("founded_on", founded_on)
    _check_coordinates(data.longitude, data.latitude)
    node = await add_node(session, host, NODE_KIND, name)
    branch = ActionBranch(
        org_node_id=node.id,
        host_node_id=host.id,
        kind=data.kind,
        name=name,
        leader_person_id=leader.id,
        description=_optional(data.description),
        place=_optional(data.place),
        longitude=data.longitude,
        latitude=data.latitude,
        founded_on=founded_on,
        status="active",
    )
    session.add(branch)
    session.add(
        Affiliation(
            person_id=leader.id,
            org_node_id=node.id,
            kind=AFFILIATION_KIND,
            role=LEADER_ROLE,
            started_on=founded_on,
        )
    )
    await session.flush()
    await audit(
        session,
        f"{SLUG}.branch_create",
        object_type="action_branch",
        object_id=branch.id,
        org_node_id=node.id,
        changes=audit_diff({}, _snapshot(branch)),
    )
    return branch


async def update_branch(
    session: AsyncSession, principal: Principal, branch_id: uuid.UUID, data: BranchUpdate
) -> ActionBranch:
    branch = await branch_in_scope(session, principal, branch_id, MANAGE)
    _require_active(branch)
    before = _snapshot(branch)
    node = await session.get(OrgNode, (branch.tenant_id, branch.org_node_id))
    assert node is not None  # a foreign key
    if data.name is not msgspec.UNSET:
        name = _required("name", data.name)
        if name != branch.name:
            taken = (
                await session.scalars(
                    select(OrgNode.id).where(
                        OrgNode.parent_id == node.parent_id,
                        OrgNode.name == name,
                        OrgNode.archived_at.is_(None),
                        OrgNode.id != node.id,
                    )
                )
            ).first()
            if taken is not None:
                raise Conflict(
                    _("The input conflicts with existing data."),
                    errors=[
                        FieldProblem(
                            "name",
                            "duplicate",
                            _("The host organisation already has an organisation named {name}."),
                            {"name": name},
                        )
                    ],
                )
            branch.name = name
            node.name = name
    if data.kind is not msgspec.UNSET:
        branch.kind = data.kind
    if data.description is not msgspec.UNSET:
        branch.description = _optional(data.description)
    if data.place is not msgspec.UNSET:
        branch.place = _optional(data.place)
    longitude = branch.longitude if data.longitude is msgspec.UNSET else data.longitude
    latitude = branch.latitude if data.latitude is msgspec.UNSET else data.latitude
    _check_coordinates(longitude, latitude)
    branch.longitude, branch.latitude = longitude, latitude
    today = district_today()
    if data.leader_person_id is not msgspec.UNSET and data.leader_person_id != branch.leader_person_id:
        leader = await person_in_reach(session, principal, data.leader_person_id, MANAGE, "leader_person_id")
        previous = await _open_membership(session, branch, branch.leader_person_id)
        if previous is not None and previous.role == LEADER_ROLE:
            previous.role = None
        membership = await _open_membership(session, branch, leader.id)
        if membership is None:
            session.add(
                Affiliation(
                    person_id=leader.id,
                    org_node_id=branch.org_node_id,
                    kind=AFFILIATION_KIND,
                    role=LEADER_ROLE,
                    started_on=today,
                )
            )
        else:
            membership.role = LEADER_ROLE
        branch.leader_person_id = leader.id
    if data.status is not msgspec.UNSET and data.status == "dissolved":
        branch.status = "dissolved"
        branch.dissolved_on = today
        for membership in await session.scalars(
            select(Affiliation).where(
                Affiliation.org_node_id == branch.org_node_id,
                Affiliation.kind == AFFILIATION_KIND,
                Affiliation.ended_on.is_(None),
            )
        ):
            membership.ended_on = max(today, membership.started_on)
        node.archived_at = utcnow()
    await session.flush()
    await audit(
        session,
        f"{SLUG}.branch_update",
        object_type="action_branch",
        object_id=branch.id,
        org_node_id=branch.org_node_id,
        changes=audit_diff(before, _snapshot(branch)),
    )
    return branch


# --- members ---------------------------------------------------------------------------------------


async def member_outs(
    session: AsyncSession, branch: ActionBranch, rows: Sequence[Affiliation]
) -> list[MemberOut]:
    people = await _people(session, (r.person_id for r in rows))
    return [
        MemberOut(
            id=r.id,
            branch_id=branch.id,
            person_id=r.person_id,
            person_name=people[r.person_id].name,
            role=r.role,
            joined_on=r.started_on,
            left_on=r.ended_on,
        )
        for r in rows
    ]


def _members_select(branch: ActionBranch, include_left: bool) -> Select[tuple[Affiliation]]:
    stmt = select(Affiliation).where(
        Affiliation.org_node_id == branch.org_node_id, Affiliation.kind == AFFILIATION_KIND
    )
    if not include_left:
        stmt = stmt.where(Affiliation.ended_on.is_(None))
    return stmt.order_by(Affiliation.started_on, Affiliation.id)


async def members_page(
    session: AsyncSession, branch: ActionBranch, page: PageParams, include_left: bool
) -> tuple[list[Affiliation], int]:
    return await paginate(session, _members_select(branch, include_left), page)


async def join(
    session: AsyncSession, principal: Principal, branch_id: uuid.UUID, data: MemberIn
) -> tuple[ActionBranch, Affiliation]:
    """Add a person of the caller's scope to the branch (an affiliation, never the formal relation)."""
    branch = await branch_in_scope(session, principal, branch_id, MANAGE)
    _require_active(branch)
    person = await person_in_reach(session, principal, data.person_id, MANAGE, "person_id")
    joined_on = data.joined_on or district_today()
    _not_future("joined_on", joined_on)
    if await _open_membership(session, branch, person.id) is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "person_id",
                    "duplicate",
                    _("{name} is already a member of this branch."),
                    {"name": person.name},
                )
            ],
        )
    row = Affiliation(
        person_id=person.id,
        org_node_id=branch.org_node_id,
        kind=AFFILIATION_KIND,
        role=_optional(data.role),
        started_on=joined_on,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.member_join",
        object_type="action_branch",
        object_id=branch.id,
        org_node_id=branch.org_node_id,
        changes={"person_id": [None, str(person.id)], "joined_on": [None, joined_on.isoformat()]},
    )
    return branch, row


async def leave(
    session: AsyncSession, principal: Principal, branch_id: uuid.UUID, data: LeaveIn
) -> tuple[ActionBranch, Affiliation]:
    """End a person's membership; refused for someone who is not a member, and for the leader."""
    branch = await branch_in_scope(session, principal, branch_id, MANAGE)
    _require_active(branch)
    membership = await _open_membership(session, branch, data.person_id)
    if membership is None:
        raise invalid_field("person_id", _("The person is not a member of this branch."), code="not_member")
    if branch.leader_person_id == data.person_id:
        raise Conflict(
            _("The leader cannot leave the branch; appoint another leader first."),
            code="leader",
            errors=[
                FieldProblem(
                    "person_id",
                    "leader",
                    _("The leader cannot leave the branch; appoint another leader first."),
                    {},
                )
            ],
        )
    left_on = data.left_on or district_today()
    _not_future("left_on", left_on)
    if left_on < membership.started_on:
        raise invalid_field(
            "left_on",
            _("The end cannot precede the start ({date})."),
            code="before_start",
            date=membership.started_on.isoformat(),
        )
    membership.ended_on = left_on
    await session.flush()
    await audit(
        session,
        f"{SLUG}.member_leave",
        object_type="action_branch",
        object_id=branch.id,
        org_node_id=branch.org_node_id,
        changes={"person_id": [str(data.person_id), None], "left_on": [None, left_on.isoformat()]},
    )
    return branch, membership


# --- actions and hours -----------------------------------------------------------------------------


async def action_outs(session: AsyncSession, actions: Sequence[ActionBranchAction]) -> list[ActionOut]:
    branches = (
        {
            b.id: b
            for b in await session.scalars(
                select(ActionBranch).where(ActionBranch.id.in_({a.branch_id for a in actions}))
            )
        }
        if actions
        else {}
    )
    totals: dict[uuid.UUID, tuple[int, float]] = {}
    if actions:
        totals = {
            action_id: (int(count), float(hours or 0))
            for action_id, count, hours in await session.execute(
                select(
                    ActionBranchParticipation.action_id,
                    func.count(),
                    func.sum(ActionBranchParticipation.hours),
                )
                .where(ActionBranchParticipation.action_id.in_({a.id for a in actions}))
                .group_by(ActionBranchParticipation.action_id)
            )
        }
    return [
        ActionOut(
            id=a.id,
            branch_id=a.branch_id,
            branch_name=branches[a.branch_id].name,
            held_on=a.held_on,
            title=a.title,
            place=a.place,
            description=a.description,
            longitude=a.longitude,
            latitude=a.latitude,
            participant_count=totals.get(a.id, (0, 0.0))[0],
            hours=round(totals.get(a.id, (0, 0.0))[1], 2),
            created_at=a.created_at,
        )
        for a in actions
    ]


async def action_detail(session: AsyncSession, action: ActionBranchAction) -> ActionDetailOut:
    [out] = await action_outs(session, [action])
    rows = list(
        await session.scalars(
            select(ActionBranchParticipation)
            .where(ActionBranchParticipation.action_id == action.id)
            .order_by(ActionBranchParticipation.created_at, ActionBranchParticipation.id)
        )
    )
    people = await _people(session, (r.person_id for r in rows))
    participants = [
        ParticipantOut(
            person_id=r.person_id, person_name=people[r.person_id].name, hours=r.hours, member=r.member
        )
        for r in rows
    ]
    return ActionDetailOut(**msgspec.structs.asdict(out), participants=participants)


async def actions_page(
    session: AsyncSession, branch: ActionBranch, page: PageParams
) -> tuple[list[ActionBranchAction], int]:
    stmt = (
        select(ActionBranchAction)
        .where(ActionBranchAction.branch_id == branch.id)
        .order_by(ActionBranchAction.held_on.desc(), ActionBranchAction.id)
    )
    return await paginate(session, stmt, page)


async def _checked_participants(
    session: AsyncSession,
    principal: Principal,
    branch: ActionBranch,
    held_on: dt.date,
    participants: Sequence[ParticipantIn],
    config: ActionBranchesConfig,
) -> list[tuple[uuid.UUID, float, bool]]:
    """``(person, hours, member)`` for each participant, or a 422 naming every bad field at once."""
    problems: list[FieldProblem] = []
    if participants and held_on > district_today():
        raise invalid_field(
            "held_on",
            _("Hours can be recorded only for an action that has taken place."),
            code="in_future",
        )
    members = {
        person_id
        for person_id in await session.scalars(
            select(Affiliation.person_id).where(
                Affiliation.org_node_id == branch.org_node_id,
                Affiliation.kind == AFFILIATION_KIND,
                Affiliation.started_on <= held_on,
                or_(Affiliation.ended_on.is_(None), Affiliation.ended_on >= held_on),
            )
        )
    }
    others = {p.person_id for p in participants} - members
    reachable: set[uuid.UUID] = set()
    if others:
        owner = aliased(OrgNode, name="person_node")
        reachable = set(
            await session.scalars(
                select(Person.id)
                .join(owner, (owner.tenant_id == Person.tenant_id) & (owner.id == Person.org_node_id))
                .where(
                    Person.id.in_(others),
                    Person.archived_at.is_(None),
                    scope_predicate(principal, RECORD, owner.path),
                )
            )
        )
    seen: set[uuid.UUID] = set()
    checked: list[tuple[uuid.UUID, float, bool]] = []
    for index, participant in enumerate(participants):
        field = f"participants[{index}]"
        if participant.person_id in seen:
            problems.append(
                FieldProblem(f"{field}.person_id", "duplicate", _("This person is listed twice."), {})
            )
        seen.add(participant.person_id)
        if participant.person_id not in members and participant.person_id not in reachable:
            problems.append(
                FieldProblem(
                    f"{field}.person_id",
                    "person_not_found",
                    _("No person with this id is within your reach."),
                    {},
                )
            )
        if participant.hours < 0:
            problems.append(FieldProblem(f"{field}.hours", "negative", _("Hours cannot be negative."), {}))
        elif participant.hours > config.max_hours_per_action:
            problems.append(
                FieldProblem(
                    f"{field}.hours",
                    "too_many",
                    _("At most {max} hours can be credited for one action."),
                    {"max": config.max_hours_per_action},
                )
            )
        checked.append((participant.person_id, round(participant.hours, 2), participant.person_id in members))
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    return checked


async def _write_participants(
    session: AsyncSession, action: ActionBranchAction, checked: list[tuple[uuid.UUID, float, bool]]
) -> None:
    for row in await session.scalars(
        select(ActionBranchParticipation).where(ActionBranchParticipation.action_id == action.id)
    ):
        await session.delete(row)
    await session.flush()
    for person_id, hours, member in checked:
        session.add(
            ActionBranchParticipation(action_id=action.id, person_id=person_id, hours=hours, member=member)
        )
    await session.flush()


async def record_action(
    session: AsyncSession, principal: Principal, branch_id: uuid.UUID, data: ActionIn
) -> ActionBranchAction:
    """Record an action (a planned one may be dated ahead, but then without hours)."""
    branch = await branch_in_scope(session, principal, branch_id, RECORD)
    _require_active(branch)
    config = await config_of(session)
    title = _required("title", data.title)
    _check_coordinates(data.longitude, data.latitude)
    if data.held_on < branch.founded_on:
        raise invalid_field(
            "held_on",
            _("The action cannot precede the branch's founding ({date})."),
            code="before_founding",
            date=branch.founded_on.isoformat(),
        )
    checked = await _checked_participants(session, principal, branch, data.held_on, data.participants, config)
    action = ActionBranchAction(
        branch_id=branch.id,
        org_node_id=branch.org_node_id,
        held_on=data.held_on,
        title=title,
        place=_optional(data.place),
        description=_optional(data.description),
        longitude=data.longitude,
        latitude=data.latitude,
    )
    session.add(action)
    await session.flush()
    await _write_participants(session, action, checked)
    await audit(
        session,
        f"{SLUG}.action_record",
        object_type="action_branch_action",
        object_id=action.id,
        org_node_id=branch.org_node_id,
        changes=audit_diff(
            {},
            {
                "branch_id": branch.id,
                "held_on": action.held_on,
                "title": action.title,
                "participants": len(checked),
                "hours": sum(h for _p, h, _m in checked),
            },
        ),
    )
    return action


async def replace_participants(
    session: AsyncSession, principal: Principal, action_id: uuid.UUID, participants: Sequence[ParticipantIn]
) -> ActionBranchAction:
    """Record who took part in an action and their hours (replacing what was recorded)."""
    action = await action_in_scope(session, principal, action_id, RECORD)
    branch = await session.get(ActionBranch, (action.tenant_id, action.branch_id))
    assert branch is not None  # a foreign key
    _require_active(branch)
    config = await config_of(session)
    if action.held_on > district_today():
        raise invalid_field(
            "held_on",
            _("Hours can be recorded only for an action that has taken place."),
            code="in_future",
        )
    checked = await _checked_participants(session, principal, branch, action.held_on, participants, config)
    await _write_participants(session, action, checked)
    await audit(
        session,
        f"{SLUG}.participants_record",
        object_type="action_branch_action",
        object_id=action.id,
        org_node_id=action.org_node_id,
        changes={"participants": len(checked), "hours": sum(h for _p, h, _m in checked)},
    )
    return action


# --- the monthly reminder (job) --------------------------------------------------------------------


def previous_month(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month before ``day``'s."""
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


async def remind_idle_branches(session: AsyncSession, day: dt.date) -> int:
    """Remind the leader of every active branch founded before last month that recorded no action in it
    (the host's secretaries when the leader has no account); once per branch and month."""
    first, last = previous_month(day)
    active_last_month = select(ActionBranchAction.branch_id).where(
        ActionBranchAction.held_on >= first, ActionBranchAction.held_on <= last
    )
    idle = list(
        await session.scalars(
            select(ActionBranch)
            .where(
                ActionBranch.status == "active",
                ActionBranch.founded_on < first,
                ActionBranch.id.not_in(active_last_month),
            )
            .order_by(ActionBranch.name, ActionBranch.id)
        )
    )
    month = f"{first.year}-{first.month:02d}"
    sent = 0
    for branch in idle:
        common: dict[str, Any] = {
            "kind": "idle_branch_reminder",
            "template": REMINDER_TEMPLATE,
            "params": {"branch": branch.name, "month": month},
            "source": SLUG,
            "org_node_id": branch.org_node_id,
            "link": f"/api/v1/m/{SLUG}/branches/{branch.id}",
        }
        to_leader = await notify(
            session,
            person_id=branch.leader_person_id,
            dedupe_key=f"{SLUG}.idle:{branch.id}:{month}",
            **common,
        )
        if not to_leader:
            to_leader = await notify(
                session,
                role="secretary",
                at_node=branch.host_node_id,
                dedupe_key=f"{SLUG}.idle_host:{branch.id}:{month}",
                **common,
            )
        sent += to_leader
    return sent


# --- dashboard figures and the red map -------------------------------------------------------------


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


async def figures(
    session: AsyncSession, node: OrgNode, day: dt.date, config: ActionBranchesConfig
) -> list[Figure]:
    """Figures for the subtree at ``node`` in four statements: branches by kind, members (distinct
    people), actions per month over the last year with hours this year, and who took part in the window."""
    branch_node = aliased(OrgNode, name="branch_node")
    in_area = in_subtree(branch_node.path, node.path)
    joined = (branch_node.tenant_id == ActionBranch.tenant_id) & (branch_node.id == ActionBranch.org_node_id)
    by_kind = {
        kind: int(count)
        for kind, count in await session.execute(
            select(ActionBranch.kind, func.count())
            .join(branch_node, joined)
            .where(ActionBranch.status == "active", in_area)
            .group_by(ActionBranch.kind)
        )
    }
    members = set(
        await session.scalars(
            select(Affiliation.person_id)
            .join(
                branch_node,
                (branch_node.tenant_id == Affiliation.tenant_id)
                & (branch_node.id == Affiliation.org_node_id),
            )
            .where(Affiliation.kind == AFFILIATION_KIND, Affiliation.ended_on.is_(None), in_area)
            .distinct()
        )
    )
    window_start = day - dt.timedelta(days=config.participation_window_days)
    year_ago = day - dt.timedelta(days=365)
    year_start = dt.date(day.year, 1, 1)
    since = min(window_start, year_ago, year_start)
    action_node = (branch_node.tenant_id == ActionBranchAction.tenant_id) & (
        branch_node.id == ActionBranchAction.org_node_id
    )
    participation = and_(
        ActionBranchParticipation.tenant_id == ActionBranchAction.tenant_id,
        ActionBranchParticipation.action_id == ActionBranchAction.id,
    )
    # Counted in the database, each action's hours summed before the join: fetching every participation
    # of the year to count it in Python made these figures most of the whole district's dashboard time,
    # and counting distinct actions over the participation rows sorted them all (34 -> 8 ms, 717 actions).
    held = aliased(ActionBranchAction, name="held")
    hours_per_action = (
        select(
            ActionBranchParticipation.tenant_id,
            ActionBranchParticipation.action_id,
            func.sum(ActionBranchParticipation.hours).label("hours"),
        )
        .join(
            held,
            (held.tenant_id == ActionBranchParticipation.tenant_id)
            & (held.id == ActionBranchParticipation.action_id),
        )
        .where(held.held_on >= since, held.held_on <= day)  # the window's actions, not all history
        .group_by(ActionBranchParticipation.tenant_id, ActionBranchParticipation.action_id)
        .subquery("hours_per_action")
    )
    actions_last_year, hours = (
        await session.execute(
            select(
                func.count().filter(ActionBranchAction.held_on > year_ago),
                func.coalesce(
                    func.sum(hours_per_action.c.hours).filter(ActionBranchAction.held_on >= year_start), 0.0
                ),
            )
            .select_from(ActionBranchAction)
            .join(branch_node, action_node)
            .outerjoin(
                hours_per_action,
                (hours_per_action.c.tenant_id == ActionBranchAction.tenant_id)
                & (hours_per_action.c.action_id == ActionBranchAction.id),
            )
            .where(in_area, ActionBranchAction.held_on >= since, ActionBranchAction.held_on <= day)
        )
    ).one()
    took_part = set(
        await session.scalars(
            select(ActionBranchParticipation.person_id)
            .select_from(ActionBranchAction)
            .join(branch_node, action_node)
            .join(ActionBranchParticipation, participation)
            .where(in_area, ActionBranchAction.held_on >= window_start, ActionBranchAction.held_on <= day)
            .distinct()
        )
    )
    result = [
        Figure(
            key="branches",
            name_zh="行动支部",
            name_en="Action branches",
            value=sum(by_kind.values()),
            unit_zh="支",
        )
    ]
    for kind in KINDS:
        zh, en = KIND_NAMES[kind]
        result.append(
            Figure(
                key=f"branches.{kind}",
                name_zh=f"{zh}行动支部",
                name_en=f"Action branches by {en.lower()}",
                value=by_kind.get(kind, 0),
                unit_zh="支",
            )
        )
    result += [
        Figure(
            key="members",
            name_zh="行动支部成员",
            name_en="Action branch members",
            value=len(members),
            unit_zh="人",
        ),
        Figure(
            key="participation_rate",
            name_zh=f"近{config.participation_window_days}天成员参与率",
            name_en=f"Members who took part in the last {config.participation_window_days} days",
            value=_rate(len(members & took_part), len(members)),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="actions_per_month",
            name_zh="月均活动（近12个月）",
            name_en="Actions per month (last 12 months)",
            value=round(int(actions_last_year) / 12, 1),
            unit_zh="次",
        ),
        Figure(
            key="volunteer_hours",
            name_zh=f"{day.year}年志愿服务时长",
            name_en=f"Volunteer hours in {day.year}",
            value=round(float(hours), 1),
            unit_zh="小时",
            unit_en="h",
        ),
    ]
    return result


async def map_features(
    session: AsyncSession, node: OrgNode, day: dt.date, config: ActionBranchesConfig
) -> list[MapFeature]:
    """Active branches with a place, and actions with a place in the last ``map_action_days``."""
    branch_node = aliased(OrgNode, name="branch_node")
    in_area = in_subtree(branch_node.path, node.path)
    features: list[MapFeature] = []
    for branch in await session.scalars(
        select(ActionBranch)
        .join(
            branch_node,
            (branch_node.tenant_id == ActionBranch.tenant_id) & (branch_node.id == ActionBranch.org_node_id),
        )
        .where(ActionBranch.status == "active", ActionBranch.longitude.is_not(None), in_area)
        .order_by(branch_node.path)
    ):
        assert branch.longitude is not None and branch.latitude is not None
        features.append(
            MapFeature(
                key=f"branch:{branch.id}",
                name=branch.name,
                kind="action_branch",
                longitude=branch.longitude,
                latitude=branch.latitude,
                org_node_id=branch.org_node_id,
                properties={"branch_kind": branch.kind, "place": branch.place or ""},
            )
        )
    since = day - dt.timedelta(days=config.map_action_days)
    rows = (
        await session.execute(
            select(ActionBranchAction, ActionBranch.name)
            .join(
                ActionBranch,
                (ActionBranch.tenant_id == ActionBranchAction.tenant_id)
                & (ActionBranch.id == ActionBranchAction.branch_id),
            )
            .join(
                branch_node,
                (branch_node.tenant_id == ActionBranchAction.tenant_id)
                & (branch_node.id == ActionBranchAction.org_node_id),
            )
            .where(
                ActionBranchAction.longitude.is_not(None),
                ActionBranchAction.held_on >= since,
                ActionBranchAction.held_on <= day,
                in_area,
            )
            .order_by(ActionBranchAction.held_on.desc(), ActionBranchAction.id)
        )
    ).tuples()
    for action, branch_name in rows:
        assert action.longitude is not None and action.latitude is not None
        features.append(
            MapFeature(
                key=f"action:{action.id}",
                name=action.title,
                kind="action_branch_action",
                longitude=action.longitude,
                latitude=action.latitude,
                org_node_id=action.org_node_id,
                properties={
                    "branch": branch_name,
                    "held_on": action.held_on.isoformat(),
                    "place": action.place or "",
                },
            )
        )
    return features
