"""Resources' collections: staged uploads (``resource_uploads`` and their chunks in
``resource_upload_chunks``) and the files themselves in GridFS (the default ``fs``
bucket: ``fs.files``, ``fs.chunks``), through PyMongo's async GridFS.

Every lookup is by ``_id`` (a chunk's is ``<upload id>:<index>``): FerretDB v1 uses no other
index. GridFS finds a file's chunks by ``files_id``, which FerretDB answers by a scan; on
MongoDB GridFS's own ``{files_id, n}`` index serves it (decision 0040).
"""

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from gridfs.asynchronous import AsyncGridFSBucket
from gridfs.errors import NoFile
from huddle_shared.contracts.resources import ResourceKind, ResourceView
from huddle_shared.storage.locks import document_locks
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

UPLOADS = "resource_uploads"
UPLOAD_CHUNKS = "resource_upload_chunks"
BUCKET = "fs"


@dataclass(frozen=True)
class StagedUpload:
    upload_id: UUID
    resource_id: UUID  # the GridFS file it becomes
    slug: str
    filename: str
    title: str
    size: int
    member_id: UUID
    expires_at: datetime
    received: int = 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _upload_of(document: dict[str, Any]) -> StagedUpload:
    return StagedUpload(
        upload_id=UUID(document["_id"]),
        resource_id=UUID(document["resource_id"]),
        slug=document["slug"],
        filename=document["filename"],
        title=document["title"],
        size=document["size"],
        member_id=UUID(document["member_id"]),
        expires_at=_aware(document["expires_at"]),
        received=document.get("received", 0),
    )


def _chunk_id(upload_id: UUID, index: int) -> str:
    return f"{upload_id}:{index}"


class ChunkClash(Exception):
    """A chunk of that index was already staged with other bytes."""


class StagedUploads:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._uploads = database[UPLOADS]
        self._chunks = database[UPLOAD_CHUNKS]

    async def begin(self, upload: StagedUpload) -> None:
        await self._uploads.insert_one(
            {
                "_id": str(upload.upload_id),
                "resource_id": str(upload.resource_id),
                "slug": upload.slug,
                "filename": upload.filename,
                "title": upload.title,
                "size": upload.size,
                "member_id": str(upload.member_id),
                "expires_at": upload.expires_at,
                "received": 0,
            }
        )

    async def find(self, upload_id: UUID) -> StagedUpload | None:
        document = await self._uploads.find_one({"_id": str(upload_id)})
        return _upload_of(document) if document else None

    async def stage(self, upload_id: UUID, index: int, data: bytes) -> int:
        """Keep one chunk (a repeat of the same bytes is fine); the bytes staged so far."""
        chunk_id = _chunk_id(upload_id, index)
        async with document_locks.hold((UPLOADS, str(upload_id))):
            try:
                await self._chunks.insert_one(
                    {"_id": chunk_id, "upload_id": str(upload_id), "index": index, "data": data}
                )
            except DuplicateKeyError:
                staged = await self._chunks.find_one({"_id": chunk_id})
                if staged is None or bytes(staged["data"]) != data:
                    raise ChunkClash() from None
                document = await self._uploads.find_one({"_id": str(upload_id)}, {"received": 1})
                return int(document["received"]) if document else 0
            document = await self._uploads.find_one({"_id": str(upload_id)}, {"received": 1})
            received = (int(document["received"]) if document else 0) + len(data)
            await self._uploads.update_one(
                {"_id": str(upload_id)}, {"$set": {"received": received}}
            )
            return received

    async def assembled(self, upload: StagedUpload, chunks: int) -> bytes | None:
        """The staged chunks in order, or None if any is missing."""
        parts = await asyncio.gather(
            *(self._chunks.find_one({"_id": _chunk_id(upload.upload_id, i)}) for i in range(chunks))
        )
        if any(part is None for part in parts):
            return None
        return b"".join(bytes(part["data"]) for part in parts)  # type: ignore[index]

    async def drop(self, upload: StagedUpload, chunks: int) -> None:
        """The upload and every chunk it may have staged (by ``_id``, and any stray)."""
        for index in range(chunks):
            await self._chunks.delete_one({"_id": _chunk_id(upload.upload_id, index)})
        await self._chunks.delete_many({"upload_id": str(upload.upload_id)})
        await self._uploads.delete_one({"_id": str(upload.upload_id)})

    async def expired(self, now: datetime) -> list[StagedUpload]:
        return [_upload_of(doc) async for doc in self._uploads.find({"expires_at": {"$lt": now}})]


