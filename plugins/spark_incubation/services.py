"""The rules of the spark plan (星火计划联育): routes parse and authorise, services decide and write.

Who sees what. An emerging field (新兴领域) belongs to an organisation node, normally the
district: it is visible to callers whose scope covers that node or lies beneath it (a community
secretary sees the district's fields), and managed (renamed, its standards written, benchmarks
named) by ``spark_incubation.manage`` at that node. A candidate (培育对象), its plan, milestones,
mentors and history are reached through the candidate's organisation, which lies inside the
field's subtree: in the caller's scope or 404.

"Has a party organisation" (for the coverage of two-new organisations): a node of one of the
configured party-organisation kinds (party committee, general branch, branch) sits directly under
the organisation and is not archived.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
    Conflict,
    FieldProblem,
    Figure,
    Forbidden,
    MapFeature,
    NotificationTemplate,
    OrgNode,
    PageParams,
    Person,
    Principal,
    _,
    audit,
    audit_diff,
    district_today,
    in_subtree,
    invalid_field,
    node_in_scope,
    not_found,
    notify,
    paginate,
    plugin_config,
    register_template,
    scope_predicate,
    utcnow,
)
from plugins.spark_incubation.models import (
    SparkCandidate,
    SparkField,
    SparkMentor,
    SparkMilestone,
    SparkPlan,
    SparkStandard,
    SparkStandardSource,
    SparkTransition,
)
from plugins.spark_incubation.schemas import (
    CandidateDetailOut,
    CandidateIn,
    CandidateOut,
    FieldIn,
    FieldOut,
    FieldUpdate,
    MentorIn,
    MentorOut,
    MilestoneIn,
    MilestoneOut,
    MilestoneUpdate,
    PlanIn,
    PlanOut,
    SourceOut,
    SparkConfig,
    StandardIn,
    StandardOut,
    TransitionIn,
    TransitionOut,
)

SLUG = "spark_incubation"
READ = "spark_incubation.read"
MANAGE = "spark_incubation.manage"
CULTIVATE = "spark_incubation.cultivate"

ACTIVE_STAGES = ("nominated", "cultivating", "assessed")
# The only moves a candidate may make; ``benchmark`` and ``dropped`` are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "nominated": ("cultivating", "dropped"),
    "cultivating": ("assessed", "dropped"),
    "assessed": ("benchmark", "cultivating", "dropped"),
    "benchmark": (),
    "dropped": (),
}

# The seven emerging fields (新兴领域) of the seed. The seed names three (internet, social
# organisations, commercial buildings) and its lessons a fourth (business districts and markets);
# the other three are the usual emerging fields of a Jiangsu district of the time.
SEED_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("internet", "互联网业", "互联网企业、网络社会组织和网络从业人员集中的领域"),
    ("social_org", "社会组织", "行业协会商会、社会服务机构、社会团体等社会组织"),
    ("commercial_building", "商务楼宇", "商务楼宇、写字楼内的企业和从业人员"),
    ("business_district", "商圈市场", "商圈、商业街区和专业市场的经营户"),
    ("private_enterprise", "非公企业", "规模以上非公有制企业和科技型中小企业"),
    ("industrial_park", "产业园区", "产业园区、众创空间和孵化器内的企业"),
    ("new_employment", "新就业群体", "快递物流、外卖配送、网约车等新就业形态从业人员所在组织"),
)

register_template(
    NotificationTemplate(
        key="spark_incubation.milestone_due",
        title={
            "zh_CN": "培育节点“{milestone}”将于{due_on}到期（{org}）",
            "en": "Milestone '{milestone}' of {org} is due on {due_on}",
        },
        body={
            "zh_CN": "您是“{org}”（{field}）培育计划的导师，请督促按期完成。",
            "en": "You mentor the cultivation plan of {org} ({field}); please see that it is done on time.",
        },
    )
)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _clean_optional(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = text.strip()
    return cleaned or None


def _required(field: str, text: str) -> str:
    cleaned = _clean(text)
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


def _required_text(field: str, text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise invalid_field(field, _("This field cannot be blank."), code="missing")
    return cleaned


async def config_of(session: AsyncSession) -> SparkConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, SparkConfig)
    return config


async def _nodes(session: AsyncSession, node_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrgNode]:
    wanted = set(node_ids)
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


async def _root(session: AsyncSession) -> OrgNode:
    return (await session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None)))).one()


# --- fields ----------------------------------------------------------------------------------------


def ancestor_paths(principal: Principal, permission: str) -> set[str]:
    """The paths of every node above the caller's scopes for ``permission`` (a field there is theirs too)."""
    found: set[str] = set()
    for path in principal.scope_paths(permission):
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts)):
            found.add("".join(f"{p}/" for p in parts[:depth]))
    return found


def _field_visible(principal: Principal, permission: str, path_column: Any) -> ColumnElement[bool]:
    above = ancestor_paths(principal, permission)
    inside = scope_predicate(principal, permission, path_column)
    return or_(inside, path_column.in_(sorted(above))) if above else inside


def _visible_fields(principal: Principal, permission: str = READ) -> Select[tuple[SparkField]]:
    host = aliased(OrgNode, name="field_host")
    return (
        select(SparkField)
        .join(host, (host.tenant_id == SparkField.tenant_id) & (host.id == SparkField.org_node_id))
        .where(_field_visible(principal, permission, host.path))
    )


@dataclass
class FieldFound:
    field: SparkField
    host: OrgNode


async def visible_field(
    session: AsyncSession, principal: Principal, field_id: uuid.UUID, permission: str = READ
) -> FieldFound:
    """The field if the caller's scope covers its node or lies beneath it; 404 otherwise."""
    field = (
        await session.scalars(_visible_fields(principal, permission).where(SparkField.id == field_id))
    ).first()
    if field is None:
        raise not_found()
    host = await session.get(OrgNode, (field.tenant_id, field.org_node_id))
    assert host is not None
    return FieldFound(field, host)


