"""The notes pages against the app: the gateway, membership, scheduling and notes in-process
on real NATS and FerretDB, httpx with cookies as a browser. One world for the module: a
national network with two spin-offs (siblings), a chair, a note-taker, a facilitator, a
member, and a member of the sibling network.

Each page: it renders for the people it is for; the editor marks the check's findings in
the text and one click (or "use every suggestion") changes the body; a refusal is shown on
the page and changes nothing; someone from the sibling network gets the error page and
never sees a title.
"""

import asyncio
import html
import re
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support import eventually
from web_support import CSRF_FIELD, Person, Site, web_site

pytestmark = pytest.mark.component

THEMES = ["Human factors", "Medication safety", "Deterioration and escalation"]
CLEAN = (
    "## What we talked about\n\nThe group talked about **handover** between teams.\n\n"
    "- Keep handover tools short\n- Ask the receiving team what they need\n"
)


def text_of(response: httpx.Response) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def marks(page: httpx.Response) -> list[str]:
    """What the page marks as findings (without the words for screen readers)."""
    found = re.findall(r'<mark class="huddle-finding"[^>]*>(.*?)</mark>', page.text, flags=re.S)
    return [
        html.unescape(re.sub(r'<span class="nhsuk-u-visually-hidden">.*?</span>', "", m))
        for m in found
    ]


def finding_ids(page: httpx.Response) -> list[str]:
    return re.findall(r'name="finding" value="([^"]+)"', page.text)


@dataclass
class Browser:
    client: httpx.AsyncClient

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, form_page: str, action: str, data: dict[str, Any]) -> httpx.Response:
        """Post ``data`` to ``action`` with the CSRF token of the page the form is on."""
        page = await self.client.get(form_page)
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, f"no form on {form_page}: {page.status_code} {page.text[:300]}"
        return await self.client.post(
            action, data={**data, CSRF_FIELD: html.unescape(token.group(1))}
        )

    async def upload(self, slug: str, name: str, content: bytes, title: str = "") -> httpx.Response:
        page = await self.client.get(f"/networks/{slug}/resources")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        return await self.client.post(
            f"/networks/{slug}/resources",
            data={"title": title, CSRF_FIELD: html.unescape(token.group(1))},
            files={"file": (name, content, "application/octet-stream")},
        )


@dataclass
class World:
    site: Site
    chair: Person
    note_taker: Person
    facilitator: Person
    member: Person
    sibling: Person
    slug: str
    sibling_slug: str
    browsers: list[httpx.AsyncClient]

    def browser(self, person: Person | None = None) -> Browser:
        client = httpx.AsyncClient(base_url=self.site.url, timeout=30, follow_redirects=False)
        self.browsers.append(client)
        if person is not None:
            client.cookies.set("huddle_session", self.site.tokens.issue(uuid.UUID(person.id)))
        return Browser(client)


async def _join(site: Site, slug: str, person: Person) -> None:
    joined = await site.client.post(
        f"/api/v1/networks/{slug}/join",
        json={"accepted_ground_rules": True},
        headers=person.headers,
    )
    assert joined.status_code in (200, 201), joined.text


async def _role(site: Site, slug: str, chair: Person, person: Person, role: str) -> None:
    changed = await site.client.put(
        f"/api/v1/networks/{slug}/members/{person.id}/role",
        json={"role": role},
        headers=chair.headers,
    )
    assert changed.status_code == 200, changed.text


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "scheduling", "notes"
    ) as site:
        chair, note_taker, facilitator, member, sibling = await asyncio.gather(
            site.person(admin=True, name="Carys Chairwoman"),
            site.person(name="Priya Raman"),
            site.person(name="Owen Fletcher"),
            site.person(name="Mo Member"),
            site.person(name="Sibyl Sibling"),
        )
        parent = await site.network(chair)
        slug = await site.network(chair, parent_slug=parent)
        sibling_slug = await site.network(chair, parent_slug=parent)
        for person in (note_taker, facilitator, member):
            await _join(site, slug, person)
        await _join(site, sibling_slug, sibling)
        await _role(site, slug, chair, note_taker, "note_taker")
        await _role(site, slug, chair, facilitator, "facilitator")
        world = World(site, chair, note_taker, facilitator, member, sibling, slug, sibling_slug, [])
        # The chair sets the theme list through its page (once notes knows the network).
        chair_browser = world.browser(chair)
        themes_page = f"/networks/{slug}/notes/themes"

        async def saved() -> httpx.Response | None:
            response = await chair_browser.post(
                themes_page, themes_page, {"themes": "\n".join(THEMES)}
            )
            return response if response.status_code == 303 else None

        await eventually(saved)
        try:
            yield world
        finally:
            await asyncio.gather(*(client.aclose() for client in world.browsers))


