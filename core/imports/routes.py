"""``/api/v1/people/import``, ``/api/v1/org/import`` and ``/api/v1/people/export``: spreadsheets in and out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.scope import Principal
from core.imports import orgs as org_import
from core.imports import people as people_import
from core.imports.spreadsheet import (
    MAX_FILE_BYTES,
    XLSX_MEDIA_TYPE,
    Column,
    ImportReport,
    Table,
    read_table,
    too_large,
)
from core.people.schemas import Category, PartyStatus
from core.web.deps import DB, CurrentPrincipal

# The multipart envelope around a file at the limit must still get through to the size check.
UPLOAD_LIMIT = MAX_FILE_BYTES + 64 * 1024

Importer = Callable[..., Awaitable[ImportReport]]


@dataclass
class SpreadsheetUpload:
    """A multipart form whose ``file`` is an .xlsx workbook or a .csv file (UTF-8 or GB18030)."""

    file: UploadFile


DryRun = Annotated[bool, QueryParameter(description="Check the file and report; write nothing")]
Upload = Annotated[SpreadsheetUpload, Body(media_type=RequestEncodingType.MULTI_PART)]


async def _run_import(
    db: AsyncSession,
    principal: Principal,
    upload: SpreadsheetUpload,
    columns: Sequence[Column],
    renames: dict[str, str],
    importer: Importer,
    dry_run: bool,
) -> ImportReport:
    try:
        content = await upload.file.read(MAX_FILE_BYTES + 1)
    finally:
        await upload.file.close()
    if len(content) > MAX_FILE_BYTES:
        raise too_large()
    # Parsing a large workbook takes a second or two: keep it off the event loop.
    table: Table = await asyncio.to_thread(
        read_table, content, upload.file.filename, columns, renames=renames
    )
    return await importer(db, principal, table, dry_run=dry_run)


class SpreadsheetController(Controller):
    path = "/"
    tags = ["spreadsheets"]

    @post(
        "/people/import",
        opt={"permission": "person.import"},
        status_code=200,
        request_max_body_size=UPLOAD_LIMIT,
        summary="Import people from an .xlsx or .csv file: every row or none; 422 lists each bad row and column",
    )
    async def import_people(
        self, db: DB, principal: CurrentPrincipal, data: Upload, dry_run: DryRun = False
    ) -> ImportReport:
        return await _run_import(
            db,
            principal,
            data,
            people_import.PERSON_COLUMNS,
            people_import.PERSON_RENAMES,
            people_import.import_people,
            dry_run,
        )

    @post(
        "/org/import",
        opt={"permission": "org.write"},
        status_code=200,
        request_max_body_size=UPLOAD_LIMIT,
        summary="Import organisations from an .xlsx or .csv file; a row may name a parent created by an earlier row",
    )
    async def import_org_nodes(
        self, db: DB, principal: CurrentPrincipal, data: Upload, dry_run: DryRun = False
    ) -> ImportReport:
        return await _run_import(
            db,
            principal,
            data,
            org_import.ORG_COLUMNS,
            org_import.ORG_RENAMES,
            org_import.import_org_nodes,
            dry_run,
        )

    @get(
        "/people/export",
        opt={"permission": "person.export"},
        media_type=XLSX_MEDIA_TYPE,
        summary="People in the caller's export scope as .xlsx, ID card numbers and phones masked (audited)",
    )
    async def export_people(
        self,
        db: DB,
        principal: CurrentPrincipal,
        node_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this node's subtree")] = None,
        party_status: Annotated[PartyStatus | None, QueryParameter()] = None,
        category: Annotated[Category | None, QueryParameter()] = None,
        include_archived: Annotated[bool, QueryParameter()] = False,
    ) -> Response[Any]:
        export = await people_import.export_people_xlsx(
            db,
            principal,
            node_id,
            people_import.ExportFilters(
                party_status=party_status, category=category, include_archived=include_archived
            ),
        )
        return Response(
            content=export.content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )


__all__ = ["SpreadsheetController"]
