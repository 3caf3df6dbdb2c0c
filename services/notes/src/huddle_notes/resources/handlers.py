"""Resources' RPC operations: chunked uploads, metadata, listing and ranged reads
(``ports.Resources`` for the notes area).

Readers (``ports.Readers``) list, read and download a network's files; anyone else is
refused as every notes route refuses (404 for an invite-only network, 403 otherwise).
Writers upload: the same as write notes (note-takers, facilitators, chairs and instance
admins; ``ports.Readers.may_write`` answers from the notes area's one rule). An upload is
staged chunk by chunk in our own collections; the commit checks size, SHA-256 and the
sniffed type before anything reaches GridFS, and every refusal, abort or expiry drops all
that was staged (and any half-written GridFS file).
"""

import asyncio
import base64
import binascii
import logging
import typing
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import resources as contract
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Forbidden, NotFound, require_member
from huddle_shared.messaging.routes import RouteTable

from huddle_notes.ports import Readers
from huddle_notes.resources import domain
from huddle_notes.resources.repository import (
    ChunkClash,
    StagedUpload,
    StagedUploads,
    StoredFiles,
)

log = logging.getLogger(__name__)

rpc = RouteTable()

UPLOAD_LIFETIME = timedelta(hours=1)
SWEEP_SECONDS = 300.0


class NoSuchResource(NotFound, detail="No such resource, or it is for its network's members only."):
    pass


class NoSuchUpload(
    NotFound, detail="No such upload: it was committed, aborted, refused or expired."
):
    pass


class NotAWriter(
    Forbidden,
    detail="Only the network's note-takers, facilitators and chairs, and instance admins, "
    "upload resources.",
):
    pass