def view_of(document: dict[str, Any]) -> ResourceView:
    metadata = document["metadata"]
    return ResourceView(
        id=UUID(document["_id"]),
        slug=metadata["slug"],
        title=metadata["title"],
        filename=document["filename"],
        kind=ResourceKind(metadata["kind"]),
        content_type=metadata["content_type"],
        size=document["length"],
        sha256=metadata["sha256"],
        uploaded_at=_aware(document["uploadDate"]),
    )


class StoredFiles:
    """The network's files in GridFS; a file's id is the resource's id (a string)."""

    def __init__(self, database: AsyncDatabase[Any], chunk_size: int) -> None:
        self._bucket = AsyncGridFSBucket(database, bucket_name=BUCKET, chunk_size_bytes=chunk_size)
        self._files = database[f"{BUCKET}.files"]
        self._file_chunks = database[f"{BUCKET}.chunks"]

    async def store(
        self, resource_id: UUID, upload: StagedUpload, data: bytes, kind: ResourceKind, sha256: str
    ) -> ResourceView:
        metadata = {
            "slug": upload.slug,
            "title": upload.title,
            "kind": kind.value,
            "content_type": kind.content_type,
            "sha256": sha256.lower(),
        }
        try:
            await self._bucket.upload_from_stream_with_id(
                str(resource_id), upload.filename, data, metadata=metadata
            )
        except BaseException:
            await self.delete(resource_id)  # no orphan chunks of a half-written file
            raise
        # FerretDB finds chunks by ``files_id`` only by scanning every chunk of every file;
        # by ``_id`` it looks one up. So the file keeps its chunks' ids in order, found by
        # one scan now, and every ranged read later fetches just the chunks it covers.
        cursor = self._file_chunks.find({"files_id": str(resource_id)}, {"_id": 1, "n": 1})
        chunk_ids = [c["_id"] for c in sorted([c async for c in cursor], key=lambda c: c["n"])]
        await self._files.update_one(
            {"_id": str(resource_id)}, {"$set": {"metadata.chunk_ids": chunk_ids}}
        )
        document = await self._files.find_one({"_id": str(resource_id)})
        assert document is not None
        return view_of(document)

    async def delete(self, resource_id: UUID) -> None:
        with contextlib.suppress(NoFile):
            await self._bucket.delete(str(resource_id))
        await self._file_chunks.delete_many({"files_id": str(resource_id)})

    async def find(self, resource_id: UUID) -> ResourceView | None:
        document = await self._files.find_one({"_id": str(resource_id)})
        return view_of(document) if document else None

    async def of_network(self, slug: str, skip: int, limit: int) -> tuple[list[ResourceView], int]:
        query = {"metadata.slug": slug}
        total = await self._files.count_documents(query)
        cursor = (
            self._files.find(query).sort([("uploadDate", -1), ("_id", 1)]).skip(skip).limit(limit)
        )
        return [view_of(document) async for document in cursor], total

    async def read(self, resource_id: UUID, offset: int, length: int) -> bytes:
        document = await self._files.find_one(
            {"_id": str(resource_id)}, {"chunkSize": 1, "length": 1, "metadata.chunk_ids": 1}
        )
        chunk_ids = (document or {}).get("metadata", {}).get("chunk_ids")
        if document is None or not chunk_ids:
            return await self._read_stream(resource_id, offset, length)
        chunk_size, end = document["chunkSize"], min(offset + length, document["length"])
        if offset >= end:
            return b""
        first, last = offset // chunk_size, (end - 1) // chunk_size
        found = await asyncio.gather(
            *(self._file_chunks.find_one({"_id": chunk_ids[n]}) for n in range(first, last + 1))
        )
        if any(chunk is None for chunk in found):
            return await self._read_stream(resource_id, offset, length)
        data = b"".join(bytes(chunk["data"]) for chunk in found if chunk is not None)
        start = offset - first * chunk_size
        return data[start : start + (end - offset)]

    async def _read_stream(self, resource_id: UUID, offset: int, length: int) -> bytes:
        stream = await self._bucket.open_download_stream(str(resource_id))
        try:
            await stream.seek(offset)
            return await stream.read(length)
        finally:
            await stream.close()

    async def existing(self, resource_ids: Iterable[UUID], slug: str) -> set[UUID]:
        found = await asyncio.gather(
            *(self._files.find_one({"_id": str(i)}, {"metadata.slug": 1}) for i in resource_ids)
        )
        return {UUID(doc["_id"]) for doc in found if doc and doc["metadata"]["slug"] == slug}
