"""The resources API (issue 12) against the real gateway, membership and notes on real NATS
and FerretDB: who may upload, list and download; a multipart upload comes back byte for
byte as an attachment; a wrong type, an oversized and a truncated upload are refused with a
clear problem and leave nothing stored (the notes database read directly: no GridFS chunk,
no staged upload). The world and its cast: tests/notes_support.py.
"""

import asyncio
import contextlib
import hashlib
import os
import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from notes_support import CALLERS, World, assert_problem, notes_world

pytestmark = pytest.mark.component

MIB = 1024 * 1024
MAX_BYTES = 25 * MIB
PDF_TYPE = "application/pdf"


def pdf(size: int) -> bytes:
    """``size`` bytes that start as a PDF does (the sniffer reads the start)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + os.urandom(size - len(head))


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with notes_world(tmp_path_factory, mongodb_url, nats_credentials) as world:
        yield world


async def upload(
    world: World,
    slug: str,
    caller: str = "author",
    *,
    data: bytes | None = None,
    filename: str = "slides.pdf",
    title: str = "Slides",
    key: str | None = None,
) -> httpx.Response:
    content = data if data is not None else pdf(1000)
    keyed = {"Idempotency-Key": key} if key is not None else {}
    return await world.client.post(
        f"/api/v1/networks/{slug}/resources",
        data={"title": title},
        files={"file": (filename, content, "application/octet-stream")},
        headers={**world.headers(caller), **keyed},
    )


async def stored(world: World) -> dict[str, int]:
    """What the notes service keeps of files: its GridFS buckets and staged uploads."""
    database = world.notes_db
    names = await database.list_collection_names()
    kept = [name for name in names if any(w in name for w in ("chunk", "files", "upload"))]
    counts = {name: await database[name].count_documents({}) for name in sorted(kept)}
    return {name: count for name, count in counts.items() if count}


@contextlib.asynccontextmanager
async def nothing_stored(world: World) -> AsyncIterator[None]:
    """Nothing of what runs inside stays stored (committed resources aside: none expected)."""
    before = await stored(world)
    yield
    await asyncio.sleep(0.3)  # an abort that is still on its way
    assert await stored(world) == before


# --- The authorisation matrix -------------------------------------------------------------------

Call = Callable[[World, str, dict[str, str]], Awaitable[httpx.Response]]
_shared: dict[str, dict[str, Any]] = {}


async def _resource(world: World, slug: str) -> dict[str, Any]:
    if slug not in _shared:
        made = await upload(world, slug)
        assert made.status_code == 201, made.text
        _shared[slug] = made.json()
    return _shared[slug]


async def list_resources(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    await _resource(world, slug)
    return await world.client.get(f"/api/v1/networks/{slug}/resources", headers=headers)


async def upload_resource(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    return await world.client.post(
        f"/api/v1/networks/{slug}/resources",
        data={"title": "Matrix"},
        files={"file": ("matrix.png", png(), "image/png")},
        headers=headers,
    )


async def read_metadata(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    resource = await _resource(world, slug)
    return await world.client.get(f"/api/v1/resources/{resource['id']}", headers=headers)


async def download(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    resource = await _resource(world, slug)
    return await world.client.get(f"/api/v1/resources/{resource['id']}/content", headers=headers)


# fmt: off
# Writers upload: those who write notes (note-takers, facilitators, chairs, instance admins).
#                            anonymous other parent member n-taker author facil. chair admin
MAIN: list[tuple[Call, tuple[int, ...]]] = [
    (list_resources, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
    (upload_resource, (401, 403, 403, 403, 201, 201, 201, 201, 201)),
    (read_metadata, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
    (download, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
]
# fmt: on
OUTSIDERS = {"anonymous": 401, "other": 404, "parent": 404}


def _cases() -> list[Any]:
    cases = []
    for call, statuses in MAIN:
        for caller, status in zip(CALLERS, statuses, strict=True):
            name = f"{call.__name__}-{caller}"
            cases.append(pytest.param(call, "main", caller, status, id=name))
        # An invite-only network: outsiders learn nothing; its members and instance admins
        # as for any network.
        inside = {"member": statuses[3], "admin": statuses[-1]}
        for caller, status in {**OUTSIDERS, **inside}.items():
            name = f"{call.__name__}-hidden-{caller}"
            cases.append(pytest.param(call, "hidden", caller, status, id=name))
    return cases


@pytest.mark.parametrize(("call", "network", "caller", "status"), _cases())
async def test_who_may_call_each_resources_endpoint(
    world: World, call: Call, network: str, caller: str, status: int
) -> None:
    response = await call(world, world.networks[network], world.headers(caller))
    if status >= 400:
        assert_problem(response, status)
        assert "Slides" not in response.text
    else:
        assert response.status_code == status, response.text


async def test_a_sibling_networks_member_never_sees_a_resource(world: World) -> None:
    resource = await _resource(world, world.networks["main"])
    listed = await world.client.get(
        f"/api/v1/networks/{world.networks['sibling']}/resources", headers=world.headers("other")
    )
    assert listed.status_code == 200, listed.text
    assert resource["id"] not in listed.text and "slides.pdf" not in listed.text


# --- Retries with an Idempotency-Key -----------------------------------------------------------


async def test_an_upload_sent_again_with_its_key_is_the_first_resource(world: World) -> None:
    slug, key = world.networks["main"], str(uuid.uuid4())
    data = pdf(MIB + 777)  # several chunks: each step of the retry answers as it first did
    first = await upload(world, slug, data=data, title="Retried", key=key)
    assert first.status_code == 201, first.text
    kept = await stored(world)
    again = await upload(world, slug, data=data, title="Retried", key=key)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert await stored(world) == kept  # no second file, nothing left staged
    other = await upload(world, slug, data=data, title="Retried", key=str(uuid.uuid4()))
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]  # a new key is a new upload


async def test_the_same_key_with_other_content_is_refused_and_changes_nothing(
    world: World,
) -> None:
    slug, key = world.networks["main"], str(uuid.uuid4())
    data = pdf(600_000)
    first = await upload(world, slug, data=data, key=key)
    assert first.status_code == 201, first.text
    kept = await stored(world)
    # Other bytes of the same size, name and title (only the chunks differ); then another size.
    for other in (pdf(600_000), pdf(1000)):
        refused = await upload(world, slug, data=other, key=key)
        assert_problem(refused, 422)
        assert "Idempotency-Key" in refused.json()["detail"]
    assert await stored(world) == kept
    got = await world.client.get(
        f"/api/v1/resources/{first.json()['id']}/content", headers=world.headers("member")
    )
    assert got.content == data


# --- Upload and download ------------------------------------------------------------------------


async def test_an_upload_comes_back_byte_for_byte_as_an_attachment(world: World) -> None:
    data = pdf(3 * MIB + 12_345)  # many chunks each way, the last a short one
    name = 'Résumé "final"; v2.pdf'
    made = await upload(world, world.networks["main"], data=data, filename=name, title="Résumé")
    assert made.status_code == 201, made.text
    view = made.json()
    assert (view["size"], view["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert (view["content_type"], view["filename"], view["title"]) == (PDF_TYPE, name, "Résumé")
    read = await world.client.get(
        f"/api/v1/resources/{view['id']}", headers=world.headers("member")
    )
    assert read.json() == view
    got = await world.client.get(
        f"/api/v1/resources/{view['id']}/content", headers=world.headers("member")
    )
    assert got.status_code == 200
    assert got.content == data
    assert got.headers["content-type"] == PDF_TYPE
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        'attachment; filename="Resume _final__ v2.pdf"; '
        "filename*=utf-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20v2.pdf"
    )
    listed = await world.client.get(
        f"/api/v1/networks/{world.networks['main']}/resources", headers=world.headers("member")
    )
    assert view["id"] in {item["id"] for item in listed.json()["items"]}


async def test_the_type_is_the_bytes_not_the_name(world: World) -> None:
    made = await upload(world, world.networks["main"], data=png(), filename="slides.pdf")
    assert made.status_code == 201, made.text
    assert made.json()["content_type"] == "image/png"
    got = await world.client.get(
        f"/api/v1/resources/{made.json()['id']}/content", headers=world.headers("member")
    )
    assert got.headers["content-type"] == "image/png" and got.content == png()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"Just some words, pretending to be slides.\n" * 100, "slides.pdf"),
        (b"MZ\x90\x00" + b"\x00" * 2000, "report.docx"),
        (b"GIF89a" + b"\x00" * 100, "picture.png"),
    ],
    ids=["text-as-pdf", "executable-as-docx", "gif-as-png"],
)
async def test_a_wrong_type_is_refused_and_leaves_nothing(
    world: World, data: bytes, filename: str
) -> None:
    async with nothing_stored(world):
        refused = await upload(world, world.networks["main"], data=data, filename=filename)
        assert refused.status_code in (415, 422), refused.text
        assert_problem(refused, refused.status_code)
        assert "type" in refused.text.lower()


# --- Oversized and truncated uploads, over a raw connection ------------------------------------


async def raw_request(
    world: World, head: bytes, body: Iterable[bytes]
) -> tuple[int, bytes, bytes, int]:
    """Send ``head`` then ``body`` chunk by chunk, stopping once the answer starts; the
    answer's status, its head and body, and how many body bytes were sent."""
    address = urlsplit(world.site.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    sent = 0
    try:
        writer.write(head)
        answer = asyncio.ensure_future(reader.read(65536))
        for chunk in body:
            if answer.done():
                break
            writer.write(chunk)
            sent += len(chunk)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            await asyncio.sleep(0)
        received = await asyncio.wait_for(answer, 30)
        while b"\r\n\r\n" not in received:
            received += await asyncio.wait_for(reader.read(65536), 10)
        head, _, answer_body = received.partition(b"\r\n\r\n")
        head = head.lower()
        length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
        while len(answer_body) < length:
            answer_body += await asyncio.wait_for(reader.read(65536), 10)
        return int(head.split(b" ", 2)[1]), head, answer_body, sent
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def _head(world: World, slug: str, boundary: str, length: int | None) -> bytes:
    token = world.headers("author")["Authorization"]
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"POST /api/v1/networks/{slug}/resources HTTP/1.1\r\n"
        f"Host: test\r\nAuthorization: {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n{framing}\r\n\r\n"
    ).encode()