async def managed_field(session: AsyncSession, principal: Principal, field_id: uuid.UUID) -> FieldFound:
    """The field if the caller manages its node; 404 otherwise (as for a field that does not exist)."""
    found = await visible_field(session, principal, field_id, READ)
    if not principal.can_at(MANAGE, found.host.path):
        raise not_found()
    return found


def can_manage(principal: Principal, host: OrgNode) -> bool:
    return principal.can_at(MANAGE, host.path)


def _require_active_field(field: SparkField) -> None:
    if field.status != "active":
        raise Conflict(
            _("The field {name} is archived; restore it before changing its records."),
            code="field_archived",
            name=field.name,
        )


async def _stage_counts(
    session: AsyncSession, principal: Principal, field_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    wanted = set(field_ids)
    counts: dict[uuid.UUID, dict[str, int]] = {f: {} for f in wanted}
    if not wanted:
        return counts
    organisation = aliased(OrgNode, name="candidate_org")
    rows = await session.execute(
        select(SparkCandidate.field_id, SparkCandidate.stage, func.count())
        .join(
            organisation,
            (organisation.tenant_id == SparkCandidate.tenant_id)
            & (organisation.id == SparkCandidate.org_node_id),
        )
        .where(SparkCandidate.field_id.in_(wanted), scope_predicate(principal, READ, organisation.path))
        .group_by(SparkCandidate.field_id, SparkCandidate.stage)
    )
    for field_id, stage, count in rows.tuples():
        counts[field_id][stage] = int(count)
    return counts


async def field_outs(
    session: AsyncSession, principal: Principal, fields: Sequence[SparkField]
) -> list[FieldOut]:
    hosts = await _nodes(session, (f.org_node_id for f in fields))
    counts = await _stage_counts(session, principal, (f.id for f in fields))
    return [
        FieldOut(
            id=f.id,
            code=f.code,
            name=f.name,
            description=f.description,
            org_node_id=f.org_node_id,
            org_name=hosts[f.org_node_id].name,
            position=f.position,
            status=f.status,
            stages={stage: counts[f.id].get(stage, 0) for stage in TRANSITIONS},
        )
        for f in fields
    ]


async def fields_page(
    session: AsyncSession, principal: Principal, page: PageParams, status: str | None = None
) -> tuple[list[SparkField], int]:
    stmt = _visible_fields(principal)
    if status is not None:
        stmt = stmt.where(SparkField.status == status)
    return await paginate(session, stmt.order_by(SparkField.position, SparkField.code, SparkField.id), page)


def _field_snapshot(field: SparkField) -> dict[str, Any]:
    return {
        "org_node_id": field.org_node_id,
        "code": field.code,
        "name": field.name,
        "description": field.description,
        "position": field.position,
        "status": field.status,
    }


async def create_field(session: AsyncSession, principal: Principal, data: FieldIn) -> SparkField:
    """Add an emerging field to the node ``data.org_node_id`` (the district by default), which the caller manages."""
    if data.org_node_id is not None:
        host = await node_in_scope(session, principal, data.org_node_id, MANAGE)
    else:
        host = await _root(session)
        if not principal.can_at(MANAGE, host.path):
            raise invalid_field(
                "org_node_id",
                _("Name the organisation the field belongs to: you do not manage the whole district."),
                code="missing",
            )
    if host.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    name = _required("name", data.name)
    if (await session.scalars(select(SparkField.id).where(SparkField.code == data.code))).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "code", "duplicate", _("Another field already has the code {code}."), {"code": data.code}
                )
            ],
        )
    field = SparkField(
        org_node_id=host.id,
        code=data.code,
        name=name,
        description=_clean_optional(data.description),
        position=data.position,
        status="active",
    )
    session.add(field)
    await session.flush()
    await audit(
        session,
        "spark_incubation.field_create",
        object_type="spark_field",
        object_id=field.id,
        org_node_id=host.id,
        changes=audit_diff({}, _field_snapshot(field)),
    )
    return field


async def update_field(
    session: AsyncSession, principal: Principal, field_id: uuid.UUID, data: FieldUpdate
) -> SparkField:
    found = await managed_field(session, principal, field_id)
    field = found.field
    before = _field_snapshot(field)
    if data.name is not msgspec.UNSET:
        field.name = _required("name", data.name)
    if data.description is not msgspec.UNSET:
        field.description = _clean_optional(data.description)
    if data.position is not msgspec.UNSET:
        field.position = data.position
    if data.status is not msgspec.UNSET:
        field.status = data.status
    await session.flush()
    await audit(
        session,
        "spark_incubation.field_update",
        object_type="spark_field",
        object_id=field.id,
        org_node_id=field.org_node_id,
        changes=audit_diff(before, _field_snapshot(field)),
    )
    return field


async def seed_fields(session: AsyncSession) -> int:
    """Create the seed's seven fields under the district if it has no field yet; returns how many."""
    if (await session.scalars(select(SparkField.id).limit(1))).first() is not None:
        return 0
    root = await _root(session)
    for position, (code, name, description) in enumerate(SEED_FIELDS, start=1):
        session.add(
            SparkField(
                org_node_id=root.id,
                code=code,
                name=name,
                description=description,
                position=position,
                status="active",
            )
        )
    await session.flush()
    await audit(
        session,
        "spark_incubation.fields_seed",
        object_type="spark_field",
        org_node_id=root.id,
        changes=audit_diff({}, {"codes": [code for code, _name, _description in SEED_FIELDS]}),
    )
    return len(SEED_FIELDS)


# --- candidates ------------------------------------------------------------------------------------


@dataclass
class CandidateFound:
    candidate: SparkCandidate
    field: SparkField
    organisation: OrgNode


