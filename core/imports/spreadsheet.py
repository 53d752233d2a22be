"""Reading uploaded spreadsheets (.xlsx, .csv) into rows keyed by column, and the problem report.

A file is read in three steps: its kind is told from its first bytes (not
its name), its header row is bound to the known columns (an unknown or
missing column stops the import before any data row is read), then its
rows become ``{column key: value}`` with their sheet row numbers (the
header is row 1, as the spreadsheet program shows it).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import msgspec

from core.errors import FieldProblem, Invalid, PayloadTooLarge, ProblemError
from core.i18n import _

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_LISTED_PROBLEMS = 1000
# What a 10 MB workbook can honestly inflate to; beyond it the file is a zip bomb, not a roster.
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` as an import goes: stages ``validate`` then ``write``."""
PROGRESS_EVERY = 500


class UnsupportedFile(ProblemError):
    default_status = 415
    default_code = "unsupported_file"
    title = _("Unsupported file type")


class Column(msgspec.Struct, frozen=True):
    """A column a file may have: its key, the Chinese header exports write, and accepted alternates."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


def normalise_label(text: str) -> str:
    """The form headers and choice labels are compared in: no spaces, marks or case."""
    return re.sub(r"[\s*＊_\-]", "", text).lower()


class Table(msgspec.Struct, kw_only=True):
    """The rows of one file, each ``(sheet row number, {column key: value})``."""

    source: str | None
    columns: dict[str, str]
    labels: dict[str, str]
    rows: list[tuple[int, dict[str, Any]]]

    def column(self, key: str) -> str:
        """The header of ``key`` as the file wrote it, or its label if the file lacks the column."""
        return self.columns.get(key) or self.labels.get(key, key)


class ImportReport(msgspec.Struct, kw_only=True):
    """What an accepted import did (or, with ``dry_run``, would do)."""

    created: int
    dry_run: bool


class ImportRejected(Invalid):
    """A file with problems: nothing was written. ``errors`` lists at most MAX_LISTED_PROBLEMS."""

    def __init__(self, problems: Sequence[FieldProblem], count: int) -> None:
        super().__init__(
            _("Problems found in the file: {count}; nothing was imported."),
            code="import_rejected",
            errors=problems,
            count=count,
        )
        self.count = count

    def to_problem(self, locale: str | None = None, instance: str | None = None) -> dict[str, Any]:
        body = super().to_problem(locale, instance)
        body["error_count"] = self.count
        return body


class CellError(Exception):
    """A value that cannot be read as its column's type; becomes a row problem."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class Problems:
    """The problems of one import, each with its row and column; listing stops at the cap, counting does not."""

    def __init__(self, table: Table, renames: Mapping[str, str] | None = None) -> None:
        self.table = table
        self.renames = dict(renames or {})
        self.listed: list[FieldProblem] = []
        self.count = 0
        self._positions = {key: position for position, key in enumerate(table.labels)}
        self._places: list[tuple[int, int]] = []

    def add(
        self,
        row: int,
        key: str,
        code: str,
        message: str,
        params: Mapping[str, Any] | None = None,
        *,
        column: str | None = None,
        field: str | None = None,
    ) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_PROBLEMS:
            self._places.append((row, self._positions.get(key, -1)))
            self.listed.append(
                FieldProblem(
                    field or f"rows[{row}].{key}",
                    code,
                    message,
                    dict(params or {}),
                    row=row,
                    column=column or self.table.column(key),
                )
            )

    def add_cell(self, row: int, key: str, error: CellError) -> None:
        self.add(row, key, error.code, error.message, error.params)

    def add_errors(self, row: int, errors: Iterable[FieldProblem], *, skip: Iterable[str] = ()) -> None:
        """Problems raised by a service for ``rows[row].<field>``, filed under the field's column.

        ``skip`` names columns already reported unreadable: the service saw them as absent.
        """
        prefix = f"rows[{row}]."
        skipped = set(skip)
        for error in errors:
            key = error.field.removeprefix(prefix)
            key = self.renames.get(key, key)
            if key not in skipped:
                self.add(row, key, error.code, error.message, error.params)

    def raise_if_any(self) -> None:
        if self.count:
            order = sorted(range(len(self.listed)), key=self._places.__getitem__)
            raise ImportRejected([self.listed[i] for i in order], self.count)


def file_problem(code: str, message: str, **params: Any) -> Invalid:
    return Invalid(_("The file cannot be imported."), errors=[FieldProblem("file", code, message, params)])


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The file is too large."),
        errors=[
            FieldProblem(
                "file",
                "too_large",
                _("A file may be at most {mb} MB; split it into several files."),
                {"mb": MAX_FILE_BYTES // (1024 * 1024)},
            )
        ],
    )


def _unsupported(code: str = "file_type") -> UnsupportedFile:
    message = (
        _("Old .xls workbooks cannot be read; save the workbook as .xlsx (or .csv) and upload it again.")
        if code == "xls"
        else _("Upload an .xlsx workbook or a .csv file.")
    )
    return UnsupportedFile(
        _("The file is not a spreadsheet that can be imported."),
        errors=[FieldProblem("file", code, message)],
    )


def _unreadable() -> Invalid:
    return file_problem("unreadable", _("The workbook could not be read; open it, save it again and retry."))


# --- opening a file ----------------------------------------------------------------------------------

RawRows = Iterator[tuple[int, Sequence[Any]]]


