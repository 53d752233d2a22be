"""The second factor: time-based one-time passwords (RFC 6238, pyotp) and one-time recovery codes.

Enrolment: ``begin_enrolment`` stores a new secret (encrypted with the district's key, registered in
``core.crypto.ENCRYPTED_COLUMNS`` so key rotation covers it) and answers the provisioning URI once;
``confirm_enrolment`` activates it with a first code and answers ten recovery codes once.

Login: a password login of an enrolled account opens no session; it leaves a one-time challenge
(five minutes; only its hash is stored) that ``complete_login`` redeems with a code or a recovery
code. Wrong codes count toward the same lockout as wrong passwords, and a right password does not
reset that count while the second step is outstanding (else guessing could go on forever). A code
is accepted one time step either side of now (``valid_window=1``) and never twice: the time step of
the last accepted code is stored and only later ones pass.

Recovery codes are random (80 bits) and stored as SHA-256, like session and invitation tokens: at
that entropy a slow hash adds nothing against guessing, and a fast one lets a presented code be
found by its hash instead of trying a slow hash against each of the ten.

Administrators (accounts whose roles touch the system, security or audit duty) must enrol when
their district's ``SecurityPolicy.totp_required_for_admins`` is on: until then their session may
only use the routes marked ``allowed_before_second_factor`` (enrolment, ``/auth/me``, logout).
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
import uuid
from collections.abc import Iterable
from typing import NoReturn

import pyotp
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.audit import service as audit
from core.auth.models import USER_ACTIVE, RecoveryCode, User
from core.auth.passwords import verify_password
from core.auth.permissions import duties_of
from core.auth.scope import Grant, Principal
from core.auth.sessions import SessionStore
from core.crypto import token_hash
from core.db.base import utcnow
from core.db.session import bind_tenant
from core.errors import Conflict, Forbidden, Unauthorized, invalid_field
from core.i18n import _
from core.tenancy.models import Tenant
from core.tenancy.settings import SecurityPolicy, parse_tenant_settings

ISSUER = "Quanyu"
CHALLENGE_LIFETIME = dt.timedelta(minutes=5)
RECOVERY_CODE_COUNT = 10
VALID_WINDOW = 1
BAD_CODE = _("The code is wrong or has already been used.")
BAD_CHALLENGE = _("The login has expired; log in again with your password.")
CODE_PATTERN = re.compile(r"^\d{6}$")
# ``totp_last_counter`` of an account without an active secret whose second factor an administrator
# reset: it must enrol again before anything else. No real time step is negative, so the first code of
# the new enrolment passes ``_accept_code`` and moves the counter off the mark. (A marker in an existing
# column, not a new one: no schema change for one flag.)
RESET_MARK = -1


def is_administrator(grants: Iterable[Grant]) -> bool:
    """The account's roles touch a duty (system, security or audit administration)."""
    permissions: set[str] = set()
    for grant in grants:
        permissions |= grant.permissions
    return bool(duties_of(permissions))


def enrolment_required(policy: SecurityPolicy, user: User, grants: Iterable[Grant]) -> bool:
    """The account must enrol before it may do anything else: an administrator without TOTP, or an
    account whose second factor a security administrator reset (``reset_by_administrator``)."""
    if user.totp_enabled_at is not None:
        return False
    return user.totp_last_counter == RESET_MARK or (
        policy.totp_required_for_admins and is_administrator(grants)
    )


def _totp(tenant_id: uuid.UUID, user: User) -> pyotp.TOTP:
    assert user.totp_secret_encrypted is not None
    return pyotp.TOTP(crypto.decrypt(tenant_id, user.totp_secret_encrypted))


async def _accept_code(session: AsyncSession, tenant_id: uuid.UUID, user: User, code: str) -> bool:
    """The code is right for now (one step either side) and later than the last one accepted.

    The stored step moves forward in one conditional UPDATE, so two requests racing with the same code
    cannot both pass.
    """
    code = code.strip().replace(" ", "")
    if not CODE_PATTERN.match(code):
        return False
    try:
        step = _totp(tenant_id, user).verify_and_get_timecode(
            code, for_time=utcnow(), valid_window=VALID_WINDOW
        )
    except pyotp.OTPVerificationError:
        return False
    moved = await session.execute(
        update(User)
        .where(
            User.tenant_id == tenant_id,
            User.id == user.id,
            or_(User.totp_last_counter.is_(None), User.totp_last_counter < step),
        )
        .values(totp_last_counter=step)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    user.totp_last_counter = step
    return True


def _normalise_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 16 base32 characters: 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def _issue_recovery_codes(session: AsyncSession, user: User) -> list[str]:
    for old in await session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        await session.delete(old)
    await session.flush()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=token_hash(_normalise_recovery_code(code))))
    await session.flush()
    return codes


