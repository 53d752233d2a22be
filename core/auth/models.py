"""Auth tables: tenant-scoped users, roles, role assignments, one-time tokens and password history;
the platform-level ``auth_session`` (looked up by token before the tenant is known)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, TenantScoped, Timestamped, tenant_fk

USER_ACTIVE = "active"
USER_INVITED = "invited"
USER_DISABLED = "disabled"


class User(TenantScoped, Timestamped, Base):
    """A login of one district. ``org_node_id`` places the account in the tree for scoping."""

    __tablename__ = "app_user"
    __table_args__ = (
        UniqueConstraint("tenant_id", "username"),
        CheckConstraint("status IN ('active', 'invited', 'disabled')", name="status"),
    )

    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    status: Mapped[str] = mapped_column(String(20), default=USER_ACTIVE)
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    person_id: Mapped[uuid.UUID | None] = tenant_fk("person", nullable=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Where notifications may reach the user outside the console (encrypted with the district's key).
    email_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), default=None)
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default="zh_CN")
    # Second factor (core/auth/totp.py): the secret (encrypted with the district's key) is set at
    # enrolment and active once ``totp_enabled_at`` is set; ``totp_last_counter`` is the time step of the
    # last accepted code, so a code cannot be used twice. A password login of an enrolled account leaves
    # a one-time challenge (only its hash) for the second step.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    totp_enabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    totp_last_counter: Mapped[int | None] = mapped_column(default=None)
    totp_challenge_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_challenge_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Role(TenantScoped, Timestamped, Base):
    """A named set of permissions; built-in roles are created with each tenant."""

    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    permissions: Mapped[list[str]] = mapped_column(default=list)
    builtin: Mapped[bool] = mapped_column(default=False)


class RoleAssignment(TenantScoped, Base):
    """User U holds role R at node N, valid for N's whole subtree."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "role_id", "org_node_id"),)

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE")
    role_id: Mapped[uuid.UUID] = tenant_fk("role", ondelete="CASCADE")
    org_node_id: Mapped[uuid.UUID] = tenant_fk("org_node")
    granted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    granted_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class UserToken(TenantScoped, Base):
    """A one-time token (invitation or password reset) an administrator hands over; stored hashed."""

    __tablename__ = "user_token"
    __table_args__ = (
        UniqueConstraint("tenant_id", "token_hash"),
        CheckConstraint("purpose IN ('invitation', 'reset')", name="purpose"),
    )

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE")
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class PasswordHistory(TenantScoped, Base):
    """A password a user had (its Argon2id hash), so the district's last N may not be chosen again."""

    __tablename__ = "password_history"

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE")
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=lambda: dt.datetime.now(dt.UTC))


class RecoveryCode(TenantScoped, Base):
    """One of the one-time codes that stand in for a lost authenticator; stored hashed (SHA-256)."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id", "code_hash"),)

    user_id: Mapped[uuid.UUID] = tenant_fk("app_user", ondelete="CASCADE", index=False)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuthSession(Base):
    """A server-side login session (platform table, filtered explicitly by token hash).

    Used when no Redis is configured; with Redis the same records live there.
    """

    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_tenant_id_user_id", "tenant_id", "user_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    idle_seconds: Mapped[int]
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(300), default=None)
