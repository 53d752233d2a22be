"""Where attachment bytes live: the local file system (embedded default) or S3-compatible object storage.

``QUANYU_STORAGE_URL`` picks the backend: empty for ``<var_dir>/files``;
``s3://BUCKET`` (optionally ``?endpoint_url=http://minio:9000&region=cn-east-1``)
for object storage, with credentials from the usual ``AWS_*`` variables or
the instance's role (boto3 reads them). Every key starts with the tenant's
id, so no path or object is ever built without its district.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse


def blob_key(tenant_id: uuid.UUID, sha256: str, variant: str = "") -> str:
    """The storage key of a district's blob (``variant`` e.g. ``".thumb.jpg"``)."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return f"{tenant_id}/{sha256[:2]}/{sha256}{variant}"


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose key starts with ``prefix`` (a district's ``<tenant id>/``); how many."""
        ...


class MissingObject(FileNotFoundError):
    """The storage has no object under this key."""


class LocalStorage:
    """Files under one folder; writes go to a temporary file first, then are renamed (never half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the storage folder: {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise MissingObject(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).exists)

    async def delete_prefix(self, prefix: str) -> int:
        if not prefix.endswith("/") or prefix.strip("/") == "":
            raise ValueError(f"only a whole folder of the storage can be deleted: {prefix!r}")
        return await asyncio.to_thread(self._delete_folder, self._path(prefix))

    @staticmethod
    def _delete_folder(folder: Path) -> int:
        if not folder.exists():
            return 0
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        shutil.rmtree(folder)
        return count


class S3Storage:
    """One bucket of S3-compatible object storage (AWS S3, MinIO, OSS/COS in S3 mode), through boto3."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object, Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise MissingObject(key) from None
            raise
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def delete_prefix(self, prefix: str) -> int:
        if not prefix.endswith("/") or prefix.strip("/") == "":
            raise ValueError(f"only a whole folder of the storage can be deleted: {prefix!r}")
        return await asyncio.to_thread(self._delete_prefix, prefix)

    def _delete_prefix(self, prefix: str) -> int:
        count = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys, as many as one delete_objects call takes
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
        return count

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True


def storage_from_url(url: str, var_path: Path) -> Storage:
    """The backend a ``QUANYU_STORAGE_URL`` names (empty: ``<var_dir>/files``)."""
    if not url:
        return LocalStorage(var_path / "files")
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(Path(parsed.path))
    if parsed.scheme == "s3" and parsed.netloc:
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return S3Storage(parsed.netloc, endpoint_url=query.get("endpoint_url"), region=query.get("region"))
    raise ValueError(
        f"QUANYU_STORAGE_URL must be empty, file:///folder or s3://bucket[?endpoint_url=...]: {url!r}"
    )


@lru_cache(maxsize=4)
def _cached(url: str, var_dir: str) -> Storage:
    return storage_from_url(url, Path(var_dir))


def get_storage() -> Storage:
    """The process's storage backend, from the settings."""
    from core.settings import get_settings

    settings = get_settings()
    return _cached(settings.storage_url, str(settings.var_path))
