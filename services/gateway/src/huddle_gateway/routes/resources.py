"""A network's resources (slides, good-practice documents), forwarded to the notes service.

NATS messages are capped at 1 MiB, so a file crosses to the service in chunks both ways
(``contracts.resources``). An upload is ``multipart/form-data`` with the parts ``file`` and
``title``: the gateway reads the request as it arrives into a spool (memory, then a
temporary file, never the whole body in memory), learning the file's size and SHA-256 on
the way, then sends it as begin, chunks, commit, and aborts the upload on any failure so
nothing of it stays stored. With an Idempotency-Key every step carries it (each chunk a key
of its own made from it), so a retry gets each step's first answer: the first resource, or
422 for other content; and a failed upload is not aborted but left for the retry to go on
with (the service drops it when it expires, an hour on, and on its own refusals at once).

The service decides who may upload and what the file is (its type from its bytes, never
its name). See docs/decisions/0042-resources-over-request-reply.md.

A download is streamed from ranged reads, as an attachment, with the sniffed content type.
"""

import asyncio
import base64
import hashlib
import io
import logging
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import encode_rfc2231
from pathlib import PurePosixPath
from typing import IO, Annotated, Any
from uuid import UUID

import multipart
from huddle_shared.contracts import resources as contract
from huddle_shared.contracts.rpc import Caller
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from huddle_gateway.auth import unauthenticated
from huddle_gateway.problems import problem
from huddle_gateway.rpc import Rpc

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# The request may carry this much beyond the file: boundaries, part headers and the title.
FORM_OVERHEAD = 64 * 1024
MAX_UPLOAD_BODY = contract.MAX_RESOURCE_BYTES + FORM_OVERHEAD
MAX_TITLE_BYTES = 4096
SPOOL_IN_MEMORY = MIB  # beyond this, a file waits on disk while it is forwarded
FORM_MEDIA_TYPE = "multipart/form-data"
FILE, TITLE = "file", "title"
TOO_LARGE = f"The file must be at most {contract.MAX_RESOURCE_BYTES // MIB} MiB."


@dataclass
class ReceivedUpload:
    """The form's parts as received: the file's bytes wait in ``spool``."""

    # Closed by ``close`` (its owner's ``finally``), not by a ``with`` around one scope.
    spool: IO[bytes] = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    )
    filename: str | None = None
    title: str | None = None
    size: int = 0
    sha256: Any = field(default_factory=hashlib.sha256)

    @classmethod
    def of_bytes(cls, filename: str, title: str, data: bytes) -> "ReceivedUpload":
        """A file already read whole (the web page's form, which Litestar parsed)."""
        return cls(io.BytesIO(data), filename, title, len(data), hashlib.sha256(data))

    def close(self) -> None:
        self.spool.close()


def _form_invalid(name: str, message: str) -> Exception:
    return problem(
        422,
        "Invalid request",
        "The request failed validation.",
        type_="invalid",
        errors=[{"field": name, "message": message}],
    )


def _malformed(detail: str) -> Exception:
    return problem(400, "Malformed request", detail, type_="malformed-request")


def _too_large() -> Exception:
    return problem(413, "File too large", TOO_LARGE, type_="too-large")


def _boundary(content_type: str) -> str:
    media_type, options = multipart.parse_options_header(content_type)
    if media_type != FORM_MEDIA_TYPE or not options.get("boundary"):
        raise problem(
            415,
            "Unsupported media type",
            f"Send the upload as {FORM_MEDIA_TYPE} with the parts `{FILE}` and `{TITLE}`.",
            type_="unsupported-media-type",
        )
    return str(options["boundary"])


async def _body(request: Request[Any, Any, State]) -> AsyncIterator[bytes]:
    """The request body as it arrives, its limit held by Litestar (a declared length over
    it is refused before a byte is read); a client gone mid-way is a truncated upload."""
    try:
        async for chunk in request.stream():
            yield chunk
    except HTTPException as exc:
        if exc.status_code == 413:
            raise _too_large() from None
        if exc.status_code >= 500:  # Litestar: "client disconnected prematurely"
            raise _malformed("The upload ended before the whole request arrived.") from None
        raise


async def receive_upload(request: Request[Any, Any, State]) -> ReceivedUpload:
    """Read the form into a ``ReceivedUpload``, or refuse it (and keep nothing)."""
    parser = multipart.PushMultipartParser(
        _boundary(request.headers.get("content-type", "")), max_segment_count=8
    )
    upload = ReceivedUpload()
    try:
        await _read_parts(parser, _body(request), upload)
    except BaseException:
        upload.close()
        raise
    return upload


