"""The names notes must redact, one document per member, kept from membership events.

Erased members are buried (``MemberTombstones``): their document is deleted and no later
event about them writes a new one."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase

REDACTION_NAMES = "redaction_names"


class RedactionNames(MemberProjection):
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, REDACTION_NAMES)

    async def remember(self, member_id: UUID, terms: list[str], *, event_id: str) -> bool:
        # A union, not a replacement: a redelivered registration arriving after a rename
        # must not drop the new name.
        update = {"$addToSet": {"terms": {"$each": terms}}}
        return await self.apply(member_id, update, event_id=event_id)

    async def all_terms(self) -> list[str]:
        terms: list[str] = []
        async for document in self.collection.find({}, {"terms": 1}):
            terms.extend(document.get("terms", []))
        return terms
