"""``/api/v1/people``: people of the district, masked by default."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from core.people import data_requests, services, subject_access
from core.people.schemas import (
    AffiliationEnd,
    AffiliationIn,
    AffiliationKindOut,
    AffiliationOut,
    Category,
    CorrectionRequestIn,
    DataRequestDecision,
    DataRequestOut,
    ErasureRequestIn,
    PartyStatus,
    PersonCreate,
    PersonMove,
    PersonOut,
    PersonSensitiveOut,
    PersonUpdate,
    RelationOut,
)
from core.web.deps import DB, CurrentPrincipal, Paging
from core.web.schemas import Page


class PeopleController(Controller):
    path = "/people"
    tags = ["people"]

    @get(
        "/",
        opt={"permission": "person.read"},
        summary="People in the caller's scope (masked); filter by subtree, name, ID card, phone, status",
    )
    async def list_people(
        self,
        db: DB,
        principal: CurrentPrincipal,
        page: Paging,
        node_id: Annotated[uuid.UUID | None, Parameter(description="Only this node's subtree")] = None,
        q: Annotated[str | None, Parameter(max_length=50, description="Name contains")] = None,
        id_card: Annotated[str | None, Parameter(max_length=30, description="Exact ID card number")] = None,
        phone: Annotated[str | None, Parameter(max_length=30, description="Exact phone")] = None,
        party_status: FromQuery[PartyStatus | None] = None,
        category: FromQuery[Category | None] = None,
        lost_contact: FromQuery[bool | None] = None,
        include_archived: FromQuery[bool] = False,
    ) -> Page[PersonOut]:
        stmt, cutoff = await services.people_select(
            db,
            principal,
            node_id=node_id,
            q=q,
            id_card=id_card,
            phone=phone,
            party_status=party_status,
            category=category,
            lost_contact=lost_contact,
            include_archived=include_archived,
        )
        items, total = await services.people_page(db, stmt, cutoff, page)
        return Page(
            items=items,
            total=total,
            limit=page.limit,
            offset=page.offset,
        )

    @post("/", opt={"permission": "person.write"}, summary="Register a person at an organisation")
    async def create_person(
        self, db: DB, principal: CurrentPrincipal, data: JSONBody[PersonCreate]
    ) -> PersonOut:
        person = await services.create_person(db, principal, data)
        return services.person_out(person)

    @get("/affiliation-kinds", opt={"permission": "person.read"}, summary="Kinds of non-formal ties")
    async def affiliation_kinds(self) -> list[AffiliationKindOut]:
        return services.affiliation_kind_outs()

    @get("/{person_id:uuid}", opt={"permission": "person.read"}, summary="One person (masked)")
    async def read_person(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> PersonOut:
        person = await services.person_in_scope(db, principal, person_id, "person.read")
        names = await services.node_names(db, {person.org_node_id})
        return services.person_out(
            person,
            names.get(person.org_node_id),
            contact_cutoff=await services.contact_cutoff(db, principal.tenant_id),
        )

    @patch("/{person_id:uuid}", opt={"permission": "person.write"}, summary="Change a person's details")
    async def update_person(
        self,
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[PersonUpdate],
    ) -> PersonOut:
        return services.person_out(await services.update_person(db, principal, person_id, data))

    @post(
        "/{person_id:uuid}/unmask",
        opt={"permission": "person.unmask"},
        status_code=200,
        summary="The full ID card number and phone (audited)",
    )
    async def unmask(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> PersonSensitiveOut:
        return await services.unmask(db, principal, person_id)

    @get(
        "/{person_id:uuid}/personal-data",
        opt={"permission": "person.unmask"},
        media_type="application/json",
        summary="Everything held about the person, as a file for their access request "
        "(needs person.export too; unmasked; watermarked and audited)",
    )
    async def personal_data(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> Response[subject_access.PersonalData]:
        # Typed as the struct (not encoded bytes) so the document describes the JSON object it serves.
        data = await subject_access.personal_data(db, principal, person_id)
        return Response(
            content=data,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="personal-data-{person_id}.json"'},
        )

    @post(
        "/{person_id:uuid}/data-requests/correction",
        opt={"permission": "person.write"},
        summary="File the person's request to correct their data (checked as a change is; decided later)",
    )
    async def request_correction(
        self,
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[CorrectionRequestIn],
    ) -> DataRequestOut:
        return data_requests.request_out(await data_requests.file_correction(db, principal, person_id, data))

    @post(
        "/{person_id:uuid}/data-requests/erasure",
        opt={"permission": "person.write"},
        summary="File the person's request to erase their data (decided later)",
    )
    async def request_erasure(
        self,
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[ErasureRequestIn],
    ) -> DataRequestOut:
        return data_requests.request_out(await data_requests.file_erasure(db, principal, person_id, data))

    @get(
        "/{person_id:uuid}/data-requests",
        opt={"permission": "person.read"},
        summary="The person's correction and erasure requests and how each was decided",
    )
    async def list_data_requests(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> list[DataRequestOut]:
        rows = await data_requests.list_requests(db, principal, person_id)
        return [data_requests.request_out(row) for row in rows]

    @post(
        "/{person_id:uuid}/data-requests/{request_id:uuid}/decide",
        opt={"permission": "person.rights"},
        status_code=200,
        summary="Apply or refuse a correction or erasure request; an erasure says what it kept and why",
    )
    async def decide_data_request(
        self,
        request: Request[Any, Any, Any],
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        request_id: FromPath[uuid.UUID],
        data: JSONBody[DataRequestDecision],
    ) -> DataRequestOut:
        row = await data_requests.decide(
            db, principal, person_id, request_id, data, plugin_host=request.app.state.plugin_host
        )
        return data_requests.request_out(row)

    @post(
        "/{person_id:uuid}/move",
        opt={"permission": "person.write"},
        status_code=200,
        summary="Move to another organisation; a member's relation history keeps the old period",
    )
    async def move(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID], data: JSONBody[PersonMove]
    ) -> PersonOut:
        return services.person_out(await services.move_person(db, principal, person_id, data))

    @post(
        "/{person_id:uuid}/archive",
        opt={"permission": "person.write"},
        status_code=200,
        summary="Archive a person (kept for history, hidden from lists)",
    )
    async def archive(self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]) -> PersonOut:
        return services.person_out(await services.archive_person(db, principal, person_id))

    @post(
        "/{person_id:uuid}/restore",
        opt={"permission": "person.write"},
        status_code=200,
        summary="Restore an archived person",
    )
    async def restore(self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]) -> PersonOut:
        return services.person_out(await services.restore_person(db, principal, person_id))

    @get(
        "/{person_id:uuid}/relations",
        opt={"permission": "person.read"},
        summary="The formal organisational relation history",
    )
    async def relations(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> list[RelationOut]:
        person = await services.person_in_scope(db, principal, person_id, "person.read")
        return await services.relations(db, person)

    @get("/{person_id:uuid}/affiliations", opt={"permission": "person.read"}, summary="Non-formal ties")
    async def list_affiliations(
        self, db: DB, principal: CurrentPrincipal, person_id: FromPath[uuid.UUID]
    ) -> list[AffiliationOut]:
        person = await services.person_in_scope(db, principal, person_id, "person.read")
        return await services.affiliations(db, person)

    @post("/{person_id:uuid}/affiliations", opt={"permission": "person.write"}, summary="Add a tie to a node")
    async def add_affiliation(
        self,
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[AffiliationIn],
    ) -> AffiliationOut:
        row = await services.add_affiliation(db, principal, person_id, data)
        return services.affiliation_out(row, await services.node_names(db, {row.org_node_id}))

    @post(
        "/{person_id:uuid}/affiliations/{affiliation_id:uuid}/end",
        opt={"permission": "person.write"},
        status_code=200,
        summary="End a tie (kept in history)",
    )
    async def end_affiliation(
        self,
        db: DB,
        principal: CurrentPrincipal,
        person_id: FromPath[uuid.UUID],
        affiliation_id: FromPath[uuid.UUID],
        data: JSONBody[AffiliationEnd],
    ) -> AffiliationOut:
        row = await services.end_affiliation(db, principal, person_id, affiliation_id, data.ended_on)
        return services.affiliation_out(row, await services.node_names(db, {row.org_node_id}))
