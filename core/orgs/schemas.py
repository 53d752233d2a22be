"""Organisation-tree structs in and out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.web.schemas import Input, Output

NodeName = Annotated[str, Meta(min_length=1, max_length=200)]
NodeCode = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
KindKey = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class NodeCreate(Input):
    parent_id: uuid.UUID
    kind: KindKey
    name: NodeName
    code: NodeCode | None = None
    attrs: dict[str, Any] = msgspec.field(default_factory=dict)


class NodeUpdate(Input):
    name: NodeName | UnsetType = UNSET
    code: NodeCode | UnsetType | None = UNSET
    kind: KindKey | UnsetType = UNSET
    attrs: dict[str, Any] | UnsetType = UNSET


class NodeMove(Input):
    parent_id: uuid.UUID


class NodeWarning(Output):
    code: str
    message: str


class NodeRef(Output):
    id: uuid.UUID
    kind: str
    name: str


class NodeOut(Output):
    id: uuid.UUID
    kind: str
    kind_name: str
    name: str
    code: str | None
    parent_id: uuid.UUID | None
    depth: int
    attrs: dict[str, Any]
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    warnings: list[NodeWarning] | None = None


class KindOut(Output):
    key: str
    name: str
    name_zh: str
    name_en: str
    parents: list[str]
    party: bool
    holds_members: bool
