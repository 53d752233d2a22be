"""``/api/v1/auth`` (log in and out, own password), ``/api/v1/users``, ``/api/v1/roles``, ``/api/v1/grants``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy import select

from core.audit import service as audit
from core.auth import service, totp
from core.auth.models import USER_INVITED, Role, RoleAssignment, User
from core.auth.permissions import all_permissions
from core.auth.schemas import (
    AssignmentOut,
    ForgotIn,
    GrantIn,
    GrantOut,
    LoginIn,
    LoginOut,
    LoginTotpIn,
    MeOut,
    PasswordChangeIn,
    PermissionOut,
    RecoveryCodesOut,
    RedeemIn,
    RoleIn,
    RoleOut,
    RoleUpdate,
    SecondFactorOut,
    SessionOut,
    TokenOut,
    TotpConfirmIn,
    TotpDisableIn,
    TotpSetupOut,
    UserCreatedOut,
    UserCreateIn,
    UserOut,
    UserStatusIn,
)
from core.auth.scope import Principal, node_in_scope, scoped_select
from core.auth.sessions import SESSION_COOKIE, public_id
from core.context import current_context
from core.db.base import utcnow
from core.errors import Conflict, invalid_field, not_found
from core.i18n import _, current_locale
from core.orgs.models import OrgNode
from core.settings import get_settings
from core.tenancy.models import Tenant
from core.tenancy.settings import parse_tenant_settings
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.middleware import session_store
from core.web.schemas import Page, paginate


async def me_out(db: DB, principal: CurrentPrincipal) -> MeOut:
    node_ids = {g.node_id for g in principal.grants}
    names = {n.id: n.name for n in await db.scalars(select(OrgNode).where(OrgNode.id.in_(node_ids)))}
    user = await db.get_one(User, (principal.tenant_id, principal.user_id))
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        district=principal.tenant_slug,
        must_change_password=principal.must_change_password,
        permissions=sorted({p for g in principal.grants for p in g.permissions}),
        grants=[
            GrantOut(
                role=g.role_key,
                node_id=g.node_id,
                node_name=names.get(g.node_id),
                permissions=sorted(g.permissions),
            )
            for g in principal.grants
        ],
        totp_enabled=user.totp_enabled_at is not None,
        second_factor_enrolment_required=principal.second_factor_enrolment_required,
    )


def session_cookie(value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/",
        max_age=max_age,
    )


# The caller's own account and sessions: usable before a required password change or enrolment.
OWN_ACCOUNT = {"allowed_before_password_change": True, "allowed_before_second_factor": True}


async def login_response(db: DB, token: str, principal: Principal) -> Response[Any]:
    tenant = await db.get_one(Tenant, principal.tenant_id)
    hours = parse_tenant_settings(tenant.settings).security.session_absolute_hours
    body = LoginOut(token=token, user=await me_out(db, principal))
    return Response(body, cookies=[session_cookie(token, hours * 3600)])


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/login",
        opt={"exclude_from_auth": True},
        status_code=200,
        summary="Log in; returns a bearer token and sets the session cookie, or (two-step verification on) "
        "a challenge for POST /auth/login/totp",
    )
    async def login(
        self, request: Request[Any, Any, Any], db: DB, data: JSONBody[LoginIn]
    ) -> Response[LoginOut | SecondFactorOut]:
        store = session_store(request.app.state, db)
        result = await service.login(
            db,
            store,
            district=data.district,
            username=data.username,
            password=data.password,
            address=current_context().address,
            user_agent=request.headers.get("user-agent"),
        )
        if isinstance(result, service.SecondFactorChallenge):
            return Response(SecondFactorOut(second_factor_required=True, challenge=result.challenge))
        return await login_response(db, *result)

    @post(
        "/login/totp",
        opt={"exclude_from_auth": True},
        status_code=200,
        summary="Second login step: the challenge with the authenticator's code (or a recovery code)",
    )
    async def login_totp(
        self, request: Request[Any, Any, Any], db: DB, data: JSONBody[LoginTotpIn]
    ) -> Response[LoginOut]:
        token, principal = await service.login_second_step(
            db,
            session_store(request.app.state, db),
            challenge=data.challenge,
            code=data.code,
            recovery_code=data.recovery_code,
            address=current_context().address,
            user_agent=request.headers.get("user-agent"),
        )
        return await login_response(db, token, principal)

    @post("/logout", status_code=200, opt=OWN_ACCOUNT, summary="End this session")
    async def logout(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal
    ) -> Response[None]:
        await service.logout(db, session_store(request.app.state, db), principal)
        return Response(None, cookies=[session_cookie("", 0)])

    @get("/me", opt=OWN_ACCOUNT, summary="The caller, their roles and scopes")
    async def me(self, db: DB, principal: CurrentPrincipal) -> MeOut:
        return await me_out(db, principal)

    @post(
        "/password",
        status_code=200,
        opt=OWN_ACCOUNT,
        summary="Change one's own password (other sessions are ended)",
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        data: JSONBody[PasswordChangeIn],
    ) -> None:
        await service.change_own_password(
            db, session_store(request.app.state, db), principal, data.current_password, data.new_password
        )

    @get("/sessions", opt=OWN_ACCOUNT, summary="The caller's own live sessions")
    async def list_sessions(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal
    ) -> list[SessionOut]:
        store = session_store(request.app.state, db)
        records = await store.list_for_user(principal.tenant_id, principal.user_id)
        now = utcnow()
        return [
            SessionOut(
                id=public_id(r.token_hash),
                created_at=r.created_at,
                last_seen_at=r.last_seen_at,
                expires_at=r.expires_at,
                address=r.address,
                user_agent=r.user_agent,
                current=r.token_hash == principal.session_hash,
            )
            for r in sorted(records, key=lambda r: r.created_at, reverse=True)
            if r.is_live(now)
        ]

    @delete("/sessions/{session_id:str}", opt=OWN_ACCOUNT, summary="End one of the caller's own sessions")
    async def end_session(
        self, request: Request[Any, Any, Any], db: DB, principal: CurrentPrincipal, session_id: FromPath[str]
    ) -> None:
        store = session_store(request.app.state, db)
        for record in await store.list_for_user(principal.tenant_id, principal.user_id):
            if public_id(record.token_hash) == session_id:
                await store.delete(record.token_hash)
                await audit.record(
                    db,
                    "auth.session_end",
                    detail="current" if record.token_hash == principal.session_hash else None,
                )
                return
        raise not_found()

    @post(
        "/totp/setup",
        status_code=200,
        opt=OWN_ACCOUNT,
        summary="Start two-step verification: a new secret and its otpauth:// URI, shown once",
    )
    async def totp_setup(self, db: DB, principal: CurrentPrincipal) -> TotpSetupOut:
        secret, uri = await totp.begin_enrolment(db, principal)
        return TotpSetupOut(secret=secret, provisioning_uri=uri)

    @post(
        "/totp/confirm",
        status_code=200,
        opt=OWN_ACCOUNT,
        summary="Turn two-step verification on with a first code; returns ten recovery codes, shown once "
        "(other sessions are ended)",
    )
    async def totp_confirm(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        data: JSONBody[TotpConfirmIn],
    ) -> RecoveryCodesOut:
        codes = await totp.confirm_enrolment(db, session_store(request.app.state, db), principal, data.code)
        return RecoveryCodesOut(recovery_codes=codes)

    @post(
        "/totp/disable",
        status_code=200,
        opt={"allowed_before_password_change": True},
        summary="Turn two-step verification off (password and a code; not while the district requires it)",
    )
    async def totp_disable(self, db: DB, principal: CurrentPrincipal, data: JSONBody[TotpDisableIn]) -> None:
        await totp.disable(db, principal, password=data.password, code=data.code)

    @post(
        "/forgot",
        opt={"exclude_from_auth": True},
        status_code=202,
        summary="Forgotten password: email a one-time reset link if the account has an address (always 202)",
    )
    async def forgot(self, db: DB, data: JSONBody[ForgotIn]) -> dict[str, str]:
        await service.request_reset(db, district=data.district, username=data.username)
        return {"status": "accepted"}

    @post(
        "/redeem",
        opt={"exclude_from_auth": True},
        status_code=200,
        summary="Set a password with an invitation or reset token",
    )
    async def redeem(self, request: Request[Any, Any, Any], db: DB, data: JSONBody[RedeemIn]) -> None:
        await service.redeem_token(
            db,
            session_store(request.app.state, db),
            district=data.district,
            token=data.token,
            password=data.password,
        )


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        status=user.status,
        org_node_id=user.org_node_id,
        must_change_password=user.must_change_password,
        last_login_at=user.last_login_at,
        locked=bool(user.locked_until and user.locked_until > utcnow()),
        created_at=user.created_at,
        totp_enabled=user.totp_enabled_at is not None,
    )


async def invitation_days(db: DB, principal: CurrentPrincipal) -> int:
    tenant = await db.get_one(Tenant, principal.tenant_id)
    return parse_tenant_settings(tenant.settings).security.invitation_days


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/", opt={"permission": "user.read"}, summary="Accounts in the caller's scope")
    async def list_users(
        self, db: DB, principal: CurrentPrincipal, page: Paging, status: FromQuery[str | None] = None
    ) -> Page[UserOut]:
        stmt = scoped_select(User, principal, "user.read")
        if status is not None:
            stmt = stmt.where(User.status == status)
        rows, total = await paginate(db, stmt.order_by(User.username), page)
        return Page(items=[user_out(u) for u in rows], total=total, limit=page.limit, offset=page.offset)

    @post(
        "/",
        opt={"permission": "user.write"},
        summary="Create an account; the person sets the password through the invitation token",
    )
    async def create_user(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[UserCreateIn]
    ) -> UserCreatedOut:
        node = await node_in_scope(db, principal, data.org_node_id, "user.write")
        user, token = await service.invite_user(
            db,
            principal,
            org_node=node,
            username=data.username,
            display_name=data.display_name,
            role_keys=list(data.roles),
            email=data.email,
        )
        return UserCreatedOut(
            user=user_out(user),
            invitation_token=token,
            invitation_expires_in_days=await invitation_days(db, principal),
        )

    @get("/{user_id:uuid}", opt={"permission": "user.read"}, summary="One account")
    async def read_user(self, db: DB, principal: CurrentPrincipal, user_id: FromPath[uuid.UUID]) -> UserOut:
        return user_out(await service.user_in_scope(db, principal, user_id, "user.read"))

    @post(
        "/{user_id:uuid}/status",
        opt={"permission": "user.write"},
        status_code=200,
        summary="Disable (ends its sessions) or re-enable an account",
    )
    async def set_status(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        user_id: FromPath[uuid.UUID],
        data: JSONBody[UserStatusIn],
    ) -> UserOut:
        user = await service.user_in_scope(db, principal, user_id, "user.write")
        await service.set_user_status(db, session_store(request.app.state, db), principal, user, data.status)
        return user_out(user)

    @post(
        "/{user_id:uuid}/reset",
        opt={"permission": "user.write"},
        summary="Issue a one-time password-reset token to hand to the person",
    )
    async def reset(self, db: DB, principal: CurrentPrincipal, user_id: FromPath[uuid.UUID]) -> TokenOut:
        user = await service.user_in_scope(db, principal, user_id, "user.write")
        purpose = "invitation" if user.status == USER_INVITED else "reset"
        token = await service.issue_token(db, principal, user, purpose)
        return TokenOut(token=token, expires_in_days=await invitation_days(db, principal))

    @post(
        "/{user_id:uuid}/totp/reset",
        opt={"permission": "grant.write"},
        status_code=200,
        summary="Reset the account's second factor (a lost authenticator): its sessions end and its next "
        "login must enrol again (security administrator)",
    )
    async def reset_totp(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        user_id: FromPath[uuid.UUID],
    ) -> UserOut:
        user = await service.user_in_scope(db, principal, user_id, "grant.write")
        await totp.reset_by_administrator(db, session_store(request.app.state, db), principal, user)
        return user_out(user)

    @get(
        "/{user_id:uuid}/grants",
        opt={"permission": "role.read"},
        summary="Roles the account holds, and where",
    )
    async def user_grants(
        self, db: DB, principal: CurrentPrincipal, user_id: FromPath[uuid.UUID]
    ) -> list[AssignmentOut]:
        user = await service.user_in_scope(db, principal, user_id, "role.read")
        rows = await db.execute(
            select(RoleAssignment, Role.key)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(RoleAssignment.user_id == user.id)
            .order_by(Role.key)
        )
        return [
            AssignmentOut(
                id=a.id, user_id=a.user_id, role=key, org_node_id=a.org_node_id, granted_at=a.granted_at
            )
            for a, key in rows
        ]


def role_out(role: Role) -> RoleOut:
    return RoleOut(
        id=role.id,
        key=role.key,
        name=role.name_en if current_locale() == "en" else role.name_zh,
        name_zh=role.name_zh,
        name_en=role.name_en,
        permissions=sorted(role.permissions),
        builtin=role.builtin,
    )


class RoleController(Controller):
    path = "/roles"
    tags = ["roles"]

    @get("/", opt={"permission": "role.read"}, summary="Roles of the district")
    async def list_roles(self, db: DB) -> list[RoleOut]:
        return [role_out(r) for r in await db.scalars(select(Role).order_by(Role.builtin.desc(), Role.key))]

    @get("/permissions", opt={"permission": "role.read"}, summary="Every permission a role may carry")
    async def permissions(self) -> list[PermissionOut]:
        en = current_locale() == "en"
        return [
            PermissionOut(key=p.key, description=p.description_en if en else p.description_zh, duty=p.duty)
            for p in all_permissions()
        ]

    @post("/", opt={"permission": "role.write"}, summary="Create a custom role")
    async def create_role(self, db: DB, data: JSONBody[RoleIn]) -> RoleOut:
        permissions = service.check_permissions(list(data.permissions))
        if (await db.scalars(select(Role).where(Role.key == data.key))).first() is not None:
            raise invalid_field("key", _("The role key {key} is taken."), code="duplicate", key=data.key)
        role = Role(key=data.key, name_zh=data.name_zh, name_en=data.name_en, permissions=permissions)
        db.add(role)
        await db.flush()
        await audit.record(
            db,
            "role.create",
            object_type="role",
            object_id=role.id,
            changes=audit.diff({}, service.role_snapshot(role)),
        )
        return role_out(role)

    @patch("/{role_id:uuid}", opt={"permission": "role.write"}, summary="Change a custom role")
    async def update_role(self, db: DB, role_id: FromPath[uuid.UUID], data: JSONBody[RoleUpdate]) -> RoleOut:
        role = (await db.scalars(select(Role).where(Role.id == role_id))).first()
        if role is None:
            raise not_found()
        if role.builtin:
            raise Conflict(_("Built-in roles cannot be changed; create a custom role."), code="builtin_role")
        before = service.role_snapshot(role)
        if isinstance(data.name_zh, str):
            role.name_zh = data.name_zh
        if isinstance(data.name_en, str):
            role.name_en = data.name_en
        if isinstance(data.permissions, list):
            permissions = service.check_permissions(list(data.permissions))
            holders = await db.scalars(
                select(RoleAssignment.user_id).where(RoleAssignment.role_id == role.id)
            )
            for user_id in set(holders):
                other = await db.scalars(
                    select(Role)
                    .join(RoleAssignment, RoleAssignment.role_id == Role.id)
                    .where(RoleAssignment.user_id == user_id, Role.id != role.id)
                )
                union = set(permissions).union(*(set(r.permissions) for r in other))
                service.check_permissions(sorted(union))
            role.permissions = permissions
        await db.flush()
        await audit.record(
            db,
            "role.update",
            object_type="role",
            object_id=role.id,
            changes=audit.diff(before, service.role_snapshot(role)),
        )
        return role_out(role)


class GrantController(Controller):
    path = "/grants"
    tags = ["roles"]

    @post(
        "/",
        opt={"permission": "grant.write"},
        summary="Grant a role to an account at a node (and its subtree)",
    )
    async def create_grant(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[GrantIn]
    ) -> AssignmentOut:
        a = await service.grant(
            db, principal, user_id=data.user_id, role_key=data.role, node_id=data.org_node_id
        )
        return AssignmentOut(
            id=a.id, user_id=a.user_id, role=data.role, org_node_id=a.org_node_id, granted_at=a.granted_at
        )

    @delete("/{assignment_id:uuid}", opt={"permission": "grant.write"}, summary="Revoke a grant")
    async def delete_grant(
        self, db: DB, principal: CurrentPrincipal, assignment_id: FromPath[uuid.UUID]
    ) -> None:
        await service.revoke(db, principal, assignment_id)


__all__ = ["AuthController", "GrantController", "RoleController", "UserController"]
