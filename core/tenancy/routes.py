"""``/api/v1/district``: the caller's district and its settings."""

from __future__ import annotations

import uuid

from litestar import Controller, get, put
from litestar.params import JSONBody

from core.audit import service as audit
from core.i18n import current_locale
from core.tenancy.models import Tenant
from core.tenancy.service import root_node
from core.tenancy.settings import TenantSettings, dump_tenant_settings, parse_tenant_settings
from core.web.deps import DB, CurrentPrincipal
from core.web.schemas import Output


class DistrictOut(Output):
    id: uuid.UUID
    code: str
    slug: str
    name: str
    name_zh: str
    name_en: str
    status: str
    root_node_id: uuid.UUID
    settings: TenantSettings


class DistrictController(Controller):
    path = "/district"
    tags = ["district"]

    @get("/", summary="The caller's district")
    async def read(self, db: DB, principal: CurrentPrincipal) -> DistrictOut:
        tenant = await db.get_one(Tenant, principal.tenant_id)
        root = await root_node(db, tenant.id)
        return DistrictOut(
            id=tenant.id,
            code=tenant.code,
            slug=tenant.slug,
            name=tenant.name_en if current_locale() == "en" else tenant.name_zh,
            name_zh=tenant.name_zh,
            name_en=tenant.name_en,
            status=tenant.status,
            root_node_id=root.id,
            settings=parse_tenant_settings(tenant.settings),
        )

    @put(
        "/settings",
        opt={"permission": "tenant.configure"},
        summary="Replace the district's rule thresholds and security policy",
    )
    async def update_settings(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[TenantSettings]
    ) -> TenantSettings:
        if not principal.can_at("tenant.configure", (await root_node(db, principal.tenant_id)).path):
            from core.errors import not_found

            raise not_found()
        tenant = await db.get_one(Tenant, principal.tenant_id)
        before = tenant.settings or {}
        tenant.settings = dump_tenant_settings(data)
        await audit.record(
            db,
            "district.settings",
            object_type="tenant",
            object_id=tenant.id,
            changes=audit.diff(before, tenant.settings),
        )
        return data


__all__ = ["DistrictController"]
