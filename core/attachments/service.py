"""Attach files to records, read them through the record, and let the bytes go when nothing refers to them.

A plugin declares the kinds of record that take files (``AttachmentOwner``,
through the ``quanyu_attachment_owners`` hook): its scoped model and the
permissions to read and to attach. Whoever may read the record may read its
files; nobody else learns they exist (404).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.attachments.models import Attachment, AttachmentBlob
from core.attachments.sniff import KNOWN_TYPES, THUMBNAIL_TYPES, bad_name_reason, sniff, thumbnail
from core.attachments.storage import blob_key, get_storage
from core.audit import service as audit
from core.auth.scope import Principal, load_in_scope
from core.db.base import utcnow
from core.db.ids import new_id
from core.errors import PayloadTooLarge, invalid_field, not_found
from core.i18n import _

log = logging.getLogger("quanyu.attachments")
THUMBNAIL_VARIANT = ".thumb.jpg"
COLLECT_JOB = "attachments.collect"


@dataclass(frozen=True)
class AttachmentOwner:
    """A kind of record that takes files (e.g. ``"joint_committees.meeting"``: a meeting's minutes).

    ``model`` is the record's tenant-scoped model (its organisation in
    ``org_node_id`` or the column ``__scope_node__`` names); reading a file
    needs ``read_permission`` on the record, attaching or removing one
    ``write_permission``. By default the record is loaded with the one scope
    guard (``load_in_scope``); a plugin whose records are reached another way
    (e.g. by a department *or* the organisation's area) passes ``load``:
    ``await load(session, principal, record_id, permission)`` returns the
    record or raises NotFound.
    """

    key: str
    model: type[Any]
    read_permission: str
    write_permission: str
    load: Callable[[AsyncSession, Principal, uuid.UUID, str], Awaitable[Any]] | None = None

    async def record(
        self, session: AsyncSession, principal: Principal, record_id: uuid.UUID, permission: str
    ) -> Any:
        if not principal.has(permission):  # like a record outside the scope: nothing says it exists
            raise not_found()
        if self.load is not None:
            return await self.load(session, principal, record_id, permission)
        return await load_in_scope(session, principal, self.model, record_id, permission)


_owners: dict[str, AttachmentOwner] = {}


def register_owner(owner: AttachmentOwner) -> None:
    _owners[owner.key] = owner


def owner_keys() -> list[str]:
    return sorted(_owners)


def owner_of(key: str) -> AttachmentOwner:
    owner = _owners.get(key)
    if owner is None:
        raise invalid_field(
            "owner", _("Files cannot be attached to {owner}."), code="unknown_owner", owner=key[:80]
        )
    return owner


async def _record(
    session: AsyncSession, principal: Principal, owner: AttachmentOwner, owner_id: uuid.UUID, permission: str
) -> Any:
    return await owner.record(session, principal, owner_id, permission)


def _scope_node(owner: AttachmentOwner, record: Any) -> uuid.UUID:
    node_id: uuid.UUID = getattr(record, getattr(owner.model, "__scope_node__", "org_node_id"))
    return node_id


async def _policy(session: AsyncSession, tenant_id: uuid.UUID) -> Any:
    from core.tenancy.models import Tenant
    from core.tenancy.settings import parse_tenant_settings

    tenant = await session.get_one(Tenant, tenant_id)
    return parse_tenant_settings(tenant.settings).attachments


async def _blob_for(
    session: AsyncSession, tenant_id: uuid.UUID, data: bytes, content_type: str
) -> AttachmentBlob:
    """The district's blob of these bytes: stored now if new (bytes first, so a row never points at nothing)."""
    digest = hashlib.sha256(data).hexdigest()
    existing = (await session.scalars(select(AttachmentBlob).where(AttachmentBlob.sha256 == digest))).first()
    if existing is not None:
        return existing
    storage = get_storage()
    await storage.put(blob_key(tenant_id, digest), data, content_type)
    small = await asyncio.to_thread(thumbnail, data) if content_type in THUMBNAIL_TYPES else None
    if small is not None:
        await storage.put(blob_key(tenant_id, digest, THUMBNAIL_VARIANT), small, "image/jpeg")
    now = utcnow()
    table: Any = AttachmentBlob.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Two uploads of the same bytes at once: the unique key decides, both then use the one row.
    await session.execute(
        insert(table)
        .values(
            tenant_id=tenant_id,
            id=new_id(),
            sha256=digest,
            size=len(data),
            content_type=content_type,
            has_thumbnail=small is not None,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "sha256"])
    )
    return (await session.scalars(select(AttachmentBlob).where(AttachmentBlob.sha256 == digest))).one()


