"""The rules of projects for the people (为民项目联认): routes parse and authorise, services decide and write.

Scope: a need belongs to the organisation where it arose, a project to its organisation; a caller
reaches them through that node (404 otherwise). Claimants (organisations or members) and the
residents who back a need or evaluate a project must be of the district and inside the caller's
scope for the action (422 naming the field otherwise).

Claiming behaves like a booking: the project row carries its capacity (``max_claimants``,
``target_fen``) and counters (``claim_count``, ``committed_fen``), and a claim is accepted only by a
single conditional ``UPDATE`` that raises the counters while they stay inside the capacity; unique
keys refuse a second claim by the same claimant and replay a retried request (``Idempotency-Key``).
Two claims at once cannot both take the last place: the database serialises the update.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.api import (
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
    audit,
    audit_diff,
    current_locale,
    district_today,
    in_subtree,
    invalid_field,
    load_in_scope,
    node_in_scope,
    not_found,
    notify,
    paginate,
    plugin_config,
    register_template,
    scope_predicate,
    scoped_select,
    utcnow,
)
from plugins.people_projects.models import (
    Claim,
    Evaluation,
    Need,
    NeedSupporter,
    ProgressUpdate,
    Project,
    ProjectTransition,
)
from plugins.people_projects.schemas import (
    ClaimIn,
    ClaimOut,
    DeliveryIn,
    EvaluationIn,
    EvaluationOut,
    FromNeedIn,
    NeedIn,
    NeedOut,
    PeopleProjectsConfig,
    ProgressIn,
    ProgressOut,
    ProjectDetailOut,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    SupporterIn,
    TransitionIn,
    TransitionOut,
)

SLUG = "people_projects"
READ = f"{SLUG}.read"
MANAGE = f"{SLUG}.manage"
CLAIM = f"{SLUG}.claim"
EVALUATE = f"{SLUG}.evaluate"

# Which status a caller may move a project to from which. "claimed" follows the first claim and
# "evaluated" the first evaluation; "completed", "evaluated" and "cancelled" take no requests.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"published", "cancelled"}),
    "published": frozenset({"cancelled"}),
    "claimed": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"completed"}),
}
OPEN_FOR_CLAIMS = ("published", "claimed")
EVALUABLE = ("completed", "evaluated")

STATUS_NAMES = {
    "draft": ("草稿", "draft"),
    "published": ("已发布", "published"),
    "claimed": ("已认领", "claimed"),
    "in_progress": ("实施中", "in progress"),
    "completed": ("已完成", "completed"),
    "evaluated": ("已评议", "evaluated"),
    "cancelled": ("已取消", "cancelled"),
}


def state_name(status: str) -> str:
    """A project status as the caller reads it (Chinese or English)."""
    zh, en = STATUS_NAMES.get(status, (status, status))
    return zh if current_locale() == "zh_CN" else en


for _template in (
    NotificationTemplate(
        f"{SLUG}.need_converted",
        title={
            "zh_CN": "您登记的群众需求“{need}”已转为为民项目“{project}”",
            "en": "The need you recorded, {need}, became the project {project}",
        },
    ),
    NotificationTemplate(
        f"{SLUG}.project_changed",
        title={
            "zh_CN": "您认领的为民项目“{project}”状态变为：{status_zh}",
            "en": "The project you claimed, {project}, is now {status_en}",
        },
        body={"zh_CN": "{note}", "en": "{note}"},
    ),
    NotificationTemplate(
        f"{SLUG}.project_progress",
        title={
            "zh_CN": "您认领的为民项目“{project}”有新进展（{percent}%）",
            "en": "The project you claimed, {project}, reported progress ({percent}%)",
        },
        body={"zh_CN": "{text}", "en": "{text}"},
    ),
    NotificationTemplate(
        f"{SLUG}.project_stale",
        title={
            "zh_CN": "为民项目“{project}”已 {days} 天没有进展更新",
            "en": "The project {project} has had no progress update for {days} days",
        },
    ),
):
    register_template(_template)


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


async def config_of(session: AsyncSession) -> PeopleProjectsConfig:
    """The district's configuration of the mechanism (defaults if never set)."""
    config = await plugin_config(session, SLUG)
    assert isinstance(config, PeopleProjectsConfig)
    return config


async def _check_category(session: AsyncSession, category: str) -> None:
    config = await config_of(session)
    if category not in config.categories:
        raise invalid_field(
            "category",
            _("The district uses the categories {categories}."),
            code="unknown_category",
            categories=", ".join(config.categories),
        )


def _check_place(longitude: float | None, latitude: float | None) -> None:
    if (longitude is None) != (latitude is None):
        raise invalid_field(
            "latitude" if latitude is None else "longitude",
            _("Give both the longitude and the latitude, or neither."),
            code="incomplete_place",
        )


# --- the people and organisations named in a body ----------------------------------------------------


async def person_in_reach(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, permission: str, field: str
) -> Person:
    """A person of the district registered inside the caller's scope; 422 naming ``field`` otherwise
    (another district's person is not there at all)."""
    owner = aliased(OrgNode, name="person_node")
    person = (
        await session.scalars(
            select(Person)
            .join(owner, (owner.tenant_id == Person.tenant_id) & (owner.id == Person.org_node_id))
            .where(Person.id == person_id, scope_predicate(principal, permission, owner.path))
        )
    ).first()
    if person is None or person.archived_at is not None:
        raise invalid_field(
            field, _("No such person within your scope in this district."), code="unknown_person"
        )
    return person


