"""The library's own collection: one document per published note, with its terms' weights.

It is the index's durable form: the search runs over ``domain.NetworkIndex`` in memory,
loaded from here at start and kept by every replica re-reading a note's document here when
``note.published``/``note.retracted`` names it (decision 0039). The terms are
one string and their weights one binary value, not arrays: FerretDB v1 decodes an array of a
hundred terms seven times slower than the rest of the document, and loading is what it costs.
"""

from array import array
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pymongo.asynchronous.database import AsyncDatabase

from huddle_notes.library import domain
from huddle_notes.ports import PublishedNote

LIBRARY_NOTES = "library_notes"


def document_of(note: PublishedNote) -> dict[str, Any]:
    weights = domain.weights(note.title, note.body)
    return {
        "_id": str(note.note_id),
        "slug": note.slug,
        "title": note.title,
        "body": note.body,
        "themes": list(note.themes),
        "tags": list(note.tags),
        "held_on": note.held_on.isoformat() if note.held_on else None,
        "published_at": note.published_at,
        # Terms as one string and their weights as packed 16-bit numbers, in the same order:
        # read back by one split and one copy, not a parse per term.
        "terms": " ".join(weights),
        "weights": array("H", weights.values()).tobytes(),
        "length": sum(weights.values()),
    }


def indexed_of(document: dict[str, Any]) -> tuple[str, domain.IndexedNote, dict[str, int]]:
    published_at: datetime = document["published_at"]
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    held_on = document.get("held_on")
    note = domain.IndexedNote(
        note_id=UUID(document["_id"]),
        title=document["title"],
        themes=tuple(document["themes"]),
        labels=frozenset(domain.fold(t) for t in (*document["themes"], *document["tags"])),
        held_on=date.fromisoformat(held_on) if held_on else None,
        published_at=published_at,
        length=document["length"],
        packed_body=domain.pack(document["body"]),
    )
    counts = array("H")
    counts.frombytes(document["weights"])
    return document["slug"], note, dict(zip(document["terms"].split(), counts, strict=True))


class LibraryNotes:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[LIBRARY_NOTES]

    async def save(self, document: dict[str, Any]) -> None:
        await self._collection.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def save_many(self, documents: list[dict[str, Any]]) -> None:
        """New notes at once (loading many: tests, benches, a rebuild)."""
        if documents:
            await self._collection.insert_many(documents, ordered=False)

    async def get(self, note_id: UUID) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": str(note_id)})

    async def delete(self, note_id: UUID) -> bool:
        result = await self._collection.delete_one({"_id": str(note_id)})
        return result.deleted_count > 0

    async def all(self, slug: str | None = None) -> AsyncIterator[dict[str, Any]]:
        query = {"slug": slug} if slug else {}
        async for document in self._collection.find(query, batch_size=2000):
            yield document
