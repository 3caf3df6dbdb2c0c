"""Resources over real NATS and FerretDB: chunked uploads into GridFS, the type sniffed from
the bytes, ranged reads byte-exact, members only; every refusal leaves nothing stored
(``fs.files``, ``fs.chunks``, the staged uploads and their chunks all empty)."""

import base64
import hashlib
import io
import json
import struct
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from huddle_notes.notes.domain import WRITER_ROLES
from huddle_notes.resources import handlers as resource_routes
from huddle_notes.resources.handlers import ResourceLibrary
from huddle_notes.resources.repository import UPLOAD_CHUNKS, UPLOADS, StagedUploads, StoredFiles
from huddle_shared import services as service_list
from huddle_shared.clock import utc_now
from huddle_shared.contracts import resources as contract
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import NotFound
from huddle_shared.projections.network_roster import NETWORK_ROSTER, NetworkRoster
from huddle_shared.service import ServiceBuilder
from support import connect_nats, signed, started

pytestmark = pytest.mark.integration

SLUG, SIBLING = "national", "north-west"
CHUNK = contract.CHUNK_BYTES
STORED = ("fs.files", "fs.chunks", UPLOADS, UPLOAD_CHUNKS)


@dataclass
class RosterReaders:
    """``ports.Readers`` as the notes area answers it for plain networks: their members."""

    roster: NetworkRoster

    async def may_read(self, slug: str, caller: Caller) -> bool:
        return caller.member_id is not None and (
            await self.roster.role_of(slug, caller.member_id) is not None
        )

    async def readable_networks(self, caller: Caller) -> set[str]:
        return set(await self.roster.networks_of(caller.member_id)) if caller.member_id else set()

    async def require_reader(self, slug: str, caller: Caller) -> None:
        if not await self.may_read(slug, caller):  # as for an invite-only network
            raise NotFound(f"There is no network '{slug}'.")

    async def may_write(self, slug: str, caller: Caller) -> bool:
        await self.require_reader(slug, caller)
        assert caller.member_id is not None
        return await self.roster.role_of(slug, caller.member_id) in WRITER_ROLES


# --- Files made here ----------------------------------------------------------------------


