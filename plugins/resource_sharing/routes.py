"""Shared resources' API, mounted by the core under ``/api/v1/m/resource_sharing/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope and visibility rules of
``services``), call a service, shape the answer. ``db`` commits when a handler returns and rolls
back when it raises, so a refused request writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.resource_sharing import services
from plugins.resource_sharing.schemas import (
    CatalogueDetailOut,
    CatalogueIn,
    CatalogueOut,
    DecisionIn,
    ReservationIn,
    ReservationOut,
    ReservationStatus,
    ResourceIn,
    ResourceKind,
    ResourceOut,
    ResourceStatus,
    ResourceUpdate,
    WeekOut,
)
from plugins.resource_sharing.services import PROVIDE, READ, RESERVE


class ResourceController(Controller):
    """The catalogue of shared resources (载体): venues, rooms, equipment, services, information."""

    path = "/resources"
    tags = ["resource_sharing"]

    @get("/", opt={"permission": READ}, summary="Resources the caller sees (the live catalogue)")
    async def list_resources(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        kind: FromQuery[ResourceKind | None] = None,
        status: FromQuery[ResourceStatus | None] = None,
        node_id: Annotated[uuid.UUID | None, Parameter(description="Only providers in this subtree")] = None,
        provided: Annotated[bool, Parameter(description="Only resources the caller manages")] = False,
        q: Annotated[str | None, Parameter(max_length=100, description="Part of the name")] = None,
    ) -> Page[ResourceOut]:
        rows, total = await services.resources_page(
            db, principal, page, kind=kind, status=status, node_id=node_id, provided=provided, q=q
        )
        return Page(
            items=await services.resource_outs(db, principal, rows),
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/", opt={"permission": PROVIDE}, summary="Offer a resource of a provider organisation")
    async def create_resource(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[ResourceIn]
    ) -> ResourceOut:
        resource = await services.create_resource(db, principal, data)
        return (await services.resource_outs(db, principal, [resource]))[0]

    @get("/{resource_id:uuid}", opt={"permission": READ}, summary="One resource")
    async def read_resource(
        self, db: DB, principal: CurrentPrincipal, resource_id: FromPath[uuid.UUID]
    ) -> ResourceOut:
        resource = await services.visible_resource(db, principal, resource_id)
        return (await services.resource_outs(db, principal, [resource]))[0]

    @patch(
        "/{resource_id:uuid}",
        opt={"permission": PROVIDE},
        summary="Change, close or reopen a resource; replace its opening hours",
    )
    async def update_resource(
        self,
        db: DB,
        principal: CurrentPrincipal,
        resource_id: FromPath[uuid.UUID],
        data: JSONBody[ResourceUpdate],
    ) -> ResourceOut:
        resource = await services.update_resource(db, principal, resource_id, data)
        return (await services.resource_outs(db, principal, [resource]))[0]

    @get(
        "/{resource_id:uuid}/week",
        opt={"permission": READ},
        summary="Seven days of the resource's slots, free or booked",
    )
    async def read_week(
        self,
        db: DB,
        principal: CurrentPrincipal,
        resource_id: FromPath[uuid.UUID],
        start: Annotated[dt.date | None, Parameter(description="First day (default today)")] = None,
    ) -> WeekOut:
        return await services.week(db, principal, resource_id, start)


class ReservationController(Controller):
    """Reservations (预约): requested → approved or rejected → completed, or cancelled."""

    path = "/reservations"
    tags = ["resource_sharing"]

    @get(
        "/",
        opt={"permission": READ},
        summary="Reservations in reach: own, own organisations', own resources'",
    )
    async def list_reservations(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        status: FromQuery[ReservationStatus | None] = None,
        resource_id: FromQuery[uuid.UUID | None] = None,
        mine: Annotated[bool, Parameter(description="Only the caller's own requests")] = False,
        inbox: Annotated[bool, Parameter(description="Only requests awaiting the caller's approval")] = False,
    ) -> Page[ReservationOut]:
        rows, total = await services.reservations_page(
            db, principal, page, status=status, resource_id=resource_id, mine=mine, inbox=inbox
        )
        return Page(
            items=await services.reservation_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/",
        opt={"permission": RESERVE},
        summary="Request a run of slots; 409 when one is taken. Send Idempotency-Key to retry safely",
    )
    async def request_reservation(
        self,
        db: DB,
        principal: CurrentPrincipal,
        data: JSONBody[ReservationIn],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", min_length=1, max_length=100, required=False),
        ] = None,
    ) -> Response[ReservationOut]:
        reservation, created = await services.request_reservation(db, principal, data, idempotency_key)
        shown = (await services.reservation_outs(db, [reservation]))[0]
        return Response(shown, status_code=201 if created else 200)

    @get("/{reservation_id:uuid}", opt={"permission": READ}, summary="One reservation")
    async def read_reservation(
        self, db: DB, principal: CurrentPrincipal, reservation_id: FromPath[uuid.UUID]
    ) -> ReservationOut:
        reservation = await services.reservation_in_reach(db, principal, reservation_id)
        return (await services.reservation_outs(db, [reservation]))[0]

    @post(
        "/{reservation_id:uuid}/approve",
        opt={"permission": PROVIDE},
        status_code=200,
        summary="The provider approves a requested reservation",
    )
    async def approve(
        self,
        db: DB,
        principal: CurrentPrincipal,
        reservation_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn | None] = None,
    ) -> ReservationOut:
        reservation = await services.decide(
            db, principal, reservation_id, True, data.note if data is not None else None
        )
        return (await services.reservation_outs(db, [reservation]))[0]

    @post(
        "/{reservation_id:uuid}/reject",
        opt={"permission": PROVIDE},
        status_code=200,
        summary="The provider rejects a requested reservation with a reason; its slots are free again",
    )
    async def reject(
        self,
        db: DB,
        principal: CurrentPrincipal,
        reservation_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
    ) -> ReservationOut:
        reservation = await services.decide(db, principal, reservation_id, False, data.note)
        return (await services.reservation_outs(db, [reservation]))[0]

    @post(
        "/{reservation_id:uuid}/cancel",
        opt={"permission": READ},
        status_code=200,
        summary="Cancel a reservation that has not ended; its slots are free again",
    )
    async def cancel(
        self,
        db: DB,
        principal: CurrentPrincipal,
        reservation_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn | None] = None,
    ) -> ReservationOut:
        reservation = await services.cancel(
            db, principal, reservation_id, data.note if data is not None else None
        )
        return (await services.reservation_outs(db, [reservation]))[0]


class CatalogueController(Controller):
    """Published catalogue versions (资源清单): numbered snapshots per organisation."""

    path = "/catalogues"
    tags = ["resource_sharing"]

    @get("/", opt={"permission": READ}, summary="Published catalogue versions in reach, newest first")
    async def list_catalogues(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[CatalogueOut]:
        rows, total = await services.catalogues_page(db, principal, page, node_id)
        return Page(
            items=[services.catalogue_out(c) for c in rows], total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/",
        opt={"permission": PROVIDE},
        summary="Publish the next version of an organisation's catalogue (a snapshot of its open resources)",
    )
    async def publish(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[CatalogueIn]
    ) -> CatalogueDetailOut:
        catalogue = await services.publish_catalogue(db, principal, data)
        return await services.catalogue_detail(db, principal, catalogue.id)

    @get("/{catalogue_id:uuid}", opt={"permission": READ}, summary="One published version with its resources")
    async def read_catalogue(
        self, db: DB, principal: CurrentPrincipal, catalogue_id: FromPath[uuid.UUID]
    ) -> CatalogueDetailOut:
        return await services.catalogue_detail(db, principal, catalogue_id)


CONTROLLERS = [ResourceController, ReservationController, CatalogueController]
