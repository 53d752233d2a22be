"""``quanyu people``: import people from a spreadsheet, export them masked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click


@click.group()
def people() -> None:
    """People of a district: spreadsheet import and export."""


@people.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tenant", "district", required=True, help="District slug or code.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_command(file: Path, district: str, dry_run: bool) -> None:
    """Import people from an .xlsx or .csv FILE: every row, or none if any row has a problem."""
    from core.cli import run_async
    from core.imports.cli import read_file, run_import
    from core.imports.people import PERSON_COLUMNS, PERSON_RENAMES, import_people

    table = read_file(file, PERSON_COLUMNS, PERSON_RENAMES)
    run_async(run_import)(table, district, dry_run, import_people, "people")


@people.command("export")
@click.option("--tenant", "district", required=True, help="District slug or code.")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help=".xlsx to write."
)
@click.option("--node", help="Only this organisation's subtree: its code or its path of names.")
def export_command(district: str, out: Path, node: str | None) -> None:
    """Export people to an .xlsx, ID card numbers and phones masked (audited)."""
    from core.cli import run_async

    run_async(_export)(district, out, node)


async def _export(district: str, out: Path, node: str | None) -> None:
    from core.cli import fail
    from core.imports.cli import operator_session
    from core.imports.nodes import NodeIndex
    from core.imports.people import export_people_xlsx

    async with operator_session(district) as (session, principal):
        node_id = None
        if node is not None:
            found = (await NodeIndex.load(session)).resolve(node)
            if found is None:
                raise fail(f"no organisation {node!r} in district {district}")
            node_id = found.id
        export = await export_people_xlsx(session, principal, node_id)
        try:
            await asyncio.to_thread(out.write_bytes, export.content)
        except OSError as exc:
            raise fail(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"exported {export.count} people to {out} (ID card numbers and phones masked)")
