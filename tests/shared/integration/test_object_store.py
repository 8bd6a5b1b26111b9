"""One contract, two stores: the local directory and S3 (minio client against the S3 server)."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator

import pytest
from minio import Minio

from shared.storage import (
    LocalObjectStore,
    ObjectNotFoundError,
    ObjectStore,
    ObjectTooLargeError,
    S3ObjectStore,
)
from tests.support.infra import Infra

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, infra: Infra, bucket: str, tmp_path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "store")
    client = Minio(
        f"127.0.0.1:{infra.s3_port}", access_key="testing", secret_key="testing", secure=False
    )
    s3 = S3ObjectStore(client, bucket)
    await s3.ensure_bucket()
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