async def write(world: World, title: str, body: str, themes: list[str] | None = None) -> str:
    """A draft made through the editor; its id from where the form leads."""
    browser = world.browser(world.note_taker)
    new = f"/networks/{world.slug}/notes/new"
    created = await browser.post(
        new, new, {"title": title, "body": body, "themes": themes or [], "tags": "handover"}
    )
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert location.startswith("/notes/") and "/edit" in location, location
    return location.split("/")[2]


async def publish(world: World, note_id: str) -> None:
    writer, reviewer = world.browser(world.note_taker), world.browser(world.facilitator)
    submitted = await writer.post(f"/notes/{note_id}/edit", f"/notes/{note_id}/submit", {})
    assert submitted.status_code == 303, submitted.text
    approved = await reviewer.post(f"/notes/{note_id}", f"/notes/{note_id}/approve", {})
    assert approved.status_code == 303, approved.text


# --- Reading the library ---------------------------------------------------------------------


async def test_a_member_reads_the_library_and_a_sibling_networks_member_cannot(
    world: World,
) -> None:
    note_id = await write(world, "Handover between teams", CLEAN, ["Human factors"])
    await publish(world, note_id)

    member = world.browser(world.member)
    library = await eventually(
        lambda: _found(member, f"/networks/{world.slug}/notes?q=handover", "Handover between")
    )
    assert "Human factors" in text_of(library)
    assert f"/notes/{note_id}" in library.text
    by_theme = await member.get(f"/networks/{world.slug}/notes?theme=Medication+safety")
    assert by_theme.status_code == 200 and "Handover between teams" not in by_theme.text
    page = await member.get(f"/notes/{note_id}")
    assert page.status_code == 200, page.text
    assert "<strong>handover</strong>" in page.text  # Markdown, rendered
    assert "<li>Keep handover tools short</li>" in page.text
    network = await member.get(f"/networks/{world.slug}")
    assert f"/networks/{world.slug}/notes" in network.text  # the network leads to it

    # The sibling network's member: the error page, never the title.
    outsider = world.browser(world.sibling)
    for path in (f"/networks/{world.slug}/notes", f"/notes/{note_id}"):
        refused = await outsider.get(path)
        assert refused.status_code in (403, 404), (path, refused.status_code)
        assert "Handover between teams" not in refused.text
    own = await outsider.get(f"/networks/{world.sibling_slug}/notes?q=handover")
    assert own.status_code == 200 and "Handover between teams" not in own.text
    # A visitor is sent to sign in.
    visitor = await world.browser().get(f"/notes/{note_id}")
    assert visitor.status_code in (302, 303) and "/sign-in" in visitor.headers["location"]


async def _found(browser: Browser, path: str, words: str) -> httpx.Response | None:
    page = await browser.get(path)
    return page if page.status_code == 200 and words in page.text else None


# --- The editor ------------------------------------------------------------------------------

NAMED = (
    "Priya Raman opened the session. Staff on Ward 36 described a dose given twice; the "
    "patient's NHS number, 943 476 5919, was on both charts."
)


async def _editor_with_marks(browser: Browser, note_id: str, wanted: int) -> httpx.Response:
    async def marked() -> httpx.Response | None:
        page = await browser.get(f"/notes/{note_id}/edit")
        return page if page.status_code == 200 and len(marks(page)) >= wanted else None

    return await eventually(marked)


