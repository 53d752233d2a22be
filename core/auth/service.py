"""Accounts: log in and out, passwords, users, invitations and resets, roles and grants.

Separation of duties (等保 2.0 三员分立): no role may combine the system,
security and audit duties, and no user may hold roles whose union does.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import uuid
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import service as audit
from core.auth import totp
from core.auth.emails import send_token_email
from core.auth.models import (
    USER_ACTIVE,
    USER_DISABLED,
    USER_INVITED,
    PasswordHistory,
    Role,
    RoleAssignment,
    User,
    UserToken,
)
from core.auth.passwords import check_policy, hash_password, needs_rehash, verify_password
from core.auth.permissions import SEPARATION_MESSAGE, duties_of, get_permission
from core.auth.ratelimit import ACCOUNT, login_throttle
from core.auth.scope import Principal, load_in_scope, node_in_scope
from core.auth.sessions import SessionStore, open_session
from core.crypto import token_hash
from core.db.base import utcnow
from core.db.session import bind_tenant
from core.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    RateLimited,
    Unauthorized,
    invalid_field,
)
from core.i18n import _
from core.orgs.models import OrgNode
from core.tenancy.models import Tenant
from core.tenancy.settings import SecurityPolicy, parse_tenant_settings

log = logging.getLogger("quanyu.auth")

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
BAD_LOGIN = _("The district, username or password is wrong.")


def check_username(username: str, field: str = "username") -> str:
    cleaned = username.strip().lower()
    if not USERNAME_PATTERN.match(cleaned):
        raise invalid_field(
            field,
            _("Use 2 to 64 lower-case letters, digits, dots, dashes or underscores."),
            code="username_format",
        )
    return cleaned


async def login(
    session: AsyncSession,
    store: SessionStore,
    *,
    district: str,
    username: str,
    password: str,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, Principal] | SecondFactorChallenge:
    """Check the credentials and open a session (or, for an account with TOTP on, ask for the code);
    failures are counted and audited.

    The caller's transaction is committed before a failure is raised, so the
    failed-login counter and the audit record survive the error response.
    """
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == district.strip().lower()))).first()
    if tenant is not None:
        await bind_tenant(session, tenant.id)
    await _throttle(session, store, tenant, district=district, username=username, address=address)
    if tenant is None:
        verify_password(None, password)  # same work as a real check: no timing oracle for districts
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    policy = parse_tenant_settings(tenant.settings).security
    user = (await session.scalars(select(User).where(User.username == username.strip().lower()))).first()
    now = utcnow()
    if user is None or user.status != USER_ACTIVE:
        verify_password(None, password)
        await audit.record(
            session, "auth.login", success=False, username=username[:64], detail="unknown user"
        )
        await session.commit()
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        await audit.record(
            session, "auth.login", success=False, user_id=user.id, username=user.username, detail="locked"
        )
        await session.commit()
        raise Unauthorized(
            _("Too many failed attempts; try again after {minutes} minutes."),
            code="locked",
            minutes=policy.lockout_minutes,
        )
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        detail = "wrong password"
        if user.failed_logins >= policy.lockout_attempts:
            user.locked_until = now + dt.timedelta(minutes=policy.lockout_minutes)
            user.failed_logins = 0
            detail = "wrong password; locked"
        await audit.record(
            session, "auth.login", success=False, user_id=user.id, username=user.username, detail=detail
        )
        await session.commit()
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    if not tenant.is_active:
        raise Forbidden(_("This district is suspended; nobody can log in to it."), code="tenant_suspended")
    if password_expired(user, policy, now):
        # The session may only change the password (and read /auth/me) until it is changed.
        user.must_change_password = True
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enabled_at is not None:
        # No session yet, and the failure count stands until the second step succeeds.
        return SecondFactorChallenge(await totp.issue_challenge(session, tenant, user))
    return await open_login_session(
        session, store, tenant, user, policy, address=address, user_agent=user_agent
    )


class SecondFactorChallenge(msgspec.Struct, frozen=True):
    """The password was right; the account must now give a TOTP or recovery code with this token."""

    challenge: str


async def open_login_session(
    session: AsyncSession,
    store: SessionStore,
    tenant: Tenant,
    user: User,
    policy: SecurityPolicy,
    *,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, Principal]:
    """Every factor checked: a new session (a new random token, whatever the client sent), audited."""
    now = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    expired = password_expired(user, policy, now)
    token, record = await open_session(
        store,
        tenant_id=tenant.id,
        user_id=user.id,
        idle_minutes=policy.session_idle_minutes,
        absolute_hours=policy.session_absolute_hours,
        address=address,
        user_agent=user_agent,
    )
    await audit.record(
        session,
        "auth.login",
        user_id=user.id,
        username=user.username,
        detail="password expired; change required" if expired else None,
    )
    from core.auth.principal import load_principal

    principal = await load_principal(session, tenant.id, user.id, record.token_hash)
    assert principal is not None
    return token, principal


async def _throttle(
    session: AsyncSession,
    store: SessionStore,
    tenant: Tenant | None,
    *,
    district: str,
    username: str,
    address: str | None,
) -> None:
    """Count the attempt against the login rate limits; over one, audit (once per window) and refuse."""
    refusal = await login_throttle(store).admit(district=district, username=username, address=address)
    if refusal is None:
        return
    if refusal.first_in_window:
        detail = f"rate limited: too many attempts for this {refusal.limit}"
        if tenant is not None:
            await audit.record(session, "auth.login", success=False, username=username[:64], detail=detail)
            await session.commit()
        else:
            # No district, so no district's audit log: the platform log keeps it.
            log.warning("login %s for unknown district %r from %s", detail, district[:64], address)
    raise RateLimited(
        _("Too many login attempts for this account; try again in {seconds} seconds.")
        if refusal.limit == ACCOUNT
        else _("Too many login attempts from this address; try again in {seconds} seconds."),
        code="login_rate_limited",
        headers={"Retry-After": str(refusal.retry_after)},
        seconds=refusal.retry_after,
    )


def password_expired(user: User, policy: SecurityPolicy, now: dt.datetime) -> bool:
    """The password is older than the district's maximum age (never, when that is 0)."""
    if not policy.password_max_age_days or user.password_hash is None:
        return False
    changed = user.password_changed_at or user.created_at
    return now - changed > dt.timedelta(days=policy.password_max_age_days)


