"""Resources' contracts (owned by the notes service): files a network keeps beside its notes
(slides, good-practice documents), stored in GridFS and readable only by its members.

The gateway reaches the notes service only over NATS request-reply, whose messages are
capped at 1 MiB, so a file travels in chunks both ways:

- upload: ``begin`` (slug, file name, title, declared size) answers an upload id and the
  chunk size; ``chunk`` sends each chunk (index from 0, base64); ``commit`` (total size and
  SHA-256 of the whole file) checks everything and stores the file, answering its
  ``ResourceView``; ``abort`` drops an upload. Nothing of a refused or abandoned upload
  stays stored.
- download: ``get`` answers the metadata; ``read`` answers ``length`` bytes from ``offset``
  (base64), so the gateway streams the file as an attachment.

The content type is decided by the file's bytes (sniffed), never by its name or by what the
client declares: a PNG named ``slides.pdf`` is stored, and served, as ``image/png``.
"""

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from huddle_shared.contracts.common import Slug
from huddle_shared.contracts.rpc import rpc_subject

SERVICE = "notes"

MAX_RESOURCE_BYTES = 25 * 1024 * 1024  # 25 MiB
# Raw bytes per upload chunk and per read: base64 makes 256 KiB about 342 KiB, well inside
# NATS's 1 MiB messages with the envelope around it.
CHUNK_BYTES = 256 * 1024
MAX_CHUNK_BASE64 = 4 * ((CHUNK_BYTES + 2) // 3)
MAX_CHUNKS = -(-MAX_RESOURCE_BYTES // CHUNK_BYTES)

FileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
ResourceTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
Base64Data = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=MAX_CHUNK_BASE64),
]


class ResourceKind(StrEnum):
    """The kinds of file a network may keep, each with the one content type it is served as."""

    PDF = "pdf"
    PPTX = "pptx"
    DOCX = "docx"
    XLSX = "xlsx"
    PNG = "png"
    JPEG = "jpeg"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self]


CONTENT_TYPES: dict[ResourceKind, str] = {
    ResourceKind.PDF: "application/pdf",
    ResourceKind.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ResourceKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ResourceKind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ResourceKind.PNG: "image/png",
    ResourceKind.JPEG: "image/jpeg",
}


# --- Requests -----------------------------------------------------------------------------


class BeginUpload(BaseModel):
    """Writers of the network (note-takers, facilitators, chairs) only."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    filename: FileName = Field(description="Kept for the download's name; never decides the type")
    title: ResourceTitle
    size: int = Field(
        ge=1,
        le=2**40,
        description=f"Declared size in bytes; more than {MAX_RESOURCE_BYTES} is refused",
    )


class UploadChunk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upload_id: UUID
    index: int = Field(ge=0, lt=MAX_CHUNKS, description="From 0; every chunk but the last is full")
    data: Base64Data = Field(description=f"Base64 of at most {CHUNK_BYTES} bytes")


class CommitUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upload_id: UUID
    size: int = Field(ge=1, le=2**40, description="The whole file's size in bytes")
    sha256: Sha256Hex = Field(description="Hex SHA-256 of the whole file")


class UploadRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upload_id: UUID


class ListResources(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=200)


class ResourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class ReadResource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    offset: int = Field(default=0, ge=0, le=MAX_RESOURCE_BYTES)
    length: int = Field(default=CHUNK_BYTES, ge=1, le=CHUNK_BYTES)


# --- Views --------------------------------------------------------------------------------


class UploadStarted(BaseModel):
    upload_id: UUID
    chunk_size: int = Field(description="Send chunks of exactly this many bytes (the last less)")
    chunks: int = Field(description="How many chunks the declared size makes")
    expires_at: AwareDatetime = Field(description="An upload not committed by then is dropped")


class ChunkReceived(BaseModel):
    upload_id: UUID
    index: int
    received_bytes: int = Field(description="Bytes staged so far, over every chunk")


class UploadAborted(BaseModel):
    upload_id: UUID


class ResourceView(BaseModel):
    id: UUID
    slug: str
    title: str
    filename: str
    kind: ResourceKind
    content_type: str = Field(description="Sniffed from the bytes, never from the name")
    size: int
    sha256: str
    uploaded_at: AwareDatetime


class ResourcePage(BaseModel):
    items: list[ResourceView]
    total: int
    page: int
    per_page: int


class ResourceContent(BaseModel):
    """``length`` bytes of the file from ``offset`` (fewer at its end; none past it)."""

    id: UUID
    offset: int
    length: int = Field(description="Bytes in data")
    size: int = Field(description="The whole file's size")
    data: str = Field(description="Base64")
    eof: bool = Field(description="This read reached the end of the file")


# --- RPC ----------------------------------------------------------------------------------

BEGIN_UPLOAD = rpc_subject(SERVICE, "resources.upload.begin")
UPLOAD_CHUNK = rpc_subject(SERVICE, "resources.upload.chunk")
COMMIT_UPLOAD = rpc_subject(SERVICE, "resources.upload.commit")
ABORT_UPLOAD = rpc_subject(SERVICE, "resources.upload.abort")
LIST_RESOURCES = rpc_subject(SERVICE, "resources.list")
GET_RESOURCE = rpc_subject(SERVICE, "resources.get")
READ_RESOURCE = rpc_subject(SERVICE, "resources.read")