async def test_the_editor_marks_the_findings_and_one_click_fixes_them(world: World) -> None:
    note_id = await write(world, "A medicines error", NAMED, ["Medication safety"])
    writer = world.browser(world.note_taker)
    editor = await _editor_with_marks(writer, note_id, 3)
    marked = marks(editor)
    assert "Priya Raman" in marked and "943 476 5919" in marked
    assert any("36" in m for m in marked), marked  # the ward
    assert 'name="themes" type="checkbox" value="Medication safety" checked' in editor.text or (
        'value="Medication safety" checked' in editor.text
    )
    ids = finding_ids(editor)
    assert len(ids) == len(marked)

    # One click: the first finding's suggestion replaces it; the rest stay marked.
    first = marked[0]
    one = await writer.post(
        f"/notes/{note_id}/edit", f"/notes/{note_id}/apply", {"finding": ids[0]}
    )
    assert one.status_code == 303, one.text
    after = await writer.get(f"/notes/{note_id}/edit")
    assert first not in marks(after) and len(marks(after)) == len(marked) - 1
    body = await _body(world, note_id)
    assert first not in body and "943 476 5919" in body

    # "Use every suggestion": nothing left to mark, and the body says so.
    every = await writer.post(f"/notes/{note_id}/edit", f"/notes/{note_id}/apply", {"all": "yes"})
    assert every.status_code == 303, every.text
    clean = await writer.get(f"/notes/{note_id}/edit")
    assert marks(clean) == [] and "The check found nothing" in clean.text
    body = await _body(world, note_id)
    assert "943 476 5919" not in body and "Priya Raman" not in body


async def _body(world: World, note_id: str) -> str:
    """The saved body, as the editor's text area holds it."""
    page = await world.browser(world.note_taker).get(f"/notes/{note_id}/edit")
    found = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', page.text, flags=re.S)
    assert found, page.text[:500]
    return html.unescape(found.group(1))


async def test_a_second_reader_keeps_a_finding_with_a_reason_and_publishes(world: World) -> None:
    note_id = await write(world, "A ward's story", "Staff on Ward 36 spoke about handover.")
    writer, reviewer = world.browser(world.note_taker), world.browser(world.facilitator)
    await _editor_with_marks(writer, note_id, 1)
    submitted = await writer.post(f"/notes/{note_id}/edit", f"/notes/{note_id}/submit", {})
    assert submitted.status_code == 303, submitted.text

    queue = await reviewer.get("/notes/review")
    assert queue.status_code == 200 and "A ward&#39;s story" in queue.text
    assert "Notes to review" in queue.text  # the header offers it to a second reader
    plain = await world.browser(world.member).get("/notes/review")
    assert "A ward&#39;s story" not in plain.text
    assert 'href="/notes/review"' not in plain.text.split("<main")[0]  # nor to a member

    page = await reviewer.get(f"/notes/{note_id}")
    assert marks(page) and "Approve and publish" in page.text
    finding = re.search(r'name="finding_id" value="([^"]+)"', page.text)
    assert finding
    # Publishing is refused while the finding stands: the page says why.
    refused = await reviewer.post(f"/notes/{note_id}", f"/notes/{note_id}/approve", {})
    assert refused.status_code == 409, refused.status_code
    assert "nhsuk-error-summary" in refused.text
    kept = await reviewer.post(
        f"/notes/{note_id}",
        f"/notes/{note_id}/accept",
        {"finding_id": finding.group(1), "reason": "A ward number used by many trusts"},
    )
    assert kept.status_code == 303, kept.text
    approved = await reviewer.post(f"/notes/{note_id}", f"/notes/{note_id}/approve", {})
    assert approved.status_code == 303, approved.text
    read = await world.browser(world.member).get(f"/notes/{note_id}")
    assert read.status_code == 200 and "spoke about handover" in read.text


# --- Refusals shown on the page, changing nothing -----------------------------------------------


