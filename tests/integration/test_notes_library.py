"""The members-only library over real NATS and FerretDB: ``SEARCH_NOTES`` answered by the
library area, fed through ``ports.Library`` as the notes area feeds it on publish and
retract, authorised by a small real ``ports.Readers`` over the NetworkRoster projection.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from huddle_notes.library import handlers as library_routes
from huddle_notes.library.handlers import LibraryIndex
from huddle_notes.library.repository import LibraryNotes
from huddle_notes.ports import PublishedNote
from huddle_shared import services as service_list
from huddle_shared.contracts.notes import (
    SEARCH_NOTES,
    NotePublishedV1,
    NoteRetractedV1,
    SearchNotes,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import NotFound
from huddle_shared.projections.network_roster import NETWORK_ROSTER, NetworkRoster
from huddle_shared.service import ServiceBuilder
from support import connect_nats, signed, started

pytestmark = pytest.mark.integration

NATIONAL, SIBLING = "national", "north-west"


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


@dataclass
class Library:
    nc: Any
    index: LibraryIndex
    database: Any
    member: UUID  # of the national network
    sibling: UUID  # of the north-west network only

    async def search(self, who: UUID | None = None, **body: Any) -> dict[str, Any]:
        message = {
            "caller": {"member_id": str(who or self.member)},
            "body": {"slug": NATIONAL, **body},
        }
        data = signed(SEARCH_NOTES, json.loads(json.dumps(message, default=str)))
        return json.loads((await self.nc.request(SEARCH_NOTES, data, timeout=10)).data)  # type: ignore[no-any-return]

    async def titles(self, **body: Any) -> list[str]:
        reply = await self.search(**body)
        assert reply["ok"], reply
        return [item["title"] for item in reply["data"]["items"]]


async def join(database: Any, slug: str, member: UUID, role: str = "member") -> None:
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


def note(title: str, body: str, *, slug: str = NATIONAL, themes: tuple[str, ...] = (), held_on: date | None = None, minute: int = 0) -> PublishedNote:  # fmt: skip
    return PublishedNote(
        note_id=uuid.uuid4(),
        slug=slug,
        title=title,
        body=body,
        themes=themes,
        tags=(),
        held_on=held_on or date(2026, 3, 1),
        published_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=minute),
    )


def library_service(settings: Any) -> tuple[Any, LibraryIndex]:
    service = ServiceBuilder(service_list.NOTES, settings)
    index = LibraryIndex(
        LibraryNotes(service.database), RosterReaders(NetworkRoster(service.database))
    )
    service.include(library_routes, library=index, working=None)
    service.on_start(index.load)
    return service.build(), index


@pytest.fixture
async def library(settings_for: Any, nats_url: str) -> AsyncIterator[Library]:
    runtime, index = library_service(settings_for("notes"))
    async with started(runtime):
        nc = await connect_nats(nats_url)
        member, sibling = uuid.uuid4(), uuid.uuid4()
        await join(runtime.database, NATIONAL, member)
        await join(runtime.database, SIBLING, sibling)
        try:
            yield Library(nc, index, runtime.database, member, sibling)
        finally:
            await nc.close()


async def test_ranked_by_the_words_stemmed_without_stop_words(library: Library) -> None:
    await library.index.add(note("Handover at shift change", "We talked about handover.", minute=1))
    await library.index.add(
        note(
            "Incidents in theatres",
            "Two incidents, and the incident review that followed.",
            minute=2,
        )
    )
    await library.index.add(
        note("Learning from an incident", "One incident was discussed.", minute=3)
    )
    await library.index.add(
        note("The café rota", "Staff met at the café after the session.", minute=4)
    )

    # "incidents" finds "incident"; the note using the word more, in title and body, first.
    assert await library.titles(q="incidents") == [
        "Incidents in theatres",
        "Learning from an incident",
    ]
    assert await library.titles(q="INCIDENT") == [
        "Incidents in theatres",
        "Learning from an incident",
    ]
    # Accents fold; stop words neither match nor count.
    assert await library.titles(q="cafe") == ["The café rota"]
    assert await library.titles(q="the of and") == []
    assert await library.titles(q="the handover") == ["Handover at shift change"]
    # No words: newest first, an excerpt from the start; words: the excerpt where they are.
    assert await library.titles() == [
        "The café rota", "Learning from an incident", "Incidents in theatres", "Handover at shift change",
    ]  # fmt: skip
    reply = await library.search(q="review")
    assert reply["data"]["items"][0]["excerpt"].startswith("Two incidents")
    assert "incident review" in reply["data"]["items"][0]["excerpt"]


async def test_filters_by_theme_and_dates_and_pages(library: Library) -> None:
    for n in range(7):
        await library.index.add(
            note(
                f"Sepsis session {n}",
                "Escalation of the deteriorating patient.",
                themes=("Sepsis",) if n % 2 == 0 else ("Handover",),
                held_on=date(2026, 1, 1) + timedelta(days=30 * n),
                minute=n,
            )
        )
    assert await library.titles(theme="sepsis") == [f"Sepsis session {n}" for n in (6, 4, 2, 0)]
    assert await library.titles(from_date="2026-01-31", to_date="2026-04-30") == [
        "Sepsis session 3", "Sepsis session 2", "Sepsis session 1",
    ]  # fmt: skip
    assert await library.titles(q="escalation", theme="Sepsis", from_date="2026-03-01") == [
        "Sepsis session 6", "Sepsis session 4", "Sepsis session 2",
    ]  # fmt: skip
    pages = [await library.search(q="patients", per_page=3, page=page) for page in (1, 2, 3, 4)]
    assert [reply["data"]["total"] for reply in pages] == [7, 7, 7, 7]
    seen = [item["title"] for reply in pages for item in reply["data"]["items"]]
    assert sorted(seen) == sorted(f"Sepsis session {n}" for n in range(7))  # each once
    assert pages[3]["data"]["items"] == []


async def test_a_sibling_networks_member_sees_nothing(library: Library) -> None:
    await library.index.add(note("National: deteriorating patients", "Escalation."))
    await library.index.add(note("North west: escalation", "Escalation.", slug=SIBLING))

    refused = await library.search(library.sibling, q="escalation")
    assert not refused["ok"] and refused["error"]["code"] == "not_found"
    assert "National" not in json.dumps(refused)
    stranger = await library.search(uuid.uuid4())
    assert stranger["error"]["code"] == "not_found"
    # The member reads their own network's notes only, never the sibling's.
    assert await library.titles(q="escalation") == ["National: deteriorating patients"]


async def test_retraction_takes_a_note_out_and_the_record_survives_a_restart(
    library: Library,
) -> None:
    kept = note("Falls prevention", "Falls on the ward at night.", minute=1)
    retracted = note("Falls audit", "Falls audit results.", minute=2)
    await library.index.add(kept)
    await library.index.add(retracted)
    assert await library.titles(q="falls") == ["Falls audit", "Falls prevention"]

    await library.index.remove(retracted.note_id)
    assert await library.titles(q="falls") == ["Falls prevention"]
    assert (await library.search(q="falls"))["data"]["total"] == 1

    # A second process (a restart) loads the same index from the library's collection.
    restarted = LibraryIndex(
        LibraryNotes(library.database), RosterReaders(NetworkRoster(library.database))
    )
    await restarted.load()
    page = await restarted.search(
        SearchNotes(slug=NATIONAL, q="falls"), Caller(member_id=library.member)
    )
    assert [item.title for item in page.items] == ["Falls prevention"]


def following_service(settings: Any) -> tuple[Any, LibraryIndex]:
    """A notes replica's library as bootstrap wires it: following first, then loading."""
    service = ServiceBuilder(service_list.NOTES, settings)
    index = LibraryIndex(
        LibraryNotes(service.database), RosterReaders(NetworkRoster(service.database))
    )
    service.on_start(lambda: index.follow(service.broker.connection), index.load)
    return service.build(), index