async def security_policy(session: AsyncSession) -> SecurityPolicy:
    """The security policy of the district ``session`` is bound to."""
    tenant = await session.get_one(Tenant, session.info["tenant_id"])
    return parse_tenant_settings(tenant.settings).security


async def set_password(
    session: AsyncSession, user: User, password: str, policy: SecurityPolicy, *, field: str = "password"
) -> None:
    """Make ``password`` the user's after checking the policy and the user's last passwords.

    Every password set is remembered (as its hash), keeping the district's last
    ``password_history``; one of those (or the current one) is refused, naming ``field``.
    """
    check_policy(password, policy, field=field, username=user.username)
    kept = policy.password_history
    previous = list(
        await session.scalars(
            select(PasswordHistory)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        )
    )
    if kept:
        hashes = [row.password_hash for row in previous[:kept]]
        if user.password_hash and user.password_hash not in hashes:
            hashes.insert(0, user.password_hash)  # set before history was kept
        if any(verify_password(h, password) for h in hashes[:kept]):
            raise invalid_field(
                field,
                _("This password is one of your last {n}; choose one you have not used."),
                code="password_reused",
                n=kept,
            )
    for row in previous[max(kept - 1, 0) :]:
        await session.delete(row)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    if kept:
        session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))


async def login_second_step(
    session: AsyncSession,
    store: SessionStore,
    *,
    challenge: str,
    code: str | None,
    recovery_code: str | None,
    address: str | None,
    user_agent: str | None,
) -> tuple[str, Principal]:
    """The second login step of an account with TOTP on: the challenge and a code open the session."""
    tenant, user, policy = await totp.redeem_challenge(
        session, challenge=challenge, code=code, recovery_code=recovery_code
    )
    return await open_login_session(
        session, store, tenant, user, policy, address=address, user_agent=user_agent
    )


