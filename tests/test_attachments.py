"""Files attached to records: sniffed, stored once per district, read only through the record."""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid
import zipfile

import pytest

from core.attachments.storage import blob_key


def png(colour: str = "red", size: tuple[int, int] = (800, 600)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(120)


def xlsx() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    book = Workbook()
    book.active.append(["姓名", "支部"])
    book.save(out)
    return out.getvalue()


@pytest.fixture
async def note(admin, make_node, database):
    """A hello note on a community of the admin's district (the record files are attached to)."""
    from tests.fixture_plugins.hello import HelloNote

    street = await make_node(admin.tenant, admin.tenant.root_id, "street", "和平路街道")
    community = await make_node(admin.tenant, street.id, "community", "大西路社区")
    async with database.transaction(admin.tenant.id) as session:
        row = HelloNote(org_node_id=community.id, text="走访记录")
        session.add(row)
    row.street = street
    row.community = community
    return row


async def upload(client, actor, owner_id, name, data, owner="hello.note"):
    return await client.post(
        "/api/v1/attachments",
        headers=actor.headers,
        data={"owner": owner, "owner_id": str(owner_id)},
        files={"file": (name, data, "application/octet-stream")},
    )


async def test_an_image_is_attached_with_a_thumbnail_and_read_back(client, admin, note):
    image = png()
    created = await upload(client, admin, note.id, "走访照片.png", image)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["content_type"], body["size"]) == ("走访照片.png", "image/png", len(image))
    assert body["org_node_id"] == str(note.community.id)

    listed = await client.get(
        "/api/v1/attachments", headers=admin.headers, params={"owner": "hello.note", "owner_id": str(note.id)}
    )
    assert [a["id"] for a in listed.json()] == [body["id"]]
    content = await client.get(f"/api/v1/attachments/{body['id']}/content", headers=admin.headers)
    assert content.status_code == 200 and content.content == image
    assert content.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''" in content.headers["content-disposition"]
    small = await client.get(f"/api/v1/attachments/{body['id']}/thumbnail", headers=admin.headers)
    from PIL import Image

    thumb = Image.open(io.BytesIO(small.content))
    assert (thumb.format, max(thumb.size)) == ("JPEG", 320)


async def test_the_type_is_decided_by_content_not_by_name(client, admin, note):
    pdf_named_jpg = await upload(client, admin, note.id, "扫描件.jpg", PDF)
    assert pdf_named_jpg.status_code == 201
    assert pdf_named_jpg.json()["content_type"] == "application/pdf"
    spreadsheet = await upload(client, admin, note.id, "名单.xlsx", xlsx())
    assert spreadsheet.json()["content_type"].endswith("spreadsheetml.sheet")
    executable = await upload(client, admin, note.id, "通知.pdf", ELF)
    assert executable.status_code == 422
    problem = executable.json()["errors"][0]
    assert (problem["field"], problem["code"]) == ("file", "type_not_allowed")
    unknown = await upload(client, admin, note.id, "说明.pdf", "只是文字".encode())
    assert unknown.status_code == 422


async def test_a_district_that_allows_only_images_refuses_a_pdf_renamed_jpg(
    client, make_tenant, make_user, login, make_node, database
):
    from core.testing import Actor
    from tests.fixture_plugins.hello import HelloNote

    tenant = await make_tenant(attachments={"allowed_types": ["image/jpeg", "image/png"], "max_megabytes": 1})
    user = await make_user(tenant, "system_admin")
    actor = Actor(tenant, user, await login(tenant, user))
    async with database.transaction(tenant.id) as session:
        row = HelloNote(org_node_id=tenant.root_id, text="只收图片")
        session.add(row)
    refused = await upload(client, actor, row.id, "照片.jpg", PDF)
    assert refused.status_code == 422
    assert "PDF" in refused.json()["errors"][0]["message"]
    too_big = await upload(client, actor, row.id, "大图.png", png(size=(10, 10)) + bytes(1024 * 1024))
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "file_too_large"


def raw_multipart(owner_id, name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body with the file name's bytes as given (HTTP clients escape what we want to send)."""
    boundary = "quanyu" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="owner"\r\n\r\nhello.note\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="owner_id"\r\n\r\n{owner_id}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + name.encode()
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.png", "a\\b.png", "报告\x00.png", "换行\x1b.png", "\u202egnp.exe"]
)
async def test_names_with_path_separators_or_control_characters_are_refused(client, admin, note, name):
    body, content_type = raw_multipart(note.id, name, png())
    refused = await client.post(
        "/api/v1/attachments", headers={**admin.headers, "Content-Type": content_type}, content=body
    )
    assert refused.status_code in (400, 422), refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    if refused.status_code == 422:
        assert refused.json()["errors"][0]["field"] == "file"
    listed = await client.get(
        "/api/v1/attachments", headers=admin.headers, params={"owner": "hello.note", "owner_id": str(note.id)}
    )
    assert listed.json() == [], "nothing was written"


