"""Evidence files (佐证材料) of an assessment: the department's staff and the organisation's own
community reach them, another street does not."""

from __future__ import annotations

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def attach(client, actor, assessment_id):
    return await client.post(
        "/api/v1/attachments",
        headers=actor.headers,
        data={"owner": "sector_guidance.assessment", "owner_id": assessment_id},
        files={"file": ("三会一课记录.pdf", PDF, "application/pdf")},
    )


async def test_evidence_is_reached_from_the_department_or_the_organisations_area(
    client, sg, sector_world, admin, make_actor, make_node
):
    world = await sector_world(members=1)
    assessment = await sg.ok(
        admin,
        "POST",
        "/assessments",
        {"sector_id": world.sector_id, "org_node_id": str(world.organisations[0].id)},
        201,
    )
    department_staff = await make_actor("staff", tenant=admin.tenant, node_id=world.department.id)
    community_secretary = await make_actor("secretary", tenant=admin.tenant, node_id=world.community.id)
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    elsewhere = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)

    uploaded = await attach(client, department_staff, assessment["id"])
    assert uploaded.status_code == 201, uploaded.text
    content = f"/api/v1/attachments/{uploaded.json()['id']}/content"
    assert (await client.get(content, headers=community_secretary.headers)).content == PDF
    assert (await client.get(content, headers=elsewhere.headers)).status_code == 404
    assert (await attach(client, elsewhere, assessment["id"])).status_code == 404


async def test_evidence_of_a_due_assessment_goes_when_its_organisation_leaves_the_sector(
    client, sg, sector_world, admin, run_jobs, fire_schedule, database
):
    import datetime as dt
    import uuid

    from core.api import district_today

    world = await sector_world(members=1)
    year = district_today().year
    opened = await fire_schedule(
        "sector_guidance.open_assessment_cycle", dt.datetime(year - 1, 12, 31, 23, 0, tzinfo=dt.UTC)
    )
    assert opened >= 1
    [due] = (await sg.ok(admin, "GET", "/assessments", sector_id=world.sector_id, status="due"))["items"]
    uploaded = await attach(client, admin, due["id"])
    assert uploaded.status_code == 201, uploaded.text
    await sg.call(admin, "DELETE", f"/sectors/{world.sector_id}/members/{world.members[0]['id']}", expect=204)
    await run_jobs()
    from sqlalchemy import select

    from core.attachments.models import Attachment, AttachmentBlob

    async with database.transaction(admin.tenant.id) as session:
        links = list(
            await session.scalars(select(Attachment.id).where(Attachment.owner_id == uuid.UUID(due["id"])))
        )
        blobs = list(await session.scalars(select(AttachmentBlob.id)))
    assert (links, blobs) == ([], []), "the link went with the assessment, the bytes with the last link"
