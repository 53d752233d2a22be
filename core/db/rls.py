"""Row-level security for tenant tables, applied by migrations through one helper.

Policies read ``nullif(current_setting('quanyu.tenant_id', true), '')::uuid``
so a transaction with no tenant set matches no row at all. FORCE makes the
table owner subject too (the ``owner`` role itself bypasses RLS by
attribute, which migrations need).
"""

from __future__ import annotations

from typing import Any

POLICY_NAME = "tenant_isolation"
TENANT_EXPR = "nullif(current_setting('quanyu.tenant_id', true), '')::uuid"


def enable_tenant_rls(op: Any, table: str) -> None:
    """In a migration: enable and force RLS on ``table`` with the tenant policy (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
    op.execute(
        f"CREATE POLICY {POLICY_NAME} ON {table} "
        f"USING (tenant_id = {TENANT_EXPR}) WITH CHECK (tenant_id = {TENANT_EXPR})"
    )


def disable_tenant_rls(op: Any, table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
