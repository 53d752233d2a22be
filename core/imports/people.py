"""People to and from spreadsheets: the all-or-nothing import and the masked export.

Each row goes through the same rules as ``POST /people`` (``new_person``);
what the API does with one query per person (the node, the duplicate
check) is done here once per file, so a district-sized file is checked
in seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.auth.scope import Principal, node_in_scope, require, scope_predicate
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
    as_date,
    as_text,
    convert,
)
from core.orgs import kinds
from core.orgs.models import OrgNode, in_subtree
from core.people import services
from core.people.models import Person
from core.people.schemas import (
    AddressText,
    IdCardText,
    PersonCreate,
    PersonName,
    PhoneText,
    ShortText,
    UnitText,
)
from core.people.validation import check_id_card

PERSON_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", ("name", "名字"), required=True),
    Column("gender", "性别", ("gender", "sex")),
    Column("ethnicity", "民族", ("ethnicity", "nation")),
    Column("id_card", "身份证号", ("id_card", "身份证", "身份证号码", "公民身份号码"), required=True),
    Column("phone", "手机", ("phone", "mobile", "手机号", "手机号码", "联系电话", "电话")),
    Column("education", "学历", ("education",)),
    Column("party_status", "政治面貌", ("party_status",)),
    Column("joined_on", "入党日期", ("joined_on", "入党时间")),
    Column("full_member_on", "转正日期", ("full_member_on", "转正时间")),
    Column("category", "人员类别", ("category", "类别")),
    Column("work_unit", "工作单位", ("work_unit", "单位")),
    Column("address", "住址", ("address", "地址", "家庭住址", "现住址")),
    Column("org", "所在组织", ("org", "organisation", "organization", "所在党组织", "组织")),
)
# Problems the person rules raise under request-body names, filed under the spreadsheet's column.
PERSON_RENAMES = {"org_node_id": "org"}

GENDERS = Choices({"male": ("男", "男性", "m"), "female": ("女", "女性", "f")})
EDUCATIONS = Choices(
    {
        "primary": ("小学",),
        "junior_secondary": ("初中", "初级中学"),
        "senior_secondary": ("高中", "高级中学"),
        "vocational": ("中专", "中职", "职高", "技校", "中等专科"),
        "associate": ("大学专科", "大专", "专科", "高职"),
        "bachelor": ("大学本科", "本科"),
        "master": ("硕士研究生", "硕士", "研究生"),
        "doctorate": ("博士研究生", "博士"),
    }
)
PARTY_STATUSES = Choices(
    {
        "full": ("中共党员", "党员", "正式党员"),
        "probationary": ("中共预备党员", "预备党员"),
        "none": ("群众", "其他", "非党员", "无", "共青团员", "团员", "民主党派", "无党派人士"),
    }
)
CATEGORIES = Choices(
    {
        "in_service": ("在职", "在职人员", "在职党员"),
        "retired": ("退休", "离退休", "退休人员", "退休党员"),
        "mobile": ("流动", "流动人员", "流动党员"),
        "resident": ("居民", "社区居民"),
    }
)

BATCH = 1000


def _id_card_text(value: Any) -> str:
    # Excel shows an 18-digit number as 3.21111E+17 and keeps 15 digits: the number is already lost.
    if isinstance(value, float) or (isinstance(value, str) and "E+" in value.upper()):
        raise CellError(
            "number_cell",
            _(
                "The ID card number was saved as a number, which loses digits; "
                "format the column as text and enter it again."
            ),
        )
    return convert(as_text(value), IdCardText)  # type: ignore[no-any-return]


def _text(type_: Any) -> Callable[[Any], Any]:
    return lambda value: convert(as_text(value), type_)


READERS: dict[str, Callable[[Any], Any]] = {
    "name": _text(PersonName),
    "gender": GENDERS.parse,
    "ethnicity": _text(ShortText),
    "id_card": _id_card_text,
    "phone": _text(PhoneText),
    "education": EDUCATIONS.parse,
    "party_status": PARTY_STATUSES.parse,
    "joined_on": as_date,
    "full_member_on": as_date,
    "category": CATEGORIES.parse,
    "work_unit": _text(UnitText),
    "address": _text(AddressText),
}
# Required besides the organisation, which is resolved apart.
REQUIRED_FIELDS = ("name", "id_card")


def _resolve_org(
    index: NodeIndex, principal: Principal, problems: Problems, row: int, value: Any
) -> OrgNode | None:
    if value is None:
        problems.add(row, "org", "missing", _("This field is required."))
        return None
    reference = as_text(value)
    node = index.resolve(reference)
    if node is None or not principal.can_at("person.import", node.path):
        problems.add(
            row,
            "org",
            "unknown_org",
            _(
                "No organisation {value} in your scope; give its code or its path of names below the district."
            ),
            {"value": reference},
        )
        return None
    if node.archived_at is not None:
        problems.add(row, "org", "archived", _("The organisation is archived."))
        return None
    return node


async def _registered(session: AsyncSession, indexes: list[str]) -> set[str]:
    """Which blind indexes already belong to someone in the district (one query per thousand)."""
    found: set[str] = set()
    for start in range(0, len(indexes), BATCH):
        chunk = indexes[start : start + BATCH]
        found.update(
            await session.scalars(select(Person.id_card_index).where(Person.id_card_index.in_(chunk)))
        )
    return found


async def import_people(
    session: AsyncSession,
    principal: Principal,
    table: Table,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then create everyone in the caller's transaction, or raise ``ImportRejected``.

    Each row's organisation must lie where the principal holds
    ``person.import``; an ID card number may appear once in the file and
    not already be registered in the district.
    """
    require(principal, "person.import")
    index = await NodeIndex.load(session)
    problems = Problems(table, PERSON_RENAMES)
    # Rows whose organisation cannot be resolved are still checked, as if placed in a branch, so
    # the report lists all of their problems at once.
    stand_in = OrgNode(id=uuid.UUID(int=0), kind=next(iter(sorted(kinds.member_kinds()))), name="", path="")
    first_row: dict[str, int] = {}
    card_rows: list[tuple[int, str]] = []
    people: list[tuple[int, Person]] = []
    total = len(table.rows)
    for done, (row, values) in enumerate(table.rows, 1):
        prefix = f"rows[{row}]."
        before = problems.count
        node = _resolve_org(index, principal, problems, row, values.get("org"))
        fields: dict[str, Any] = {}
        unreadable: set[str] = set()
        for key, read in READERS.items():
            value = values.get(key)
            if value is None:
                continue
            try:
                fields[key] = read(value)
            except CellError as exc:
                problems.add_cell(row, key, exc)
                unreadable.add(key)
        for key in REQUIRED_FIELDS:
            if values.get(key) is None:
                problems.add(row, key, "missing", _("This field is required."))
        person: Person | None = None
        if all(key in fields for key in REQUIRED_FIELDS):
            target = node or stand_in
            data = PersonCreate(org_node_id=target.id, **fields)
            try:
                person = services.new_person(principal.tenant_id, target, data, prefix=prefix)
                card_index = person.id_card_index
            except ProblemError as exc:
                problems.add_errors(row, exc.errors, skip=unreadable)
                try:
                    number = check_id_card(fields["id_card"]).number
                    card_index = services.id_card_index(principal.tenant_id, number)
                except ProblemError:
                    card_index = None
            if card_index is not None:
                card_rows.append((row, card_index))
                earlier = first_row.setdefault(card_index, row)
                if earlier != row:
                    problems.add(
                        row,
                        "id_card",
                        "duplicate_in_file",
                        _("The same ID card number is already on row {row}."),
                        {"row": earlier},
                    )
        if person is not None and problems.count == before:
            people.append((row, person))
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress("validate", done, total)
        if done % PROGRESS_EVERY == 0:
            # Checking is CPU work: let the server's other requests in now and then.
            await asyncio.sleep(0)
    registered = await _registered(session, list(first_row))
    for row, card_index in card_rows:
        if card_index in registered:
            problems.add(
                row, "id_card", "duplicate", _("A person with this ID card number is already registered.")
            )
    problems.raise_if_any()
    if dry_run:
        return ImportReport(created=len(people), dry_run=True)
    written = 0
    for start in range(0, len(people), BATCH):
        for _row, person in people[start : start + BATCH]:
            session.add(person)
            relation = services.opening_relation(person, reason="imported")
            if relation is not None:
                session.add(relation)
        await session.flush()
        written += len(people[start : start + BATCH])
        if progress is not None:
            progress("write", written, len(people))
    await audit.record(
        session,
        "person.import",
        object_type="person",
        org_node_id=common_ancestor([index.by_id[p.org_node_id].path for _row, p in people]),
        changes={"count": len(people)},
        detail=table.source,
    )
    return ImportReport(created=len(people), dry_run=False)