async def _use_recovery_code(session: AsyncSession, user: User, code: str) -> bool:
    hashed = token_hash(_normalise_recovery_code(code))
    row = (
        await session.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == hashed,
                RecoveryCode.used_at.is_(None),
            )
        )
    ).first()
    if row is None:
        return False
    row.used_at = utcnow()
    return True


async def recovery_codes_left(session: AsyncSession, user_id: uuid.UUID) -> int:
    rows = await session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return len(list(rows))


async def _refuse(
    session: AsyncSession,
    action: str,
    user: User,
    detail: str,
    *,
    field: str,
    message: str = BAD_CODE,
    code: str = "wrong_code",
) -> NoReturn:
    """A wrong code or password for one of the caller's own second-factor steps: audited as a failure
    and committed (the refusal rolls the request back, the record must stay), then refused naming ``field``."""
    await audit.record(session, action, success=False, object_type="user", object_id=user.id, detail=detail)
    await session.commit()
    raise invalid_field(field, message, code=code)


# --- enrolment ---------------------------------------------------------------------------------------


async def begin_enrolment(session: AsyncSession, principal: Principal) -> tuple[str, str]:
    """A new secret for the caller, not yet active: returns it and its ``otpauth://`` URI (shown once)."""
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    if user.totp_enabled_at is not None:
        raise Conflict(
            _("Two-step verification is already on; turn it off first to enrol another authenticator."),
            code="totp_active",
        )
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = crypto.encrypt(principal.tenant_id, secret)
    if user.totp_last_counter != RESET_MARK:  # kept until confirmed: an unfinished set-up still must enrol
        user.totp_last_counter = None
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=f"{user.username}@{principal.tenant_slug}", issuer_name=ISSUER
    )
    await audit.record(session, "auth.totp_setup", object_type="user", object_id=user.id)
    return secret, uri


async def confirm_enrolment(
    session: AsyncSession, store: SessionStore, principal: Principal, code: str
) -> list[str]:
    """Turn the pending secret on with a first code; returns the recovery codes (shown once).

    The caller's other sessions end: they were opened without the second factor.
    """
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    if user.totp_enabled_at is not None:
        raise Conflict(_("Two-step verification is already on."), code="totp_active")
    if user.totp_secret_encrypted is None:
        raise Conflict(_("Start the set-up first."), code="totp_not_started")
    if not await _accept_code(session, principal.tenant_id, user, code):
        await _refuse(session, "auth.totp_confirm", user, "wrong code", field="code")
    user.totp_enabled_at = utcnow()
    codes = await _issue_recovery_codes(session, user)
    await store.delete_for_user(principal.tenant_id, user.id, keep=principal.session_hash)
    await audit.record(session, "auth.totp_confirm", object_type="user", object_id=user.id)
    return codes


async def disable(session: AsyncSession, principal: Principal, *, password: str, code: str) -> None:
    """Turn the caller's second factor off: needs the password and a current code, and is refused while
    the district requires it of the caller's roles."""
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    if user.totp_enabled_at is None:
        raise Conflict(_("Two-step verification is not on."), code="totp_inactive")
    tenant = await session.get_one(Tenant, principal.tenant_id)
    policy = parse_tenant_settings(tenant.settings).security
    if policy.totp_required_for_admins and is_administrator(principal.grants):
        raise Forbidden(
            _("Your district requires two-step verification of administrators; it cannot be turned off."),
            code="totp_required",
        )
    if not verify_password(user.password_hash, password):
        await _refuse(
            session,
            "auth.totp_disable",
            user,
            "wrong password",
            field="password",
            message=_("The current password is wrong."),
            code="wrong_password",
        )
    if not await _accept_code(session, principal.tenant_id, user, code):
        await _refuse(session, "auth.totp_disable", user, "wrong code", field="code")
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    for row in await session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        await session.delete(row)
    await audit.record(session, "auth.totp_disable", object_type="user", object_id=user.id)


