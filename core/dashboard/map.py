"""The red map (红色地图) of an org subtree: every enabled plugin's places, as one GeoJSON collection.

Plugins whose records have places (service centres, micro-homes, resources,
grids) return ``MapFeature`` values from ``quanyu_map_features``; this route
gathers them for a subtree in the caller's scope. The public map of the
online-matrix mechanism builds on the same hook.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter
from msgspec import Meta

from core.auth.scope import node_in_scope
from core.plugins.host import PluginHost
from core.web.deps import DB, CurrentPrincipal
from core.web.schemas import Output

log = logging.getLogger("quanyu.plugins")


class MapFeature(msgspec.Struct, frozen=True, kw_only=True):
    """One place on the red map, as a plugin reports it (WGS-84 longitude and latitude).

    ``key`` is stable within the plugin (e.g. the record's id); ``kind`` says
    what the place is (``"service_centre"``, ``"micro_home"``) for the legend;
    ``properties`` are shown in the place's pop-up.
    """

    key: str
    name: str
    kind: str
    longitude: Annotated[float, Meta(ge=-180, le=180)]
    latitude: Annotated[float, Meta(ge=-90, le=90)]
    org_node_id: uuid.UUID | None = None
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class PointGeometry(Output):
    type: str
    coordinates: tuple[float, float]


class FeatureOut(Output):
    type: str
    id: str
    geometry: PointGeometry
    properties: dict[str, Any]


class FeatureCollectionOut(Output):
    type: str
    features: list[FeatureOut]


def feature_out(plugin: str, feature: MapFeature) -> FeatureOut:
    return FeatureOut(
        type="Feature",
        id=f"{plugin}:{feature.key}",
        geometry=PointGeometry(type="Point", coordinates=(feature.longitude, feature.latitude)),
        properties={
            **feature.properties,
            "plugin": plugin,
            "kind": feature.kind,
            "name": feature.name,
            "org_node_id": str(feature.org_node_id) if feature.org_node_id else None,
        },
    )


class MapController(Controller):
    path = "/map"
    tags = ["dashboard"]

    @get(
        "/",
        opt={"permission": "org.read"},
        summary="The red map of an org subtree: places from every enabled plugin (GeoJSON)",
        media_type="application/geo+json",
    )
    async def red_map(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        node: Annotated[uuid.UUID, Parameter(description="Root of the subtree")],
    ) -> FeatureCollectionOut:
        root = await node_in_scope(db, principal, node, "org.read")
        host: PluginHost = request.app.state.plugin_host
        enabled = await request.app.state.plugin_cache.enabled(db, principal.tenant_id)
        features = []
        for slug, contributed in await host.call(
            "quanyu_map_features", enabled=enabled, tenant_id=principal.tenant_id, node=root, session=db
        ):
            for feature in contributed:
                try:
                    checked = (
                        feature if isinstance(feature, MapFeature) else msgspec.convert(feature, MapFeature)
                    )
                except (msgspec.ValidationError, TypeError):
                    log.error("plugin %s returned a bad map feature: %r", slug, feature)
                    continue
                features.append(feature_out(slug, checked))
        return FeatureCollectionOut(type="FeatureCollection", features=features)