class ResourceLibrary:
    """Answers ``ports.Resources``; every operation the routes offer."""

    def __init__(
        self,
        uploads: StagedUploads,
        files: StoredFiles,
        readers: Readers,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._uploads = uploads
        self._files = files
        self._readers = readers
        self._now = now

    # --- ports.Resources ---

    async def missing(self, slug: str, resource_ids: list[UUID]) -> list[UUID]:
        found = await self._files.existing(resource_ids, slug)
        return [i for i in resource_ids if i not in found]

    # --- uploads ---

    async def begin(self, request: contract.BeginUpload, caller: Caller) -> contract.UploadStarted:
        member_id = require_member(caller)
        if not await self._readers.may_write(request.slug, caller):
            raise NotAWriter()
        plan = domain.UploadPlan.for_size(request.size)
        upload = StagedUpload(
            upload_id=uuid.uuid4(),
            resource_id=uuid.uuid4(),
            slug=request.slug,
            filename=request.filename,
            title=request.title,
            size=request.size,
            member_id=member_id,
            expires_at=self._now() + UPLOAD_LIFETIME,
        )
        await self._uploads.begin(upload)
        return contract.UploadStarted(
            upload_id=upload.upload_id,
            chunk_size=contract.CHUNK_BYTES,
            chunks=plan.chunks,
            expires_at=upload.expires_at,
        )

    async def _own_upload(self, upload_id: UUID, caller: Caller) -> StagedUpload:
        member_id = require_member(caller)
        upload = await self._uploads.find(upload_id)
        if upload is None or upload.member_id != member_id:
            raise NoSuchUpload()
        if upload.expires_at <= self._now():
            await self._drop(upload)
            raise NoSuchUpload()
        return upload

    async def _drop(self, upload: StagedUpload) -> None:
        await self._uploads.drop(upload, domain.UploadPlan(upload.size).chunks)
        await self._files.delete(upload.resource_id)

    async def chunk(self, request: contract.UploadChunk, caller: Caller) -> contract.ChunkReceived:
        upload = await self._own_upload(request.upload_id, caller)
        try:
            data = base64.b64decode(request.data, validate=True)
            domain.UploadPlan(upload.size).check_chunk(request.index, len(data))
            received = await self._uploads.stage(upload.upload_id, request.index, data)
        except binascii.Error:
            await self._drop(upload)
            raise domain.BadChunk(f"Chunk {request.index} is not valid base64.") from None
        except ChunkClash:
            await self._drop(upload)
            raise domain.BadChunk(
                f"Chunk {request.index} was sent twice with different bytes."
            ) from None
        except domain.UploadRefused:
            await self._drop(upload)  # a refused chunk ends the upload: nothing stays
            raise
        return contract.ChunkReceived(
            upload_id=upload.upload_id, index=request.index, received_bytes=received
        )

    async def commit(self, request: contract.CommitUpload, caller: Caller) -> contract.ResourceView:
        upload = await self._own_upload(request.upload_id, caller)
        plan = domain.UploadPlan(upload.size)
        try:
            domain.check_sizes(upload.size, request.size)
            data = await self._uploads.assembled(upload, plan.chunks)
            if data is None:
                raise domain.Truncated(
                    f"Not every chunk arrived: {upload.received} of {upload.size} bytes."
                )
            kind = domain.check_whole(data, upload.size, request.size, request.sha256)
            view = await self._files.store(upload.resource_id, upload, data, kind, request.sha256)
        except BaseException:
            await self._drop(upload)
            raise
        await self._uploads.drop(upload, plan.chunks)
        return view

    async def abort(self, request: contract.UploadRef, caller: Caller) -> contract.UploadAborted:
        upload = await self._own_upload(request.upload_id, caller)
        await self._drop(upload)
        return contract.UploadAborted(upload_id=upload.upload_id)

    async def sweep(self) -> int:
        """Drop uploads left past their expiry (a client that went away)."""
        stale = await self._uploads.expired(self._now())
        for upload in stale:
            if await self._files.find(upload.resource_id) is not None:
                # Committed, but the process stopped before it dropped the staging.
                await self._uploads.drop(upload, domain.UploadPlan(upload.size).chunks)
            else:
                await self._drop(upload)
        return len(stale)

    async def sweep_forever(self, interval: float = SWEEP_SECONDS) -> None:
        while True:
            try:
                dropped = await self.sweep()
                if dropped:
                    log.info("resources: %d stale uploads dropped", dropped)
            except Exception:  # the next round tries again
                log.exception("resources: sweeping stale uploads failed")
            await asyncio.sleep(interval)

    # --- reads ---

    async def _readable(self, resource_id: UUID, caller: Caller) -> contract.ResourceView:
        require_member(caller)
        view = await self._files.find(resource_id)
        if view is None:
            raise NoSuchResource()
        await self._readers.require_reader(view.slug, caller)
        return view

    async def get(self, request: contract.ResourceRef, caller: Caller) -> contract.ResourceView:
        return await self._readable(request.id, caller)

    async def read(
        self, request: contract.ReadResource, caller: Caller
    ) -> contract.ResourceContent:
        view = await self._readable(request.id, caller)
        data = b""
        if request.offset < view.size:
            data = await self._files.read(view.id, request.offset, request.length)
        return contract.ResourceContent(
            id=view.id,
            offset=request.offset,
            length=len(data),
            size=view.size,
            data=base64.b64encode(data).decode(),
            eof=request.offset + len(data) >= view.size,
        )

    async def list(self, request: contract.ListResources, caller: Caller) -> contract.ResourcePage:
        require_member(caller)
        await self._readers.require_reader(request.slug, caller)
        skip = (request.page - 1) * request.per_page
        items, total = await self._files.of_network(request.slug, skip, request.per_page)
        return contract.ResourcePage(
            items=items, total=total, page=request.page, per_page=request.per_page
        )


# The routes are ResourceLibrary's methods, each its subject and description; the request
# and reply models (validation, the AsyncAPI document) are the method's own.
OPERATIONS: list[tuple[str, str, Callable[..., Awaitable[Any]]]] = [
    (
        contract.BEGIN_UPLOAD,
        "Begin uploading a resource (writers): its upload id and chunk size.",
        ResourceLibrary.begin,
    ),
    (contract.UPLOAD_CHUNK, "Stage one chunk of an upload (base64).", ResourceLibrary.chunk),
    (
        contract.COMMIT_UPLOAD,
        "Finish an upload: size, SHA-256 and the sniffed type checked, then the file is stored.",
        ResourceLibrary.commit,
    ),
    (contract.ABORT_UPLOAD, "Drop an upload and all it staged.", ResourceLibrary.abort),
    (
        contract.LIST_RESOURCES,
        "A network's resources, newest first (members).",
        ResourceLibrary.list,
    ),
    (contract.GET_RESOURCE, "A resource's metadata (members).", ResourceLibrary.get),
    (
        contract.READ_RESOURCE,
        "Up to 256 KiB of a resource's bytes from an offset (members).",
        ResourceLibrary.read,
    ),
]


def _route(subject: str, description: str, method: Callable[..., Awaitable[Any]]) -> None:
    hints = typing.get_type_hints(method)

    async def operation(request: Any, caller: Caller, resources: ResourceLibrary) -> Any:
        return await method(resources, request, caller)

    operation.__name__ = operation.__qualname__ = f"{method.__name__}_resource"
    operation.__annotations__ = {**operation.__annotations__, "request": hints["request"]}
    operation.__annotations__["return"] = hints["return"]
    rpc.route(subject, description)(operation)


for entry in OPERATIONS:
    _route(*entry)