async def organisation_in_reach(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, permission: str, field: str
) -> OrgNode:
    """An organisation of the district inside the caller's scope; 422 naming ``field`` otherwise."""
    node = (
        await session.scalars(
            select(OrgNode).where(OrgNode.id == node_id, scope_predicate(principal, permission, OrgNode.path))
        )
    ).first()
    if node is None:
        raise invalid_field(
            field, _("No such organisation within your scope in this district."), code="unknown_organisation"
        )
    if node.archived_at is not None:
        raise invalid_field(field, _("The organisation is archived."), code="archived")
    return node


async def _nodes(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, OrgNode]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(wanted)))}


async def _people(session: AsyncSession, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Person]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(wanted)))}


# --- needs -------------------------------------------------------------------------------------------


async def need_in_scope(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, permission: str = READ
) -> Need:
    return await load_in_scope(session, principal, Need, need_id, permission)


async def need_outs(session: AsyncSession, needs: Sequence[Need]) -> list[NeedOut]:
    nodes = await _nodes(session, (n.org_node_id for n in needs))
    projects: dict[uuid.UUID, uuid.UUID] = {}
    if needs:
        projects = {
            need_id: project_id
            for need_id, project_id in (
                await session.execute(
                    select(Project.need_id, Project.id).where(Project.need_id.in_({n.id for n in needs}))
                )
            ).tuples()
            if need_id is not None
        }
    return [
        NeedOut(
            id=n.id,
            org_node_id=n.org_node_id,
            org_name=nodes[n.org_node_id].name,
            source=n.source,
            category=n.category,
            title=n.title,
            description=n.description,
            raised_by_person_id=n.raised_by_person_id,
            status=n.status,
            supporters=n.supporter_count,
            project_id=projects.get(n.id),
            created_at=n.created_at,
        )
        for n in needs
    ]


async def needs_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: str | None = None,
    source: str | None = None,
    node_id: uuid.UUID | None = None,
) -> tuple[list[Need], int]:
    stmt = scoped_select(Need, principal, READ)
    if status is not None:
        stmt = stmt.where(Need.status == status)
    if source is not None:
        stmt = stmt.where(Need.source == source)
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        inside = select(OrgNode.id).where(in_subtree(OrgNode.path, node.path))
        stmt = stmt.where(Need.org_node_id.in_(inside))
    return await paginate(session, stmt.order_by(Need.created_at.desc(), Need.id), page)


async def create_need(session: AsyncSession, principal: Principal, data: NeedIn) -> Need:
    """Record a residents' need where it arose (an organisation in the caller's scope)."""
    node = await node_in_scope(session, principal, data.org_node_id, MANAGE)
    await _check_category(session, data.category)
    if data.raised_by_person_id is not None:
        await person_in_reach(session, principal, data.raised_by_person_id, MANAGE, "raised_by_person_id")
    need = Need(
        org_node_id=node.id,
        source=data.source,
        category=data.category,
        title=_required("title", data.title),
        description=_required_text("description", data.description),
        raised_by_person_id=data.raised_by_person_id,
        created_by=principal.user_id,
        status="open",
        supporter_count=0,
    )
    session.add(need)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.need_create",
        object_type=Need.__tablename__,
        object_id=need.id,
        org_node_id=node.id,
        changes=audit_diff({}, {"title": need.title, "source": need.source, "category": need.category}),
    )
    return need


