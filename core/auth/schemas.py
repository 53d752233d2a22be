"""Account structs in and out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from core.web.schemas import Input, Output

Password = Annotated[str, Meta(min_length=1, max_length=128)]
Username = Annotated[str, Meta(min_length=1, max_length=64)]
District = Annotated[str, Meta(min_length=1, max_length=40)]
RoleKey = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class LoginIn(Input):
    district: District
    username: Username
    password: Password


class GrantOut(Output):
    role: str
    node_id: uuid.UUID
    permissions: list[str]
    node_name: str | None = None


class MeOut(Output):
    user_id: uuid.UUID
    username: str
    display_name: str
    district: str
    must_change_password: bool
    permissions: list[str]
    grants: list[GrantOut]
    totp_enabled: bool = False
    # An administrator whose district requires two-step verification and who has not enrolled yet:
    # every route but enrolment, /auth/me and logout answers 403 second_factor_required.
    second_factor_enrolment_required: bool = False


class LoginOut(Output):
    token: str
    user: MeOut


class SecondFactorOut(Output):
    """The password was right; send the challenge with a code to ``POST /auth/login/totp``."""

    second_factor_required: bool
    challenge: str


OneTimeCode = Annotated[str, Meta(min_length=1, max_length=12)]
RecoveryCodeIn = Annotated[str, Meta(min_length=1, max_length=40)]


class LoginTotpIn(Input):
    challenge: Annotated[str, Meta(min_length=1, max_length=200)]
    code: OneTimeCode | None = None
    recovery_code: RecoveryCodeIn | None = None


class TotpSetupOut(Output):
    """Shown once: add it to an authenticator app (the URI as a QR code, or the secret typed in)."""

    secret: str
    provisioning_uri: str


class TotpConfirmIn(Input):
    code: OneTimeCode


class RecoveryCodesOut(Output):
    """Shown once: each code logs in once in place of the authenticator's code."""

    recovery_codes: list[str]


class TotpDisableIn(Input):
    password: Password
    code: OneTimeCode


class SessionOut(Output):
    id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    address: str | None
    user_agent: str | None
    current: bool


class PasswordChangeIn(Input):
    current_password: Password
    new_password: Password


class RedeemIn(Input):
    district: District
    token: Annotated[str, Meta(min_length=1, max_length=200)]
    password: Password


Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class UserCreateIn(Input):
    username: Username
    display_name: Annotated[str, Meta(min_length=1, max_length=100)]
    org_node_id: uuid.UUID
    roles: list[RoleKey] = []
    email: Email | None = None


class ForgotIn(Input):
    district: Annotated[str, Meta(min_length=1, max_length=40)]
    username: Annotated[str, Meta(min_length=1, max_length=64)]


class UserOut(Output):
    id: uuid.UUID
    username: str
    display_name: str
    status: str
    org_node_id: uuid.UUID
    must_change_password: bool
    last_login_at: dt.datetime | None
    locked: bool
    created_at: dt.datetime
    # Two-step verification is on (a security administrator may reset it: POST /users/{id}/totp/reset).
    totp_enabled: bool


class UserCreatedOut(Output):
    user: UserOut
    invitation_token: str
    invitation_expires_in_days: int


class UserStatusIn(Input):
    status: Literal["active", "disabled"]


class TokenOut(Output):
    token: str
    expires_in_days: int


class RoleIn(Input):
    key: RoleKey
    name_zh: Annotated[str, Meta(min_length=1, max_length=100)]
    name_en: Annotated[str, Meta(min_length=1, max_length=100)]
    permissions: list[Annotated[str, Meta(max_length=64)]]


class RoleUpdate(Input):
    name_zh: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    name_en: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    permissions: list[Annotated[str, Meta(max_length=64)]] | UnsetType = UNSET


class RoleOut(Output):
    id: uuid.UUID
    key: str
    name: str
    name_zh: str
    name_en: str
    permissions: list[str]
    builtin: bool


class PermissionOut(Output):
    key: str
    description: str
    duty: str | None


class GrantIn(Input):
    user_id: uuid.UUID
    role: RoleKey
    org_node_id: uuid.UUID


class AssignmentOut(Output):
    id: uuid.UUID
    user_id: uuid.UUID
    role: str
    org_node_id: uuid.UUID
    granted_at: dt.datetime