async def candidate_in_reach(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, permission: str = READ
) -> CandidateFound:
    """The candidate if its organisation is in the caller's scope for ``permission``; 404 otherwise."""
    candidate = await session.get(SparkCandidate, (principal.tenant_id, candidate_id))
    if candidate is None:
        raise not_found()
    organisation = await session.get(OrgNode, (candidate.tenant_id, candidate.org_node_id))
    assert organisation is not None
    if not principal.can_at(permission, organisation.path):
        raise not_found()
    field = await session.get(SparkField, (candidate.tenant_id, candidate.field_id))
    assert field is not None
    return CandidateFound(candidate, field, organisation)


async def candidate_record(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, permission: str
) -> SparkCandidate:
    """The candidate as a record taking files (its assessment's documents), reached like the candidate."""
    return (await candidate_in_reach(session, principal, candidate_id, permission)).candidate


async def plan_record(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, permission: str
) -> SparkPlan:
    """A plan as a record taking files (the plan document), reached through its candidate."""
    plan = await session.get(SparkPlan, (principal.tenant_id, plan_id))
    if plan is None:
        raise not_found()
    await candidate_in_reach(session, principal, plan.candidate_id, permission)
    return plan


async def candidate_outs(session: AsyncSession, rows: Sequence[SparkCandidate]) -> list[CandidateOut]:
    if not rows:
        return []
    fields = {
        f.id: f
        for f in await session.scalars(
            select(SparkField).where(SparkField.id.in_({c.field_id for c in rows}))
        )
    }
    nodes = await _nodes(session, (c.org_node_id for c in rows))
    planned = set(
        await session.scalars(
            select(SparkPlan.candidate_id).where(SparkPlan.candidate_id.in_({c.id for c in rows}))
        )
    )
    return [
        CandidateOut(
            id=c.id,
            field_id=c.field_id,
            field_name=fields[c.field_id].name,
            org_node_id=c.org_node_id,
            org_name=nodes[c.org_node_id].name,
            org_kind=nodes[c.org_node_id].kind,
            stage=c.stage,
            nominated_on=c.nominated_on,
            score=c.score,
            assessment=c.assessment,
            assessed_on=c.assessed_on,
            has_plan=c.id in planned,
            created_at=c.created_at,
        )
        for c in rows
    ]


async def candidate_detail(session: AsyncSession, found: CandidateFound) -> CandidateDetailOut:
    """The candidate with its history, the moves allowed now and its plan."""
    (summary,) = await candidate_outs(session, [found.candidate])
    history = list(
        await session.scalars(
            select(SparkTransition)
            .where(SparkTransition.candidate_id == found.candidate.id)
            .order_by(SparkTransition.at, SparkTransition.id)
        )
    )
    plan = await _plan_of(session, found.candidate.id)
    return CandidateDetailOut(
        **msgspec.structs.asdict(summary),
        history=[
            TransitionOut(
                id=t.id,
                from_stage=t.from_stage,
                to_stage=t.to_stage,
                reason=t.reason,
                actor_id=t.actor_id,
                actor_name=t.actor_name,
                at=t.at,
            )
            for t in history
        ],
        allowed=list(TRANSITIONS[found.candidate.stage]),
        plan=await plan_out(session, plan) if plan is not None else None,
    )


async def candidates_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    field_id: uuid.UUID | None = None,
    stage: str | None = None,
    node_id: uuid.UUID | None = None,
) -> tuple[list[SparkCandidate], int]:
    organisation = aliased(OrgNode, name="candidate_org")
    stmt = (
        select(SparkCandidate)
        .join(
            organisation,
            (organisation.tenant_id == SparkCandidate.tenant_id)
            & (organisation.id == SparkCandidate.org_node_id),
        )
        .where(scope_predicate(principal, READ, organisation.path))
    )
    if field_id is not None:
        stmt = stmt.where(SparkCandidate.field_id == field_id)
    if stage is not None:
        stmt = stmt.where(SparkCandidate.stage == stage)
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        stmt = stmt.where(in_subtree(organisation.path, node.path))
    stmt = stmt.order_by(SparkCandidate.nominated_on.desc(), organisation.name, SparkCandidate.id)
    return await paginate(session, stmt, page)


def _record_transition(
    session: AsyncSession,
    principal: Principal | None,
    candidate: SparkCandidate,
    from_stage: str | None,
    to_stage: str,
    reason: str,
) -> SparkTransition:
    transition = SparkTransition(
        candidate_id=candidate.id,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        actor_id=principal.user_id if principal is not None else None,
        actor_name=principal.display_name if principal is not None else None,
        at=utcnow(),
    )
    session.add(transition)
    return transition


async def nominate(session: AsyncSession, principal: Principal, data: CandidateIn) -> SparkCandidate:
    """Nominate an organisation of the caller's scope as a candidate of a field (stage ``nominated``)."""
    found = await visible_field(session, principal, data.field_id, READ)
    _require_active_field(found.field)
    organisation = await node_in_scope(session, principal, data.org_node_id, CULTIVATE)
    config = await config_of(session)
    if organisation.kind not in config.candidate_kinds:
        raise invalid_field(
            "org_node_id",
            _("{name} is not an organisation the district cultivates (allowed kinds: {kinds})."),
            code="wrong_kind",
            name=organisation.name,
            kinds=", ".join(config.candidate_kinds),
        )
    if organisation.archived_at is not None:
        raise invalid_field("org_node_id", _("The organisation is archived."), code="archived")
    if not organisation.path.startswith(found.host.path):
        raise invalid_field(
            "org_node_id",
            _("{name} lies outside {host}, where the field {field_name} is cultivated."),
            code="outside_field",
            name=organisation.name,
            host=found.host.name,
            field_name=found.field.name,
        )
    nominated_on = data.nominated_on or district_today()
    if nominated_on > district_today():
        raise invalid_field("nominated_on", _("The date cannot be in the future."), code="in_future")
    reason = _required_text("reason", data.reason)
    active = (
        await session.scalars(
            select(SparkCandidate.id).where(
                SparkCandidate.field_id == found.field.id,
                SparkCandidate.org_node_id == organisation.id,
                SparkCandidate.stage != "dropped",
            )
        )
    ).first()
    if active is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "org_node_id",
                    "duplicate",
                    _("{name} is already a candidate of this field."),
                    {"name": organisation.name},
                )
            ],
        )
    candidate = SparkCandidate(
        field_id=found.field.id,
        org_node_id=organisation.id,
        stage="nominated",
        nominated_on=nominated_on,
        nominated_by=principal.user_id,
        stage_changed_at=utcnow(),
    )
    session.add(candidate)
    await session.flush()
    _record_transition(session, principal, candidate, None, "nominated", reason)
    await session.flush()
    await audit(
        session,
        "spark_incubation.candidate_nominate",
        object_type="spark_candidate",
        object_id=candidate.id,
        org_node_id=organisation.id,
        changes=audit_diff({}, {"field_id": found.field.id, "stage": "nominated", "reason": reason}),
    )
    return candidate


