"""``/api/v1/attachments``: attach files to records, list, download (directly or by signed link), remove."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.params import Body, FromPath, QueryParameter
from sqlalchemy import select

from core.attachments import service
from core.attachments.models import Attachment
from core.db.session import get_database
from core.errors import not_found
from core.web.deps import DB, CurrentPrincipal
from core.web.schemas import Output

# The largest file a district may allow (AttachmentPolicy.max_megabytes) plus the multipart envelope.
UPLOAD_LIMIT = 200 * 1024 * 1024 + 64 * 1024


@dataclass
class AttachmentUpload:
    """A multipart form: the record (``owner`` kind and ``owner_id``) and the ``file``."""

    owner: str
    owner_id: uuid.UUID
    file: UploadFile


class AttachmentOut(Output):
    id: uuid.UUID
    owner: str
    owner_id: uuid.UUID
    org_node_id: uuid.UUID
    name: str
    content_type: str
    size: int
    uploaded_by: uuid.UUID | None
    created_at: dt.datetime


class LinkOut(Output):
    url: str
    expires_at: dt.datetime


def attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.id,
        owner=attachment.owner_type,
        owner_id=attachment.owner_id,
        org_node_id=attachment.org_node_id,
        name=attachment.name,
        content_type=attachment.content_type,
        size=attachment.size,
        uploaded_by=attachment.uploaded_by,
        created_at=attachment.created_at,
    )


def file_response(attachment: Attachment, data: bytes, *, thumbnail: bool = False) -> Response[bytes]:
    media_type = "image/jpeg" if thumbnail else attachment.content_type
    disposition = (
        "inline" if media_type.startswith("image/") or media_type == "application/pdf" else "attachment"
    )
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


class AttachmentController(Controller):
    path = "/attachments"
    tags = ["attachments"]

    @post(
        "/",
        request_max_body_size=UPLOAD_LIMIT,
        summary="Attach a file to a record (multipart: owner, owner_id, file); its type is sniffed from content",
    )
    async def upload(
        self,
        db: DB,
        principal: CurrentPrincipal,
        data: Annotated[AttachmentUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> AttachmentOut:
        try:
            content = await data.file.read()
        finally:
            await data.file.close()
        attachment = await service.attach(
            db, principal, data.owner, data.owner_id, data.file.filename, content
        )
        return attachment_out(attachment)

    @get("/", summary="The files of one record")
    async def list_attachments(
        self,
        db: DB,
        principal: CurrentPrincipal,
        owner: Annotated[
            str, QueryParameter(max_length=80, description="Kind of record, e.g. joint_committees.meeting")
        ],
        owner_id: Annotated[uuid.UUID, QueryParameter(description="The record")],
    ) -> list[AttachmentOut]:
        return [attachment_out(a) for a in await service.attachments_of(db, principal, owner, owner_id)]

    @get("/{attachment_id:uuid}", summary="One file's details")
    async def read(
        self, db: DB, principal: CurrentPrincipal, attachment_id: FromPath[uuid.UUID]
    ) -> AttachmentOut:
        return attachment_out(await service.readable(db, principal, attachment_id))

    @get(
        "/{attachment_id:uuid}/content",
        summary="Download a file",
        media_type="application/octet-stream",
        # Served as the type sniffed at upload (image/png, application/pdf, ...), not one fixed type.
        responses={200: ResponseSpec(bytes, description="The file's bytes", media_type="*/*")},
    )
    async def download(
        self, db: DB, principal: CurrentPrincipal, attachment_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        attachment = await service.readable(db, principal, attachment_id)
        return file_response(attachment, await service.content(db, attachment))

    @get("/{attachment_id:uuid}/thumbnail", summary="An image's thumbnail (JPEG)", media_type="image/jpeg")
    async def thumbnail(
        self, db: DB, principal: CurrentPrincipal, attachment_id: FromPath[uuid.UUID]
    ) -> Response[bytes]:
        attachment = await service.readable(db, principal, attachment_id)
        return file_response(
            attachment, await service.content(db, attachment, thumbnail_only=True), thumbnail=True
        )

    @post(
        "/{attachment_id:uuid}/link",
        status_code=200,
        summary="A time-limited download link (for the console)",
    )
    async def link(
        self,
        db: DB,
        principal: CurrentPrincipal,
        attachment_id: FromPath[uuid.UUID],
        thumbnail: Annotated[bool, QueryParameter(description="Link to the thumbnail")] = False,
    ) -> LinkOut:
        attachment = await service.readable(db, principal, attachment_id)
        token, expires = service.signed_link(attachment, thumbnail=thumbnail)
        return LinkOut(url=f"/api/v1/files/{token}", expires_at=expires)

    @delete(
        "/{attachment_id:uuid}",
        summary="Remove a file from its record (the bytes go when nothing refers to them)",
    )
    async def remove(self, db: DB, principal: CurrentPrincipal, attachment_id: FromPath[uuid.UUID]) -> None:
        await service.remove(db, principal, attachment_id)


class SignedFileController(Controller):
    path = "/files"
    tags = ["attachments"]

    @get(
        "/{token:str}",
        opt={"exclude_from_auth": True},
        summary="Download by a signed link; the link is the authorisation until it expires",
        media_type="application/octet-stream",
    )
    async def by_link(self, token: FromPath[str]) -> Response[Any]:
        tenant_id, attachment_id, thumbnail = service.read_signed_link(token)
        async with get_database().transaction(tenant_id) as session:
            from core.tenancy.models import Tenant

            tenant = await session.get(Tenant, tenant_id)
            if tenant is None or not tenant.is_active:  # a suspended district's links stop working too
                raise not_found()
            attachment = (
                await session.scalars(select(Attachment).where(Attachment.id == attachment_id))
            ).first()
            if attachment is None:
                raise not_found()
            data = await service.content(session, attachment, thumbnail_only=thumbnail)
        return file_response(attachment, data, thumbnail=thumbnail)