def _xlsx_rows(data: bytes) -> RawRows:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _unsupported() from None
    if "xl/workbook.xml" not in names:
        raise _unsupported()
    if inflated > MAX_UNZIPPED_BYTES:
        raise too_large()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.active if hasattr(workbook.active, "iter_rows") else workbook.worksheets[0]
    except Exception:
        raise _unreadable() from None
    rows = sheet.iter_rows(values_only=True)
    number = 0
    try:
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception:
                raise _unreadable() from None
            number += 1
            yield number, cells
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise file_problem("encoding", _("The file's text encoding is damaged.")) from None
    if b"\x00" in data[:8192]:
        raise _unsupported()
    # Excel on Chinese Windows saves CSV in GB18030 (GBK); everything else in UTF-8.
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_problem("encoding", _("Save the file as UTF-8 or GB18030 (GBK) text."))


def _csv_rows(data: bytes) -> RawRows:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise file_problem(
                "csv_format", _("Line {line} is not valid CSV: {error}"), line=reader.line_num, error=str(exc)
            ) from None
        number += 1
        yield number, cells


def open_rows(data: bytes) -> RawRows:
    """The rows of the active sheet of an .xlsx, or of a .csv, told apart by content (not by name)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unsupported("xls")
    return _csv_rows(data)


# --- binding columns ---------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def read_table(
    data: bytes,
    filename: str | None,
    columns: Sequence[Column],
    *,
    renames: Mapping[str, str] | None = None,
) -> Table:
    """Read ``data`` into a ``Table`` of ``columns``; file and header problems raise before rows are read."""
    raw = open_rows(data)
    labels = {c.key: c.label for c in columns}
    lookup: dict[str, str] = {}
    for column in columns:
        for name in (column.label, column.key, *column.aliases):
            lookup[normalise_label(name)] = column.key
    header: Sequence[Any] = ()
    for _number, cells in raw:
        header = cells
        break
    table = Table(source=filename, columns={}, labels=labels, rows=[])
    problems = Problems(table, renames)
    if not any(_clean(c) is not None for c in header):
        raise file_problem("empty", _("The first row must hold the column headers; this file has none."))
    positions: list[tuple[int, str]] = []
    for index, cell in enumerate(header):
        written = _clean(cell)
        if written is None:
            continue
        written = str(written)
        key = lookup.get(normalise_label(written))
        if key is None:
            problems.add(
                1,
                "columns",
                "unknown_column",
                _("Unknown column {column}; the columns are: {known}."),
                {"column": written, "known": "、".join(c.label for c in columns)},
                column=written,
                field="columns",
            )
        elif key in table.columns:
            problems.add(
                1,
                "columns",
                "duplicate_column",
                _("The column {column} appears twice."),
                {"column": written},
                column=written,
                field="columns",
            )
        else:
            table.columns[key] = written
            positions.append((index, key))
    for column in columns:
        if column.required and column.key not in table.columns:
            problems.add(
                1,
                column.key,
                "missing_column",
                _("The column {column} is required."),
                {"column": column.label},
            )
    problems.raise_if_any()
    headed = {index for index, _key in positions}
    for number, cells in raw:
        values = [_clean(c) for c in cells]
        if all(v is None for v in values):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise file_problem(
                "too_many_rows",
                _("A file may hold at most {max} rows; split it into several files."),
                max=MAX_ROWS,
            )
        row = {key: values[index] if index < len(values) else None for index, key in positions}
        for index, value in enumerate(values):
            if value is not None and index not in headed:
                problems.add(
                    number,
                    "columns",
                    "no_header",
                    _("This cell is in a column without a header."),
                    column=_column_letter(index),
                    field=f"rows[{number}]",
                )
        table.rows.append((number, row))
    problems.raise_if_any()
    if not table.rows:
        raise file_problem("no_rows", _("The file has a header row but no data rows."))
    return table


# --- reading values ----------------------------------------------------------------------------------

_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
# Excel's serial day numbers from 1900-01-01 to 9999-12-31.
_EXCEL_SERIALS = (1, 2958466)


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and _EXCEL_SERIALS[0] <= value < _EXCEL_SERIALS[1]
    ):
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()  # type: ignore[no-any-return]
    text = as_text(value).strip()
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        raise CellError("date_format", _("Enter a date like 2020-01-02, 2020/1/2 or 2020年1月2日."))
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise CellError("date_invalid", _("There is no such date ({value})."), value=text) from None


class Choices:
    """The accepted spellings of an enumerated column: keys and Chinese (or English) labels."""

    def __init__(self, spellings: Mapping[str, Sequence[str]]) -> None:
        self.labels = {key: names[0] for key, names in spellings.items()}
        self.display = "、".join(self.labels.values())
        self.lookup: dict[str, str] = {}
        for key, names in spellings.items():
            for name in (key, *names):
                self.lookup[normalise_label(name)] = key

    def parse(self, value: Any) -> str:
        text = as_text(value)
        key = self.lookup.get(normalise_label(text))
        if key is None:
            raise CellError(
                "not_allowed", _("{value} is not one of: {allowed}."), value=text, allowed=self.display
            )
        return key

    def label(self, key: str | None) -> str | None:
        """The first (Chinese) spelling of ``key``, as exports write it."""
        return None if key is None else self.labels.get(key, key)


def convert(value: Any, type_: Any) -> Any:
    """``value`` checked against a schema field type (length, pattern, range) or a CellError."""
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        from core.web.problems import field_problem_from_msgspec

        problem = field_problem_from_msgspec(str(exc))
        raise CellError(problem.code, problem.message, **problem.params) from None