async def transition(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, data: TransitionIn
) -> CandidateFound:
    """Move a candidate to the stage ``data.to``: only the allowed moves, each recorded with who, when, why.

    To ``assessed`` needs a score (and, by default, every milestone of the plan done); to ``benchmark``
    needs the district's benchmark score and the field's manager.
    """
    found = await candidate_in_reach(session, principal, candidate_id, CULTIVATE)
    candidate = found.candidate
    current = candidate.stage
    if data.to not in TRANSITIONS[current]:
        allowed = TRANSITIONS[current]
        raise Conflict(
            _("A candidate cannot move from {current} to {wanted}; allowed: {allowed}."),
            code="invalid_transition",
            errors=[
                FieldProblem(
                    "to",
                    "invalid_transition",
                    _("A candidate cannot move from {current} to {wanted}; allowed: {allowed}."),
                    {"current": current, "wanted": data.to, "allowed": ", ".join(allowed) or "-"},
                )
            ],
            current=current,
            wanted=data.to,
            allowed=", ".join(allowed) or "-",
        )
    reason = _required_text("reason", data.reason)
    config = await config_of(session)
    before: dict[str, Any] = {"stage": current}
    after: dict[str, Any] = {"stage": data.to, "reason": reason}
    if data.to == "assessed":
        if data.score is None:
            raise invalid_field("score", _("An assessment needs a score from 0 to 100."), code="missing")
        if config.milestones_done_before_assessment:
            plan = await _plan_of(session, candidate.id)
            if plan is not None:
                open_count = await session.scalar(
                    select(func.count())
                    .select_from(SparkMilestone)
                    .where(SparkMilestone.plan_id == plan.id, SparkMilestone.done_on.is_(None))
                )
                if open_count:
                    raise Conflict(
                        _(
                            "{count} milestones of the plan are not done yet; finish them before the assessment."
                        ),
                        code="milestones_open",
                        count=int(open_count),
                    )
        candidate.score = data.score
        candidate.assessment = _clean_optional(data.assessment)
        candidate.assessed_on = district_today()
        after |= {"score": data.score, "assessment": candidate.assessment}
    if data.to == "benchmark":
        host = await session.get(OrgNode, (found.field.tenant_id, found.field.org_node_id))
        assert host is not None
        if not can_manage(principal, host):
            raise Forbidden(
                _("Only the managers of the field {field_name} name its benchmarks."),
                code="forbidden",
                field_name=found.field.name,
            )
        if candidate.score is None or candidate.score < config.benchmark_score:
            raise Conflict(
                _("A benchmark needs an assessment score of at least {score}."),
                code="score_too_low",
                score=config.benchmark_score,
            )
    candidate.stage = data.to
    candidate.stage_changed_at = utcnow()
    _record_transition(session, principal, candidate, current, data.to, reason)
    await session.flush()
    await audit(
        session,
        "spark_incubation.candidate_transition",
        object_type="spark_candidate",
        object_id=candidate.id,
        org_node_id=candidate.org_node_id,
        changes=audit_diff(before, after),
    )
    return found


# --- plans, milestones and mentors -----------------------------------------------------------------


async def _plan_of(session: AsyncSession, candidate_id: uuid.UUID) -> SparkPlan | None:
    return (await session.scalars(select(SparkPlan).where(SparkPlan.candidate_id == candidate_id))).first()


async def plan_out(session: AsyncSession, plan: SparkPlan) -> PlanOut:
    today = district_today()
    milestones = list(
        await session.scalars(
            select(SparkMilestone)
            .where(SparkMilestone.plan_id == plan.id)
            .order_by(SparkMilestone.due_on, SparkMilestone.id)
        )
    )
    mentors = list(
        (
            await session.execute(
                select(SparkMentor, Person.name)
                .join(
                    Person, (Person.tenant_id == SparkMentor.tenant_id) & (Person.id == SparkMentor.person_id)
                )
                .where(SparkMentor.plan_id == plan.id)
                .order_by(Person.name, SparkMentor.id)
            )
        ).tuples()
    )
    return PlanOut(
        id=plan.id,
        candidate_id=plan.candidate_id,
        title=plan.title,
        goals=plan.goals,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        milestones=[
            MilestoneOut(
                id=m.id,
                title=m.title,
                due_on=m.due_on,
                done_on=m.done_on,
                note=m.note,
                overdue=m.done_on is None and m.due_on < today,
            )
            for m in milestones
        ],
        mentors=[
            MentorOut(id=m.id, person_id=m.person_id, person_name=name, role=m.role) for m, name in mentors
        ],
    )


