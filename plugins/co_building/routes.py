"""Co-building's API, mounted by the core under ``/api/v1/m/co_building/``.

Thin controllers: parse, authorise (the permission in ``opt``; the scope rules of
``services``), call a service, shape the answer. The core's gate answers 404 to a
district that has not enabled the plugin, and ``db`` commits when a handler returns.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.api import DB, CurrentPrincipal, Page, Paging
from plugins.co_building import services
from plugins.co_building.schemas import (
    ActivityIn,
    ActivityOut,
    AgreementIn,
    AgreementOut,
    AgreementStatus,
    AgreementTransition,
    AgreementUpdate,
    FulfilmentIn,
    ItemIn,
    ItemOut,
    ReviewComplete,
    ReviewIn,
    ReviewOut,
)
from plugins.co_building.services import MANAGE, READ, RECORD


class AgreementController(Controller):
    """Co-building agreements (共建协议) and what hangs on them: service lists, activities, reviews."""

    path = "/agreements"
    tags = ["co_building"]

    @get("/", opt={"permission": READ}, summary="Agreements within the caller's scope, latest end first")
    async def list_agreements(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        status: FromQuery[AgreementStatus | None] = None,
        unit_id: FromQuery[uuid.UUID | None] = None,
        node_id: Annotated[
            uuid.UUID | None,
            Parameter(description="Only agreements of streets and communities in this subtree"),
        ] = None,
        in_force: Annotated[
            bool, Parameter(description="Only agreements active and within their term today")
        ] = False,
    ) -> Page[AgreementOut]:
        rows, total = await services.agreements_page(
            db, principal, page, status=status, unit_id=unit_id, node_id=node_id, in_force_only=in_force
        )
        return Page(
            items=await services.agreement_outs(db, rows), total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/",
        opt={"permission": MANAGE},
        summary="Record an agreement between a street or community and a unit",
    )
    async def create_agreement(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[AgreementIn]
    ) -> AgreementOut:
        agreement = await services.create_agreement(db, principal, data)
        return (await services.agreement_outs(db, [agreement]))[0]

    @get("/{agreement_id:uuid}", opt={"permission": READ}, summary="One agreement")
    async def read_agreement(
        self, db: DB, principal: CurrentPrincipal, agreement_id: FromPath[uuid.UUID]
    ) -> AgreementOut:
        agreement = await services.agreement_in_scope(db, principal, agreement_id, READ)
        return (await services.agreement_outs(db, [agreement]))[0]

    @patch(
        "/{agreement_id:uuid}",
        opt={"permission": MANAGE},
        summary="Change a draft or active agreement's title, term, signing date or content",
    )
    async def update_agreement(
        self,
        db: DB,
        principal: CurrentPrincipal,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[AgreementUpdate],
    ) -> AgreementOut:
        agreement = await services.update_agreement(db, principal, agreement_id, data)
        return (await services.agreement_outs(db, [agreement]))[0]

    @post(
        "/{agreement_id:uuid}/transition",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Activate, expire or terminate an agreement (only allowed transitions)",
    )
    async def transition_agreement(
        self,
        db: DB,
        principal: CurrentPrincipal,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[AgreementTransition],
    ) -> AgreementOut:
        agreement = await services.transition_agreement(db, principal, agreement_id, data)
        return (await services.agreement_outs(db, [agreement]))[0]

    @get("/{agreement_id:uuid}/items", opt={"permission": READ}, summary="The two-way service list")
    async def list_items(
        self, db: DB, principal: CurrentPrincipal, agreement_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ItemOut]:
        rows, total = await services.items_page(db, principal, agreement_id, page)
        return Page(
            items=[services.item_out(i) for i in rows], total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{agreement_id:uuid}/items",
        opt={"permission": MANAGE},
        summary="Add a need or a resource of either party to the service list",
    )
    async def add_item(
        self,
        db: DB,
        principal: CurrentPrincipal,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[ItemIn],
    ) -> ItemOut:
        return services.item_out(await services.add_item(db, principal, agreement_id, data))

    @get("/{agreement_id:uuid}/activities", opt={"permission": READ}, summary="Joint activities and meetings")
    async def list_activities(
        self, db: DB, principal: CurrentPrincipal, agreement_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ActivityOut]:
        rows, total = await services.activities_page(db, principal, agreement_id, page)
        return Page(
            items=[services.activity_out(a) for a in rows], total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{agreement_id:uuid}/activities",
        opt={"permission": RECORD},
        summary="Record a joint activity or joint meeting held under the agreement",
    )
    async def record_activity(
        self,
        db: DB,
        principal: CurrentPrincipal,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[ActivityIn],
    ) -> ActivityOut:
        return services.activity_out(await services.record_activity(db, principal, agreement_id, data))

    @get("/{agreement_id:uuid}/reviews", opt={"permission": READ}, summary="Annual fulfilment reviews")
    async def list_reviews(
        self, db: DB, principal: CurrentPrincipal, agreement_id: FromPath[uuid.UUID], page: Paging
    ) -> Page[ReviewOut]:
        rows, total = await services.reviews_page(db, principal, agreement_id, page)
        return Page(
            items=[services.review_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
        )

    @post(
        "/{agreement_id:uuid}/reviews",
        opt={"permission": MANAGE},
        summary="Open the annual fulfilment review for a year the agreement ran in",
    )
    async def open_review(
        self,
        db: DB,
        principal: CurrentPrincipal,
        agreement_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> ReviewOut:
        return services.review_out(await services.open_review(db, principal, agreement_id, data.year))


class ItemController(Controller):
    """One service-list item's fulfilment (履约)."""

    path = "/items"
    tags = ["co_building"]

    @post(
        "/{item_id:uuid}/fulfilment",
        opt={"permission": RECORD},
        status_code=200,
        summary="Record an item's fulfilment: in progress, fulfilled (with a date) or cancelled",
    )
    async def fulfil_item(
        self,
        db: DB,
        principal: CurrentPrincipal,
        item_id: FromPath[uuid.UUID],
        data: JSONBody[FulfilmentIn],
    ) -> ItemOut:
        return services.item_out(await services.fulfil_item(db, principal, item_id, data))


class ReviewController(Controller):
    """Completing an annual fulfilment review (年度履约评议)."""

    path = "/reviews"
    tags = ["co_building"]

    @post(
        "/{review_id:uuid}/complete",
        opt={"permission": MANAGE},
        status_code=200,
        summary="Complete a review: fulfilment fixed now, with a rating and a note",
    )
    async def complete_review(
        self,
        db: DB,
        principal: CurrentPrincipal,
        review_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewComplete],
    ) -> ReviewOut:
        return services.review_out(await services.complete_review(db, principal, review_id, data))


CONTROLLERS = [AgreementController, ItemController, ReviewController]
