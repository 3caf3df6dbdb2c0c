"""Erased members stay erased: one tombstone per member in each service's database.

On ``member.erased`` a service buries the member (``member_tombstones``, ``_id`` the member
id) and deletes every projection document about them. Every later update for that member
checks the tombstone first, so no event that arrives afterwards (a retried nack, a
reordering, a replayed dead letter, a new consumer reading the stream from the start) can
bring anything back, whichever document it would write.

Tombstones guard whichever write a projection uses (``apply_once``, or an ordered one).
Within one process the check and the write hold the member's lock, as the erasure does.
Across processes (MongoDB replicas), an update checks again after writing and removes what
it wrote if the member was buried meanwhile: the erasure buries before it deletes, so
either its delete sees the write or the second check sees the tombstone.
"""

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_shared.clock import utc_now
from huddle_shared.storage.idempotency import apply_in_order, apply_once, read_plain
from huddle_shared.storage.locks import document_locks

MEMBER_TOMBSTONES = "member_tombstones"

# The documents about one member in one collection, e.g. ``{"_id": id}`` or ``{"member_id": id}``.
MemberDocuments = tuple[AsyncCollection[Any], dict[str, Any]]


class MemberTombstones:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[MEMBER_TOMBSTONES]

    def _hold(self, member_id: UUID | str) -> Any:
        database = self._collection.database.name
        return document_locks.hold((database, MEMBER_TOMBSTONES, str(member_id)))

    async def is_erased(self, member_id: UUID | str) -> bool:
        return bool(await self._collection.count_documents({"_id": str(member_id)}, limit=1))

    async def unless_erased(
        self,
        member_id: UUID | str,
        documents: MemberDocuments,
        write: Callable[[], Awaitable[bool]],
    ) -> bool:
        """Run ``write`` (an ``apply_once`` or ``apply_in_order`` of a document about
        ``member_id``) unless the member was erased; returns what it returned, or False."""
        collection, about_member = documents
        async with self._hold(member_id):
            if await self.is_erased(member_id):
                return False
            applied = await write()
            if await self.is_erased(member_id):  # buried by another process meanwhile
                await collection.delete_many(about_member)
                return False
            return applied

    async def erase(
        self, member_id: UUID | str, event_id: str, documents: Iterable[MemberDocuments]
    ) -> None:
        """Bury the member, then delete what ``documents`` hold about them (idempotent)."""
        async with self._hold(member_id):
            # Already buried: delete again all the same, in case a write slipped in.
            with contextlib.suppress(DuplicateKeyError):
                await self._collection.insert_one(
                    {"_id": str(member_id), "event_id": event_id, "erased_at": utc_now()}
                )
            for collection, about_member in documents:
                await collection.delete_many(about_member)


class MemberProjection:
    """A collection with one document per member (``_id`` the member id), kept from events
    and buried when the member is erased: the shape every per-member projection shares."""

    def __init__(self, database: AsyncDatabase[Any], collection: str) -> None:
        self.collection: AsyncCollection[Any] = database[collection]
        self._tombstones = MemberTombstones(database)

    def _about(self, member_id: UUID) -> MemberDocuments:
        return self.collection, {"_id": str(member_id)}

    async def apply(self, member_id: UUID, update: dict[str, Any], *, event_id: str) -> bool:
        """``update`` once per event, unless the member was erased."""

        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_once(self.collection, str(member_id), event_id, update),
        )

    async def apply_in_order(
        self, member_id: UUID, update: dict[str, Any], *, envelope: Any
    ) -> bool:
        """``update`` unless a later event of the member's aggregate already set its fields."""

        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_in_order(self.collection, str(member_id), envelope, update),
        )

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._tombstones.erase(member_id, event_id, [self._about(member_id)])

    async def export(self, member_id: UUID) -> dict[str, Any] | None:

        return await read_plain(self.collection, str(member_id))
