"""The registry of organisation-node kinds.

Each kind says which kinds may be its parent, whether it is a party
organisation, whether members hold their formal organisational relation
(组织关系) in it, and the shape of its ``attrs``. Plugins add kinds (e.g.
grids) and allowed parents through the org-kind hook; the core only reads
this registry.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

UNIT_LEVELS = ("central", "provincial", "municipal", "district")


class NodeAttrs(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Attributes every kind may carry."""

    address: Annotated[str, Meta(max_length=300)] | None = None
    phone: Annotated[str, Meta(max_length=40)] | None = None
    longitude: Annotated[float, Meta(ge=-180, le=180)] | None = None
    latitude: Annotated[float, Meta(ge=-90, le=90)] | None = None
    term_started_on: dt.date | None = None
    joint_unit_count: Annotated[int, Meta(ge=0)] | None = None


class UnitAttrs(NodeAttrs, forbid_unknown_fields=True, omit_defaults=True):
    """A resident unit (驻区单位) carries its administrative level."""

    level: Literal["central", "provincial", "municipal", "district"] | None = None


class NodeKind(msgspec.Struct, frozen=True):
    key: str
    name_zh: str
    name_en: str
    parents: frozenset[str]
    party: bool = True
    holds_members: bool = False
    attrs: type[NodeAttrs] = NodeAttrs
    term_years: int | None = None


_LINKED_HOSTS = frozenset({"district", "street", "community", "village"})
_PARTY_HOSTS = frozenset(
    {
        "district",
        "street",
        "community",
        "village",
        "party_committee",
        "unit",
        "sector_department",
        "enterprise",
        "social_org",
        "joint_committee",
    }
)

_BUILTIN = [
    NodeKind("district", "区委", "District committee", frozenset(), term_years=5),
    NodeKind("street", "街道党工委", "Street working committee", frozenset({"district"}), term_years=5),
    NodeKind("community", "社区党委", "Community committee", frozenset({"street"}), term_years=5),
    NodeKind("village", "村党组织", "Village committee", frozenset({"street"}), term_years=5),
    NodeKind("party_committee", "党委", "Party committee", _PARTY_HOSTS, term_years=5),
    NodeKind(
        "general_branch",
        "党总支",
        "General branch",
        _PARTY_HOSTS | {"general_branch"},
        holds_members=True,
        term_years=3,
    ),
    NodeKind(
        "branch",
        "党支部",
        "Branch",
        _PARTY_HOSTS | {"general_branch"},
        holds_members=True,
        term_years=3,
    ),
    NodeKind("group", "党小组", "Party group", frozenset({"branch"})),
    NodeKind(
        "joint_committee",
        "非建制联合党委",
        "Joint committee",
        frozenset({"district", "street", "community"}),
        term_years=3,
    ),
    NodeKind("unit", "驻区单位", "Resident unit", _LINKED_HOSTS, party=False, attrs=UnitAttrs),
    NodeKind("sector_department", "行业主管部门", "Sector department", frozenset({"district"}), party=False),
    NodeKind("social_org", "社会组织", "Social organisation", _LINKED_HOSTS, party=False),
    NodeKind("enterprise", "非公企业", "Private enterprise", _LINKED_HOSTS, party=False),
    NodeKind(
        "owners_committee",
        "业主委员会",
        "Owners' committee",
        frozenset({"community", "village"}),
        party=False,
    ),
    NodeKind(
        "property_company",
        "物业公司",
        "Property company",
        frozenset({"street", "community", "village"}),
        party=False,
    ),
]

_registry: dict[str, NodeKind] = {kind.key: kind for kind in _BUILTIN}
ROOT_KIND = "district"


class UnknownKind(KeyError):
    pass


def get_kind(key: str) -> NodeKind:
    try:
        return _registry[key]
    except KeyError:
        raise UnknownKind(key) from None


def all_kinds() -> list[NodeKind]:
    return list(_registry.values())


def register_kind(kind: NodeKind) -> None:
    """Add a node kind (plugins, through the org-kind hook). Re-registering the same key replaces it."""
    if kind.key == ROOT_KIND:
        raise ValueError("the root kind cannot be replaced")
    _registry[kind.key] = kind


def allow_parent(kind_key: str, parent_keys: set[str]) -> None:
    """Let ``kind_key`` nodes sit under more parent kinds."""
    kind = get_kind(kind_key)
    _registry[kind_key] = msgspec.structs.replace(kind, parents=kind.parents | frozenset(parent_keys))


def member_kinds() -> set[str]:
    return {k.key for k in _registry.values() if k.holds_members}