def _require_open(found: CandidateFound) -> None:
    if found.candidate.stage not in ACTIVE_STAGES:
        raise Conflict(
            _("The candidate is {stage}; its plan can no longer change."),
            code="candidate_closed",
            stage=found.candidate.stage,
        )


async def plan_in_reach(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, permission: str = READ
) -> tuple[CandidateFound, SparkPlan]:
    found = await candidate_in_reach(session, principal, candidate_id, permission)
    plan = await _plan_of(session, candidate_id)
    if plan is None:
        raise not_found()
    return found, plan


async def put_plan(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, data: PlanIn
) -> SparkPlan:
    """Write the candidate's cultivation plan (create it, or change it); the period must hold its milestones."""
    found = await candidate_in_reach(session, principal, candidate_id, CULTIVATE)
    _require_open(found)
    if data.ends_on < data.starts_on:
        raise invalid_field(
            "ends_on",
            _("The plan cannot end before it starts ({starts_on})."),
            code="before_start",
            starts_on=data.starts_on.isoformat(),
        )
    title = _required("title", data.title)
    plan = await _plan_of(session, candidate_id)
    if plan is not None:
        outside = (
            await session.scalars(
                select(SparkMilestone)
                .where(
                    SparkMilestone.plan_id == plan.id,
                    or_(SparkMilestone.due_on < data.starts_on, SparkMilestone.due_on > data.ends_on),
                )
                .order_by(SparkMilestone.due_on)
            )
        ).first()
        if outside is not None:
            raise invalid_field(
                "starts_on",
                _("The milestone {title} due on {due_on} would fall outside the plan."),
                code="milestone_outside",
                title=outside.title,
                due_on=outside.due_on.isoformat(),
            )
        before: dict[str, Any] = {
            "title": plan.title,
            "goals": plan.goals,
            "starts_on": plan.starts_on,
            "ends_on": plan.ends_on,
        }
        plan.title, plan.goals = title, _clean_optional(data.goals)
        plan.starts_on, plan.ends_on = data.starts_on, data.ends_on
        action = "spark_incubation.plan_update"
    else:
        before = {}
        plan = SparkPlan(
            candidate_id=candidate_id,
            org_node_id=found.candidate.org_node_id,
            title=title,
            goals=_clean_optional(data.goals),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
        )
        session.add(plan)
        action = "spark_incubation.plan_create"
    await session.flush()
    await audit(
        session,
        action,
        object_type="spark_plan",
        object_id=plan.id,
        org_node_id=plan.org_node_id,
        changes=audit_diff(
            before,
            {"title": plan.title, "goals": plan.goals, "starts_on": plan.starts_on, "ends_on": plan.ends_on},
        ),
    )
    return plan


def _check_due(plan: SparkPlan, due_on: dt.date) -> None:
    if due_on < plan.starts_on:
        raise invalid_field(
            "due_on",
            _("A milestone cannot be due before the plan starts ({starts_on})."),
            code="before_plan",
            starts_on=plan.starts_on.isoformat(),
        )
    if due_on > plan.ends_on:
        raise invalid_field(
            "due_on",
            _("A milestone cannot be due after the plan ends ({ends_on})."),
            code="after_plan",
            ends_on=plan.ends_on.isoformat(),
        )


async def add_milestone(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, data: MilestoneIn
) -> SparkMilestone:
    found, plan = await _writable_plan(session, principal, candidate_id)
    _check_due(plan, data.due_on)
    milestone = SparkMilestone(
        plan_id=plan.id,
        title=_required("title", data.title),
        due_on=data.due_on,
        note=_clean_optional(data.note),
    )
    session.add(milestone)
    await session.flush()
    await audit(
        session,
        "spark_incubation.milestone_add",
        object_type="spark_milestone",
        object_id=milestone.id,
        org_node_id=found.candidate.org_node_id,
        changes=audit_diff({}, {"plan_id": plan.id, "title": milestone.title, "due_on": milestone.due_on}),
    )
    return milestone


