"""What the ``people`` and ``org`` commands share: the operator's principal, progress and the report table.

An operator at the command line acts for the whole district: the commands
build a principal holding every permission at the district node, so the
imports run through exactly the checks a web user's would, scope included.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from core.auth.scope import Grant, Principal
from core.errors import ProblemError
from core.imports import spreadsheet
from core.imports.spreadsheet import MAX_FILE_BYTES, Column, ImportRejected, ImportReport, Table, read_table

OPERATOR_USER_ID = uuid.UUID(int=0)
STAGES = {"validate": "检查 checking", "write": "写入 writing"}


def _operator_name() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def operator_principal(tenant: Any, root: Any) -> Principal:
    """A principal holding every permission at the district node, recorded in the audit log as ``cli:<user>``."""
    from core.auth.permissions import all_permissions

    return Principal(
        user_id=OPERATOR_USER_ID,
        tenant_id=tenant.id,
        tenant_slug=tenant.slug,
        username=_operator_name(),
        display_name="命令行",
        grants=(
            Grant(
                role_key="operator",
                permissions=frozenset(p.key for p in all_permissions()),
                node_id=root.id,
                path=root.path,
            ),
        ),
    )


@asynccontextmanager
async def operator_session(district: str) -> AsyncIterator[tuple[Any, Principal]]:
    """A transaction of ``district`` with the operator's principal (committed unless the block raises)."""
    from core.cli import _find, _require_schema
    from core.context import RequestContext, set_context
    from core.db.session import get_database
    from core.tenancy.service import root_node

    await _require_schema()
    database = get_database()
    async with database.system_transaction() as lookup:
        tenant = await _find(lookup, district)
    async with database.transaction(tenant.id) as session:
        principal = operator_principal(tenant, await root_node(session, tenant.id))
        set_context(RequestContext(principal=principal))
        yield session, principal


@contextmanager
def progress_bar(console: Console) -> Iterator[spreadsheet.Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def print_problems(console: Console, rejected: ImportRejected) -> None:
    table = RichTable(title="导入未执行 nothing was imported", show_lines=False)
    table.add_column("行 row", justify="right", no_wrap=True)
    table.add_column("列 column", no_wrap=True)
    table.add_column("问题 problem", overflow="fold")
    for problem in rejected.errors:
        rendered = problem.render()
        table.add_row(
            str(problem.row) if problem.row is not None else "",
            problem.column or problem.field,
            rendered["message"],
        )
    console.print(table)
    hidden = rejected.count - len(rejected.errors)
    if hidden > 0:
        console.print(f"… and {hidden} more problems not listed")


def read_file(path: Path, columns: Sequence[Column], renames: dict[str, str]) -> Table:
    """The rows of the file at ``path``; file and header problems are printed and exit 1."""
    from core.cli import fail

    console = Console()
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise fail(
                f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into several files"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return read_table(data, path.name, columns, renames=renames)
    except ImportRejected as exc:
        print_problems(console, exc)
        raise fail(f"nothing was imported: {exc.count} problems in {path.name}") from None
    except ProblemError as exc:
        raise fail(exc.cli_message("en")) from None


async def run_import(table: Table, district: str, dry_run: bool, importer: Any, noun: str) -> None:
    """Check and (unless ``dry_run``) write a file's rows; on problems print them and exit 1, writing nothing."""
    from core.cli import fail

    console = Console()
    try:
        async with operator_session(district) as (session, principal):
            with progress_bar(console) as progress:
                report: ImportReport = await importer(
                    session, principal, table, dry_run=dry_run, progress=progress
                )
    except ImportRejected as exc:
        print_problems(console, exc)
        raise fail(f"nothing was imported: {exc.count} problems in {table.source}") from None
    except ProblemError as exc:
        raise fail(exc.cli_message("en")) from None
    if report.dry_run:
        click.echo(
            f"dry run: all {report.created} rows are valid; {noun} would be created, nothing was written"
        )
    else:
        click.echo(f"imported {report.created} {noun} from {table.source}")