async def _read_parts(
    parser: multipart.PushMultipartParser, body: AsyncIterator[bytes], upload: ReceivedUpload
) -> None:
    part: multipart.MultipartSegment | None = None
    seen: set[str] = set()
    title = bytearray()
    try:
        with parser:
            async for chunk in body:
                for event in parser.parse(chunk):
                    if isinstance(event, multipart.MultipartSegment):
                        part = event
                        _start_part(part, seen, upload)
                    elif event is None:
                        part = None
                    elif part is not None and part.name == FILE:
                        upload.size += len(event)
                        if upload.size > contract.MAX_RESOURCE_BYTES:
                            raise _too_large()
                        upload.sha256.update(event)
                        upload.spool.write(event)
                    else:
                        title += event
                        if len(title) > MAX_TITLE_BYTES:
                            raise _form_invalid(TITLE, f"At most {MAX_TITLE_BYTES} bytes.")
    except multipart.MultipartError as exc:
        if not parser.closed or "nexpected end" in str(exc):
            raise _malformed(f"The upload ended before the form did: {exc}.") from None
        raise _malformed(f"The form could not be read: {exc}.") from None
    if FILE not in seen:
        raise _form_invalid(FILE, "Send the file as the part `file`.")
    if TITLE not in seen:
        raise _form_invalid(TITLE, "Send a title as the part `title`.")
    if upload.size == 0:
        raise _form_invalid(FILE, "The file is empty.")
    try:
        upload.title = title.decode("utf-8")
    except UnicodeDecodeError:
        raise _form_invalid(TITLE, "The title is not UTF-8.") from None


def _start_part(part: multipart.MultipartSegment, seen: set[str], upload: ReceivedUpload) -> None:
    name = part.name or ""
    if name not in (FILE, TITLE):
        raise _form_invalid(name or "body", f"Send only the parts `{FILE}` and `{TITLE}`.")
    if name in seen:
        raise _form_invalid(name, "Sent more than once.")
    seen.add(name)
    if name == FILE:
        if not part.filename:
            raise _form_invalid(FILE, "Send a file (a part with a file name).")
        # Some browsers send the path the file came from: only its last name is kept.
        upload.filename = PurePosixPath(part.filename.replace("\\", "/")).name or "file"


async def forward_upload(rpc: Rpc, slug: str, upload: ReceivedUpload) -> contract.ResourceView:
    """Begin, chunks, commit, each with ``rpc``'s Idempotency-Key if it has one. Without
    one, any failure (a refusal, a timeout, a cancel) aborts the upload, so the service drops
    what it staged. With one, the upload may be another request's with that key (still
    running, or the one a retry goes on with): it is not this request's to drop."""
    begin = {"slug": slug, "filename": upload.filename, "title": upload.title, "size": upload.size}
    started = await rpc.call(contract.UploadStarted, contract.BEGIN_UPLOAD, begin)
    upload_id = str(started.upload_id)
    try:
        upload.spool.seek(0)
        index = 0
        while data := upload.spool.read(started.chunk_size):
            encoded = base64.b64encode(data).decode("ascii")
            chunk = {"upload_id": upload_id, "index": index, "data": encoded}
            await rpc.for_step(f"chunk {index}").send(contract.UPLOAD_CHUNK, chunk)
            index += 1
        commit = {"upload_id": upload_id, "size": upload.size, "sha256": upload.sha256.hexdigest()}
        return await rpc.call(contract.ResourceView, contract.COMMIT_UPLOAD, commit)
    except BaseException:
        if not rpc.keyed:
            await asyncio.shield(_abort(rpc, upload_id))
        raise


async def _abort(rpc: Rpc, upload_id: str) -> None:
    try:
        await rpc.send(contract.ABORT_UPLOAD, {"upload_id": upload_id})
    except Exception:  # the service drops it when it expires all the same
        log.warning("could not abort an upload", extra={"upload_id": upload_id}, exc_info=True)


def attachment(filename: str) -> str:
    """``Content-Disposition`` for a download (RFC 6266): an ASCII ``filename`` for old
    clients and the exact name as ``filename*`` (RFC 5987). Nothing from the name can end
    the header or add another."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'[^\x20-\x7e]|["\\%/;]', "_", ascii_name).strip() or "download"
    return f'attachment; filename="{fallback}"; filename*={encode_rfc2231(filename, "utf-8")}'


@dataclass
class UploadOperation(Operation):
    """The upload's body in the schema: Litestar does not parse it (it is streamed)."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT,
            properties={
                FILE: Schema(
                    type=OpenAPIType.STRING,
                    format=OpenAPIFormat.BINARY,
                    description="PDF, PPTX, DOCX, XLSX, PNG or JPEG, at most "
                    f"{contract.MAX_RESOURCE_BYTES // MIB} MiB; the type is read from the bytes",
                ),
                TITLE: Schema(type=OpenAPIType.STRING, min_length=1, max_length=200),
            },
            required=[FILE, TITLE],
        )
        self.request_body = RequestBody(
            content={FORM_MEDIA_TYPE: OpenAPIMediaType(schema=form)}, required=True
        )