async def _writable_plan(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> tuple[CandidateFound, SparkPlan]:
    found = await candidate_in_reach(session, principal, candidate_id, CULTIVATE)
    plan = await _plan_of(session, candidate_id)
    if plan is None:
        raise Conflict(_("The candidate has no cultivation plan yet; write the plan first."), code="no_plan")
    _require_open(found)
    return found, plan


async def milestone_in_reach(
    session: AsyncSession, principal: Principal, milestone_id: uuid.UUID, permission: str
) -> tuple[CandidateFound, SparkPlan, SparkMilestone]:
    milestone = await session.get(SparkMilestone, (principal.tenant_id, milestone_id))
    if milestone is None:
        raise not_found()
    plan = await session.get(SparkPlan, (principal.tenant_id, milestone.plan_id))
    assert plan is not None
    found = await candidate_in_reach(session, principal, plan.candidate_id, permission)
    return found, plan, milestone


async def update_milestone(
    session: AsyncSession, principal: Principal, milestone_id: uuid.UUID, data: MilestoneUpdate
) -> tuple[CandidateFound, SparkPlan]:
    """Change a milestone or mark it done (``done_on``; null reopens it)."""
    found, plan, milestone = await milestone_in_reach(session, principal, milestone_id, CULTIVATE)
    _require_open(found)
    before = {
        "title": milestone.title,
        "due_on": milestone.due_on,
        "done_on": milestone.done_on,
        "note": milestone.note,
    }
    if data.title is not msgspec.UNSET:
        milestone.title = _required("title", data.title)
    if data.due_on is not msgspec.UNSET:
        _check_due(plan, data.due_on)
        milestone.due_on = data.due_on
    if data.done_on is not msgspec.UNSET:
        if data.done_on is not None:
            if data.done_on > district_today():
                raise invalid_field("done_on", _("The date cannot be in the future."), code="in_future")
            if data.done_on < plan.starts_on:
                raise invalid_field(
                    "done_on",
                    _("A milestone cannot be done before the plan starts ({starts_on})."),
                    code="before_plan",
                    starts_on=plan.starts_on.isoformat(),
                )
        milestone.done_on = data.done_on
    if data.note is not msgspec.UNSET:
        milestone.note = _clean_optional(data.note)
    await session.flush()
    await audit(
        session,
        "spark_incubation.milestone_update",
        object_type="spark_milestone",
        object_id=milestone.id,
        org_node_id=found.candidate.org_node_id,
        changes=audit_diff(
            before,
            {
                "title": milestone.title,
                "due_on": milestone.due_on,
                "done_on": milestone.done_on,
                "note": milestone.note,
            },
        ),
    )
    return found, plan


async def add_mentor(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, data: MentorIn
) -> SparkMentor:
    """Make a person of the district (within the caller's scope) a mentor of the candidate's plan."""
    found, plan = await _writable_plan(session, principal, candidate_id)
    person = await session.get(Person, (principal.tenant_id, data.person_id))
    if person is None:
        raise not_found()
    home = await session.get(OrgNode, (person.tenant_id, person.org_node_id))
    assert home is not None
    if not principal.can_at(READ, home.path):
        raise not_found()
    if person.archived_at is not None:
        raise invalid_field("person_id", _("The person is archived."), code="archived")
    taken = (
        await session.scalars(
            select(SparkMentor.id).where(SparkMentor.plan_id == plan.id, SparkMentor.person_id == person.id)
        )
    ).first()
    if taken is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "person_id",
                    "duplicate",
                    _("{name} is already a mentor of this plan."),
                    {"name": person.name},
                )
            ],
        )
    mentor = SparkMentor(plan_id=plan.id, person_id=person.id, role=_clean_optional(data.role))
    session.add(mentor)
    await session.flush()
    await audit(
        session,
        "spark_incubation.mentor_add",
        object_type="spark_mentor",
        object_id=mentor.id,
        org_node_id=found.candidate.org_node_id,
        changes=audit_diff({}, {"plan_id": plan.id, "person_id": person.id, "role": mentor.role}),
    )
    return mentor


async def remove_mentor(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, mentor_id: uuid.UUID
) -> None:
    found, plan = await _writable_plan(session, principal, candidate_id)
    mentor = await session.get(SparkMentor, (principal.tenant_id, mentor_id))
    if mentor is None or mentor.plan_id != plan.id:
        raise not_found()
    await session.delete(mentor)
    await session.flush()
    await audit(
        session,
        "spark_incubation.mentor_remove",
        object_type="spark_mentor",
        object_id=mentor.id,
        org_node_id=found.candidate.org_node_id,
        changes=audit_diff({"plan_id": plan.id, "person_id": mentor.person_id}, {}),
    )


# --- standards -------------------------------------------------------------------------------------


async def standard_outs(session: AsyncSession, standards: Sequence[SparkStandard]) -> list[StandardOut]:
    sources: dict[uuid.UUID, list[SourceOut]] = {s.id: [] for s in standards}
    if standards:
        rows = await session.execute(
            select(SparkStandardSource.standard_id, SparkCandidate.id, OrgNode.name)
            .join(
                SparkCandidate,
                (SparkCandidate.tenant_id == SparkStandardSource.tenant_id)
                & (SparkCandidate.id == SparkStandardSource.candidate_id),
            )
            .join(
                OrgNode,
                (OrgNode.tenant_id == SparkCandidate.tenant_id) & (OrgNode.id == SparkCandidate.org_node_id),
            )
            .where(SparkStandardSource.standard_id.in_(sources))
            .order_by(OrgNode.name)
        )
        for standard_id, candidate_id, name in rows.tuples():
            sources[standard_id].append(SourceOut(candidate_id=candidate_id, org_name=name))
    return [
        StandardOut(
            id=s.id,
            field_id=s.field_id,
            title=s.title,
            body=s.body,
            items=list(s.items or []),
            status=s.status,
            published_on=s.published_on,
            sources=sources[s.id],
        )
        for s in standards
    ]


async def standards_page(
    session: AsyncSession, principal: Principal, field_id: uuid.UUID, page: PageParams
) -> tuple[list[SparkStandard], int]:
    found = await visible_field(session, principal, field_id)
    stmt = select(SparkStandard).where(SparkStandard.field_id == found.field.id)
    return await paginate(session, stmt.order_by(SparkStandard.created_at.desc(), SparkStandard.id), page)


async def visible_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> SparkStandard:
    standard = await session.get(SparkStandard, (principal.tenant_id, standard_id))
    if standard is None:
        raise not_found()
    await visible_field(session, principal, standard.field_id)
    return standard