async def add_supporter(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, data: SupporterIn
) -> Need:
    """A resident backs the need: counted once however often it is asked."""
    need = await need_in_scope(session, principal, need_id, MANAGE)
    if need.status == "closed":
        raise Conflict(_("The need is closed."), code="need_closed")
    person = await person_in_reach(session, principal, data.person_id, MANAGE, "person_id")
    try:
        async with session.begin_nested():
            session.add(NeedSupporter(need_id=need.id, person_id=person.id))
    except IntegrityError:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "person_id", "duplicate", _("{name} already supports this need."), {"name": person.name}
                )
            ],
        ) from None
    await session.execute(
        update(Need)
        .where(Need.tenant_id == need.tenant_id, Need.id == need.id)
        .values(supporter_count=Need.supporter_count + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(need)
    await audit(
        session,
        f"{SLUG}.need_support",
        object_type=Need.__tablename__,
        object_id=need.id,
        org_node_id=need.org_node_id,
        changes={"person_id": str(person.id), "supporters": need.supporter_count},
    )
    return need


# --- projects ------------------------------------------------------------------------------------------


async def project_in_scope(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, permission: str = READ
) -> Project:
    return await load_in_scope(session, principal, Project, project_id, permission)


async def _satisfaction(
    session: AsyncSession, project_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[float, int]]:
    wanted = set(project_ids)
    if not wanted:
        return {}
    rows = await session.execute(
        select(Evaluation.project_id, func.avg(Evaluation.stars), func.count())
        .where(Evaluation.project_id.in_(wanted))
        .group_by(Evaluation.project_id)
    )
    return {pid: (round(float(avg), 2), int(count)) for pid, avg, count in rows.tuples()}


async def project_outs(session: AsyncSession, projects: Sequence[Project]) -> list[ProjectOut]:
    nodes = await _nodes(session, (p.org_node_id for p in projects))
    scores = await _satisfaction(session, (p.id for p in projects))
    return [_project_out(p, nodes[p.org_node_id].name, scores.get(p.id)) for p in projects]


def _project_out(p: Project, org_name: str, score: tuple[float, int] | None) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        org_node_id=p.org_node_id,
        org_name=org_name,
        need_id=p.need_id,
        title=p.title,
        description=p.description,
        category=p.category,
        status=p.status,
        max_claimants=p.max_claimants,
        target_fen=p.target_fen,
        claim_count=p.claim_count,
        committed_fen=p.committed_fen,
        delivered_fen=p.delivered_fen,
        progress_percent=p.progress_percent,
        last_progress_on=p.last_progress_on,
        place=p.place,
        longitude=p.longitude,
        latitude=p.latitude,
        published_on=p.published_on,
        started_on=p.started_on,
        completed_on=p.completed_on,
        satisfaction=score[0] if score else None,
        evaluations=score[1] if score else 0,
        created_at=p.created_at,
    )


async def claim_outs(session: AsyncSession, claims: Sequence[Claim]) -> list[ClaimOut]:
    nodes = await _nodes(session, (c.claimant_org_node_id for c in claims))
    people = await _people(session, (c.claimant_person_id for c in claims))

    def name(c: Claim) -> str:
        if c.claimant_org_node_id is not None:
            return nodes[c.claimant_org_node_id].name
        assert c.claimant_person_id is not None
        return people[c.claimant_person_id].name

    return [
        ClaimOut(
            id=c.id,
            project_id=c.project_id,
            claimant_org_node_id=c.claimant_org_node_id,
            claimant_person_id=c.claimant_person_id,
            claimant_name=name(c),
            commitment=c.commitment,
            money_fen=c.money_fen,
            labour_hours=c.labour_hours,
            material_description=c.material_description,
            material_value_fen=c.material_value_fen,
            delivered_fen=c.delivered_fen,
            claimed_on=c.claimed_on,
            note=c.note,
        )
        for c in claims
    ]


async def project_detail(session: AsyncSession, project: Project) -> ProjectDetailOut:
    base = (await project_outs(session, [project]))[0]
    claims = list(
        await session.scalars(
            select(Claim).where(Claim.project_id == project.id).order_by(Claim.created_at, Claim.id)
        )
    )
    progress = list(
        await session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.project_id == project.id)
            .order_by(ProgressUpdate.reported_on, ProgressUpdate.created_at, ProgressUpdate.id)
        )
    )
    evaluations = list(
        await session.scalars(
            select(Evaluation)
            .where(Evaluation.project_id == project.id)
            .order_by(Evaluation.created_at, Evaluation.id)
        )
    )
    transitions = list(
        await session.scalars(
            select(ProjectTransition)
            .where(ProjectTransition.project_id == project.id)
            .order_by(ProjectTransition.at, ProjectTransition.id)
        )
    )
    people = await _people(session, (e.person_id for e in evaluations))
    fields = {f: getattr(base, f) for f in base.__struct_fields__}
    return ProjectDetailOut(
        **fields,
        claims=await claim_outs(session, claims),
        progress=[
            ProgressOut(
                id=u.id, project_id=u.project_id, reported_on=u.reported_on, text=u.text, percent=u.percent
            )
            for u in progress
        ],
        evaluation_list=[
            EvaluationOut(
                id=e.id,
                project_id=e.project_id,
                person_id=e.person_id,
                person_name=people[e.person_id].name,
                stars=e.stars,
                comment=e.comment,
                evaluated_on=e.evaluated_on,
            )
            for e in evaluations
        ],
        transitions=[
            TransitionOut(
                from_status=t.from_status, to_status=t.to_status, actor_id=t.actor_id, at=t.at, note=t.note
            )
            for t in transitions
        ],
    )


async def projects_page(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    status: str | None = None,
    node_id: uuid.UUID | None = None,
    year: int | None = None,
) -> tuple[list[Project], int]:
    stmt = scoped_select(Project, principal, READ)
    if status is not None:
        stmt = stmt.where(Project.status == status)
    if year is not None:
        stmt = stmt.where(
            Project.published_on >= dt.date(year, 1, 1), Project.published_on <= dt.date(year, 12, 31)
        )
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, READ)
        inside = select(OrgNode.id).where(in_subtree(OrgNode.path, node.path))
        stmt = stmt.where(Project.org_node_id.in_(inside))
    return await paginate(session, stmt.order_by(Project.created_at.desc(), Project.id), page)


async def _record_transition(
    session: AsyncSession,
    project: Project,
    before: str | None,
    after: str,
    actor_id: uuid.UUID | None,
    note: str | None = None,
) -> ProjectTransition:
    row = ProjectTransition(
        project_id=project.id, from_status=before, to_status=after, actor_id=actor_id, at=utcnow(), note=note
    )
    session.add(row)
    await session.flush()
    return row


async def _new_project(
    session: AsyncSession,
    principal: Principal,
    node: OrgNode,
    *,
    need: Need | None,
    title: str,
    description: str,
    category: str,
    max_claimants: int | None,
    target_fen: int | None,
    place: str | None,
    longitude: float | None,
    latitude: float | None,
) -> Project:
    _check_place(longitude, latitude)
    project = Project(
        org_node_id=node.id,
        need_id=need.id if need is not None else None,
        title=_required("title", title),
        description=_required_text("description", description),
        category=category,
        status="draft",
        max_claimants=max_claimants,
        target_fen=target_fen,
        claim_count=0,
        committed_fen=0,
        delivered_fen=0,
        progress_percent=0,
        place=_clean_optional(place),
        longitude=longitude,
        latitude=latitude,
        created_by=principal.user_id,
    )
    session.add(project)
    await session.flush()
    await _record_transition(session, project, None, "draft", principal.user_id)
    await audit(
        session,
        f"{SLUG}.project_create",
        object_type=Project.__tablename__,
        object_id=project.id,
        org_node_id=node.id,
        changes=audit_diff(
            {},
            {
                "title": project.title,
                "need_id": project.need_id,
                "max_claimants": max_claimants,
                "target_fen": target_fen,
            },
        ),
    )
    return project