class NetworkResourcesController(Controller):
    path = "/api/v1/networks/{slug:str}/resources"
    tags = ["resources"]

    @get(
        "/",
        summary="A network's resources",
        description="Newest first. Members of the network (and of its parent, where a "
        "spin-off opens its library to it) and instance admins (403); an invite-only "
        "network's resources do not exist to non-members (404).",
    )
    async def list_resources(
        self,
        slug: FromPath[str],
        rpc: NamedDependency[Rpc],
        page: Annotated[int | None, QueryParameter(description="From 1")] = None,
        per_page: Annotated[int | None, QueryParameter(description="Default 50")] = None,
    ) -> contract.ResourcePage:
        given = {"slug": slug, "page": page, "per_page": per_page}
        body = {name: value for name, value in given.items() if value is not None}
        return await rpc.call(contract.ResourcePage, contract.LIST_RESOURCES, body)

    @post(
        "/",
        summary="Writers: upload a resource",
        description=f"`{FORM_MEDIA_TYPE}` with the parts `{FILE}` and `{TITLE}`. The "
        "network's note-takers, facilitators and chairs and instance admins (403). A file "
        f"over {contract.MAX_RESOURCE_BYTES // MIB} MiB is 413 (a declared length over it, "
        "before the body is read); a type other than those listed, by its bytes, 415 or "
        "422; an upload that ends early, 400. A refused upload leaves nothing stored.",
        status_code=201,
        request_max_body_size=MAX_UPLOAD_BODY,
        operation_class=UploadOperation,
    )
    async def upload(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, State],
        caller: NamedDependency[Caller],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.ResourceView:
        if caller.is_anonymous:  # before reading 25 MiB for nothing
            raise unauthenticated("Sign in to upload.")
        upload = await receive_upload(request)
        try:
            return await forward_upload(idempotent_rpc, slug, upload)
        finally:
            upload.close()


class ResourceController(Controller):
    path = "/api/v1/resources/{resource_id:uuid}"
    tags = ["resources"]

    @get(
        "/",
        summary="A resource's metadata",
        description="For those who may read the network's library (403; 404 for an "
        "invite-only network's, to non-members).",
    )
    async def read(
        self, resource_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.ResourceView:
        body = {"id": str(resource_id)}
        return await rpc.call(contract.ResourceView, contract.GET_RESOURCE, body)

    @get(
        "/content",
        summary="Download a resource",
        description="As an attachment, with the content type sniffed from its bytes when it "
        "was uploaded. The same readers as its metadata.",
        responses={
            200: ResponseSpec(
                None,
                description="The file's bytes",
                media_type="application/octet-stream",
            )
        },
    )
    async def content(self, resource_id: FromPath[UUID], rpc: NamedDependency[Rpc]) -> Stream:
        view = await rpc.call(
            contract.ResourceView, contract.GET_RESOURCE, {"id": str(resource_id)}
        )
        # The first part before the answer starts: a failure then is still a problem
        # document; later, the connection is cut short of its Content-Length.
        first = await _read(rpc, view.id, 0)
        return Stream(
            _rest(rpc, view, first),
            media_type=view.content_type,
            headers={
                "Content-Disposition": attachment(view.filename),
                "Content-Length": str(view.size),
                "X-Content-Type-Options": "nosniff",
            },
        )


async def _read(rpc: Rpc, resource_id: UUID, offset: int) -> contract.ResourceContent:
    body = {"id": str(resource_id), "offset": offset, "length": contract.CHUNK_BYTES}
    return await rpc.call(contract.ResourceContent, contract.READ_RESOURCE, body)


async def _rest(
    rpc: Rpc, view: contract.ResourceView, part: contract.ResourceContent
) -> AsyncIterator[bytes]:
    sent = 0
    while True:
        data = base64.b64decode(part.data)
        sent += len(data)
        yield data
        if part.eof or not data or sent >= view.size:
            break
        part = await _read(rpc, view.id, sent)
    if sent != view.size:  # cut the connection: the client must not take it as whole
        raise RuntimeError(f"resource {view.id}: {sent} bytes read of {view.size}")


RESOURCE_HANDLERS = (NetworkResourcesController, ResourceController)
