"""People structs in and out. Output is masked unless it comes from the audited unmask route."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from core.web.schemas import Input, Output

PersonName = Annotated[str, Meta(min_length=1, max_length=50)]
IdCardText = Annotated[str, Meta(min_length=1, max_length=30)]
PhoneText = Annotated[str, Meta(min_length=1, max_length=30)]
Gender = Literal["male", "female"]
PartyStatus = Literal["full", "probationary", "none"]
Category = Literal["in_service", "retired", "mobile", "resident"]
Education = Literal[
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "associate",
    "bachelor",
    "master",
    "doctorate",
]
ShortText = Annotated[str, Meta(max_length=20)]
UnitText = Annotated[str, Meta(max_length=200)]
AddressText = Annotated[str, Meta(max_length=300)]
NoteText = Annotated[str, Meta(max_length=300)]
AffiliationKind = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class PersonCreate(Input):
    name: PersonName
    id_card: IdCardText
    org_node_id: uuid.UUID
    gender: Gender | None = None
    ethnicity: ShortText | None = None
    phone: PhoneText | None = None
    education: Education | None = None
    party_status: PartyStatus = "none"
    joined_on: dt.date | None = None
    full_member_on: dt.date | None = None
    category: Category | None = None
    work_unit: UnitText | None = None
    address: AddressText | None = None
    last_contact_on: dt.date | None = None


class PersonUpdate(Input):
    name: PersonName | UnsetType = UNSET
    id_card: IdCardText | UnsetType = UNSET
    gender: Gender | UnsetType = UNSET
    ethnicity: ShortText | UnsetType | None = UNSET
    phone: PhoneText | UnsetType | None = UNSET
    education: Education | UnsetType | None = UNSET
    party_status: PartyStatus | UnsetType = UNSET
    joined_on: dt.date | UnsetType | None = UNSET
    full_member_on: dt.date | UnsetType | None = UNSET
    category: Category | UnsetType | None = UNSET
    work_unit: UnitText | UnsetType | None = UNSET
    address: AddressText | UnsetType | None = UNSET
    lost_contact: bool | UnsetType = UNSET
    last_contact_on: dt.date | UnsetType | None = UNSET


ReasonText = Annotated[str, Meta(max_length=500)]


class CorrectionRequestIn(Input):
    """The person asks for fields of their record to be corrected (checked as a change is)."""

    changes: PersonUpdate
    reason: ReasonText | None = None


class ErasureRequestIn(Input):
    reason: ReasonText | None = None


class DataRequestDecision(Input):
    """Apply the request, or refuse it saying why."""

    decision: Literal["apply", "refuse"]
    reason: ReasonText | None = None


class ErasureItemOut(Output, kw_only=True):
    what: str
    table: str | None
    fields: list[str]
    rows: int | None
    reason: str | None


class DataRequestOut(Output, kw_only=True):
    id: uuid.UUID
    person_id: uuid.UUID
    kind: str
    status: str
    fields: list[str]
    requested_changes: dict[str, Any] | None
    reason: str | None
    requested_by: uuid.UUID | None
    requested_at: dt.datetime
    decided_by: uuid.UUID | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    outcome: str | None
    erased: list[ErasureItemOut]
    kept: list[ErasureItemOut]


class PersonMove(Input):
    org_node_id: uuid.UUID
    moved_on: dt.date | None = None
    reason: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")] = "transfer"
    note: NoteText | None = None


class PersonOut(Output, kw_only=True):
    id: uuid.UUID
    name: str
    gender: str
    ethnicity: str | None
    age: int
    id_card_masked: str
    phone_masked: str | None
    education: str | None
    party_status: str
    joined_on: dt.date | None
    full_member_on: dt.date | None
    category: str | None
    work_unit: str | None
    address: str | None
    lost_contact: bool
    last_contact_on: dt.date | None
    contact_overdue: bool = False
    org_node_id: uuid.UUID
    org_node_name: str | None = None
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonSensitiveOut(Output):
    id: uuid.UUID
    id_card: str
    birth_date: dt.date
    phone: str | None


class RelationOut(Output):
    id: uuid.UUID
    org_node_id: uuid.UUID
    org_node_name: str | None
    started_on: dt.date
    ended_on: dt.date | None
    reason: str
    note: str | None


class AffiliationIn(Input):
    org_node_id: uuid.UUID
    kind: AffiliationKind
    role: Annotated[str, Meta(max_length=60)] | None = None
    started_on: dt.date | None = None


class AffiliationEnd(Input):
    ended_on: dt.date | None = None


class AffiliationOut(Output):
    id: uuid.UUID
    person_id: uuid.UUID
    org_node_id: uuid.UUID
    org_node_name: str | None
    kind: str
    role: str | None
    started_on: dt.date
    ended_on: dt.date | None


class AffiliationKindOut(Output):
    key: str
    name: str
    name_zh: str
    name_en: str
    node_kinds: list[str]