async def test_an_unknown_record_kind_or_a_record_out_of_scope_is_refused(client, admin, note, make_actor):
    unknown = await upload(client, admin, note.id, "a.png", png(), owner="nobody.record")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["code"] == "unknown_owner"
    missing = await upload(client, admin, uuid.uuid4(), "a.png", png())
    assert missing.status_code == 404


async def test_files_are_read_only_through_their_record(client, admin, note, make_node, make_actor):
    created = (await upload(client, admin, note.id, "纪要.pdf", PDF)).json()
    other_street = await make_node(admin.tenant, admin.tenant.root_id, "street", "宝塔路街道")
    sibling = await make_actor("secretary", tenant=admin.tenant, node_id=other_street.id)
    local = await make_actor("secretary", tenant=admin.tenant, node_id=note.street.id)
    outsider = await make_actor()
    url = f"/api/v1/attachments/{created['id']}"
    for actor in (sibling, outsider):
        for suffix in ("", "/content", "/thumbnail"):
            response = await client.get(url + suffix, headers=actor.headers)
            assert response.status_code == 404, (suffix, response.text)
        removed = await client.delete(url, headers=actor.headers)
        assert removed.status_code in (403, 404)
    assert (await client.get(url + "/content", headers=local.headers)).content == PDF
    cannot_write = await client.delete(url, headers=local.headers)
    assert cannot_write.status_code == 404, "a secretary reads the organisation but may not change it"


async def test_the_same_bytes_are_stored_once_and_go_when_nothing_refers_to_them(
    client, admin, note, database, run_jobs, test_settings
):
    from pathlib import Path

    from sqlalchemy import select

    from core.attachments.models import AttachmentBlob

    image = png("blue")
    first = (await upload(client, admin, note.id, "一.png", image)).json()
    second = (await upload(client, admin, note.id, "二.png", image)).json()
    async with database.transaction(admin.tenant.id) as session:
        blobs = list(await session.scalars(select(AttachmentBlob)))
    assert len(blobs) == 1
    stored = Path(test_settings.var_dir) / "files" / blob_key(admin.tenant.id, blobs[0].sha256)
    assert stored.read_bytes() == image

    assert (
        await client.delete(f"/api/v1/attachments/{first['id']}", headers=admin.headers)
    ).status_code == 204
    await run_jobs()
    assert stored.exists(), "the second file still refers to the bytes"
    assert (await client.get(f"/api/v1/attachments/{first['id']}", headers=admin.headers)).status_code == 404
    await client.delete(f"/api/v1/attachments/{second['id']}", headers=admin.headers)
    await run_jobs()
    assert not stored.exists()
    async with database.transaction(admin.tenant.id) as session:
        assert list(await session.scalars(select(AttachmentBlob))) == []


async def test_a_signed_link_downloads_without_a_login_until_it_expires(client, admin, note):
    from core.attachments.service import _link_fernet

    created = (await upload(client, admin, note.id, "纪要.pdf", PDF)).json()
    link = await client.post(f"/api/v1/attachments/{created['id']}/link", headers=admin.headers)
    assert link.status_code == 200, link.text
    fetched = await client.get(link.json()["url"])
    assert fetched.status_code == 200 and fetched.content == PDF
    tampered = link.json()["url"][:-4] + "AAAA"
    assert (await client.get(tampered)).status_code == 404
    body = json.dumps({"t": str(admin.tenant.id), "a": created["id"], "v": ""}).encode()
    stale = _link_fernet().encrypt_at_time(body, int(time.time()) - 3600).decode()
    assert (await client.get(f"/api/v1/files/{stale}")).status_code == 404


async def test_a_district_archive_carries_its_files(client, admin, note, database, tmp_path):
    from sqlalchemy import select

    from core.attachments.models import Attachment
    from core.attachments.service import content
    from core.tenancy.archive import export_tenant, import_tenant

    image = png("green")
    await upload(client, admin, note.id, "照片.png", image)
    archive = tmp_path / "files.zip"
    async with database.system_transaction() as session:
        manifest = await export_tenant(session, admin.tenant.id, archive)
    assert len(manifest["files"]) == 2, "the image and its thumbnail"
    with zipfile.ZipFile(archive) as handle:
        assert any(n.startswith("files/") for n in handle.namelist())
    async with database.system_transaction() as session:
        copy = await import_tenant(session, archive, slug=f"c{secrets.token_hex(4)}", code="765432")
    async with database.transaction(copy.id) as session:
        attachment = (await session.scalars(select(Attachment))).one()
        assert await content(session, attachment) == image
        assert (await content(session, attachment, thumbnail_only=True))[:2] == b"\xff\xd8"


async def test_a_suspended_districts_signed_links_stop_working(client, admin, note, database):
    from sqlalchemy import update

    from core.tenancy.models import Tenant

    created = (await upload(client, admin, note.id, "纪要.pdf", PDF)).json()
    link = (await client.post(f"/api/v1/attachments/{created['id']}/link", headers=admin.headers)).json()[
        "url"
    ]
    assert (await client.get(link)).status_code == 200
    async with database.system_transaction() as session:
        await session.execute(update(Tenant).where(Tenant.id == admin.tenant.id).values(status="suspended"))
    assert (await client.get(link)).status_code == 404
