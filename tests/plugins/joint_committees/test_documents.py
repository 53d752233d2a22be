"""Meeting minutes and decision evidence are attached to the records, and read only through them."""

from __future__ import annotations

from core.api import district_today

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def attach(linkage, owner, owner_id, actor=None, name="会议纪要.pdf"):
    return await linkage.client.post(
        "/api/v1/attachments",
        headers=(actor or linkage.admin).headers,
        data={"owner": f"joint_committees.{owner}", "owner_id": str(owner_id)},
        files={"file": (name, PDF, "application/pdf")},
    )


async def test_the_scanned_minutes_are_attached_to_the_meeting(linkage, make_actor):
    committee = await linkage.committee(linkage.community)
    meeting = (
        await linkage.post(
            f"/committees/{committee['id']}/meetings",
            {"title": "例会", "scheduled_at": "2030-01-01T09:00:00+08:00"},
        )
    ).json()
    attached = await attach(linkage, "meeting", meeting["id"])
    assert attached.status_code == 201, attached.text
    street_staff = await make_actor("staff", tenant=linkage.admin.tenant, node_id=linkage.street.id)
    elsewhere = await make_actor("secretary", tenant=linkage.admin.tenant, node_id=linkage.other_street.id)
    url = f"/api/v1/attachments/{attached.json()['id']}/content"
    assert (await linkage.client.get(url, headers=street_staff.headers)).content == PDF
    assert (await linkage.client.get(url, headers=elsewhere.headers)).status_code == 404
    staff_upload = await attach(linkage, "meeting", meeting["id"], actor=street_staff)
    assert staff_upload.status_code == 404, "staff read meetings but do not manage them"


async def test_the_community_attaches_evidence_when_it_reports_a_decision_done(linkage, make_actor):
    staff = await make_actor("staff", tenant=linkage.admin.tenant, node_id=linkage.community.id)
    committee = await linkage.committee(linkage.street)
    decision = await linkage.decision(committee, linkage.community)
    evidence = await attach(linkage, "decision", decision["id"], actor=staff, name="整改照片说明.pdf")
    assert evidence.status_code == 201, evidence.text
    await linkage.post(
        f"/decisions/{decision['id']}/progress", {"status": "done", "note": "见附件"}, actor=staff, expect=200
    )
    listed = await linkage.client.get(
        "/api/v1/attachments",
        headers=linkage.admin.headers,
        params={"owner": "joint_committees.decision", "owner_id": decision["id"]},
    )
    assert [a["name"] for a in listed.json()] == ["整改照片说明.pdf"]
    assert district_today().isoformat() in (await linkage.get(f"/decisions/{decision['id']}")).text
