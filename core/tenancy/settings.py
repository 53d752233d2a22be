"""Per-district settings, stored as JSON on the tenant, with defaults from published rules.

Defaults follow the rules of MECHANISMS.md ("Rules a real system encodes")
and MLPS 2.0 level 3; a district may change them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from core.attachments.sniff import DEFAULT_ALLOWED_TYPES, KNOWN_TYPES


class OrgThresholds(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Organisation-size rules, answered as warnings (never errors) on nodes that break them."""

    branch_min_full_members: Annotated[int, Meta(ge=0)] = 3
    branch_max_members: Annotated[int, Meta(ge=1)] = 50
    general_branch_min_members: Annotated[int, Meta(ge=0)] = 50
    general_branch_max_members: Annotated[int, Meta(ge=1)] = 100
    party_committee_min_members: Annotated[int, Meta(ge=0)] = 100
    joint_branch_max_units: Annotated[int, Meta(ge=1)] = 5
    community_term_years: Annotated[int, Meta(ge=1)] = 5
    other_term_years: Annotated[int, Meta(ge=1)] = 3


class SecurityPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Login and password rules (等保 2.0 level 3 by default; docs/administrators.md lists each field).

    The password defaults (three character classes, a change every 90 days)
    follow 等保 and deliberately differ from OWASP ASVS 2.1.9/2.1.10; a district
    may set ``password_min_classes = 1`` and ``password_max_age_days = 0`` to
    follow ASVS instead. The length never goes below 8 (the 等保 floor).
    """

    password_min_length: Annotated[int, Meta(ge=8, le=128)] = 8
    password_min_classes: Annotated[int, Meta(ge=1, le=4)] = 3
    # 0: passwords never expire.
    password_max_age_days: Annotated[int, Meta(ge=0, le=3650)] = 90
    # How many of the user's last passwords may not be chosen again; 0: no history is kept.
    password_history: Annotated[int, Meta(ge=0, le=24)] = 5
    lockout_attempts: Annotated[int, Meta(ge=1, le=100)] = 5
    lockout_minutes: Annotated[int, Meta(ge=1, le=1440)] = 15
    session_idle_minutes: Annotated[int, Meta(ge=1, le=1440)] = 30
    session_absolute_hours: Annotated[int, Meta(ge=1, le=168)] = 12
    invitation_days: Annotated[int, Meta(ge=1, le=30)] = 7
    reset_link_minutes: Annotated[int, Meta(ge=5, le=1440)] = 60
    lost_contact_months: Annotated[int, Meta(ge=1, le=60)] = 6
    # Audit records are kept at least this long (MLPS 2.0 level 3: six months or more), then purged.
    audit_retention_days: Annotated[int, Meta(ge=185, le=36500)] = 365
    # Accounts whose roles touch a duty (system, security or audit administration) must log in with a
    # second factor (TOTP); until they enrol, their session can do nothing but enrol (MLPS 2.0 L3).
    totp_required_for_admins: bool = True


class AttachmentPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What the district accepts as attachments: a size limit and content types (sniffed, never by name)."""

    max_megabytes: Annotated[int, Meta(ge=1, le=200)] = 20
    allowed_types: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_ALLOWED_TYPES))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.allowed_types) - set(KNOWN_TYPES))
        if unknown:
            raise ValueError(f"unknown content types {unknown}; known: {sorted(KNOWN_TYPES)}")


class NotificationPolicy(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The district's outside channels (the in-app inbox is always on) and its quiet hours.

    ``default_channels`` apply to users who set no preference. Messages over
    the ``quiet_channels`` that fall between ``quiet_start`` and ``quiet_end``
    (district time) wait until the quiet hours end.
    """

    channels: list[Literal["email", "sms", "wechat"]] = msgspec.field(default_factory=lambda: ["email"])
    default_channels: list[Literal["email", "sms", "wechat"]] = msgspec.field(
        default_factory=lambda: ["email"]
    )
    quiet_start: Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "22:00"
    quiet_end: Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "07:00"
    quiet_channels: list[Literal["email", "sms", "wechat"]] = msgspec.field(
        default_factory=lambda: ["sms", "wechat"]
    )


class PublicPages(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Pages residents see without logging in (``/t/<slug>/public``): off until the district turns them on."""

    enabled: bool = False
    title: Annotated[str, Meta(max_length=60)] = ""


class TenantSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    org_thresholds: OrgThresholds = msgspec.field(default_factory=OrgThresholds)
    security: SecurityPolicy = msgspec.field(default_factory=SecurityPolicy)
    attachments: AttachmentPolicy = msgspec.field(default_factory=AttachmentPolicy)
    notifications: NotificationPolicy = msgspec.field(default_factory=NotificationPolicy)
    public: PublicPages = msgspec.field(default_factory=PublicPages)


def parse_tenant_settings(raw: dict[str, Any] | None) -> TenantSettings:
    return msgspec.convert(raw or {}, TenantSettings)


def dump_tenant_settings(settings: TenantSettings) -> dict[str, Any]:
    return msgspec.to_builtins(settings)  # type: ignore[no-any-return]
