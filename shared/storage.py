"""Object storage: an S3 implementation on the minio client and a local-directory one.

Uploads are streamed (never held whole in memory), hashed on the way and cut off as soon
as they exceed their limit, so a caller never has to trust a declared size.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import queue
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from minio import Minio
from minio.error import S3Error

from shared.settings import Settings

CHUNK_BYTES = 1024 * 1024
S3_PART_BYTES = 8 * 1024 * 1024


class ObjectTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"object exceeds {limit} bytes")
        self.limit = limit


class ObjectNotFoundError(Exception):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str
    content_type: str


class ObjectStore(Protocol):
    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredObject: ...
    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject: ...
    async def get_bytes(self, key: str) -> bytes: ...
    def iter_chunks(self, key: str) -> AsyncIterator[bytes]: ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def check(self) -> None: ...


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _Meter:
    """Counts and hashes bytes going past; raises once the limit is crossed."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise ObjectTooLargeError(self.max_bytes)
        self._hash.update(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not path.is_relative_to(self._root.resolve()):
            raise ValueError(f"key escapes the store: {key!r}")
        return path

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        meter = _Meter(max_bytes)
        try:
            with partial.open("wb") as out:
                async for chunk in chunks:
                    meter.feed(chunk)
                    await asyncio.to_thread(out.write, chunk)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return StoredObject(key, meter.size, meter.sha256, content_type)

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        return await self.put_stream(
            key, _one_chunk(data), content_type=content_type, max_bytes=len(data)
        )

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(key) from exc

    async def iter_chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFoundError(key) from exc
        with handle:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                yield chunk

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def check(self) -> None:
        if not os.access(self._root, os.W_OK):
            raise OSError(f"storage directory not writable: {self._root}")


class _ChunkPipe:
    """A blocking file-like reader fed from the event loop, for the minio client's thread."""

    _EOF = b""

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=4)
        self._buffer = bytearray()
        self._done = False

    def feed(self, item: bytes | BaseException) -> None:
        self._chunks.put(item)

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            item = self._chunks.get()
            if isinstance(item, BaseException):
                raise item
            if item == self._EOF:
                self._done = True
            self._buffer.extend(item)
        cut = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        data = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return data


class S3ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def ensure_bucket(self) -> None:
        if not await asyncio.to_thread(self._client.bucket_exists, self._bucket):
            try:
                await asyncio.to_thread(self._client.make_bucket, self._bucket)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    async def put_stream(
        self, key: str, chunks: AsyncIterator[bytes], *, content_type: str, max_bytes: int
    ) -> StoredObject:
        pipe = _ChunkPipe()
        meter = _Meter(max_bytes)
        upload = asyncio.create_task(
            asyncio.to_thread(
                self._client.put_object,
                self._bucket,
                key,
                cast("BinaryIO", pipe),
                length=-1,
                part_size=S3_PART_BYTES,
                content_type=content_type,
            )
        )
        try:
            async for chunk in chunks:
                meter.feed(chunk)
                await asyncio.to_thread(pipe.feed, chunk)
            await asyncio.to_thread(pipe.feed, _ChunkPipe._EOF)  # noqa: SLF001 - own class
        except BaseException as exc:
            # Fail the reader so the client aborts the (multipart) upload; nothing is stored.
            await asyncio.to_thread(pipe.feed, exc)
            await asyncio.gather(upload, return_exceptions=True)
            raise
        await upload
        return StoredObject(key, meter.size, meter.sha256, content_type)

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        return await self.put_stream(
            key, _one_chunk(data), content_type=content_type, max_bytes=len(data)
        )

    async def get_bytes(self, key: str) -> bytes:
        chunks = [chunk async for chunk in self.iter_chunks(key)]
        return b"".join(chunks)

    async def iter_chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await asyncio.to_thread(self._client.get_object, self._bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFoundError(key) from exc
            raise
        try:
            while chunk := await asyncio.to_thread(response.read, CHUNK_BYTES):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self._client.stat_object, self._bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.remove_object, self._bucket, key)

    async def check(self) -> None:
        if not await asyncio.to_thread(self._client.bucket_exists, self._bucket):
            raise OSError(f"bucket missing: {self._bucket}")


def create_store(settings: Settings) -> LocalObjectStore | S3ObjectStore:
    if settings.storage_backend == "local":
        return LocalObjectStore(settings.storage_dir)
    client = Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    return S3ObjectStore(client, settings.s3_bucket)