async def _benchmarks(session: AsyncSession, field: SparkField, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The cited candidates, which must be benchmarks of ``field`` (422 naming the first that is not)."""
    found = (
        {
            c.id: c
            for c in await session.scalars(select(SparkCandidate).where(SparkCandidate.id.in_(set(ids))))
        }
        if ids
        else {}
    )
    unique: list[uuid.UUID] = []
    for index, candidate_id in enumerate(ids):
        candidate = found.get(candidate_id)
        if candidate is None or candidate.field_id != field.id or candidate.stage != "benchmark":
            raise invalid_field(
                f"benchmark_ids[{index}]",
                _("A standard cites benchmarks of its own field only."),
                code="not_a_benchmark",
            )
        if candidate_id not in unique:
            unique.append(candidate_id)
    return unique


def _items(items: Sequence[str]) -> list[str]:
    cleaned = []
    for index, item in enumerate(items):
        text = _clean(item)
        if not text:
            raise invalid_field(f"items[{index}]", _("This field cannot be blank."), code="missing")
        cleaned.append(text)
    return cleaned


async def _write_sources(session: AsyncSession, standard: SparkStandard, ids: Sequence[uuid.UUID]) -> None:
    for old in await session.scalars(
        select(SparkStandardSource).where(SparkStandardSource.standard_id == standard.id)
    ):
        await session.delete(old)
    await session.flush()
    session.add_all(SparkStandardSource(standard_id=standard.id, candidate_id=c) for c in ids)


async def create_standard(
    session: AsyncSession, principal: Principal, field_id: uuid.UUID, data: StandardIn
) -> SparkStandard:
    """Write a draft standard of the field, citing the benchmarks it is drawn from."""
    found = await managed_field(session, principal, field_id)
    _require_active_field(found.field)
    title = _required("title", data.title)
    items = _items(data.items)
    sources = await _benchmarks(session, found.field, data.benchmark_ids)
    standard = SparkStandard(
        field_id=found.field.id, title=title, body=_clean_optional(data.body), items=items, status="draft"
    )
    session.add(standard)
    await session.flush()
    await _write_sources(session, standard, sources)
    await session.flush()
    await audit(
        session,
        "spark_incubation.standard_create",
        object_type="spark_standard",
        object_id=standard.id,
        org_node_id=found.field.org_node_id,
        changes=audit_diff(
            {}, {"field_id": found.field.id, "title": title, "items": items, "sources": sources}
        ),
    )
    return standard


async def _draft(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> tuple[SparkStandard, FieldFound]:
    standard = await session.get(SparkStandard, (principal.tenant_id, standard_id))
    if standard is None:
        raise not_found()
    found = await managed_field(session, principal, standard.field_id)
    if standard.status != "draft":
        raise Conflict(_("The standard is published; it can no longer change."), code="not_a_draft")
    return standard, found


async def replace_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID, data: StandardIn
) -> SparkStandard:
    standard, found = await _draft(session, principal, standard_id)
    before = {"title": standard.title, "body": standard.body, "items": list(standard.items or [])}
    standard.title = _required("title", data.title)
    standard.body = _clean_optional(data.body)
    standard.items = _items(data.items)
    sources = await _benchmarks(session, found.field, data.benchmark_ids)
    await _write_sources(session, standard, sources)
    await session.flush()
    await audit(
        session,
        "spark_incubation.standard_update",
        object_type="spark_standard",
        object_id=standard.id,
        org_node_id=found.field.org_node_id,
        changes=audit_diff(
            before,
            {"title": standard.title, "body": standard.body, "items": standard.items, "sources": sources},
        ),
    )
    return standard


async def publish_standard(
    session: AsyncSession, principal: Principal, standard_id: uuid.UUID
) -> SparkStandard:
    """Publish a draft that has a checklist and cites at least one benchmark."""
    standard, found = await _draft(session, principal, standard_id)
    if not standard.items:
        raise invalid_field(
            "items", _("A standard needs at least one checklist item before it is published."), code="empty"
        )
    cited = await session.scalar(
        select(func.count())
        .select_from(SparkStandardSource)
        .where(SparkStandardSource.standard_id == standard.id)
    )
    if not cited:
        raise invalid_field(
            "benchmark_ids",
            _("A standard is drawn from benchmarks: cite at least one before publishing."),
            code="empty",
        )
    standard.status = "published"
    standard.published_on = district_today()
    await session.flush()
    await audit(
        session,
        "spark_incubation.standard_publish",
        object_type="spark_standard",
        object_id=standard.id,
        org_node_id=found.field.org_node_id,
        changes=audit_diff({"status": "draft"}, {"status": "published"}),
    )
    return standard


# --- reminders (job) -------------------------------------------------------------------------------


async def remind_mentors(session: AsyncSession, day: dt.date, config: SparkConfig) -> int:
    """Remind each mentor of the open milestones of active candidates due within ``remind_days_before``
    days of ``day``; once per milestone and due date (a moved milestone is reminded again)."""
    horizon = day + dt.timedelta(days=config.remind_days_before)
    rows = (
        await session.execute(
            select(SparkMilestone, SparkMentor.person_id, SparkCandidate, OrgNode.name, SparkField.name)
            .join(
                SparkPlan,
                (SparkPlan.tenant_id == SparkMilestone.tenant_id) & (SparkPlan.id == SparkMilestone.plan_id),
            )
            .join(
                SparkMentor,
                (SparkMentor.tenant_id == SparkPlan.tenant_id) & (SparkMentor.plan_id == SparkPlan.id),
            )
            .join(
                SparkCandidate,
                (SparkCandidate.tenant_id == SparkPlan.tenant_id)
                & (SparkCandidate.id == SparkPlan.candidate_id),
            )
            .join(
                OrgNode,
                (OrgNode.tenant_id == SparkCandidate.tenant_id) & (OrgNode.id == SparkCandidate.org_node_id),
            )
            .join(
                SparkField,
                (SparkField.tenant_id == SparkCandidate.tenant_id)
                & (SparkField.id == SparkCandidate.field_id),
            )
            .where(
                SparkMilestone.done_on.is_(None),
                SparkMilestone.due_on >= day,
                SparkMilestone.due_on <= horizon,
                SparkCandidate.stage.in_(ACTIVE_STAGES),
            )
            .order_by(SparkMilestone.due_on, SparkMilestone.id)
        )
    ).tuples()
    sent = 0
    for milestone, person_id, candidate, org_name, field_name in rows:
        sent += await notify(
            session,
            template="spark_incubation.milestone_due",
            params={
                "milestone": milestone.title,
                "due_on": milestone.due_on.isoformat(),
                "org": org_name,
                "field": field_name,
            },
            kind="milestone_due",
            source=SLUG,
            person_id=person_id,
            org_node_id=candidate.org_node_id,
            link=f"/api/v1/m/{SLUG}/candidates/{candidate.id}",
            dedupe_key=f"{SLUG}.milestone:{milestone.id}:{milestone.due_on.isoformat()}",
        )
    return sent


# --- dashboard figures and the red map -------------------------------------------------------------


def _rate(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


async def figures(session: AsyncSession, node: OrgNode, day: dt.date, config: SparkConfig) -> list[Figure]:
    """The subtree's figures: candidates and benchmarks (overall and per field), overdue milestones,
    and the party-organisation coverage of its two-new organisations. Four statements whatever the tree."""
    organisation = aliased(OrgNode, name="candidate_org")
    in_area = in_subtree(organisation.path, node.path)
    per_field = list(
        (
            await session.execute(
                select(SparkField.code, SparkField.name, SparkCandidate.stage, func.count())
                .join(
                    SparkCandidate,
                    (SparkCandidate.tenant_id == SparkField.tenant_id)
                    & (SparkCandidate.field_id == SparkField.id),
                )
                .join(
                    organisation,
                    (organisation.tenant_id == SparkCandidate.tenant_id)
                    & (organisation.id == SparkCandidate.org_node_id),
                )
                .where(in_area, SparkField.status == "active")
                .group_by(SparkField.code, SparkField.name, SparkCandidate.stage)
            )
        ).tuples()
    )
    overdue = await session.scalar(
        select(func.count())
        .select_from(SparkMilestone)
        .join(
            SparkPlan,
            (SparkPlan.tenant_id == SparkMilestone.tenant_id) & (SparkPlan.id == SparkMilestone.plan_id),
        )
        .join(
            SparkCandidate,
            (SparkCandidate.tenant_id == SparkPlan.tenant_id) & (SparkCandidate.id == SparkPlan.candidate_id),
        )
        .join(
            organisation,
            (organisation.tenant_id == SparkCandidate.tenant_id)
            & (organisation.id == SparkCandidate.org_node_id),
        )
        .where(
            in_area,
            SparkCandidate.stage.in_(ACTIVE_STAGES),
            SparkMilestone.done_on.is_(None),
            SparkMilestone.due_on < day,
        )
    )
    two_new = aliased(OrgNode, name="two_new")
    party = aliased(OrgNode, name="party_org")
    has_party = (
        exists()
        .where(
            party.tenant_id == two_new.tenant_id,
            party.parent_id == two_new.id,
            party.kind.in_(config.party_org_kinds),
            party.archived_at.is_(None),
        )
        .correlate(two_new)
    )
    total, covered = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((has_party, 1), else_=0)), 0)).where(
                two_new.kind.in_(config.two_new_kinds),
                two_new.archived_at.is_(None),
                in_subtree(two_new.path, node.path),
            )
        )
    ).one()
    fields: dict[str, tuple[str, dict[str, int]]] = {}
    for code, name, stage, count in per_field:
        fields.setdefault(code, (name, {}))[1][stage] = int(count)
    active = sum(sum(v for k, v in stages.items() if k != "dropped") for _n, stages in fields.values())
    benchmarks = sum(stages.get("benchmark", 0) for _n, stages in fields.values())
    result = [
        Figure(key="candidates", name_zh="培育对象", name_en="Candidates", value=active, unit_zh="个"),
        Figure(key="benchmarks", name_zh="示范标杆", name_en="Benchmarks", value=benchmarks, unit_zh="个"),
        Figure(
            key="overdue_milestones",
            name_zh="逾期培育节点",
            name_en="Overdue milestones",
            value=int(overdue or 0),
            unit_zh="个",
        ),
        Figure(
            key="two_new_orgs",
            name_zh="两新组织",
            name_en="Two-new organisations",
            value=int(total),
            unit_zh="家",
        ),
        Figure(
            key="two_new_with_party",
            name_zh="已建党组织的两新组织",
            name_en="Two-new organisations with a party organisation",
            value=int(covered),
            unit_zh="家",
        ),
        Figure(
            key="party_coverage",
            name_zh="两新组织党组织覆盖率",
            name_en="Party-organisation coverage of two-new organisations",
            value=_rate(int(covered), int(total)),
            unit_zh="%",
            unit_en="%",
        ),
    ]
    for code, (name, stages) in sorted(fields.items()):
        result.append(
            Figure(
                key=f"candidates.{code}",
                name_zh=f"{name}培育对象",
                name_en=f"{code}: candidates",
                value=sum(v for k, v in stages.items() if k != "dropped"),
                unit_zh="个",
            )
        )
        result.append(
            Figure(
                key=f"benchmarks.{code}",
                name_zh=f"{name}示范标杆",
                name_en=f"{code}: benchmarks",
                value=stages.get("benchmark", 0),
                unit_zh="个",
            )
        )
    return result


async def map_features(session: AsyncSession, node: OrgNode) -> list[MapFeature]:
    """Candidates (not dropped) whose organisation has a place (longitude and latitude) in the subtree."""
    rows = (
        await session.execute(
            select(SparkCandidate, OrgNode, SparkField.name)
            .join(
                OrgNode,
                (OrgNode.tenant_id == SparkCandidate.tenant_id) & (OrgNode.id == SparkCandidate.org_node_id),
            )
            .join(
                SparkField,
                (SparkField.tenant_id == SparkCandidate.tenant_id)
                & (SparkField.id == SparkCandidate.field_id),
            )
            .where(in_subtree(OrgNode.path, node.path), SparkCandidate.stage != "dropped")
            .order_by(OrgNode.path)
        )
    ).tuples()
    features = []
    for candidate, organisation, field_name in rows:
        attrs = organisation.attrs or {}
        longitude, latitude = attrs.get("longitude"), attrs.get("latitude")
        if longitude is None or latitude is None:
            continue
        features.append(
            MapFeature(
                key=str(candidate.id),
                name=organisation.name,
                kind="spark_benchmark" if candidate.stage == "benchmark" else "spark_candidate",
                longitude=float(longitude),
                latitude=float(latitude),
                org_node_id=organisation.id,
                properties={"field": field_name, "stage": candidate.stage},
            )
        )
    return features
