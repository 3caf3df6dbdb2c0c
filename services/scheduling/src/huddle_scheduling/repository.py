"""Scheduling's projection of members who may register for sessions (erased members are
buried: see ``MemberTombstones``). Kept in order (``apply_in_order``): a registration
redelivered after a rename must not bring the old display name back."""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.storage.idempotency import apply_in_order, read_plain
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

    async def _apply(
        self, member_id: UUID, envelope: EventEnvelope, update: dict[str, Any]
    ) -> bool:
        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_in_order(self._collection, str(member_id), envelope, update),
        )

    async def record(self, attendee: Attendee, *, envelope: EventEnvelope) -> bool:
        update = {
            "$set": {
                "display_name": attendee.display_name,
                "member_type": attendee.member_type.value,
            }
        }
        return await self._apply(attendee.member_id, envelope, update)

    async def rename(self, member_id: UUID, display_name: str, *, envelope: EventEnvelope) -> bool:
        update = {"$set": {"display_name": display_name}}
        return await self._apply(member_id, envelope, update)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._tombstones.erase(member_id, event_id, [self._about(member_id)])

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))