async def attach(
    session: AsyncSession,
    principal: Principal,
    owner_key: str,
    owner_id: uuid.UUID,
    name: str,
    data: bytes,
) -> Attachment:
    """Attach ``data`` named ``name`` to the record; its type is sniffed and checked against the district's list."""
    owner = owner_of(owner_key)
    record = await _record(session, principal, owner, owner_id, owner.write_permission)
    policy = await _policy(session, principal.tenant_id)
    limit = policy.max_megabytes * 1024 * 1024
    if len(data) > limit:
        raise PayloadTooLarge(
            _("The file is larger than {megabytes} MB."),
            code="file_too_large",
            megabytes=policy.max_megabytes,
        )
    if not data:
        raise invalid_field("file", _("The file is empty."), code="empty")
    reason = bad_name_reason(name)
    if reason is not None:
        raise invalid_field(
            "file",
            _("A file name must be 1 to 200 characters, without slashes or control characters."),
            code=f"bad_name_{reason}",
        )
    content_type = sniff(data)
    if content_type is None or content_type not in policy.allowed_types:
        allowed = ", ".join(KNOWN_TYPES.get(t, t) for t in policy.allowed_types)
        raise invalid_field(
            "file",
            _("This kind of file is not accepted here (its content is {found}); allowed: {allowed}."),
            code="type_not_allowed",
            found=KNOWN_TYPES.get(content_type or "", content_type or "unknown"),
            allowed=allowed,
        )
    blob = await _blob_for(session, principal.tenant_id, data, content_type)
    attachment = Attachment(
        blob_id=blob.id,
        owner_type=owner.key,
        owner_id=owner_id,
        org_node_id=_scope_node(owner, record),
        name=name.strip(),
        content_type=content_type,
        size=len(data),
        uploaded_by=principal.user_id,
    )
    session.add(attachment)
    await session.flush()
    await audit.record(
        session,
        "attachment.add",
        object_type="attachment",
        object_id=attachment.id,
        org_node_id=attachment.org_node_id,
        changes={
            "owner": owner.key,
            "owner_id": str(owner_id),
            "name": attachment.name,
            "sha256": blob.sha256,
        },
    )
    return attachment


async def attachments_of(
    session: AsyncSession, principal: Principal, owner_key: str, owner_id: uuid.UUID
) -> list[Attachment]:
    """The files of one record the caller may read, oldest first."""
    owner = owner_of(owner_key)
    await _record(session, principal, owner, owner_id, owner.read_permission)
    rows = await session.scalars(
        select(Attachment)
        .where(Attachment.owner_type == owner.key, Attachment.owner_id == owner_id)
        .order_by(Attachment.created_at, Attachment.id)
    )
    return list(rows)


async def readable(
    session: AsyncSession, principal: Principal, attachment_id: uuid.UUID, *, write: bool = False
) -> Attachment:
    """The attachment if the caller may read (or, with ``write``, remove) its record; 404 otherwise."""
    attachment = (await session.scalars(select(Attachment).where(Attachment.id == attachment_id))).first()
    if attachment is None:
        raise not_found()
    owner = _owners.get(attachment.owner_type)
    if owner is None:  # its plugin is no longer installed: nobody can check the record
        raise not_found()
    permission = owner.write_permission if write else owner.read_permission
    await owner.record(session, principal, attachment.owner_id, permission)
    return attachment


async def blob_of(session: AsyncSession, attachment: Attachment) -> AttachmentBlob:
    return await session.get_one(AttachmentBlob, (attachment.tenant_id, attachment.blob_id))


