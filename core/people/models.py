"""``person``, its formal organisational relation history and its affiliations.

A person's ``org_node_id`` is the node that owns the record for scoping:
for a party member it is the branch of the current formal relation
(组织关系), kept equal to the open ``person_relation`` row by the service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, Timestamped, tenant_fk

GENDERS = ("male", "female")
PARTY_STATUSES = ("full", "probationary", "none")
MEMBER_STATUSES = ("full", "probationary")
CATEGORIES = ("in_service", "retired", "mobile", "resident")
DATA_REQUEST_KINDS = ("correction", "erasure")
DATA_REQUEST_STATUSES = ("open", "done", "refused")
EDUCATIONS = (
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "associate",
    "bachelor",
    "master",
    "doctorate",
)


class Person(TenantScoped, Timestamped, Base):
    """A person of the district (party member or not)."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("tenant_id", "id_card_index"),
        Index("ix_person_tenant_id_phone_index", "tenant_id", "phone_index"),
        Index("ix_person_tenant_id_org_node_id_name", "tenant_id", "org_node_id", "name"),
        CheckConstraint("gender IN ('male', 'female')", name="gender"),
        CheckConstraint("party_status IN ('full', 'probationary', 'none')", name="party_status"),
        CheckConstraint(
            "category IS NULL OR category IN ('in_service', 'retired', 'mobile', 'resident')", name="category"
        ),
    )

    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str | None] = mapped_column(String(20), default=None)
    birth_date: Mapped[dt.date]
    id_card_encrypted: Mapped[str] = mapped_column(Text)
    id_card_index: Mapped[str] = mapped_column(String(64))
    phone_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    phone_index: Mapped[str | None] = mapped_column(String(64), default=None)
    # The masked forms lists show, kept at write time so that listing people decrypts nothing
    # (docs/performance.md, change B); the clear values are read only by unmasking, audited.
    id_card_masked: Mapped[str] = mapped_column(String(18), server_default="")
    phone_masked: Mapped[str | None] = mapped_column(String(16), default=None)
    education: Mapped[str | None] = mapped_column(String(30), default=None)
    party_status: Mapped[str] = mapped_column(String(20), default="none")
    joined_on: Mapped[dt.date | None] = mapped_column(default=None)
    full_member_on: Mapped[dt.date | None] = mapped_column(default=None)
    category: Mapped[str | None] = mapped_column(String(20), default=None)
    work_unit: Mapped[str | None] = mapped_column(String(200), default=None)
    address: Mapped[str | None] = mapped_column(String(300), default=None)
    lost_contact: Mapped[bool] = mapped_column(default=False)
    last_contact_on: Mapped[dt.date | None] = mapped_column(default=None)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node", index=False)
    archived_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PersonRelation(TenantScoped, Base):
    """One period of a member's formal organisational relation (组织关系) to a branch.

    At most one open period (``ended_on IS NULL``) per person, guaranteed by
    a partial unique index on both databases.
    """

    __tablename__ = "person_relation"
    __table_args__ = (
        Index(
            "uq_person_relation_tenant_id_person_id_open",
            "tenant_id",
            "person_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    person_id: Mapped[uuid.UUID] = tenant_fk("person", ondelete="CASCADE")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(String(40), default="registered")
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class Affiliation(TenantScoped, Base):
    """A non-formal tie of a person to a node: check-in community, committee seat, action branch..."""

    __tablename__ = "affiliation"
    __table_args__ = (
        Index(
            "uq_affiliation_tenant_id_person_node_kind_open",
            "tenant_id",
            "person_id",
            "org_node_id",
            "kind",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    person_id: Mapped[uuid.UUID] = tenant_fk("person", ondelete="CASCADE")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    kind: Mapped[str] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(60), default=None)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None] = mapped_column(default=None)


class PersonDataRequest(TenantScoped, Timestamped, Base):
    """A person's request to correct or erase their data (PIPL arts. 46-47), and how it was decided.

    A correction's new values are personal data: they are kept encrypted (``changes_encrypted``) only
    while the request is open and dropped once it is decided; ``fields`` names them in clear, which is
    all the audit log and lists ever show. ``outcome`` says what was done, and for an erasure what was
    erased and what was kept and why (``outcome_detail``).
    """

    __tablename__ = "person_data_request"
    __table_args__ = (
        CheckConstraint("kind IN ('correction', 'erasure')", name="kind"),
        CheckConstraint("status IN ('open', 'done', 'refused')", name="status"),
    )

    person_id: Mapped[uuid.UUID] = tenant_fk("person", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    fields: Mapped[list[str]] = mapped_column(default=list)
    changes_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decision_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    outcome_detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
