"""Permissions, built-in roles and separation of duties (三权分立).

A permission is a dotted string. Each belongs to at most one *duty*:
``system`` (org tree, people, users, mechanisms), ``security`` (roles and
grants) or ``audit`` (reading the audit log). No role may mix two duties,
and no user may hold roles of two duties, so the system, security and
audit administrators stay three different people.
"""

from __future__ import annotations

import msgspec

from core.i18n import _


class Permission(msgspec.Struct, frozen=True):
    key: str
    description_zh: str
    description_en: str
    duty: str | None = None  # "system" | "security" | "audit" | None (business read)


_permissions: dict[str, Permission] = {}


def register_permission(permission: Permission) -> None:
    _permissions[permission.key] = permission


def get_permission(key: str) -> Permission | None:
    return _permissions.get(key)


def all_permissions() -> list[Permission]:
    return sorted(_permissions.values(), key=lambda p: p.key)


for _p in (
    Permission("org.read", "查看组织", "Read the organisation tree"),
    Permission("org.write", "管理组织", "Create, change, move and archive organisations", "system"),
    Permission("person.read", "查看人员", "Read people (masked)"),
    Permission("person.write", "管理人员", "Create and change people, move members", "system"),
    Permission("person.unmask", "查看敏感信息", "Show full ID card numbers and phones (audited)", "system"),
    Permission("person.import", "导入人员", "Import people and organisations from spreadsheets", "system"),
    Permission("person.export", "导出人员", "Export people to spreadsheets", "system"),
    Permission(
        "person.rights",
        "处理个人信息权利请求",
        "Decide people's requests to correct or erase their data (applies them; audited)",
        "system",
    ),
    Permission("user.read", "查看账号", "Read user accounts"),
    Permission("user.write", "管理账号", "Create, disable, invite and reset user accounts", "system"),
    Permission("role.read", "查看角色", "Read roles and grants"),
    Permission("role.write", "管理角色", "Create and change roles", "security"),
    Permission(
        "grant.write",
        "授权与重置二次验证",
        "Grant and revoke roles; reset an account's second factor",
        "security",
    ),
    Permission("audit.read", "查看审计", "Read the audit log", "audit"),
    Permission("tenant.configure", "配置机制", "Enable, disable and configure mechanisms", "system"),
):
    register_permission(_p)


class BuiltinRole(msgspec.Struct, frozen=True):
    key: str
    name_zh: str
    name_en: str
    permissions: frozenset[str]


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole(
        "system_admin",
        "系统管理员",
        "System administrator",
        frozenset(
            {
                "org.read",
                "org.write",
                "person.read",
                "person.write",
                "person.unmask",
                "person.import",
                "person.export",
                "person.rights",
                "user.read",
                "user.write",
                "tenant.configure",
            }
        ),
    ),
    BuiltinRole(
        "security_admin",
        "安全管理员",
        "Security administrator",
        frozenset({"role.read", "role.write", "grant.write", "user.read", "org.read"}),
    ),
    BuiltinRole("audit_admin", "审计管理员", "Audit administrator", frozenset({"audit.read"})),
    BuiltinRole(
        "org_admin",
        "组织管理员",
        "Organisation administrator",
        frozenset(
            {
                "org.read",
                "org.write",
                "person.read",
                "person.write",
                "person.unmask",
                "person.import",
                "person.export",
                "person.rights",
                "user.read",
            }
        ),
    ),
    BuiltinRole(
        "secretary",
        "书记",
        "Secretary",
        frozenset({"org.read", "person.read", "person.write", "person.unmask", "person.export"}),
    ),
    BuiltinRole("staff", "工作人员", "Staff", frozenset({"org.read", "person.read", "person.write"})),
    BuiltinRole("viewer", "查看者", "Viewer", frozenset({"org.read", "person.read"})),
)


def duties_of(permissions: set[str] | frozenset[str]) -> set[str]:
    """The administrative duties a set of permissions touches."""
    duties = set()
    for key in permissions:
        permission = _permissions.get(key)
        if permission and permission.duty:
            duties.add(permission.duty)
    return duties


SEPARATION_MESSAGE = _(
    "Separation of duties: system, security and audit administration cannot be held together."
)
