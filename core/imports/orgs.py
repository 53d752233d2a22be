"""Organisation nodes from spreadsheets: a whole subtree in one all-or-nothing import.

Rows are taken in file order, so a row may name as its parent a node
created by an earlier row (by code or by path). Each row passes the rules
of ``POST /org/nodes``: kind, placement under the parent, attributes, a
code unique in the district and a name unique among its siblings.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.auth.scope import Principal, require
from core.errors import ProblemError
from core.i18n import _
from core.imports.nodes import NodeIndex, common_ancestor
from core.imports.spreadsheet import (
    PROGRESS_EVERY,
    CellError,
    Choices,
    Column,
    ImportReport,
    Problems,
    Progress,
    Table,
    as_text,
    convert,
)
from core.orgs import kinds
from core.orgs import services as org_services
from core.orgs.models import OrgNode, segment
from core.orgs.schemas import NodeCode, NodeName

ORG_COLUMNS: tuple[Column, ...] = (
    Column("parent", "上级组织", ("parent", "上级", "上级党组织"), required=True),
    Column("kind", "类型", ("kind", "type", "组织类型"), required=True),
    Column("name", "名称", ("name", "组织名称"), required=True),
    Column("code", "编码", ("code", "组织编码", "代码")),
    Column("address", "地址", ("address",)),
    Column("phone", "电话", ("phone", "联系电话")),
)
ORG_RENAMES = {"parent_id": "parent", "attrs.address": "address", "attrs.phone": "phone"}
ATTR_COLUMNS = ("address", "phone")


def kind_choices() -> Choices:
    """Kinds by key, Chinese or English name; built per import because plugins register kinds."""
    return Choices({k.key: (k.name_zh, k.name_en) for k in kinds.all_kinds()})


async def import_org_nodes(
    session: AsyncSession,
    principal: Principal,
    table: Table,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then create every node in the caller's transaction, or raise ``ImportRejected``."""
    require(principal, "org.write")
    index = await NodeIndex.load(session)
    problems = Problems(table, ORG_RENAMES)
    choices = kind_choices()
    created: list[OrgNode] = []
    # What rows with problems would have created, so their children are told why their parent is missing.
    failed_codes: dict[str, int] = {}
    failed_paths: dict[tuple[str, ...], int] = {}
    total = len(table.rows)
    for done, (row, values) in enumerate(table.rows, 1):
        prefix = f"rows[{row}]."
        before = problems.count
        for key in ("parent", "kind", "name"):
            if values.get(key) is None:
                problems.add(row, key, "missing", _("This field is required."))

        parent: OrgNode | None = None
        if values.get("parent") is not None:
            reference = as_text(values["parent"])
            parent = index.resolve(reference)
            if parent is None or not principal.can_at("org.write", parent.path):
                parent = None
                failed = failed_codes.get(reference.strip()) or failed_paths.get(index.split(reference))
                if failed is not None:
                    problems.add(
                        row,
                        "parent",
                        "parent_row_invalid",
                        _("The parent organisation is on row {row}, which has problems."),
                        {"row": failed},
                    )
                else:
                    problems.add(
                        row,
                        "parent",
                        "unknown_org",
                        _(
                            "No organisation {value} in your scope; give its code or its path of names below the district."
                        ),
                        {"value": reference},
                    )

        kind: kinds.NodeKind | None = None
        if values.get("kind") is not None:
            try:
                kind = org_services.validate_kind(choices.parse(values["kind"]), prefix + "kind")
            except CellError as exc:
                problems.add_cell(row, "kind", exc)
            except ProblemError as exc:
                problems.add_errors(row, exc.errors)

        name: str | None = None
        if values.get("name") is not None:
            try:
                name = " ".join(convert(as_text(values["name"]), NodeName).split())
            except CellError as exc:
                problems.add_cell(row, "name", exc)

        code: str | None = None
        if values.get("code") is not None:
            try:
                code = convert(as_text(values["code"]), NodeCode)
            except CellError as exc:
                if exc.code == "wrong_type":
                    # msgspec's wording names the regular expression; say which characters are allowed.
                    exc = CellError("invalid", _("A code may hold only letters, digits and . _ -."))
                problems.add_cell(row, "code", exc)
            if code is not None and code in index.by_code:
                problems.add(
                    row,
                    "code",
                    "duplicate",
                    _("Another organisation already has the code {code}."),
                    {"code": code},
                )

        attrs: dict[str, Any] = {}
        if kind is not None:
            raw = {key: as_text(values[key]) for key in ATTR_COLUMNS if values.get(key) is not None}
            try:
                attrs = org_services.validate_attrs(kind, raw)
            except ProblemError as exc:
                problems.add_errors(row, exc.errors)

        if parent is not None and kind is not None:
            try:
                org_services.validate_placement(kind, parent, prefix + "parent")
            except ProblemError as exc:
                problems.add_errors(row, exc.errors)
        if parent is not None and name is not None and (parent.id, name) in index.children_names:
            problems.add(
                row,
                "name",
                "duplicate",
                _("A sibling organisation is already named {name}."),
                {"name": name},
            )

        if problems.count > before or parent is None or kind is None or name is None:
            if code is not None:
                failed_codes.setdefault(code, row)
            if parent is not None and name is not None:
                failed_paths.setdefault((*index.names(parent), name), row)
        else:
            node = OrgNode(
                tenant_id=principal.tenant_id,
                kind=kind.key,
                name=name,
                code=code,
                parent_id=parent.id,
                depth=parent.depth + 1,
                attrs=attrs,
            )
            node.path = parent.path + segment(node.id)
            index.add(node)
            created.append(node)
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress("validate", done, total)
        if done % PROGRESS_EVERY == 0:
            await asyncio.sleep(0)
    problems.raise_if_any()
    if dry_run:
        return ImportReport(created=len(created), dry_run=True)
    # Parents precede their children in the list, and the flush inserts in that order.
    session.add_all(created)
    await session.flush()
    for node in created:
        await audit.record(
            session,
            "org.create",
            object_type="org_node",
            object_id=node.id,
            org_node_id=node.id,
            changes=audit.diff({}, org_services.snapshot(node)),
            detail=table.source,
        )
    if progress is not None:
        progress("write", len(created), len(created))
    await audit.record(
        session,
        "org.import",
        object_type="org_node",
        org_node_id=common_ancestor([n.path for n in created]),
        changes={"count": len(created)},
        detail=table.source,
    )
    return ImportReport(created=len(created), dry_run=False)
