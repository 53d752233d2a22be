"""``quanyu org``: import organisation nodes from a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def org() -> None:
    """The organisation tree of a district."""


@org.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tenant", "district", required=True, help="District slug or code.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
def import_command(file: Path, district: str, dry_run: bool) -> None:
    """Import organisations from an .xlsx or .csv FILE: every row, or none if any row has a problem.

    Columns: 上级组织 (parent: code or path of names), 类型 (kind), 名称 (name),
    and optionally 编码 (code), 地址 (address), 电话 (phone). A row may name as
    its parent an organisation created by an earlier row.
    """
    from core.cli import run_async
    from core.imports.cli import read_file, run_import
    from core.imports.orgs import ORG_COLUMNS, ORG_RENAMES, import_org_nodes

    table = read_file(file, ORG_COLUMNS, ORG_RENAMES)
    run_async(run_import)(table, district, dry_run, import_org_nodes, "organisations")
