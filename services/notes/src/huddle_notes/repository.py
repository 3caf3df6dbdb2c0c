"""The names notes must redact, one document per member, kept from membership events.

Erased members are buried (``MemberTombstones``): their document is deleted and no later
event about them writes a new one."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once, read_plain
from huddle_shared.storage.tombstones import MemberDocuments, MemberTombstones
from pymongo.asynchronous.database import AsyncDatabase

REDACTION_NAMES = "redaction_names"


class RedactionNames:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[REDACTION_NAMES]
        self._tombstones = MemberTombstones(database)

    def _about(self, member_id: UUID) -> MemberDocuments:
        return self._collection, {"_id": str(member_id)}

    async def _apply(self, member_id: UUID, event_id: str, update: dict[str, Any]) -> bool:
        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_once(self._collection, str(member_id), event_id, update),
        )

    async def remember(self, member_id: UUID, terms: list[str], *, event_id: str) -> bool:
        # A union, not a replacement: a redelivered registration arriving after a rename
        # must not drop the new name.
        update = {"$addToSet": {"terms": {"$each": terms}}}
        return await self._apply(member_id, event_id, update)

    async def add_terms(self, member_id: UUID, terms: list[str], *, event_id: str) -> bool:
        """A renamed member: the old name still identifies them, so both are kept."""
        update = {"$addToSet": {"terms": {"$each": terms}}}
        return await self._apply(member_id, event_id, update)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._tombstones.erase(member_id, event_id, [self._about(member_id)])

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))

    async def all_terms(self) -> list[str]:
        terms: list[str] = []
        async for document in self._collection.find({}, {"terms": 1}):
            terms.extend(document.get("terms", []))
        return terms