async def logout(session: AsyncSession, store: SessionStore, principal: Principal) -> None:
    if principal.session_hash:
        await store.delete(principal.session_hash)
    await audit.record(session, "auth.logout")


async def change_own_password(
    session: AsyncSession, store: SessionStore, principal: Principal, current: str, new: str
) -> None:
    user = await session.get_one(User, (principal.tenant_id, principal.user_id))
    if not verify_password(user.password_hash, current):
        await audit.record(session, "auth.password_change", success=False, detail="wrong current password")
        await session.commit()
        raise invalid_field("current_password", _("The current password is wrong."), code="wrong_password")
    if current == new:
        raise invalid_field(
            "new_password", _("Choose a password different from the current one."), code="unchanged"
        )
    await set_password(session, user, new, await security_policy(session), field="new_password")
    user.must_change_password = False
    await store.delete_for_user(principal.tenant_id, user.id, keep=principal.session_hash)
    await audit.record(session, "auth.password_change", object_type="user", object_id=user.id)


# --- users -----------------------------------------------------------------------------------------


async def _check_duties(session: AsyncSession, user_id: uuid.UUID | None, adding: Role) -> None:
    permissions = set(adding.permissions)
    if user_id is not None:
        held = await session.scalars(
            select(Role)
            .join(RoleAssignment, RoleAssignment.role_id == Role.id)
            .where(RoleAssignment.user_id == user_id)
        )
        for role in held:
            permissions |= set(role.permissions)
    if len(duties_of(permissions)) > 1:
        raise Conflict(SEPARATION_MESSAGE, code="separation_of_duties")


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    org_node: OrgNode,
    password: str | None,
    role_keys: list[str],
    must_change_password: bool = True,
    created_by: Principal | None = None,
) -> User:
    """A user placed at ``org_node`` holding ``role_keys`` there (caller's tenant transaction)."""
    username = check_username(username)
    display_name = " ".join(display_name.split())
    if not display_name:
        raise invalid_field("display_name", _("This field is required."), code="missing")
    if (await session.scalars(select(User).where(User.username == username))).first() is not None:
        raise Conflict(
            _("The input conflicts with existing data."),
            errors=[
                FieldProblem(
                    "username", "duplicate", _("The username {username} is taken."), {"username": username}
                )
            ],
        )
    policy = await security_policy(session)
    if password is not None:
        check_policy(password, policy, username=username)
    roles = []
    for index, key in enumerate(role_keys):
        role = (await session.scalars(select(Role).where(Role.key == key))).first()
        if role is None:
            raise invalid_field(f"roles[{index}]", _("Unknown role {role}."), code="unknown_role", role=key)
        roles.append(role)
    if created_by is not None and not created_by.has("grant.write"):
        # Accounts are a system duty; handing out security or audit powers is the security administrator's.
        for index, role in enumerate(roles):
            if duties_of(set(role.permissions)) & {"security", "audit"}:
                raise Forbidden(
                    _(
                        "Only a security administrator may give the role {role}; create the account without it."
                    ),
                    code="grant_requires_security_admin",
                    errors=[FieldProblem(f"roles[{index}]", "not_allowed", _("Not allowed here."))],
                    role=role.key,
                )
    union: set[str] = set()
    for role in roles:
        union |= set(role.permissions)
    if len(duties_of(union)) > 1:
        raise Conflict(SEPARATION_MESSAGE, code="separation_of_duties")
    user = User(
        username=username,
        display_name=display_name,
        org_node_id=org_node.id,
        password_hash=None,
        status=USER_ACTIVE if password is not None else USER_INVITED,
        must_change_password=must_change_password,
    )
    session.add(user)
    await session.flush()
    if password is not None:
        await set_password(session, user, password, policy)
    for role in roles:
        session.add(
            RoleAssignment(
                user_id=user.id,
                role_id=role.id,
                org_node_id=org_node.id,
                granted_by=created_by.user_id if created_by else None,
            )
        )
    await session.flush()
    await audit.record(
        session,
        "user.create",
        object_type="user",
        object_id=user.id,
        org_node_id=org_node.id,
        changes={"username": [None, username], "roles": [None, role_keys]},
    )
    return user


