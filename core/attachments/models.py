"""Two tables: the bytes a district stores once (``attachment_blob``) and each file attached to a record."""

from __future__ import annotations

import uuid

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, Timestamped, tenant_fk

NAME_MAX = 200


class AttachmentBlob(TenantScoped, Timestamped, Base):
    """Bytes stored once per district, keyed by their SHA-256; removed when no attachment refers to them."""

    __tablename__ = "attachment_blob"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(120))
    has_thumbnail: Mapped[bool] = mapped_column(default=False)


class Attachment(TenantScoped, Timestamped, Base):
    """A file attached to one record (``owner_type`` names the kind of record, ``owner_id`` the record).

    ``org_node_id`` is the record's organisation when the file was attached (for
    listing by subtree); reading is always authorised through the record itself.
    """

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_tenant_id_owner", "tenant_id", "owner_type", "owner_id"),)

    blob_id: Mapped[uuid.UUID] = tenant_fk("attachment_blob")
    owner_type: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[uuid.UUID]
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    uploaded_by: Mapped[uuid.UUID | None] = tenant_fk("app_user", nullable=True)
