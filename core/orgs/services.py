"""Rules of the organisation tree: create, change, move, archive, read, and size warnings."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from typing import Any

import msgspec
from sqlalchemy import Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.auth.scope import Principal, node_in_scope, scoped_select
from core.errors import Conflict, FieldProblem, Invalid, invalid_field
from core.i18n import _, current_locale, translate
from core.jobs.service import publish
from core.orgs import kinds
from core.orgs.models import OrgNode, in_subtree, path_ids, segment
from core.orgs.schemas import KindOut, NodeCreate, NodeMove, NodeOut, NodeUpdate, NodeWarning
from core.tenancy.models import Tenant
from core.tenancy.settings import OrgThresholds, parse_tenant_settings

FIELDS_AUDITED = ("kind", "name", "code", "attrs", "parent_id")


def kind_name(key: str, locale: str | None = None) -> str:
    try:
        kind = kinds.get_kind(key)
    except kinds.UnknownKind:
        return key
    return kind.name_en if (locale or current_locale()) == "en" else kind.name_zh


def node_out(node: OrgNode, warnings: list[NodeWarning] | None = None) -> NodeOut:
    return NodeOut(
        id=node.id,
        kind=node.kind,
        kind_name=kind_name(node.kind),
        name=node.name,
        code=node.code,
        parent_id=node.parent_id,
        depth=node.depth,
        attrs=node.attrs or {},
        archived_at=node.archived_at,
        created_at=node.created_at,
        updated_at=node.updated_at,
        warnings=warnings,
    )


def kind_out(kind: kinds.NodeKind) -> KindOut:
    return KindOut(
        key=kind.key,
        name=kind.name_en if current_locale() == "en" else kind.name_zh,
        name_zh=kind.name_zh,
        name_en=kind.name_en,
        parents=sorted(kind.parents),
        party=kind.party,
        holds_members=kind.holds_members,
    )


def snapshot(node: OrgNode) -> dict[str, Any]:
    return {f: getattr(node, f) for f in FIELDS_AUDITED}


def _clean_name(name: str, field: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise invalid_field(field, _("This field is required."), code="missing")
    # PostgreSQL refuses NUL in text; refuse every control character on both databases alike.
    if any(unicodedata.category(c) == "Cc" for c in cleaned):
        raise invalid_field(field, _("This value is not valid."), code="control_characters")
    return cleaned


def validate_kind(kind_key: str, field: str = "kind") -> kinds.NodeKind:
    try:
        kind = kinds.get_kind(kind_key)
    except kinds.UnknownKind:
        raise invalid_field(
            field, _("Unknown organisation kind {kind}."), code="unknown_kind", kind=kind_key
        ) from None
    if kind.key == kinds.ROOT_KIND:
        raise invalid_field(
            field, _("A district node is created only with the district itself."), code="root_kind"
        )
    return kind


def validate_placement(kind: kinds.NodeKind, parent: OrgNode, field: str = "parent_id") -> None:
    if parent.archived_at is not None:
        raise invalid_field(field, _("The parent organisation is archived."), code="parent_archived")
    if parent.kind not in kind.parents:
        raise invalid_field(
            field,
            _("A {kind} cannot be placed under a {parent}; allowed parents: {allowed}."),
            code="parent_kind_not_allowed",
            kind=kind_name(kind.key),
            parent=kind_name(parent.kind),
            allowed="、".join(kind_name(k) for k in sorted(kind.parents)),
        )


def validate_attrs(kind: kinds.NodeKind, attrs: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = msgspec.convert(attrs, kind.attrs)
    except msgspec.ValidationError as exc:
        from core.web.problems import field_problem_from_msgspec

        problem = field_problem_from_msgspec(str(exc))
        raise Invalid(
            _("The input is not valid."),
            errors=[
                FieldProblem(
                    f"attrs.{problem.field}".rstrip("."), problem.code, problem.message, problem.params
                )
            ],
        ) from None
    return msgspec.to_builtins(parsed)  # type: ignore[no-any-return]


async def _check_unique(
    session: AsyncSession,
    *,
    parent_id: uuid.UUID | None,
    name: str,
    code: str | None,
    exclude: uuid.UUID | None,
) -> None:
    if code is not None:
        stmt = select(OrgNode.id).where(OrgNode.code == code)
        if exclude is not None:
            stmt = stmt.where(OrgNode.id != exclude)
        if (await session.scalars(stmt)).first() is not None:
            raise Conflict(
                _("The input conflicts with existing data."),
                errors=[
                    FieldProblem(
                        "code",
                        "duplicate",
                        _("Another organisation already has the code {code}."),
                        {"code": code},
                    )
                ],
            )
    stmt = select(OrgNode.id).where(
        OrgNode.parent_id == parent_id, OrgNode.name == name, OrgNode.archived_at.is_(None)
    )
    if exclude is not None:
        stmt = stmt.where(OrgNode.id != exclude)
    if (await session.scalars(stmt)).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "name", "duplicate", _("A sibling organisation is already named {name}."), {"name": name}
                )
            ],
        )


async def create_root(session: AsyncSession, tenant: Tenant) -> OrgNode:
    """The district node, created with the tenant."""
    node = OrgNode(tenant_id=tenant.id, kind=kinds.ROOT_KIND, name=tenant.name_zh, code=tenant.code, depth=0)
    node.path = segment(node.id)
    session.add(node)
    await session.flush()
    return node


async def create_node(session: AsyncSession, principal: Principal, data: NodeCreate) -> OrgNode:
    parent = await node_in_scope(session, principal, data.parent_id, "org.write")
    return await add_node(session, parent, data.kind, data.name, code=data.code, attrs=data.attrs)


async def add_node(
    session: AsyncSession,
    parent: OrgNode,
    kind_key: str,
    name: str,
    *,
    code: str | None = None,
    attrs: dict[str, Any] | None = None,
) -> OrgNode:
    """Create an organisation under ``parent`` with every rule of the tree (kind, placement, attributes,
    unique name and code among siblings), audited and published as ``org.created``.

    The caller has authorised the write (a route with ``node_in_scope``, a job, demo data).
    """
    kind = validate_kind(kind_key)
    validate_placement(kind, parent)
    clean = _clean_name(name)
    checked = validate_attrs(kind, attrs or {})
    await _check_unique(session, parent_id=parent.id, name=clean, code=code, exclude=None)
    node = OrgNode(
        kind=kind.key, name=clean, code=code, parent_id=parent.id, attrs=checked, depth=parent.depth + 1
    )
    node.path = parent.path + segment(node.id)
    session.add(node)
    await session.flush()
    await audit.record(
        session,
        "org.create",
        object_type="org_node",
        object_id=node.id,
        org_node_id=node.id,
        changes=audit.diff({}, snapshot(node)),
    )
    await publish(session, "org.created", {"org_node_id": str(node.id), "kind": node.kind})
    return node


async def update_node(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, data: NodeUpdate
) -> OrgNode:
    node = await node_in_scope(session, principal, node_id, "org.write")
    if node.archived_at is not None:
        raise Conflict(_("The organisation is archived; it cannot be changed."), code="archived")
    before = snapshot(node)
    kind = kinds.get_kind(node.kind) if node.kind in {k.key for k in kinds.all_kinds()} else None
    if data.kind is not msgspec.UNSET and data.kind != node.kind:
        if node.parent_id is None:
            raise invalid_field("kind", _("The kind of the district node cannot change."), code="root_kind")
        kind = validate_kind(data.kind)
        parent = await session.get(OrgNode, (node.tenant_id, node.parent_id))
        assert parent is not None
        validate_placement(kind, parent, field="kind")
        children_kinds = set(
            await session.scalars(
                select(OrgNode.kind)
                .where(OrgNode.parent_id == node.id, OrgNode.archived_at.is_(None))
                .distinct()
            )
        )
        for child_kind in children_kinds:
            if kind.key not in kinds.get_kind(child_kind).parents:
                raise invalid_field(
                    "kind",
                    _("Its {child} children could not stay under a {kind}."),
                    code="children_not_allowed",
                    child=kind_name(child_kind),
                    kind=kind_name(kind.key),
                )
        node.kind = kind.key
    if kind is None:
        kind = validate_kind(node.kind)
    name = _clean_name(data.name) if data.name is not msgspec.UNSET else node.name
    code = data.code if data.code is not msgspec.UNSET else node.code
    if node.parent_id is None and code != node.code:
        raise invalid_field("code", _("The district node keeps the administrative code."), code="root_code")
    if name != node.name or code != node.code:
        await _check_unique(
            session,
            parent_id=node.parent_id,
            name=name,
            code=code if code != node.code else None,
            exclude=node.id,
        )
    node.name, node.code = name, code
    if data.attrs is not msgspec.UNSET:
        node.attrs = validate_attrs(kind, data.attrs)
    changes = audit.diff(before, snapshot(node))
    if changes:
        await session.flush()
        await audit.record(
            session,
            "org.update",
            object_type="org_node",
            object_id=node.id,
            org_node_id=node.id,
            changes=changes,
        )
    return node


async def move_node(
    session: AsyncSession, principal: Principal, node_id: uuid.UUID, data: NodeMove
) -> OrgNode:
    """Move a node and its whole subtree under a new parent, in one transaction."""
    node = await node_in_scope(session, principal, node_id, "org.write")
    if node.parent_id is None:
        raise invalid_field("parent_id", _("The district node cannot be moved."), code="root_move")
    if node.archived_at is not None:
        raise Conflict(_("The organisation is archived; it cannot be changed."), code="archived")
    new_parent = await node_in_scope(session, principal, data.parent_id, "org.write")
    if new_parent.path.startswith(node.path):
        raise invalid_field(
            "parent_id", _("An organisation cannot be moved under itself or its own subtree."), code="cycle"
        )
    if new_parent.id == node.parent_id:
        return node
    validate_placement(kinds.get_kind(node.kind), new_parent)
    await _check_unique(session, parent_id=new_parent.id, name=node.name, code=None, exclude=node.id)
    old_path, old_parent = node.path, node.parent_id
    new_path = new_parent.path + segment(node.id)
    depth_shift = new_parent.depth + 1 - node.depth
    await session.execute(
        update(OrgNode)
        .where(in_subtree(OrgNode.path, old_path))
        .values(
            path=new_path + func.substr(OrgNode.path, len(old_path) + 1),
            depth=OrgNode.depth + depth_shift,
            parent_id=case((OrgNode.id == node.id, new_parent.id), else_=OrgNode.parent_id),
            updated_at=dt.datetime.now(dt.UTC),
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(node)
    await audit.record(
        session,
        "org.move",
        object_type="org_node",
        object_id=node.id,
        org_node_id=node.id,
        changes={"parent_id": [str(old_parent), str(new_parent.id)]},
    )
    await publish(
        session, "org.moved", {"org_node_id": str(node.id), "from": str(old_parent), "to": str(new_parent.id)}
    )
    return node


async def archive_node(session: AsyncSession, principal: Principal, node_id: uuid.UUID) -> OrgNode:
    node = await node_in_scope(session, principal, node_id, "org.write")
    if node.parent_id is None:
        raise Conflict(_("The district node cannot be archived."), code="root_archive")
    if node.archived_at is not None:
        return node
    active_children = await session.scalar(
        select(func.count())
        .select_from(OrgNode)
        .where(OrgNode.parent_id == node.id, OrgNode.archived_at.is_(None))
    )
    if active_children:
        raise Conflict(
            _("Archive or move its {count} sub-organisations first."),
            code="has_children",
            count=active_children,
        )
    from core.people.models import Person

    members = await session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.org_node_id == node.id, Person.archived_at.is_(None))
    )
    if members:
        raise Conflict(
            _("Move its {count} people to another organisation first."), code="has_people", count=members
        )
    node.archived_at = dt.datetime.now(dt.UTC)
    await session.flush()
    await audit.record(session, "org.archive", object_type="org_node", object_id=node.id, org_node_id=node.id)
    return node


def subtree_select(
    principal: Principal,
    root: OrgNode,
    *,
    kind: str | None = None,
    include_archived: bool = False,
    q: str | None = None,
) -> Select[tuple[OrgNode]]:
    if principal.can_at("org.read", root.path):
        # Scopes are whole subtrees, so everything under an in-scope root is in scope; a second range
        # predicate (the scope's, wider) would let the planner scan the scope instead of the subtree.
        stmt = select(OrgNode).where(in_subtree(OrgNode.path, root.path))
    else:
        stmt = scoped_select(OrgNode, principal, "org.read").where(in_subtree(OrgNode.path, root.path))
    if kind:
        stmt = stmt.where(OrgNode.kind == kind)
    if not include_archived:
        stmt = stmt.where(OrgNode.archived_at.is_(None))
    if q:
        stmt = stmt.where(OrgNode.name.contains(q, autoescape=True))
    return stmt.order_by(OrgNode.path)


async def ancestors(session: AsyncSession, node: OrgNode) -> list[OrgNode]:
    """The organisations above ``node``, the district first and its parent last."""
    ids = path_ids(node.path)[:-1]
    if not ids:
        return []
    rows = {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


async def scope_roots(session: AsyncSession, principal: Principal) -> list[OrgNode]:
    node_ids = {g.node_id for g in principal.grants if g.path in principal.scope_paths("org.read")}
    if not node_ids:
        return []
    return list(await session.scalars(select(OrgNode).where(OrgNode.id.in_(node_ids)).order_by(OrgNode.path)))


BRANCH_LEVEL_KINDS = ("branch", "general_branch", "group", "joint_committee")


def term_years(kind_key: str, limits: OrgThresholds) -> int:
    """A committee's term: the district's setting for communities and branches, else the kind's own."""
    if kind_key in ("community", "village"):
        return limits.community_term_years
    if kind_key in BRANCH_LEVEL_KINDS:
        return limits.other_term_years
    try:
        declared = kinds.get_kind(kind_key).term_years
    except kinds.UnknownKind:
        declared = None
    return declared or limits.other_term_years