async def reset_by_administrator(
    session: AsyncSession, store: SessionStore, principal: Principal, user: User
) -> None:
    """A security administrator resets another account's second factor (a lost phone): the secret and the
    recovery codes go, the account's sessions end, and its next login may only enrol again.

    A security duty, not a system one: the system administrator, who resets passwords, cannot also
    remove the second factor, so taking an account over needs both administrators.
    """
    if user.id == principal.user_id:
        raise Conflict(
            _("You cannot reset your own second factor; turn it off with your password and a code."),
            code="own_account",
        )
    if user.totp_enabled_at is None and user.totp_secret_encrypted is None:
        raise Conflict(_("This account has no second factor to reset."), code="totp_inactive")
    was_enabled = user.totp_enabled_at is not None
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_counter = RESET_MARK
    user.totp_challenge_hash = None
    user.totp_challenge_expires_at = None
    for row in await session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        await session.delete(row)
    await store.delete_for_user(principal.tenant_id, user.id)
    await audit.record(
        session,
        "user.totp_reset",
        object_type="user",
        object_id=user.id,
        org_node_id=user.org_node_id,
        changes={"totp_enabled": [was_enabled, False], "enrolment_required": [False, True]},
    )


# --- logging in --------------------------------------------------------------------------------------


async def issue_challenge(session: AsyncSession, tenant: Tenant, user: User) -> str:
    """After the right password of an enrolled account: the one-time token for the second step."""
    secret = secrets.token_urlsafe(24)
    challenge = f"{tenant.id.hex}.{user.id.hex}.{secret}"
    user.totp_challenge_hash = token_hash(challenge)
    user.totp_challenge_expires_at = utcnow() + CHALLENGE_LIFETIME
    await audit.record(session, "auth.login_password", user_id=user.id, username=user.username)
    return challenge


def _parse_challenge(challenge: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    parts = challenge.split(".")
    if len(parts) != 3:
        return None
    try:
        return uuid.UUID(hex=parts[0]), uuid.UUID(hex=parts[1])
    except ValueError:
        return None


async def redeem_challenge(
    session: AsyncSession, *, challenge: str, code: str | None, recovery_code: str | None
) -> tuple[Tenant, User, SecurityPolicy]:
    """The second login step: the account whose challenge this is, when the code is right.

    Failures are counted and audited, and the transaction committed before the error is raised.
    """
    if bool(code) == bool(recovery_code):
        raise invalid_field("code", _("Give either the code or a recovery code."), code="one_of")
    ids = _parse_challenge(challenge)
    if ids is None:
        raise Unauthorized(BAD_CHALLENGE, code="bad_challenge")
    tenant = await session.get(Tenant, ids[0])
    if tenant is None:
        raise Unauthorized(BAD_CHALLENGE, code="bad_challenge")
    await bind_tenant(session, tenant.id)
    user = (await session.scalars(select(User).where(User.id == ids[1]))).first()
    now = utcnow()
    if (
        user is None
        or user.status != USER_ACTIVE
        or user.totp_enabled_at is None
        or user.totp_challenge_hash is None
        or not secrets.compare_digest(user.totp_challenge_hash, token_hash(challenge))
        or user.totp_challenge_expires_at is None
        or user.totp_challenge_expires_at <= now
    ):
        raise Unauthorized(BAD_CHALLENGE, code="bad_challenge")
    if not tenant.is_active:
        raise Forbidden(_("This district is suspended; nobody can log in to it."), code="tenant_suspended")
    policy = parse_tenant_settings(tenant.settings).security
    if user.locked_until is not None and user.locked_until > now:
        await audit.record(
            session,
            "auth.login_totp",
            success=False,
            user_id=user.id,
            username=user.username,
            detail="locked",
        )
        await session.commit()
        raise Unauthorized(
            _("Too many failed attempts; try again after {minutes} minutes."),
            code="locked",
            minutes=policy.lockout_minutes,
        )
    if code:
        accepted, kind = await _accept_code(session, tenant.id, user, code), "code"
    else:
        assert recovery_code is not None
        accepted, kind = await _use_recovery_code(session, user, recovery_code), "recovery code"
    if not accepted:
        user.failed_logins += 1
        detail = f"wrong {kind}"
        if user.failed_logins >= policy.lockout_attempts:
            user.locked_until = now + dt.timedelta(minutes=policy.lockout_minutes)
            user.failed_logins = 0
            user.totp_challenge_hash = None
            detail += "; locked"
        await audit.record(
            session, "auth.login_totp", success=False, user_id=user.id, username=user.username, detail=detail
        )
        await session.commit()
        raise invalid_field("recovery_code" if recovery_code else "code", BAD_CODE, code="wrong_code")
    user.totp_challenge_hash = None
    user.totp_challenge_expires_at = None
    await audit.record(
        session, "auth.login_totp", user_id=user.id, username=user.username, detail=f"by {kind}"
    )
    return tenant, user, policy
