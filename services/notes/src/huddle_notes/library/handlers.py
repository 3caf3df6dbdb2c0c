"""The members-only library: the index of published notes (``ports.Library``) and the
search of a network's published notes (``SEARCH_NOTES``).

Only the network's readers (``ports.Readers``: its members, its parent's where a spin-off
opens its library, instance admins) search it; anyone else is refused as every notes route
refuses (404 for an invite-only network, 403 otherwise) and learns not even a title. Searches for
other states (drafts, the review queue) are the notes area's (``WorkingNotes``).
"""

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import Any, Protocol
from uuid import UUID

from huddle_shared.contracts import notes as contract
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Invalid, Unauthenticated
from huddle_shared.messaging.reconnects import on_reconnect
from huddle_shared.messaging.routes import RouteTable

from huddle_notes.library import domain
from huddle_notes.library.repository import LibraryNotes, document_of, indexed_of
from huddle_notes.ports import PublishedNote, PublishedNotes, Readers

log = logging.getLogger(__name__)


rpc = RouteTable()


class WorkingNotes(Protocol):
    """The notes area: notes that are not published (the caller's drafts, the review queue)."""

    async def search(self, request: contract.SearchNotes, caller: Caller) -> contract.NotePage: ...


class LibraryIndex:
    """Answers ``ports.Library``; searches from memory, keeps the database as its record."""

    def __init__(
        self, store: LibraryNotes, readers: Readers, notes: PublishedNotes | None = None
    ) -> None:
        self._store = store
        self._notes = notes
        self._readers = readers
        self._networks: dict[str, domain.NetworkIndex] = defaultdict(domain.NetworkIndex)
        self._slug_of: dict[UUID, str] = {}
        self._lock = asyncio.Lock()  # one change of the index at a time, in call order
        self._loaded = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """Read every indexed note. Run in the background at start (50,000 notes take tens
        of seconds on FerretDB): searches and changes wait until it is done."""
        started = time.perf_counter()
        networks: dict[str, domain.NetworkIndex] = defaultdict(domain.NetworkIndex)
        slug_of: dict[UUID, str] = {}
        async for document in self._store.all():
            slug, note, weights = indexed_of(document)
            networks[slug].add(note, weights)
            slug_of[note.note_id] = slug
        async with self._lock:
            self._networks, self._slug_of = networks, slug_of
            self._loaded.set()
        log.info("library: %d notes loaded in %.1fs", len(slug_of), time.perf_counter() - started)

    async def add(self, note: PublishedNote) -> None:
        document = document_of(note)
        await self._loaded.wait()
        async with self._lock:
            await self._store.save(document)
            self._forget(note.note_id)
            slug, indexed, weights = indexed_of(document)
            self._networks[slug].add(indexed, weights)
            self._slug_of[note.note_id] = slug

    async def add_many(self, notes: list[PublishedNote]) -> None:
        """Notes not indexed yet, in one write (loading many at once)."""
        documents = [document_of(note) for note in notes]
        await self._loaded.wait()
        async with self._lock:
            await self._store.save_many(documents)
            for document in documents:
                slug, indexed, weights = indexed_of(document)
                self._networks[slug].add(indexed, weights)
                self._slug_of[indexed.note_id] = slug

    async def remove(self, note_id: UUID) -> None:
        await self._loaded.wait()
        async with self._lock:
            await self._store.delete(note_id)
            self._forget(note_id)

    async def refresh(self, note_id: UUID) -> None:
        """A replica (this one or another) published or retracted the note: index what is
        true now. The note's current state decides, not the event, so late or repeated events
        change nothing; the record is rewritten from it (idempotently, on every replica), which
        also heals a publication whose ``add`` failed after the note was saved."""
        await self._loaded.wait()
        async with self._lock:
            if self._notes is None:  # no notes area (tests): the record decides
                document = await self._store.get(note_id)
            elif (published := await self._notes.published(note_id)) is not None:
                document = document_of(published)
                await self._store.save(document)
            else:
                document = None
                await self._store.delete(note_id)
            self._forget(note_id)
            if document is not None:
                slug, indexed, weights = indexed_of(document)
                self._networks[slug].add(indexed, weights)
                self._slug_of[note_id] = slug

    async def follow(self, connection: Any) -> None:
        """A start hook, before the load: every replica hears every publication and retraction
        (a core NATS subscription: JetStream's publishes reach it, and a shared durable
        consumer would give each event to one replica only). Core delivery is at most once,
        so after a reconnect the whole index is reloaded from the record."""

        async def on_message(message: Any) -> None:
            try:
                note_id = UUID(json.loads(message.data)["payload"]["note_id"])
            except (ValueError, KeyError, TypeError):
                log.warning("library: unreadable note event ignored")
                return
            await self.refresh(note_id)

        for event in (contract.NotePublishedV1, contract.NoteRetractedV1):
            await connection.subscribe(event.subject_filter(), cb=on_message)

        on_reconnect(connection, self.load, name="the library index")

    def _forget(self, note_id: UUID) -> None:
        slug = self._slug_of.pop(note_id, None)
        if slug is None:
            return
        index = self._networks[slug]
        index.remove(note_id)
        if index.empty_slots > max(1_000, index.size):
            # Many removals leave postings to skip: rebuild the network's index in the
            # background from the record.
            task = asyncio.create_task(self._reload(slug), name=f"library-reload-{slug}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _reload(self, slug: str) -> None:
        async with self._lock:
            index = domain.NetworkIndex()
            async for document in self._store.all(slug):
                _, note, weights = indexed_of(document)
                index.add(note, weights)
            self._networks[slug] = index

    async def search(self, request: contract.SearchNotes, caller: Caller) -> contract.NotePage:
        if caller.is_anonymous:
            raise Unauthenticated("Sign in as a member to read a network's library.")
        await self._readers.require_reader(request.slug, caller)
        if request.state is not contract.NoteState.PUBLISHED:
            raise Invalid("The library holds published notes only.")
        await self._loaded.wait()
        wanted = domain.query_terms(request.q)
        query = domain.Query(
            terms=tuple(wanted),
            asked_words=bool(request.q.strip()),
            theme=request.theme,
            from_date=request.from_date,
            to_date=request.to_date,
            page=request.page,
            per_page=request.per_page,
        )
        index = self._networks.get(request.slug)
        results = index.search(query) if index else domain.Results([], 0)
        items = [
            contract.NoteSummary(
                id=hit.note.note_id,
                slug=request.slug,
                title=hit.note.title,
                state=contract.NoteState.PUBLISHED,
                held_on=hit.note.held_on,
                themes=list(hit.note.themes),
                excerpt=domain.excerpt(hit.note.body, wanted),
                published_at=hit.note.published_at,
                unresolved_findings=0,
            )
            for hit in results.hits
        ]
        return contract.NotePage(
            items=items, total=results.total, page=request.page, per_page=request.per_page
        )


@rpc.route(
    contract.SEARCH_NOTES,
    "A network's notes: published ones (the library) ranked by the words asked for, newest "
    "first without words, filtered by theme and dates; other states for writers.",
)
async def search_notes(
    request: contract.SearchNotes,
    caller: Caller,
    library: LibraryIndex,
    working: WorkingNotes | None,
) -> contract.NotePage:
    if request.state is not contract.NoteState.PUBLISHED:
        if working is None:
            raise Invalid("Only published notes can be searched here.")
        return await working.search(request, caller)
    return await library.search(request, caller)
