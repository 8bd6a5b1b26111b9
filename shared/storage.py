"""Object storage: an S3 implementation on the minio client and a local-directory one.

Uploads are streamed (never held whole in memory), hashed on the way and cut off as soon
as they exceed their limit, so a caller never has to trust a declared size.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
import queue
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

from shared.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
CHUNK_BYTES = 1024 * 1024
# Parts go up one at a time at the S3 minimum size, so a streamed upload holds at most one part
# in memory (minio's parallel mode queues parts without bound when S3 is slower than the client).
S3_PART_BYTES = 5 * 1024 * 1024


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
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,
        max_bytes: int,
        size: int | None = None,
    ) -> StoredObject:
        """Store the chunks, refusing more than `max_bytes` or than a declared `size`."""

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject: ...
    async def get_bytes(self, key: str) -> bytes: ...
    def iter_chunks(self, key: str) -> AsyncIterator[bytes]: ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def check(self) -> None: ...


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


class _Meter:
    """Counts and hashes bytes going past; raises once the limit (or declared size) is crossed."""

    def __init__(self, max_bytes: int, *, declared: int | None = None) -> None:
        self.max_bytes = max_bytes if declared is None else min(max_bytes, declared)
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
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,
        max_bytes: int,
        size: int | None = None,
    ) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        meter = _Meter(max_bytes, declared=size)
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
    """A blocking reader of whole S3 parts for the upload thread, fed from the event loop.

    Feeding never blocks a thread: the loop waits on a semaphore of free buffer slots, which the
    reading thread hands back. (Feeding through worker threads deadlocked once the uploads in
    flight held every thread of the pool.) A reader that fails abandons the pipe, so the feeder
    stops instead of waiting for slots that nobody will free.
    """

    _EOF = b""
    _SLOTS = 4

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._chunks: queue.SimpleQueue[bytes | BaseException] = queue.SimpleQueue()
        self._free_slots = asyncio.Semaphore(self._SLOTS)
        self._leftover = b""
        self._done = False
        self._abandoned = False

    async def feed(self, item: bytes) -> bool:
        """Hand a chunk to the reader; False if the reader gave up (its error says why)."""
        await self._free_slots.acquire()
        if self._abandoned:
            return False
        self._chunks.put(item)
        return True

    def abandon(self) -> None:
        """From the reading thread, when it stops for good: wakes a waiting feeder."""
        self._loop.call_soon_threadsafe(self._wake_feeder)

    def _wake_feeder(self) -> None:
        self._abandoned = True
        self._free_slots.release()

    def fail(self, error: BaseException) -> None:
        self._chunks.put(error)

    def read_part(self, size: int) -> bytes:
        """The next `size` bytes, fewer only at the end; b"" once everything was read."""
        # BytesIO hands over the bytes it grew without copying them (a bytearray needs a copy),
        # so a part is in memory once.
        part = io.BytesIO()
        while part.tell() < size and (chunk := self._next_chunk()):
            room = size - part.tell()
            if len(chunk) > room:
                self._leftover = chunk[room:]
                chunk = chunk[:room]
            part.write(chunk)
        return part.getvalue()

    def exhausted(self) -> bool:
        """Whether everything was read; waits for the next chunk to know."""
        if not self._leftover and not self._done:
            self._leftover = self._next_chunk()
        return self._done and not self._leftover

    def _next_chunk(self) -> bytes:
        if self._leftover:
            chunk, self._leftover = self._leftover, b""
            return chunk
        if self._done:
            return self._EOF
        item = self._chunks.get()
        if isinstance(item, BaseException):
            raise item
        self._loop.call_soon_threadsafe(self._free_slots.release)
        self._done = item == self._EOF
        return item


class S3ObjectStore:
    # Blocking S3 calls get threads of their own: long uploads must not starve the default pool.
    _executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="s3")

    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    async def _run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:  # noqa: ANN401
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(call, *args, **kwargs))

    async def ensure_bucket(self) -> None:
        if not await self._run(self._client.bucket_exists, self._bucket):
            try:
                await self._run(self._client.make_bucket, self._bucket)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    async def put_stream(
        self,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        content_type: str,
        max_bytes: int,
        size: int | None = None,
    ) -> StoredObject:
        pipe = _ChunkPipe(asyncio.get_running_loop())
        meter = _Meter(max_bytes, declared=size)
        upload = asyncio.create_task(self._run(self._upload, key, pipe, content_type))
        try:
            async for chunk in chunks:
                meter.feed(chunk)
                if not await pipe.feed(chunk):
                    break  # the upload failed: awaiting it below raises why
            else:
                await pipe.feed(_ChunkPipe._EOF)  # noqa: SLF001 - own class
        except BaseException as exc:
            # Fail the reader so the upload is aborted; nothing is stored.
            pipe.fail(exc)
            await asyncio.gather(upload, return_exceptions=True)
            raise
        await upload
        return StoredObject(key, meter.size, meter.sha256, content_type)

    def _upload(self, key: str, pipe: _ChunkPipe, content_type: str) -> None:
        try:
            self._upload_parts(key, pipe, content_type)
        except BaseException:
            pipe.abandon()
            raise

    def _upload_parts(self, key: str, pipe: _ChunkPipe, content_type: str) -> None:
        """One PUT for an object of one part, else a multipart upload of one part at a time.

        minio's own `put_object` keeps the part it sent while it reads the next one: two parts
        in memory. Here a part is let go before the next is read, so any upload holds one.
        """
        part = pipe.read_part(S3_PART_BYTES)
        if pipe.exhausted():
            self._client.put_object(
                self._bucket, key, io.BytesIO(part), len(part), content_type=content_type
            )
            return
        # minio has no public API for the parts of a multipart upload; requirements.lock pins
        # the version these private calls are tested against (tests/shared/integration).
        client = self._client
        upload_id = client._create_multipart_upload(  # noqa: SLF001
            self._bucket, key, {"Content-Type": content_type}
        )
        parts: list[Part] = []
        try:
            while part:
                number = len(parts) + 1
                etag = client._upload_part(self._bucket, key, part, None, upload_id, number)  # noqa: SLF001
                parts.append(Part(number, etag))
                del part  # before the next one is read
                part = pipe.read_part(S3_PART_BYTES)
            client._complete_multipart_upload(self._bucket, key, upload_id, parts)  # noqa: SLF001
        except BaseException:
            self._abort(key, upload_id)
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        """Drop the parts sent so far; a failure here must not hide why the upload stopped."""
        try:
            self._client._abort_multipart_upload(self._bucket, key, upload_id)  # noqa: SLF001
        except (S3Error, OSError, urllib3.exceptions.HTTPError):
            log.warning("could not abort multipart upload %s of %s", upload_id, key, exc_info=True)

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        return await self.put_stream(
            key, _one_chunk(data), content_type=content_type, max_bytes=len(data)
        )

    async def get_bytes(self, key: str) -> bytes:
        chunks = [chunk async for chunk in self.iter_chunks(key)]
        return b"".join(chunks)

    async def iter_chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await self._run(self._client.get_object, self._bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise ObjectNotFoundError(key) from exc
            raise
        try:
            while chunk := await self._run(response.read, CHUNK_BYTES):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def exists(self, key: str) -> bool:
        try:
            await self._run(self._client.stat_object, self._bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def delete(self, key: str) -> None:
        await self._run(self._client.remove_object, self._bucket, key)

    async def check(self) -> None:
        if not await self._run(self._client.bucket_exists, self._bucket):
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