# --- export ------------------------------------------------------------------------------------------


class ExportFilters(msgspec.Struct, kw_only=True, frozen=True):
    party_status: str | None = None
    category: str | None = None
    include_archived: bool = False


class PeopleExport(msgspec.Struct, kw_only=True):
    content: bytes
    count: int
    filename: str


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        # A name like "=HYPERLINK(...)" must stay text, not become a formula in the reader's Excel.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


async def export_people_xlsx(
    session: AsyncSession,
    principal: Principal,
    node_id: uuid.UUID | None = None,
    filters: ExportFilters | None = None,
) -> PeopleExport:
    """An .xlsx of the people where the principal holds ``person.export``, masked, in tree order; audited."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from core.watermark import watermark_workbook

    require(principal, "person.export")
    filters = filters or ExportFilters()
    stmt = (
        select(Person)
        .join(OrgNode, and_(OrgNode.tenant_id == Person.tenant_id, OrgNode.id == Person.org_node_id))
        .where(scope_predicate(principal, "person.export", OrgNode.path))
    )
    node = None
    if node_id is not None:
        node = await node_in_scope(session, principal, node_id, "person.export")
        stmt = stmt.where(in_subtree(OrgNode.path, node.path))
    if filters.party_status:
        stmt = stmt.where(Person.party_status == filters.party_status)
    if filters.category:
        stmt = stmt.where(Person.category == filters.category)
    if not filters.include_archived:
        stmt = stmt.where(Person.archived_at.is_(None))
    index = await NodeIndex.load(session)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员")
    widths = {"name": 10, "id_card": 22, "phone": 15, "work_unit": 24, "address": 30, "org": 40}
    for position, column in enumerate(PERSON_COLUMNS):
        sheet.column_dimensions[get_column_letter(position + 1)].width = widths.get(column.key, 12)
    sheet.append([c.label for c in PERSON_COLUMNS])
    mark = watermark_workbook(workbook, principal.display_name, principal.username)
    count = 0
    today = dt.date.today()
    result = await session.stream_scalars(
        stmt.order_by(OrgNode.path, Person.name, Person.id).execution_options(yield_per=BATCH)
    )
    async for person in result:
        out = services.person_out(person, today=today)
        owner = index.by_id.get(person.org_node_id)
        values = {
            "name": out.name,
            "gender": GENDERS.label(out.gender),
            "ethnicity": out.ethnicity,
            "id_card": out.id_card_masked,
            "phone": out.phone_masked,
            "education": EDUCATIONS.label(out.education),
            "party_status": PARTY_STATUSES.label(out.party_status),
            "joined_on": out.joined_on,
            "full_member_on": out.full_member_on,
            "category": CATEGORIES.label(out.category),
            "work_unit": out.work_unit,
            "address": out.address,
            "org": index.label(owner) if owner is not None else None,
        }
        sheet.append([_cell(sheet, values[c.key]) for c in PERSON_COLUMNS])
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    await audit.record(
        session,
        "person.export",
        object_type="person",
        org_node_id=node.id if node is not None else None,
        changes={"count": count, "watermark": mark, **msgspec.to_builtins(filters)},
    )
    return PeopleExport(content=buffer.getvalue(), count=count, filename=f"people-{today:%Y%m%d}.xlsx")
