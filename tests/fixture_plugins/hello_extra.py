"""A plugin that requires ``hello`` (>=1.0) to be enabled first; it refuses enabling in a district named 拒绝区."""

from __future__ import annotations

from typing import Any

from core.api import Manifest, hookimpl


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(
        slug="hello_extra",
        name_zh="问候扩展",
        name_en="Hello extra",
        version="0.1.0",
        requires={"hello": ">=1.0"},
    )


@hookimpl
async def quanyu_plugin_enabled(tenant_id: Any, session: Any) -> None:
    from core.tenancy.models import Tenant

    tenant = await session.get(Tenant, tenant_id)
    if tenant is not None and tenant.name_zh == "拒绝区":
        raise RuntimeError("hello_extra refuses this district")


# Districts this process has seen provisioned (read by the tests).
PROVISIONED: list[Any] = []


@hookimpl
def quanyu_tenant_provisioned(tenant_id: Any, session: Any) -> None:
    PROVISIONED.append(tenant_id)