async def titles_in(index: LibraryIndex, member: UUID, q: str) -> list[str]:
    page = await index.search(SearchNotes(slug=NATIONAL, q=q), Caller(member_id=member))
    return [item.title for item in page.items]


async def eventually(index: LibraryIndex, member: UUID, q: str, want: list[str]) -> None:
    for _ in range(100):  # bounded: 5 s
        if await titles_in(index, member, q) == want:
            return
        await asyncio.sleep(0.05)
    assert await titles_in(index, member, q) == want


def announce(nc: Any, event: type[Any], note_id: UUID) -> Any:
    """What the publishing replica's relay sends (only ``note_id`` matters to the library)."""
    envelope = {"payload": {"note_id": str(note_id), "slug": NATIONAL}}
    return nc.publish(event.subject_filter(), json.dumps(envelope).encode())


async def test_every_replica_follows_publications_and_retractions(
    settings_for: Any, nats_url: str
) -> None:
    first, first_index = following_service(settings_for("notes"))
    second, second_index = following_service(settings_for("notes"))
    member = uuid.uuid4()
    async with started(first), started(second):
        await join(first.database, NATIONAL, member)
        nc = await connect_nats(nats_url)
        try:
            published = note("Falls on the ward", "A fall at night, and what followed.")
            await first_index.add(published)  # the publishing replica writes the record
            await announce(nc, NotePublishedV1, published.note_id)
            await eventually(second_index, member, "falls", ["Falls on the ward"])

            # A replica started after the publication finds the note too.
            third, third_index = following_service(settings_for("notes"))
            async with started(third):
                await eventually(third_index, member, "falls", ["Falls on the ward"])

            await second_index.remove(published.note_id)  # retracted through the other
            await announce(nc, NoteRetractedV1, published.note_id)
            await eventually(first_index, member, "falls", [])
            # A late, repeated publication event cannot bring it back: the record decides.
            await announce(nc, NotePublishedV1, published.note_id)
            await asyncio.sleep(0.3)
            assert await titles_in(first_index, member, "falls") == []
        finally:
            await nc.close()