async def warnings_for(session: AsyncSession, node: OrgNode) -> list[NodeWarning]:
    """Size and term rules broken by this node (MECHANISMS.md), as warnings."""
    from core.people.models import Person

    tenant = await session.get(Tenant, node.tenant_id)
    limits: OrgThresholds = parse_tenant_settings(tenant.settings if tenant else None).org_thresholds
    found: list[tuple[str, str, dict[str, Any]]] = []
    if node.kind in ("branch", "general_branch", "party_committee"):
        member_filter = (
            Person.org_node_id == node.id
            if node.kind == "branch"
            else Person.org_node_id.in_(select(OrgNode.id).where(in_subtree(OrgNode.path, node.path)))
        )
        counts = (
            await session.execute(
                select(
                    func.count().filter(Person.party_status.in_(("full", "probationary"))),
                    func.count().filter(Person.party_status == "full"),
                ).where(member_filter, Person.archived_at.is_(None))
            )
        ).one()
        members, full = int(counts[0]), int(counts[1])
        if node.kind == "branch":
            if full < limits.branch_min_full_members:
                found.append(
                    (
                        "branch_too_few_full_members",
                        _("A branch needs at least {min} full members; it has {n}."),
                        {"min": limits.branch_min_full_members, "n": full},
                    )
                )
            if members > limits.branch_max_members:
                found.append(
                    (
                        "branch_too_large",
                        _(
                            "A branch generally has at most {max} members; it has {n}. Consider a general branch."
                        ),
                        {"max": limits.branch_max_members, "n": members},
                    )
                )
        elif node.kind == "general_branch":
            if members < limits.general_branch_min_members or members > limits.general_branch_max_members:
                found.append(
                    (
                        "general_branch_size",
                        _("A general branch is for {min}–{max} members; it has {n}."),
                        {
                            "min": limits.general_branch_min_members,
                            "max": limits.general_branch_max_members,
                            "n": members,
                        },
                    )
                )
        elif members < limits.party_committee_min_members:
            found.append(
                (
                    "party_committee_too_small",
                    _("A party committee is for {min} or more members; it has {n}."),
                    {"min": limits.party_committee_min_members, "n": members},
                )
            )
    units = (node.attrs or {}).get("joint_unit_count")
    if node.kind == "branch" and isinstance(units, int) and units > limits.joint_branch_max_units:
        found.append(
            (
                "joint_branch_too_many_units",
                _("A joint branch covers at most {max} units; it covers {n}."),
                {"max": limits.joint_branch_max_units, "n": units},
            )
        )
    term_started = (node.attrs or {}).get("term_started_on")
    if term_started:
        years = term_years(node.kind, limits)
        started = dt.date.fromisoformat(term_started)
        due = (
            started.replace(year=started.year + years)
            if not (started.month == 2 and started.day == 29)
            else dt.date(started.year + years, 3, 1)
        )
        if due <= dt.date.today():
            found.append(
                (
                    "term_expired",
                    _("The committee's {years}-year term ended on {due}; an election is due."),
                    {"years": years, "due": due.isoformat()},
                )
            )
    return [
        NodeWarning(code=code, message=translate(message, None, **params)) for code, message, params in found
    ]


def all_kind_outs() -> list[KindOut]:
    return [kind_out(k) for k in kinds.all_kinds()]