async def user_in_scope(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, permission: str
) -> User:
    from core.auth.scope import load_in_scope

    return await load_in_scope(session, principal, User, user_id, permission)


async def invite_user(
    session: AsyncSession,
    principal: Principal,
    *,
    org_node: OrgNode,
    username: str,
    display_name: str,
    role_keys: list[str],
    email: str | None = None,
) -> tuple[User, str]:
    """An invited account at ``org_node`` and its one-time invitation token (emailed when it has an address)."""
    from core.notifications.settings import set_email

    user = await create_user(
        session,
        username=username,
        display_name=display_name,
        org_node=org_node,
        password=None,
        role_keys=role_keys,
        must_change_password=False,
        created_by=principal,
    )
    if email:
        set_email(user, email)
    return user, await issue_token(session, principal, user, "invitation")


async def issue_token(session: AsyncSession, principal: Principal, user: User, purpose: str) -> str:
    """A one-time invitation or reset token for ``user``, valid for the district's invitation days.

    When the user has an email address (and the platform an email channel), the token is also sent
    to them by email.
    """
    tenant = await session.get_one(Tenant, principal.tenant_id)
    days = parse_tenant_settings(tenant.settings).security.invitation_days
    token, expires_at = _new_token(
        session, user, purpose, dt.timedelta(days=days), created_by=principal.user_id
    )
    await audit.record(
        session, f"user.{purpose}", object_type="user", object_id=user.id, org_node_id=user.org_node_id
    )
    await send_token_email(session, user, purpose, token, expires_at)
    return token


def _new_token(
    session: AsyncSession, user: User, purpose: str, lifetime: dt.timedelta, *, created_by: uuid.UUID | None
) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(24)
    expires_at = utcnow() + lifetime
    session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(token),
            expires_at=expires_at,
            created_by=created_by,
        )
    )
    return token, expires_at


# A new self-service reset is not issued while the last one is this fresh (one email per few minutes).
RESET_COOLDOWN = dt.timedelta(minutes=5)


async def request_reset(session: AsyncSession, *, district: str, username: str) -> None:
    """Self-service password reset: email a one-time link to the account's address, if it has one.

    The caller learns nothing either way (no account enumeration): unknown
    districts and usernames, accounts without an email and a cooldown all
    end silently.
    """
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == district.strip().lower()))).first()
    if tenant is None or not tenant.is_active:
        return
    await bind_tenant(session, tenant.id)
    user = (await session.scalars(select(User).where(User.username == username.strip().lower()))).first()
    if user is None or user.status != USER_ACTIVE or not user.email_encrypted:
        return
    lifetime = dt.timedelta(minutes=parse_tenant_settings(tenant.settings).security.reset_link_minutes)
    recent = (
        await session.scalars(
            select(UserToken.id).where(
                UserToken.user_id == user.id,
                UserToken.purpose == "reset",
                UserToken.used_at.is_(None),
                UserToken.expires_at > utcnow() + lifetime - RESET_COOLDOWN,
            )
        )
    ).first()
    if recent is not None:
        return
    token, expires_at = _new_token(session, user, "reset", lifetime, created_by=None)
    await audit.record(
        session,
        "user.reset_requested",
        object_type="user",
        object_id=user.id,
        org_node_id=user.org_node_id,
        user_id=user.id,
        username=user.username,
    )
    await send_token_email(session, user, "reset", token, expires_at)


