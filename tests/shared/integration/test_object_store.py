"""One contract, two stores: the local directory and S3 (minio client against the S3 server)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Iterator

import pytest
import urllib3
from minio import Minio

from shared.storage import S3_PART_BYTES as PART
from shared.storage import (
    LocalObjectStore,
    ObjectNotFoundError,
    ObjectStore,
    ObjectTooLargeError,
    S3ObjectStore,
)
from tests.support.infra import Infra
from tests.support.proxy import TcpProxy
from tests.support.s3 import S3Server

MIB = 1024 * 1024


@pytest.fixture
def client(infra: Infra) -> Minio:
    return Minio(
        f"127.0.0.1:{infra.s3_port}", access_key="testing", secret_key="testing", secure=False
    )


@pytest.fixture
async def s3(client: Minio, bucket: str) -> S3ObjectStore:
    store = S3ObjectStore(client, bucket)
    await store.ensure_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "store")
    s3: S3ObjectStore = request.getfixturevalue("s3")
    return s3


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("declared", [False, True], ids=["size unknown", "size declared"])
async def test_streamed_object_round_trips_with_its_sha256(store: ObjectStore, declared: bool):
    data = os.urandom(11 * MIB + 123)  # more than two S3 multipart parts
    stored = await store.put_stream(
        "evidence/a/1",
        chunks(data),
        content_type="application/pdf",
        max_bytes=20 * MIB,
        size=len(data) if declared else None,
    )
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert await store.get_bytes("evidence/a/1") == data
    assert b"".join([c async for c in store.iter_chunks("evidence/a/1")]) == data


@pytest.mark.parametrize(
    "length",
    [PART, PART + 1, 2 * PART, 2 * PART + 1],
    ids=["one whole part", "a byte more", "two whole parts", "two parts and a byte"],
)
async def test_objects_at_part_boundaries_round_trip(store: ObjectStore, length: int):
    data = os.urandom(length)
    stored = await store.put_stream(
        "evidence/a/edge",
        chunks(data, size=700_001),
        content_type="application/pdf",
        max_bytes=3 * PART,
    )
    assert stored.size == length
    assert await store.get_bytes("evidence/a/edge") == data


async def test_a_multipart_upload_cut_off_midway_leaves_no_parts_behind(
    s3: S3ObjectStore, client: Minio, bucket: str
):
    with pytest.raises(ObjectTooLargeError):
        await s3.put_stream(
            "evidence/a/cut",
            chunks(os.urandom(3 * PART)),
            content_type="application/pdf",
            max_bytes=2 * PART + 10,
        )
    assert not await s3.exists("evidence/a/cut")
    assert not client._list_multipart_uploads(bucket).uploads


class PartRefusedError(Exception):
    pass


def refuse_parts(*_args: object) -> str:
    raise PartRefusedError


async def upload_of_four_parts(s3: S3ObjectStore, key: str) -> None:
    async with asyncio.timeout(30):  # the feeder used to wait for a reader that was gone
        await s3.put_stream(
            key, chunks(os.urandom(4 * PART)), content_type="application/pdf", max_bytes=10 * PART
        )


async def test_a_part_refused_by_s3_fails_the_upload_at_once(
    s3: S3ObjectStore, client: Minio, bucket: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(client, "_upload_part", refuse_parts)
    with pytest.raises(PartRefusedError):
        await upload_of_four_parts(s3, "evidence/a/refused")
    assert not await s3.exists("evidence/a/refused")
    assert not client._list_multipart_uploads(bucket).uploads


async def test_s3_unreachable_mid_upload_fails_it_instead_of_hanging(infra: Infra, bucket: str):
    # The abort cannot reach S3 either: the part's error, not the abort's, is what surfaces.
    proxy = TcpProxy("127.0.0.1", infra.s3_port).start()
    client = Minio(f"127.0.0.1:{proxy.port}", access_key="t", secret_key="t", secure=False)
    s3 = S3ObjectStore(client, bucket)
    await s3.ensure_bucket()

    async def cut_after_the_first_part() -> AsyncIterator[bytes]:
        fed = 0
        async for chunk in chunks(os.urandom(4 * PART)):
            yield chunk
            fed += len(chunk)
            if fed == PART + MIB:
                proxy.cut()

    try:
        async with asyncio.timeout(60):
            with pytest.raises(urllib3.exceptions.MaxRetryError) as unreachable:
                await s3.put_stream(
                    "evidence/a/cut-off",
                    cut_after_the_first_part(),
                    content_type="application/pdf",
                    max_bytes=10 * PART,
                )
    finally:
        proxy.close()
    assert "partNumber=" in str(unreachable.value.url)


@pytest.fixture(scope="module")
def s3_elsewhere() -> Iterator[S3Server]:
    """An S3 server in a process of its own, so that its memory is not counted as ours."""
    with S3Server() as server:
        yield server


async def test_a_streamed_upload_holds_about_one_part_in_memory(
    s3_elsewhere: S3Server, bucket: str
):
    # minio's own put_object kept the part it had sent while it read the next one.
    client = Minio(s3_elsewhere.endpoint, access_key="t", secret_key="t", secure=False)
    s3 = S3ObjectStore(client, bucket)
    await s3.ensure_bucket()
    chunk = os.urandom(64 * 1024)

    async def same_chunk(times: int) -> AsyncIterator[bytes]:
        for _ in range(times):
            yield chunk

    tracemalloc.start()
    try:
        stored = await s3.put_stream(
            "evidence/a/long",
            same_chunk(6 * PART // len(chunk)),
            content_type="application/pdf",
            max_bytes=10 * PART,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == 6 * PART
    assert peak < 1.5 * PART, f"{peak / PART:.2f} parts in memory"


async def test_object_over_the_limit_is_refused_and_not_stored(store: ObjectStore):
    with pytest.raises(ObjectTooLargeError):
        await store.put_stream(
            "evidence/a/big",
            chunks(os.urandom(3 * MIB)),
            content_type="application/pdf",
            max_bytes=2 * MIB,
        )
    assert not await store.exists("evidence/a/big")


@pytest.mark.parametrize("length", [2 * MIB, 7 * MIB], ids=["one part", "multipart"])
async def test_more_bytes_than_declared_are_refused_and_not_stored(store: ObjectStore, length):
    with pytest.raises(ObjectTooLargeError):
        await store.put_stream(
            "evidence/a/longer",
            chunks(os.urandom(length + 1)),
            content_type="application/pdf",
            max_bytes=20 * MIB,
            size=length,
        )
    assert not await store.exists("evidence/a/longer")


async def test_missing_object_raises_not_found(store: ObjectStore):
    assert not await store.exists("nope")
    with pytest.raises(ObjectNotFoundError):
        await store.get_bytes("nope")


async def test_put_bytes_overwrites_and_delete_removes(store: ObjectStore):
    await store.put_bytes("documents/x/r1.pdf", b"first", content_type="application/pdf")
    await store.put_bytes("documents/x/r1.pdf", b"second", content_type="application/pdf")
    assert await store.get_bytes("documents/x/r1.pdf") == b"second"
    await store.delete("documents/x/r1.pdf")
    assert not await store.exists("documents/x/r1.pdf")


async def test_check_passes_on_a_usable_store(store: ObjectStore):
    await store.check()


def test_local_store_refuses_keys_that_escape_its_root(tmp_path):
    store = LocalObjectStore(tmp_path / "store")
    with pytest.raises(ValueError, match="escapes"):
        store._path("../outside")


async def test_many_concurrent_streamed_uploads_all_complete(store: ObjectStore):
    payloads = {f"evidence/many/{index}": os.urandom(300 * 1024 + index) for index in range(40)}

    async def upload(key: str, data: bytes) -> str:
        stored = await store.put_stream(
            key, chunks(data, size=16 * 1024), content_type="application/pdf", max_bytes=MIB
        )
        return stored.sha256

    async with asyncio.timeout(120):  # a pool-starvation deadlock would hang here
        hashes = await asyncio.gather(*(upload(key, data) for key, data in payloads.items()))
    assert hashes == [hashlib.sha256(data).hexdigest() for data in payloads.values()]