async def content(session: AsyncSession, attachment: Attachment, *, thumbnail_only: bool = False) -> bytes:
    blob = await blob_of(session, attachment)
    if thumbnail_only and not blob.has_thumbnail:
        raise not_found()
    variant = THUMBNAIL_VARIANT if thumbnail_only else ""
    return await get_storage().get(blob_key(attachment.tenant_id, blob.sha256, variant))


async def remove(session: AsyncSession, principal: Principal, attachment_id: uuid.UUID) -> None:
    attachment = await readable(session, principal, attachment_id, write=True)
    await _delete_rows(session, [attachment])
    await audit.record(
        session,
        "attachment.remove",
        object_type="attachment",
        object_id=attachment.id,
        org_node_id=attachment.org_node_id,
        changes={
            "owner": attachment.owner_type,
            "owner_id": str(attachment.owner_id),
            "name": attachment.name,
        },
    )


async def detach_all(session: AsyncSession, owner_key: str, owner_id: uuid.UUID) -> int:
    """Remove every file link of a record being deleted (the caller authorised the deletion); returns how many."""
    rows = list(
        await session.scalars(
            select(Attachment).where(Attachment.owner_type == owner_key, Attachment.owner_id == owner_id)
        )
    )
    await _delete_rows(session, rows)
    return len(rows)


async def _delete_rows(session: AsyncSession, rows: list[Attachment]) -> None:
    from core.jobs.service import enqueue

    blob_ids = sorted({str(a.blob_id) for a in rows})
    for attachment in rows:
        await session.delete(attachment)
    await session.flush()
    if blob_ids:
        # The bytes go after this transaction commits, and only if nothing else refers to them by then.
        await enqueue(session, COLLECT_JOB, {"blob_ids": blob_ids})


async def collect(ctx: Any) -> int:
    """Job: delete blobs (rows and stored bytes) that no attachment refers to any more; returns how many."""
    session: AsyncSession = ctx.session
    removed = 0
    for raw in ctx.payload.get("blob_ids", []):
        blob_id = uuid.UUID(raw)
        referring = await session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.blob_id == blob_id)
        )
        blob = (await session.scalars(select(AttachmentBlob).where(AttachmentBlob.id == blob_id))).first()
        if blob is None or referring:
            continue
        await session.delete(blob)
        await session.flush()
        storage = get_storage()
        await storage.delete(blob_key(blob.tenant_id, blob.sha256))
        await storage.delete(blob_key(blob.tenant_id, blob.sha256, THUMBNAIL_VARIANT))
        removed += 1
    return removed


# --- signed links ---------------------------------------------------------------------------------


def _link_fernet() -> MultiFernet:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from core.settings import get_settings

    keys = [
        Fernet(
            base64.urlsafe_b64encode(
                HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"quanyu:file-link").derive(master)
            )
        )
        for master in get_settings().master_keys()
    ]
    return MultiFernet(keys)


def signed_link(attachment: Attachment, *, thumbnail: bool = False) -> tuple[str, dt.datetime]:
    """A token for ``GET /api/v1/files/{token}``, valid for ``QUANYU_FILE_LINK_MINUTES``, and when it expires."""
    from core.settings import get_settings

    body = json.dumps(
        {"t": str(attachment.tenant_id), "a": str(attachment.id), "v": "thumb" if thumbnail else ""}
    ).encode()
    token = _link_fernet().encrypt(body).decode()
    expires = utcnow() + dt.timedelta(minutes=get_settings().file_link_minutes)
    return token, expires


def read_signed_link(token: str) -> tuple[uuid.UUID, uuid.UUID, bool]:
    """(tenant id, attachment id, thumbnail?) of a valid, unexpired link; NotFound otherwise."""
    from core.settings import get_settings

    try:
        body = json.loads(_link_fernet().decrypt(token.encode(), ttl=get_settings().file_link_minutes * 60))
        return uuid.UUID(body["t"]), uuid.UUID(body["a"]), body.get("v") == "thumb"
    except (InvalidToken, ValueError, KeyError, TypeError):
        raise not_found() from None


def _register_jobs() -> None:
    from core.jobs.service import register_job

    register_job(COLLECT_JOB, collect)


_register_jobs()
