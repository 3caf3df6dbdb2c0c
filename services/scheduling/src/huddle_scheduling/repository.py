"""Scheduling's projection of members who may register for sessions (erased members are
buried: see ``MemberTombstones``)."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once, read_plain
from huddle_shared.storage.tombstones import MemberDocuments, MemberTombstones
from pymongo.asynchronous.database import AsyncDatabase

from huddle_scheduling.domain import Attendee

ATTENDEES = "attendees"


class Attendees:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[ATTENDEES]
        self._tombstones = MemberTombstones(database)

    def _about(self, member_id: UUID) -> MemberDocuments:
        return self._collection, {"_id": str(member_id)}

    async def _apply(self, member_id: UUID, event_id: str, update: dict[str, Any]) -> bool:
        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_once(self._collection, str(member_id), event_id, update),
        )

    async def record(self, attendee: Attendee, *, event_id: str) -> bool:
        update = {
            "$set": {
                "display_name": attendee.display_name,
                "member_type": attendee.member_type.value,
            }
        }
        return await self._apply(attendee.member_id, event_id, update)

    async def rename(self, member_id: UUID, display_name: str, *, event_id: str) -> bool:
        update = {"$set": {"display_name": display_name}}
        return await self._apply(member_id, event_id, update)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._tombstones.erase(member_id, event_id, [self._about(member_id)])

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))
