"""A plugin whose hooks raise: the platform and the other plugins must carry on without it."""

from __future__ import annotations

from typing import Any

from core.api import Manifest, hookimpl


@hookimpl
def quanyu_manifest() -> Manifest:
    return Manifest(slug="faulty", name_zh="故障", name_en="Faulty", version="1.0.0")


@hookimpl
def quanyu_route_handlers() -> list[Any]:
    raise RuntimeError("faulty cannot build its routes")


@hookimpl
async def quanyu_dashboard_figures(tenant_id: Any, node: Any, session: Any) -> list[Any]:
    raise RuntimeError("faulty cannot count")


@hookimpl
async def quanyu_tenant_provisioned(tenant_id: Any, session: Any) -> None:
    from sqlalchemy import update

    from core.tenancy.models import Tenant

    await session.execute(update(Tenant).where(Tenant.id == tenant_id).values(name_zh="broken"))
    raise RuntimeError("faulty cannot welcome a new district")


@hookimpl
async def quanyu_map_features(tenant_id: Any, node: Any, session: Any) -> list[Any]:
    raise RuntimeError("faulty has lost its map")