async def test_bad_input_shows_an_error_on_the_page_and_changes_nothing(world: World) -> None:
    note_id = await write(world, "Fatigue and safety", CLEAN)
    writer = world.browser(world.note_taker)
    emptied = await writer.post(
        f"/notes/{note_id}/edit",
        f"/notes/{note_id}/edit",
        {"title": "", "body": "Something else entirely", "tags": ""},
    )
    assert emptied.status_code == 422, emptied.status_code
    assert "There is a problem" in emptied.text and 'href="#title"' in emptied.text
    assert "Something else entirely" in emptied.text  # what was typed is kept
    editor = await writer.get(f"/notes/{note_id}/edit")
    assert 'value="Fatigue and safety"' in editor.text  # nothing changed
    assert "Something else entirely" not in await _body(world, note_id)

    unknown_theme = await writer.post(
        f"/notes/{note_id}/edit",
        f"/notes/{note_id}/edit",
        {"title": "Fatigue", "body": CLEAN, "themes": ["Not a theme of ours"]},
    )
    assert unknown_theme.status_code in (400, 409, 422), unknown_theme.status_code
    assert "nhsuk-error-summary" in unknown_theme.text

    library = await world.browser(world.member).get(f"/networks/{world.slug}/notes?from=2027-13-45")
    assert library.status_code == 422 and 'href="#from"' in library.text

    # Returning without comments is refused on the page; the note stays submitted.
    submitted = await writer.post(f"/notes/{note_id}/edit", f"/notes/{note_id}/submit", {})
    assert submitted.status_code == 303, submitted.text
    reviewer = world.browser(world.facilitator)
    returned = await reviewer.post(
        f"/notes/{note_id}", f"/notes/{note_id}/return", {"comments": ""}
    )
    assert returned.status_code == 422, returned.status_code
    assert 'href="#comments"' in returned.text
    still = await reviewer.get(f"/notes/{note_id}")
    assert "Waiting for a second reader" in still.text and "Approve and publish" in still.text

    # Writers' pages are not a member's.
    member = world.browser(world.member)
    for path in (
        f"/networks/{world.slug}/notes/new",
        f"/notes/{note_id}/edit",
        f"/networks/{world.slug}/notes/themes",
    ):
        refused = await member.get(path)
        assert refused.status_code in (403, 404), (path, refused.status_code)


# --- Resources -------------------------------------------------------------------------------


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def test_an_upload_form_sent_twice_keeps_one_file(world: World) -> None:
    """A double click, or the form sent again from the history: its one-time key goes with
    every step of the upload, so the second send is answered as the first."""
    writer = world.browser(world.note_taker)
    path = f"/networks/{world.slug}/resources"
    page = await writer.get(path)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    once = re.search(r'name="_once" value="([^"]+)"', page.text)
    assert token and once, page.text[:300]
    form = {"title": "Sent twice", CSRF_FIELD: html.unescape(token.group(1)), "_once": once[1]}
    png = tiny_png()
    shown = []
    for _ in range(2):
        sent = await writer.client.post(
            path, data=form, files={"file": ("twice.png", png, "application/octet-stream")}
        )
        assert sent.status_code == 303, sent.text
        listed = await world.browser(world.member).get(path)
        shown.append(listed.text.count("/download"))
    assert shown[0] >= 1 and shown[1] == shown[0]


async def test_a_writer_uploads_a_file_and_only_members_download_it(world: World) -> None:
    writer = world.browser(world.note_taker)
    png = tiny_png()
    uploaded = await writer.upload(world.slug, "slides.pdf", png, "Huddle diagram")
    assert uploaded.status_code == 303, uploaded.text
    listed = await world.browser(world.member).get(f"/networks/{world.slug}/resources")
    assert listed.status_code == 200 and "Huddle diagram" in listed.text
    link = re.search(r'href="(/resources/[0-9a-f-]+/download)"', listed.text)
    assert link, listed.text
    download = await world.browser(world.member).get(link.group(1))
    assert download.status_code == 200
    assert download.content == png
    assert download.headers["content-type"].startswith("image/png")  # the bytes decide
    assert download.headers["content-disposition"].startswith("attachment;")
    refused = await world.browser(world.sibling).get(link.group(1))
    assert refused.status_code in (403, 404) and refused.content != png

    # Text is not a kind of file a network keeps: refused on the page, nothing listed.
    text = await writer.upload(world.slug, "notes.pdf", b"just some text, not a document")
    assert text.status_code in (415, 422), text.status_code
    assert "nhsuk-error-summary" in text.text
    again = await world.browser(world.member).get(f"/networks/{world.slug}/resources")
    assert again.text.count("/download") == listed.text.count("/download")
    empty = await writer.upload(world.slug, "empty.pdf", b"")
    assert empty.status_code == 422 and 'href="#file"' in empty.text