def _form_start(boundary: str, filename: str = "big.pdf") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf(64)


def _chunked(parts: Iterable[bytes]) -> Iterable[bytes]:
    for part in parts:
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    world: World,
) -> None:
    boundary = "b0undary"
    slug = world.networks["main"]
    body = (_form_start(boundary) for _ in range(1))  # a few bytes of the 30 MiB declared
    async with nothing_stored(world):
        status, head, answer, sent = await raw_request(
            world, _head(world, slug, boundary, 30 * MIB), body
        )
    assert status == 413, answer
    assert b"content-type: application/problem+json" in head and b"25 MiB" in answer
    assert sent < MIB


async def test_a_file_over_the_limit_is_refused_once_it_passes_it(world: World) -> None:
    boundary = "b0undary"
    slug = world.networks["main"]
    block = b"\x00" * (256 * 1024)

    def parts() -> Iterable[bytes]:
        yield _form_start(boundary)
        for _ in range(64 * MIB // len(block)):  # far past 25 MiB, unless refused on the way
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    async with nothing_stored(world):
        status, head, answer, sent = await raw_request(
            world, _head(world, slug, boundary, None), _chunked(parts())
        )
    assert status == 413, answer
    assert b"content-type: application/problem+json" in head and b"25 MiB" in answer
    assert sent < 40 * MIB  # what was refused, and what the sockets held meanwhile


async def test_a_truncated_upload_is_refused_and_leaves_nothing(world: World) -> None:
    boundary = "b0undary"
    slug = world.networks["main"]
    cut = _form_start(boundary) + os.urandom(300_000)  # the closing boundary never comes
    async with nothing_stored(world):
        status, head, answer, _ = await raw_request(
            world, _head(world, slug, boundary, len(cut)), [cut]
        )
    assert status == 400, answer
    assert b"content-type: application/problem+json" in head and b"ended" in answer


async def test_a_client_gone_mid_upload_leaves_nothing(world: World) -> None:
    boundary = "b0undary"
    slug = world.networks["main"]
    address = urlsplit(world.site.url)
    async with nothing_stored(world):
        _, writer = await asyncio.open_connection(address.hostname, address.port)
        writer.write(_head(world, slug, boundary, 2 * MIB) + _form_start(boundary))
        writer.write(os.urandom(MIB // 2))
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.5)
    still = await upload(world, slug)  # and the gateway takes the next one as usual
    assert still.status_code == 201, still.text


async def test_a_form_without_its_parts_names_what_is_missing(world: World) -> None:
    slug = world.networks["main"]
    path = f"/api/v1/networks/{slug}/resources"
    author = world.headers("author")
    async with nothing_stored(world):
        no_title = await world.client.post(
            path, files={"file": ("a.pdf", pdf(100), PDF_TYPE)}, headers=author
        )
        assert_problem(no_title, 422, "title")
        no_file = await world.client.post(path, files={"title": (None, "Nothing")}, headers=author)
        assert_problem(no_file, 422, "file")
        a_form = await world.client.post(path, data={"title": "Nothing"}, headers=author)
        assert_problem(a_form, 415)
        empty = await upload(world, slug, data=b"")
        assert_problem(empty, 422, "file")
        json_body = await world.client.post(path, json={"title": "x"}, headers=author)
        assert_problem(json_body, 415)
