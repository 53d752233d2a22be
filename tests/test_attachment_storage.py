"""Attachments on S3-compatible object storage: a real S3 server (moto in server mode) on loopback."""

from __future__ import annotations

import socket

import msgspec
import pytest

from core.settings import override_settings
from tests.test_attachments import PDF, png, upload


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, test_settings, monkeypatch):
    import secrets

    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "quanyu-test",
        "AWS_SECRET_ACCESS_KEY": "quanyu-test-secret",
        "AWS_DEFAULT_REGION": "cn-north-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"quanyu-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    override_settings(
        msgspec.structs.replace(
            test_settings, storage_url=f"s3://{bucket}?endpoint_url={s3_server}&region=us-east-1"
        )
    )
    yield client, bucket
    override_settings(test_settings)


@pytest.fixture
async def note(admin, database):
    from tests.fixture_plugins.hello import HelloNote

    async with database.transaction(admin.tenant.id) as session:
        row = HelloNote(org_node_id=admin.tenant.root_id, text="对象存储")
        session.add(row)
    return row


async def test_files_live_in_the_bucket_under_their_district_and_go_when_unused(
    client, admin, note, s3_storage, run_jobs
):
    s3, bucket = s3_storage
    image = png("purple")
    created = (await upload(client, admin, note.id, "照片.png", image)).json()
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert len(keys) == 2 and all(k.startswith(f"{admin.tenant.id}/") for k in keys), keys
    downloaded = await client.get(f"/api/v1/attachments/{created['id']}/content", headers=admin.headers)
    assert downloaded.content == image
    thumb = await client.get(f"/api/v1/attachments/{created['id']}/thumbnail", headers=admin.headers)
    assert thumb.content[:2] == b"\xff\xd8"

    await client.delete(f"/api/v1/attachments/{created['id']}", headers=admin.headers)
    await run_jobs()
    assert s3.list_objects_v2(Bucket=bucket).get("Contents", []) == []


async def test_a_signed_link_reads_from_the_bucket(client, admin, note, s3_storage):
    created = (await upload(client, admin, note.id, "纪要.pdf", PDF)).json()
    link = (await client.post(f"/api/v1/attachments/{created['id']}/link", headers=admin.headers)).json()
    assert (await client.get(link["url"])).content == PDF


@pytest.mark.parametrize("kind", ["local", "s3"])
async def test_a_district_folder_is_deleted_whole_and_only_it(kind, request, tmp_path):
    """``delete_prefix`` (district erasure): every object under ``<tenant id>/``, across pages, none beside."""
    import uuid

    from core.attachments.storage import LocalStorage, S3Storage

    if kind == "s3":
        client, bucket = request.getfixturevalue("s3_storage")
        storage = S3Storage(bucket, endpoint_url=client.meta.endpoint_url, region="us-east-1")
    else:
        storage = LocalStorage(tmp_path)
    gone, kept = uuid.uuid4(), uuid.uuid4()
    for number in range(1005 if kind == "s3" else 20):  # more than one page of a bucket listing
        await storage.put(f"{gone}/{number % 7:02x}/{number:064x}", b"x", "application/octet-stream")
    await storage.put(f"{kept}/00/{0:064x}", b"y", "application/octet-stream")
    assert await storage.delete_prefix(f"{gone}/") == (1005 if kind == "s3" else 20)
    assert not await storage.exists(f"{gone}/00/{0:064x}")
    assert await storage.get(f"{kept}/00/{0:064x}") == b"y"
    assert await storage.delete_prefix(f"{gone}/") == 0
    with pytest.raises(ValueError):
        await storage.delete_prefix("/")