def pdf(padding: int = 0) -> bytes:
    body = b"1 0 obj << /Type /Catalog >> endobj\n" + b"%" + b"x" * padding + b"\n"
    return b"%PDF-1.4\n" + body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def png(width: int = 64, height: int = 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 4 % 256, 90)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def docx(text: str = "Notes of the session.") -> bytes:
    """A minimal Word document; its first entry is docProps, as some writers order them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docProps/app.xml", "<Properties/>" + " " * 7000)
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(
            "word/document.xml", f"<w:document><w:body><w:p>{text}</w:p></w:body></w:document>"
        )
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
    return buffer.getvalue()


EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode"
)


# --- The service --------------------------------------------------------------------------


@dataclass
class Resources:
    nc: Any
    database: Any
    library: ResourceLibrary
    writer: UUID
    member: UUID  # reads, does not write
    sibling: UUID  # of another network

    async def ask(
        self, subject: str, body: dict[str, Any], who: UUID | None = None
    ) -> dict[str, Any]:
        message = {"caller": {"member_id": str(who or self.writer)}, "body": body}
        data = signed(subject, json.loads(json.dumps(message, default=str)))
        return json.loads((await self.nc.request(subject, data, timeout=15)).data)  # type: ignore[no-any-return]

    async def ok(
        self, subject: str, body: dict[str, Any], who: UUID | None = None
    ) -> dict[str, Any]:
        reply = await self.ask(subject, body, who)
        assert reply["ok"], reply
        return reply["data"]  # type: ignore[no-any-return]

    async def upload(
        self, filename: str, data: bytes, *, declared: int | None = None, sent: bytes | None = None,
        sha256: str | None = None, who: UUID | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Begin, send each chunk, commit: the first refusal's reply, or the commit's."""
        begun = await self.ask(
            contract.BEGIN_UPLOAD,
            {
                "slug": SLUG,
                "filename": filename,
                "title": f"Slides: {filename}",
                "size": declared or len(data),
            },
            who,
        )
        if not begun["ok"]:
            return begun
        upload_id = begun["data"]["upload_id"]
        payload = data if sent is None else sent
        for index in range(0, len(payload), CHUNK):
            part = base64.b64encode(payload[index : index + CHUNK]).decode()
            reply = await self.ask(
                contract.UPLOAD_CHUNK,
                {"upload_id": upload_id, "index": index // CHUNK, "data": part},
                who,
            )
            if not reply["ok"]:
                return reply
        return await self.ask(
            contract.COMMIT_UPLOAD,
            {
                "upload_id": upload_id,
                "size": len(data),
                "sha256": sha256 or hashlib.sha256(data).hexdigest(),
            },
            who,
        )

    async def ok_upload(self, filename: str, data: bytes) -> dict[str, Any]:
        reply = await self.upload(filename, data)
        assert reply["ok"], reply
        return reply["data"]  # type: ignore[no-any-return]

    async def download(
        self, resource_id: str, who: UUID | None = None, length: int = CHUNK
    ) -> bytes:
        parts, offset = [], 0
        while True:
            read = await self.ok(
                contract.READ_RESOURCE, {"id": resource_id, "offset": offset, "length": length}, who
            )
            parts.append(base64.b64decode(read["data"]))
            offset += read["length"]
            if read["eof"]:
                return b"".join(parts)

    async def stored(self) -> dict[str, int]:
        return {name: await self.database[name].count_documents({}) for name in STORED}

    async def nothing_but(self, files: int = 0) -> None:
        counts = await self.stored()
        assert counts[UPLOADS] == counts[UPLOAD_CHUNKS] == 0, counts
        assert counts["fs.files"] == files, counts
        if files == 0:
            assert counts["fs.chunks"] == 0, counts


async def join(database: Any, slug: str, member: UUID, role: str) -> None:
    """Set-up: the roster as membership's join events leave it."""
    await database[NETWORK_ROSTER].insert_one(
        {
            "_id": f"{slug}:{member}",
            "slug": slug,
            "member_id": str(member),
            "role": role,
            "active": True,
        }
    )


class Clock:
    def __init__(self) -> None:
        self.moment = utc_now()

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def resources(settings_for: Any, nats_url: str, clock: Clock) -> AsyncIterator[Resources]:
    service = ServiceBuilder(service_list.NOTES, settings_for("notes"))
    database = service.database
    roster = NetworkRoster(database)
    library = ResourceLibrary(
        StagedUploads(database),
        StoredFiles(database, CHUNK),
        RosterReaders(roster),
        now=clock,
    )
    service.include(resource_routes, resources=library)
    async with started(service.build()):
        writer, member, sibling = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await join(database, SLUG, writer, "note_taker")
        await join(database, SLUG, member, "member")
        await join(database, SIBLING, sibling, "chair")
        nc = await connect_nats(nats_url)
        try:
            yield Resources(nc, database, library, writer, member, sibling)
        finally:
            await nc.close()


# --- Tests --------------------------------------------------------------------------------


async def test_uploads_read_back_byte_exact_typed_by_their_bytes(resources: Resources) -> None:
    big_pdf = pdf(padding=CHUNK * 2 + 1234)  # three chunks, the last short
    made = {
        "minutes.pdf": big_pdf,
        "chart.png": png(),
        "notes.docx": docx(),
        "slides.pdf": png(20, 20),
    }
    views = {name: await resources.ok_upload(name, data) for name, data in made.items()}

    assert views["minutes.pdf"]["content_type"] == "application/pdf"
    assert views["chart.png"]["kind"] == "png"
    assert views["notes.docx"]["content_type"] == contract.ResourceKind.DOCX.content_type
    # The name says PDF; the bytes say PNG, and PNG is what is stored and served.
    assert views["slides.pdf"]["kind"] == "png"
    assert views["slides.pdf"]["content_type"] == "image/png"
    assert views["slides.pdf"]["filename"] == "slides.pdf"

    for name, data in made.items():
        view = views[name]
        assert view["size"] == len(data) and view["sha256"] == hashlib.sha256(data).hexdigest()
        assert await resources.download(view["id"], resources.member) == data
    # Ranges: any offset and length, none past the end.
    resource_id = views["minutes.pdf"]["id"]
    middle = await resources.ok(
        contract.READ_RESOURCE, {"id": resource_id, "offset": CHUNK - 10, "length": 100}
    )
    assert (
        base64.b64decode(middle["data"]) == big_pdf[CHUNK - 10 : CHUNK + 90] and not middle["eof"]
    )
    past = await resources.ok(
        contract.READ_RESOURCE, {"id": resource_id, "offset": len(big_pdf) + 5}
    )
    assert past["length"] == 0 and past["eof"]

    listed = await resources.ok(contract.LIST_RESOURCES, {"slug": SLUG}, resources.member)
    assert listed["total"] == 4 and {item["id"] for item in listed["items"]} == {
        v["id"] for v in views.values()
    }
    assert (
        await resources.ok(contract.GET_RESOURCE, {"id": resource_id}, resources.member)
        == views["minutes.pdf"]
    )
    await resources.nothing_but(files=4)  # and no staged upload left behind
    elsewhere = uuid.uuid4()
    assert await resources.library.missing(SLUG, [UUID(resource_id), elsewhere]) == [elsewhere]
    assert await resources.library.missing(SIBLING, [UUID(resource_id)]) == [UUID(resource_id)]


async def test_only_members_read_and_only_writers_upload(resources: Resources) -> None:
    view = await resources.ok_upload("chart.png", png())
    for who in (resources.sibling, uuid.uuid4()):
        for subject, body in (
            (contract.GET_RESOURCE, {"id": view["id"]}),
            (contract.READ_RESOURCE, {"id": view["id"]}),
            (contract.LIST_RESOURCES, {"slug": SLUG}),
        ):
            reply = await resources.ask(subject, body, who)
            assert reply["error"]["code"] == "not_found", reply
            assert "chart.png" not in json.dumps(reply)
    refused = await resources.upload("mine.png", png(), who=resources.member)
    assert refused["error"]["code"] == "forbidden"
    stranger = await resources.upload("mine.png", png(), who=resources.sibling)
    assert stranger["error"]["code"] == "not_found"
    await resources.nothing_but(files=1)


@pytest.mark.parametrize(
    ("filename", "data", "says"),
    [
        ("setup.pdf", EXE, "not a PDF"),
        ("notes.docx", b"Just some text that claims to be a Word document.\n" * 50, "not a PDF"),
        ("archive.xlsx", plain_zip(), "not a PDF"),
    ],
)
async def test_a_wrong_type_is_refused_and_nothing_stays(
    resources: Resources, filename: str, data: bytes, says: str
) -> None:
    reply = await resources.upload(filename, data)
    assert reply["error"]["code"] == "invalid" and says in reply["error"]["detail"], reply
    await resources.nothing_but()


async def test_oversized_is_refused_as_soon_as_it_shows(resources: Resources) -> None:
    limit = contract.MAX_RESOURCE_BYTES
    declared = await resources.upload("huge.pdf", b"", declared=limit + 1)
    assert (
        declared["error"]["code"] == "invalid"
        and "larger than 25 MB" in declared["error"]["detail"]
    )
    await resources.nothing_but()

    # Declared small, sent more: refused at the chunk that passes it, the upload dropped.
    first = pdf(padding=CHUNK)
    reply = await resources.upload("grows.pdf", first[:1000], sent=first)
    assert (
        reply["error"]["code"] == "invalid" and "More bytes arrived" in reply["error"]["detail"]
    ), reply
    await resources.nothing_but()


async def test_a_truncated_upload_is_refused_and_nothing_stays(resources: Resources) -> None:
    whole = pdf(padding=CHUNK + 10)
    short = await resources.upload(
        "cut.pdf", whole, sent=whole[:CHUNK]
    )  # the last chunk never sent
    assert (
        short["error"]["code"] == "invalid"
        and "Not every chunk arrived" in short["error"]["detail"]
    ), short
    await resources.nothing_but()

    altered = bytearray(whole)
    altered[-20] ^= 0xFF
    changed = await resources.upload("changed.pdf", whole, sent=bytes(altered))
    assert "SHA-256" in changed["error"]["detail"], changed
    await resources.nothing_but()

    begun = await resources.ok(
        contract.BEGIN_UPLOAD, {"slug": SLUG, "filename": "a.png", "title": "A", "size": 500}
    )
    image = png()
    commit = await resources.ask(
        contract.COMMIT_UPLOAD,
        {
            "upload_id": begun["upload_id"],
            "size": len(image),
            "sha256": hashlib.sha256(image).hexdigest(),
        },
    )
    assert "began as 500 bytes" in commit["error"]["detail"], commit
    await resources.nothing_but()


async def test_aborted_and_stale_uploads_leave_nothing(resources: Resources, clock: Clock) -> None:
    data = pdf(padding=CHUNK)
    for aborted in (True, False):
        begun = await resources.ok(
            contract.BEGIN_UPLOAD,
            {"slug": SLUG, "filename": "a.pdf", "title": "A", "size": len(data)},
        )
        chunk = base64.b64encode(data[:CHUNK]).decode()
        await resources.ok(
            contract.UPLOAD_CHUNK, {"upload_id": begun["upload_id"], "index": 0, "data": chunk}
        )
        assert (await resources.stored())[UPLOAD_CHUNKS] == 1
        if aborted:
            await resources.ok(contract.ABORT_UPLOAD, {"upload_id": begun["upload_id"]})
        else:  # the client went away: the sweep drops it once it is past its expiry
            assert await resources.library.sweep() == 0
            clock.moment += timedelta(hours=2)
            assert await resources.library.sweep() == 1
        await resources.nothing_but()