async def create_project(session: AsyncSession, principal: Principal, data: ProjectIn) -> Project:
    node = await node_in_scope(session, principal, data.org_node_id, MANAGE)
    await _check_category(session, data.category)
    return await _new_project(
        session,
        principal,
        node,
        need=None,
        title=data.title,
        description=data.description,
        category=data.category,
        max_claimants=data.max_claimants,
        target_fen=data.target_fen,
        place=data.place,
        longitude=data.longitude,
        latitude=data.latitude,
    )


async def project_from_need(
    session: AsyncSession, principal: Principal, need_id: uuid.UUID, data: FromNeedIn
) -> Project:
    """Turn an open need into a draft project of the same organisation; tell whoever recorded the need."""
    need = await need_in_scope(session, principal, need_id, MANAGE)
    if need.status != "open":
        raise Conflict(
            _("The need is no longer open: it already became a project or was closed."), code="need_not_open"
        )
    node = await session.get(OrgNode, (need.tenant_id, need.org_node_id))
    assert node is not None
    claimed = await session.execute(
        update(Need)
        .where(Need.tenant_id == need.tenant_id, Need.id == need.id, Need.status == "open")
        .values(status="converted", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            _("The need is no longer open: it already became a project or was closed."), code="need_not_open"
        )
    await session.refresh(need)
    try:
        async with session.begin_nested():
            project = await _new_project(
                session,
                principal,
                node,
                need=need,
                title=data.title or need.title,
                description=data.description or need.description,
                category=need.category,
                max_claimants=data.max_claimants,
                target_fen=data.target_fen,
                place=data.place,
                longitude=data.longitude,
                latitude=data.latitude,
            )
    except IntegrityError:
        raise Conflict(
            _("The need is no longer open: it already became a project or was closed."), code="need_not_open"
        ) from None
    if need.created_by is not None:
        await notify(
            session,
            template=f"{SLUG}.need_converted",
            params={"need": need.title, "project": project.title},
            kind="need_converted",
            source=SLUG,
            users=[need.created_by],
            org_node_id=need.org_node_id,
            link=f"/api/v1/m/{SLUG}/projects/{project.id}",
            dedupe_key=f"{SLUG}.need.{need.id}.converted",
        )
    return project


async def update_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, data: ProjectUpdate
) -> Project:
    """Edit a draft (a published project's terms are what claimants agreed to)."""
    import msgspec

    project = await project_in_scope(session, principal, project_id, MANAGE)
    if project.status != "draft":
        raise Conflict(
            _("Only a draft project can be edited; this one is {state}."),
            code="not_draft",
            state=state_name(project.status),
        )
    before = {
        "title": project.title,
        "max_claimants": project.max_claimants,
        "target_fen": project.target_fen,
    }
    if data.title is not msgspec.UNSET:
        project.title = _required("title", data.title)
    if data.description is not msgspec.UNSET:
        project.description = _required_text("description", data.description)
    if data.category is not msgspec.UNSET:
        await _check_category(session, data.category)
        project.category = data.category
    if data.max_claimants is not msgspec.UNSET:
        project.max_claimants = data.max_claimants
    if data.target_fen is not msgspec.UNSET:
        project.target_fen = data.target_fen
    if data.place is not msgspec.UNSET:
        project.place = _clean_optional(data.place)
    if data.longitude is not msgspec.UNSET:
        project.longitude = data.longitude
    if data.latitude is not msgspec.UNSET:
        project.latitude = data.latitude
    _check_place(project.longitude, project.latitude)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.project_update",
        object_type=Project.__tablename__,
        object_id=project.id,
        org_node_id=project.org_node_id,
        changes=audit_diff(
            before,
            {
                "title": project.title,
                "max_claimants": project.max_claimants,
                "target_fen": project.target_fen,
            },
        ),
    )
    return project


async def _notify_claimants(
    session: AsyncSession, project: Project, template: str, params: dict[str, Any], kind: str, event: str
) -> int:
    """Tell every claimant of ``project``: an organisation's secretaries, a member's account."""
    sent = 0
    claims = list(await session.scalars(select(Claim).where(Claim.project_id == project.id)))
    for claim in claims:
        common: dict[str, Any] = {
            "template": template,
            "params": params,
            "kind": kind,
            "source": SLUG,
            "org_node_id": project.org_node_id,
            "link": f"/api/v1/m/{SLUG}/projects/{project.id}",
            "dedupe_key": f"{SLUG}.claim.{claim.id}.{event}",
        }
        if claim.claimant_org_node_id is not None:
            sent += await notify(session, role="secretary", at_node=claim.claimant_org_node_id, **common)
        else:
            sent += await notify(session, person_id=claim.claimant_person_id, **common)
    return sent


async def _changed(session: AsyncSession, project: Project, after: str, note: str | None, event: str) -> None:
    zh, en = STATUS_NAMES[after]
    await _notify_claimants(
        session,
        project,
        f"{SLUG}.project_changed",
        {"project": project.title, "status_zh": zh, "status_en": en, "note": note or ""},
        "project_changed",
        event,
    )


