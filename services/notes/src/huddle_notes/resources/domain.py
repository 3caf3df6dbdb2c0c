"""Resources' rules, pure: which files a network may keep, decided from their bytes.

The content type is sniffed (``filetype``), never taken from the name or the client. DOCX,
PPTX and XLSX are all zip files: ``filetype`` tells them apart by the names of the first
entries, which depends on how the writer ordered them, so a zip is settled by its own
``[Content_Types].xml`` (the main part's declared type), and a zip that is none of the
three is refused.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import filetype
from huddle_shared.contracts.resources import CHUNK_BYTES, MAX_RESOURCE_BYTES, ResourceKind
from huddle_shared.errors import Invalid

# Main parts of the Office Open XML kinds we keep (ECMA-376 part 1, content types).
_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        ResourceKind.DOCX
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        ResourceKind.PPTX
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        ResourceKind.XLSX
    ),
}
_ZIPS = {
    "application/zip",
    *(kind.content_type for kind in (ResourceKind.DOCX, ResourceKind.PPTX, ResourceKind.XLSX)),
}
_BY_MIME = {
    kind.content_type: kind for kind in (ResourceKind.PDF, ResourceKind.PNG, ResourceKind.JPEG)
}
_CONTENT_TYPE = re.compile(rb'ContentType="([^"]+)"')
_MAX_CONTENT_TYPES_XML = 1024 * 1024
ALLOWED = "PDF, PPTX, DOCX, XLSX, PNG or JPEG"
MAX_MB = MAX_RESOURCE_BYTES // (1024 * 1024)


class UploadRefused(Invalid):
    """A file the library will not keep; nothing of it stays stored."""


class TooLarge(
    UploadRefused, detail=f"The file is larger than {MAX_MB} MB, the most a resource may be."
):
    pass


class WrongType(
    UploadRefused,
    detail=f"The file is not a {ALLOWED} file (judged by its contents, not its name).",
):
    pass


class Truncated(UploadRefused):
    """What arrived is not the file the client described (size or SHA-256)."""


class BadChunk(UploadRefused):
    pass


def sniff(data: bytes) -> ResourceKind | None:
    """The kind of file ``data`` is, from its bytes; None if it is none we keep."""
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess else None
    if mime in _BY_MIME:
        return _BY_MIME[mime]
    if mime in _ZIPS or data[:4] == b"PK\x03\x04":
        return _office_kind(data)
    return None


def _office_kind(data: bytes) -> ResourceKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_XML:
                return None
            declared = archive.read(info)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None
    kinds = {
        _MAIN_PARTS[t.decode()]
        for t in _CONTENT_TYPE.findall(declared)
        if t.decode() in _MAIN_PARTS
    }
    return kinds.pop() if len(kinds) == 1 else None


@dataclass(frozen=True)
class UploadPlan:
    """How a file of ``size`` bytes travels: ``chunks`` chunks of ``CHUNK_BYTES``, the last
    holding the rest."""

    size: int

    @classmethod
    def for_size(cls, size: int) -> "UploadPlan":
        if size > MAX_RESOURCE_BYTES:
            raise TooLarge()
        if size < 1:
            raise UploadRefused("The file is empty.")
        return cls(size)

    @property
    def chunks(self) -> int:
        return -(-self.size // CHUNK_BYTES)

    def length_of(self, index: int) -> int:
        if index == self.chunks - 1:
            return self.size - CHUNK_BYTES * (self.chunks - 1)
        return CHUNK_BYTES

    def check_chunk(self, index: int, length: int) -> None:
        if index >= self.chunks:
            raise BadChunk(
                f"Chunk {index} is past the end: a file of {self.size} bytes has "
                f"{self.chunks} chunks (0 to {self.chunks - 1}).",
            )
        if CHUNK_BYTES * index + length > self.size:
            raise TooLarge(
                f"More bytes arrived than the {self.size} declared"
                + (f", past the {MAX_MB} MB limit." if self.size == MAX_RESOURCE_BYTES else ".")
            )
        expected = self.length_of(index)
        if length != expected:
            raise BadChunk(f"Chunk {index} holds {length} bytes; it must hold {expected}.")


def check_sizes(declared_size: int, committed_size: int) -> None:
    if committed_size != declared_size:
        raise Truncated(f"The upload began as {declared_size} bytes but commits {committed_size}.")


def check_whole(data: bytes, declared_size: int, committed_size: int, sha256: str) -> ResourceKind:
    """The file as it arrived, against what the client said; its kind."""
    check_sizes(declared_size, committed_size)
    if len(data) > MAX_RESOURCE_BYTES:
        raise TooLarge()
    if len(data) != committed_size:
        raise Truncated(f"{len(data)} bytes arrived of the {committed_size} declared.")
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise Truncated("The file's SHA-256 is not the one declared: it was changed or cut short.")
    kind = sniff(data)
    if kind is None:
        raise WrongType()
    return kind