async def redeem_token(
    session: AsyncSession, store: SessionStore, *, district: str, token: str, password: str
) -> User:
    """Set a password with an invitation or reset token (the user is not logged in)."""
    tenant = (await session.scalars(select(Tenant).where(Tenant.slug == district.strip().lower()))).first()
    invalid = invalid_field("token", _("The link is invalid or has expired."), code="invalid_token")
    if tenant is None or not tenant.is_active:
        raise invalid
    await bind_tenant(session, tenant.id)
    row = (await session.scalars(select(UserToken).where(UserToken.token_hash == token_hash(token)))).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise invalid
    user = await session.get_one(User, (tenant.id, row.user_id))
    if user.status == USER_DISABLED:
        raise invalid
    await set_password(session, user, password, parse_tenant_settings(tenant.settings).security)
    user.must_change_password = False
    user.status = USER_ACTIVE
    user.failed_logins = 0
    user.locked_until = None
    row.used_at = utcnow()
    await store.delete_for_user(tenant.id, user.id)
    await audit.record(
        session,
        f"user.{row.purpose}_redeemed",
        object_type="user",
        object_id=user.id,
        user_id=user.id,
        username=user.username,
    )
    return user


async def set_user_status(
    session: AsyncSession, store: SessionStore, principal: Principal, user: User, status: str
) -> None:
    if user.id == principal.user_id:
        raise Conflict(_("You cannot change the status of your own account."), code="own_account")
    before = user.status
    if status == USER_DISABLED:
        await store.delete_for_user(principal.tenant_id, user.id)
    elif before == USER_INVITED:
        raise Conflict(
            _("An invited account becomes active when the invitation is accepted."), code="invited"
        )
    user.status = status
    await audit.record(
        session,
        "user.status",
        object_type="user",
        object_id=user.id,
        org_node_id=user.org_node_id,
        changes={"status": [before, status]},
    )


# --- roles and grants ------------------------------------------------------------------------------


def check_permissions(keys: list[str], field: str = "permissions") -> list[str]:
    problems = [
        FieldProblem(
            f"{field}[{i}]", "unknown_permission", _("Unknown permission {permission}."), {"permission": k}
        )
        for i, k in enumerate(keys)
        if get_permission(k) is None
    ]
    if problems:
        raise Invalid(_("The input is not valid."), errors=problems)
    unique = sorted(set(keys))
    if len(duties_of(set(unique))) > 1:
        raise Conflict(SEPARATION_MESSAGE, code="separation_of_duties")
    return unique


async def grant(
    session: AsyncSession, principal: Principal, *, user_id: uuid.UUID, role_key: str, node_id: uuid.UUID
) -> RoleAssignment:
    user = await user_in_scope(session, principal, user_id, "grant.write")
    node = await node_in_scope(session, principal, node_id, "grant.write")
    role = (await session.scalars(select(Role).where(Role.key == role_key))).first()
    if role is None:
        raise invalid_field("role", _("Unknown role {role}."), code="unknown_role", role=role_key)
    if user.id == principal.user_id:
        raise Conflict(_("You cannot grant roles to yourself."), code="own_account")
    await _check_duties(session, user.id, role)
    existing = (
        await session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.role_id == role.id,
                RoleAssignment.org_node_id == node.id,
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(_("The user already holds this role there."), code="duplicate")
    assignment = RoleAssignment(
        user_id=user.id, role_id=role.id, org_node_id=node.id, granted_by=principal.user_id
    )
    session.add(assignment)
    await session.flush()
    await audit.record(
        session,
        "grant.create",
        object_type="role_assignment",
        object_id=assignment.id,
        org_node_id=node.id,
        changes={"user": [None, user.username], "role": [None, role.key]},
    )
    return assignment


async def revoke(session: AsyncSession, principal: Principal, assignment_id: uuid.UUID) -> None:
    assignment = await load_assignment(session, principal, assignment_id, "grant.write")
    if assignment.user_id == principal.user_id:
        raise Conflict(_("You cannot revoke your own roles."), code="own_account")
    await session.delete(assignment)
    await audit.record(
        session,
        "grant.delete",
        object_type="role_assignment",
        object_id=assignment_id,
        org_node_id=assignment.org_node_id,
    )


async def load_assignment(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, permission: str
) -> RoleAssignment:
    return await load_in_scope(session, principal, RoleAssignment, assignment_id, permission)


def role_snapshot(role: Role) -> dict[str, Any]:
    return {"name_zh": role.name_zh, "name_en": role.name_en, "permissions": sorted(role.permissions)}