async def transition_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, data: TransitionIn
) -> Project:
    """Move a project one allowed step (publish, start, complete, cancel), recorded with who and when."""
    project = await project_in_scope(session, principal, project_id, MANAGE)
    before = project.status
    after = data.to
    if after not in TRANSITIONS.get(before, frozenset()):
        raise Conflict(
            _("A project that is {current} cannot become {wanted}."),
            code="invalid_transition",
            errors=[
                FieldProblem(
                    "to",
                    "invalid_transition",
                    _("A project that is {current} cannot become {wanted}."),
                    {"current": state_name(before), "wanted": state_name(after)},
                )
            ],
            current=state_name(before),
            wanted=state_name(after),
        )
    today = district_today()
    values: dict[str, Any] = {"status": after, "updated_at": utcnow()}
    if after == "published":
        values["published_on"] = today
    elif after == "in_progress":
        values["started_on"] = today
    elif after == "completed":
        values["completed_on"] = today
        values["progress_percent"] = 100
    moved = await session.execute(
        update(Project)
        .where(Project.tenant_id == project.tenant_id, Project.id == project.id, Project.status == before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("The project changed meanwhile; reload it and try again."), code="changed_meanwhile")
    await session.refresh(project)
    note = _clean_optional(data.note)
    row = await _record_transition(session, project, before, after, principal.user_id, note)
    await audit(
        session,
        f"{SLUG}.project_{after}",
        object_type=Project.__tablename__,
        object_id=project.id,
        org_node_id=project.org_node_id,
        changes=audit_diff({"status": before}, {"status": after}),
    )
    await _changed(session, project, after, note, str(row.id))
    return project


# --- claims --------------------------------------------------------------------------------------------


def _commitment_values(data: ClaimIn) -> dict[str, Any]:
    """The claim's commitment columns, refusing fields of another kind of commitment."""
    problems: list[FieldProblem] = []
    wanted = {
        "money": ("money_fen",),
        "labour": ("labour_hours",),
        "material": ("material_description", "material_value_fen"),
    }[data.commitment]
    for field in ("money_fen", "labour_hours", "material_description", "material_value_fen"):
        given = getattr(data, field) is not None
        if field in wanted and not given:
            problems.append(FieldProblem(field, "missing", _("A commitment of this kind needs this field.")))
        elif field not in wanted and given:
            problems.append(
                FieldProblem(field, "not_allowed", _("This field belongs to another kind of commitment."))
            )
    description = _clean_optional(data.material_description)
    if data.commitment == "material" and data.material_description is not None and description is None:
        problems.append(FieldProblem("material_description", "missing", _("This field cannot be blank.")))
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    return {
        "money_fen": data.money_fen or 0,
        "labour_hours": data.labour_hours or 0,
        "material_description": description,
        "material_value_fen": data.material_value_fen or 0,
    }


def _not_open(project: Project) -> Conflict:
    return Conflict(
        _("The project is {state}; only a published project can be claimed."),
        code="not_open_for_claims",
        state=state_name(project.status),
    )


async def create_claim(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    data: ClaimIn,
    idempotency_key: str | None = None,
) -> tuple[Claim, bool]:
    """Claim a project for an organisation or a member. Returns the claim and whether it is new (a retry
    with the same ``Idempotency-Key`` returns the first claim)."""
    project = await project_in_scope(session, principal, project_id, CLAIM)
    if idempotency_key is not None:
        replay = (
            await session.scalars(
                select(Claim).where(Claim.project_id == project.id, Claim.idempotency_key == idempotency_key)
            )
        ).first()
        if replay is not None:
            return replay, False
    if (data.org_node_id is None) == (data.person_id is None):
        raise invalid_field(
            "org_node_id", _("Name exactly one claimant: an organisation or a person."), code="one_claimant"
        )
    values = _commitment_values(data)
    if data.org_node_id is not None:
        claimant_name = (
            await organisation_in_reach(session, principal, data.org_node_id, CLAIM, "org_node_id")
        ).name
    else:
        assert data.person_id is not None
        claimant_name = (await person_in_reach(session, principal, data.person_id, CLAIM, "person_id")).name
    if project.status not in OPEN_FOR_CLAIMS:
        raise _not_open(project)
    money = int(values["money_fen"])
    claim = Claim(
        project_id=project.id,
        claimant_org_node_id=data.org_node_id,
        claimant_person_id=data.person_id,
        commitment=data.commitment,
        delivered_fen=0,
        claimed_on=district_today(),
        note=_clean_optional(data.note),
        idempotency_key=idempotency_key,
        created_by=principal.user_id,
        **values,
    )
    try:
        async with session.begin_nested():
            session.add(claim)
    except IntegrityError:
        if idempotency_key is not None:
            replay = (
                await session.scalars(
                    select(Claim).where(
                        Claim.project_id == project.id, Claim.idempotency_key == idempotency_key
                    )
                )
            ).first()
            if replay is not None:
                return replay, False
        field = "org_node_id" if data.org_node_id is not None else "person_id"
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    field, "duplicate", _("{name} already claimed this project."), {"name": claimant_name}
                )
            ],
        ) from None
    # The booking: one statement raises the counters only while they stay inside the capacity.
    taken = await session.execute(
        update(Project)
        .where(
            Project.tenant_id == project.tenant_id,
            Project.id == project.id,
            Project.status.in_(OPEN_FOR_CLAIMS),
            or_(Project.max_claimants.is_(None), Project.claim_count < Project.max_claimants),
            or_(Project.target_fen.is_(None), Project.committed_fen + money <= Project.target_fen),
        )
        .values(
            claim_count=Project.claim_count + 1,
            committed_fen=Project.committed_fen + money,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(project)
        if project.status not in OPEN_FOR_CLAIMS:
            raise _not_open(project)
        if project.max_claimants is not None and project.claim_count >= project.max_claimants:
            raise Conflict(
                _("The project already has its {count} claimant(s); it takes no more."),
                code="capacity_full",
                count=project.max_claimants,
            )
        remaining = (project.target_fen or 0) - project.committed_fen
        raise Conflict(
            _("The project needs only {remaining} fen more."),
            code="over_target",
            remaining=remaining,
            errors=[
                FieldProblem(
                    "money_fen",
                    "over_target",
                    _("The project needs only {remaining} fen more."),
                    {"remaining": remaining},
                )
            ],
        )
    first = await session.execute(
        update(Project)
        .where(
            Project.tenant_id == project.tenant_id, Project.id == project.id, Project.status == "published"
        )
        .values(status="claimed")
        .execution_options(synchronize_session=False)
    )
    await session.refresh(project)
    if first.rowcount == 1:  # type: ignore[attr-defined]
        await _record_transition(session, project, "published", "claimed", principal.user_id)
    await audit(
        session,
        f"{SLUG}.claim_create",
        object_type=Claim.__tablename__,
        object_id=claim.id,
        org_node_id=project.org_node_id,
        changes=audit_diff(
            {},
            {
                "project_id": project.id,
                "claimant": claimant_name,
                "commitment": claim.commitment,
                "money_fen": claim.money_fen,
                "labour_hours": claim.labour_hours,
                "material_value_fen": claim.material_value_fen,
            },
        ),
    )
    return claim, True


async def claim_in_scope(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID, permission: str
) -> tuple[Claim, Project]:
    claim = await session.get(Claim, (principal.tenant_id, claim_id))
    if claim is None:
        raise not_found()
    project = await project_in_scope(session, principal, claim.project_id, permission)
    return claim, project


async def record_delivery(
    session: AsyncSession, principal: Principal, claim_id: uuid.UUID, data: DeliveryIn
) -> Claim:
    """The money delivered so far on a money claim: it only grows, up to what was committed."""
    claim, project = await claim_in_scope(session, principal, claim_id, CLAIM)
    if claim.commitment != "money":
        raise invalid_field(
            "delivered_fen", _("Only a money commitment is delivered in fen."), code="not_money"
        )
    if project.status not in ("claimed", "in_progress", "completed", "evaluated"):
        raise Conflict(
            _("The project is {state}; nothing is delivered on it."),
            code="not_claimed",
            state=state_name(project.status),
        )
    if data.delivered_fen > claim.money_fen:
        raise invalid_field(
            "delivered_fen",
            _("At most the {committed} fen committed can be delivered."),
            code="over_committed",
            committed=claim.money_fen,
        )
    before = claim.delivered_fen
    if data.delivered_fen < before:
        raise invalid_field(
            "delivered_fen",
            _("Delivered money is a running total: it cannot go down from {before} fen."),
            code="decrease",
            before=before,
        )
    if data.delivered_fen == before:
        return claim
    moved = await session.execute(
        update(Claim)
        .where(Claim.tenant_id == claim.tenant_id, Claim.id == claim.id, Claim.delivered_fen == before)
        .values(delivered_fen=data.delivered_fen, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("The project changed meanwhile; reload it and try again."), code="changed_meanwhile")
    await session.execute(
        update(Project)
        .where(Project.tenant_id == project.tenant_id, Project.id == project.id)
        .values(delivered_fen=Project.delivered_fen + (data.delivered_fen - before), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(claim)
    await session.refresh(project)
    await audit(
        session,
        f"{SLUG}.claim_delivery",
        object_type=Claim.__tablename__,
        object_id=claim.id,
        org_node_id=project.org_node_id,
        changes=audit_diff({"delivered_fen": before}, {"delivered_fen": claim.delivered_fen}),
    )
    return claim


# --- progress ------------------------------------------------------------------------------------------


async def add_progress(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, data: ProgressIn
) -> ProgressUpdate:
    """Report progress on a project in progress; the percent never goes down."""
    project = await project_in_scope(session, principal, project_id, MANAGE)
    if project.status != "in_progress":
        raise Conflict(
            _("Progress is reported while a project is in progress; this one is {state}."),
            code="not_in_progress",
            state=state_name(project.status),
        )
    if data.reported_on > district_today():
        raise invalid_field("reported_on", _("The date cannot be in the future."), code="in_future")
    if project.started_on is not None and data.reported_on < project.started_on:
        raise invalid_field(
            "reported_on",
            _("The project started on {started}; progress cannot be dated before that."),
            code="before_start",
            started=project.started_on.isoformat(),
        )
    text = _required_text("text", data.text)
    moved = await session.execute(
        update(Project)
        .where(
            Project.tenant_id == project.tenant_id,
            Project.id == project.id,
            Project.status == "in_progress",
            Project.progress_percent <= data.percent,
        )
        .values(
            progress_percent=data.percent,
            last_progress_on=case(
                (
                    or_(Project.last_progress_on.is_(None), Project.last_progress_on < data.reported_on),
                    data.reported_on,
                ),
                else_=Project.last_progress_on,
            ),
            stale_flagged_on=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(project)
        if project.status != "in_progress":
            raise Conflict(
                _("The project changed meanwhile; reload it and try again."), code="changed_meanwhile"
            )
        raise invalid_field(
            "percent",
            _("Progress cannot go down: the project is already at {percent}%."),
            code="decrease",
            percent=project.progress_percent,
        )
    await session.refresh(project)
    row = ProgressUpdate(
        project_id=project.id,
        org_node_id=project.org_node_id,
        reported_on=data.reported_on,
        text=text,
        percent=data.percent,
        created_by=principal.user_id,
    )
    session.add(row)
    await session.flush()
    await audit(
        session,
        f"{SLUG}.progress_add",
        object_type=ProgressUpdate.__tablename__,
        object_id=row.id,
        org_node_id=project.org_node_id,
        changes=audit_diff(
            {}, {"project_id": project.id, "percent": row.percent, "reported_on": row.reported_on}
        ),
    )
    await _notify_claimants(
        session,
        project,
        f"{SLUG}.project_progress",
        {"project": project.title, "percent": row.percent, "text": text[:200]},
        "project_progress",
        f"progress.{row.id}",
    )
    return row


# --- evaluations ---------------------------------------------------------------------------------------


async def add_evaluation(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, data: EvaluationIn
) -> Evaluation:
    """A resident rates a completed project (1–5 stars), once; the first evaluation marks it evaluated."""
    project = await project_in_scope(session, principal, project_id, EVALUATE)
    person = await person_in_reach(session, principal, data.person_id, EVALUATE, "person_id")
    if project.status not in EVALUABLE:
        raise Conflict(
            _("Residents evaluate a project once it is completed; this one is {state}."),
            code="not_completed",
            state=state_name(project.status),
        )
    row = Evaluation(
        project_id=project.id,
        person_id=person.id,
        stars=data.stars,
        comment=_clean_optional(data.comment),
        evaluated_on=district_today(),
        created_by=principal.user_id,
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(
            _("The input conflicts with existing data."),
            code="duplicate",
            errors=[
                FieldProblem(
                    "person_id",
                    "duplicate",
                    _("{name} already evaluated this project."),
                    {"name": person.name},
                )
            ],
        ) from None
    first = await session.execute(
        update(Project)
        .where(
            Project.tenant_id == project.tenant_id, Project.id == project.id, Project.status == "completed"
        )
        .values(status="evaluated", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(project)
    if first.rowcount == 1:  # type: ignore[attr-defined]
        transition = await _record_transition(session, project, "completed", "evaluated", principal.user_id)
        await _changed(session, project, "evaluated", None, str(transition.id))
    await audit(
        session,
        f"{SLUG}.evaluation_add",
        object_type=Evaluation.__tablename__,
        object_id=row.id,
        org_node_id=project.org_node_id,
        changes=audit_diff({}, {"project_id": project.id, "person_id": person.id, "stars": row.stars}),
    )
    return row


async def evaluation_outs(session: AsyncSession, rows: Sequence[Evaluation]) -> list[EvaluationOut]:
    people = await _people(session, (e.person_id for e in rows))
    return [
        EvaluationOut(
            id=e.id,
            project_id=e.project_id,
            person_id=e.person_id,
            person_name=people[e.person_id].name,
            stars=e.stars,
            comment=e.comment,
            evaluated_on=e.evaluated_on,
        )
        for e in rows
    ]


# --- the stale-progress job ----------------------------------------------------------------------------


async def flag_stale(session: AsyncSession, day: dt.date, config: PeopleProjectsConfig) -> int:
    """Flag each project in progress whose last progress update (or start) is ``stale_after_days`` or
    more before ``day``: its organisation's secretaries are told once per quiet spell (a new update
    starts a new spell). Returns how many projects were flagged."""
    limit = day - dt.timedelta(days=config.stale_after_days)
    last = func.coalesce(Project.last_progress_on, Project.started_on)
    rows = list(
        await session.scalars(
            select(Project)
            .where(Project.status == "in_progress", last.is_not(None), last <= limit)
            .order_by(Project.id)
        )
    )
    flagged = 0
    for project in rows:
        since = project.last_progress_on or project.started_on
        assert since is not None
        if project.stale_flagged_on is not None and project.stale_flagged_on >= since:
            continue
        project.stale_flagged_on = day
        flagged += 1
        await notify(
            session,
            template=f"{SLUG}.project_stale",
            params={"project": project.title, "days": (day - since).days},
            kind="project_stale",
            source=SLUG,
            role="secretary",
            at_node=project.org_node_id,
            org_node_id=project.org_node_id,
            link=f"/api/v1/m/{SLUG}/projects/{project.id}",
            dedupe_key=f"{SLUG}.stale.{project.id}.{since.isoformat()}",
        )
    await session.flush()
    return flagged


# --- dashboard figures and the red map -----------------------------------------------------------------


def _growth(now: float, before: float) -> float:
    return round((now - before) * 100 / before, 1) if before else 0.0


def _wan(fen: int) -> float:
    """Fen as 万元 (ten thousand yuan), to two decimals."""
    return round(fen / 1_000_000, 2)


async def figures(session: AsyncSession, node: OrgNode, day: dt.date) -> list[Figure]:
    """Projects by status, money committed and delivered, this calendar year against last (projects by
    the day they were published, money by the day it was committed), and residents' satisfaction, for
    the subtree at ``node``: four statements whatever the subtree's size."""
    owner = aliased(OrgNode, name="project_org")
    inside = in_subtree(owner.path, node.path)
    joined = and_(owner.tenant_id == Project.tenant_id, owner.id == Project.org_node_id)
    this_year, last_year = day.year, day.year - 1
    by_status = {
        status: int(count)
        for status, count in (
            await session.execute(
                select(Project.status, func.count())
                .join(owner, joined)
                .where(inside)
                .group_by(Project.status)
            )
        ).tuples()
    }
    year_of = case(
        (Project.published_on.between(dt.date(this_year, 1, 1), dt.date(this_year, 12, 31)), this_year),
        (Project.published_on.between(dt.date(last_year, 1, 1), dt.date(last_year, 12, 31)), last_year),
        else_=0,
    )
    projects_by_year = {
        int(year): int(count)
        for year, count in (
            await session.execute(
                select(year_of, func.count())
                .join(owner, joined)
                .where(inside, Project.published_on.is_not(None), Project.status != "cancelled")
                .group_by(year_of)
            )
        ).tuples()
    }
    claim_year = case(
        (Claim.claimed_on.between(dt.date(this_year, 1, 1), dt.date(this_year, 12, 31)), this_year),
        (Claim.claimed_on.between(dt.date(last_year, 1, 1), dt.date(last_year, 12, 31)), last_year),
        else_=0,
    )
    money: dict[int, tuple[int, int, int]] = {}
    for year, committed, delivered, material in (
        await session.execute(
            select(
                claim_year,
                func.coalesce(func.sum(Claim.money_fen), 0),
                func.coalesce(func.sum(Claim.delivered_fen), 0),
                func.coalesce(func.sum(Claim.material_value_fen), 0),
            )
            .join(Project, (Project.tenant_id == Claim.tenant_id) & (Project.id == Claim.project_id))
            .join(owner, joined)
            .where(inside, Project.status != "cancelled")
            .group_by(claim_year)
        )
    ).tuples():
        money[int(year)] = (int(committed), int(delivered), int(material))
    average, evaluations = (
        await session.execute(
            select(func.avg(Evaluation.stars), func.count())
            .join(
                Project, (Project.tenant_id == Evaluation.tenant_id) & (Project.id == Evaluation.project_id)
            )
            .join(owner, joined)
            .where(inside)
        )
    ).one()
    committed_total = sum(m[0] for m in money.values())
    delivered_total = sum(m[1] for m in money.values())
    material_total = sum(m[2] for m in money.values())
    projects_now, projects_before = projects_by_year.get(this_year, 0), projects_by_year.get(last_year, 0)
    money_now, money_before = money.get(this_year, (0, 0, 0))[0], money.get(last_year, (0, 0, 0))[0]
    result = [
        Figure(
            key="projects",
            name_zh="为民项目",
            name_en="Projects for the people",
            value=sum(c for s, c in by_status.items() if s not in ("draft", "cancelled")),
            unit_zh="个",
        ),
    ]
    for status, (zh, en) in STATUS_NAMES.items():
        result.append(
            Figure(
                key=f"projects.{status}",
                name_zh=f"{zh}项目",
                name_en=f"Projects {en}",
                value=by_status.get(status, 0),
                unit_zh="个",
            )
        )
    result += [
        Figure(
            key="projects_this_year",
            name_zh=f"{this_year}年为民项目",
            name_en=f"Projects published in {this_year}",
            value=projects_now,
            unit_zh="个",
        ),
        Figure(
            key="projects_last_year",
            name_zh=f"{last_year}年为民项目",
            name_en=f"Projects published in {last_year}",
            value=projects_before,
            unit_zh="个",
        ),
        Figure(
            key="projects_growth",
            name_zh="项目数同比增长",
            name_en="Projects, year on year",
            value=_growth(projects_now, projects_before),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="money_committed",
            name_zh="认领资金",
            name_en="Money committed",
            value=_wan(committed_total),
            unit_zh="万元",
            unit_en="10k yuan",
        ),
        Figure(
            key="money_delivered",
            name_zh="到位资金",
            name_en="Money delivered",
            value=_wan(delivered_total),
            unit_zh="万元",
            unit_en="10k yuan",
        ),
        Figure(
            key="material_value",
            name_zh="认领物资折价",
            name_en="Material committed (estimated value)",
            value=_wan(material_total),
            unit_zh="万元",
            unit_en="10k yuan",
        ),
        Figure(
            key="money_this_year",
            name_zh=f"{this_year}年认领资金",
            name_en=f"Money committed in {this_year}",
            value=_wan(money_now),
            unit_zh="万元",
            unit_en="10k yuan",
        ),
        Figure(
            key="money_last_year",
            name_zh=f"{last_year}年认领资金",
            name_en=f"Money committed in {last_year}",
            value=_wan(money_before),
            unit_zh="万元",
            unit_en="10k yuan",
        ),
        Figure(
            key="money_growth",
            name_zh="认领资金同比增长",
            name_en="Money committed, year on year",
            value=_growth(money_now, money_before),
            unit_zh="%",
            unit_en="%",
        ),
        Figure(
            key="satisfaction",
            name_zh="群众满意度（平均星级）",
            name_en="Residents' satisfaction (average stars)",
            value=round(float(average), 2) if average is not None else 0.0,
            unit_zh="星",
            unit_en="stars",
        ),
        Figure(
            key="evaluations",
            name_zh="群众评议",
            name_en="Residents' evaluations",
            value=int(evaluations or 0),
            unit_zh="条",
        ),
    ]
    return result


async def map_features(session: AsyncSession, node: OrgNode) -> list[MapFeature]:
    """Published projects with a place, in the subtree at ``node``."""
    owner = aliased(OrgNode, name="project_org")
    rows = await session.scalars(
        select(Project)
        .join(owner, (owner.tenant_id == Project.tenant_id) & (owner.id == Project.org_node_id))
        .where(
            in_subtree(owner.path, node.path),
            Project.longitude.is_not(None),
            Project.latitude.is_not(None),
            Project.status.not_in(("draft", "cancelled")),
        )
        .order_by(Project.id)
    )
    features = []
    for p in rows:
        assert p.longitude is not None and p.latitude is not None
        features.append(
            MapFeature(
                key=str(p.id),
                name=p.title,
                kind="people_project",
                longitude=p.longitude,
                latitude=p.latitude,
                org_node_id=p.org_node_id,
                properties={
                    "status": p.status,
                    "place": p.place,
                    "category": p.category,
                    "committed_fen": p.committed_fen,
                    "progress_percent": p.progress_percent,
                },
            )
        )
    return features
