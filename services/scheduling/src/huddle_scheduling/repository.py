"""Scheduling's projection of members who may register for sessions.

Kept in order (``apply_in_order``): a registration redelivered after a rename must not bring
the old display name back.
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.storage.idempotency import apply_in_order, erase_once, read_plain
from pymongo.asynchronous.database import AsyncDatabase

from huddle_scheduling.domain import Attendee

ATTENDEES = "attendees"


class Attendees:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[ATTENDEES]

    async def record(self, attendee: Attendee, *, envelope: EventEnvelope) -> bool:
        update = {
            "$set": {
                "display_name": attendee.display_name,
                "member_type": attendee.member_type.value,
            }
        }
        return await apply_in_order(self._collection, str(attendee.member_id), envelope, update)

    async def rename(self, member_id: UUID, display_name: str, *, envelope: EventEnvelope) -> bool:
        update = {"$set": {"display_name": display_name}}
        return await apply_in_order(self._collection, str(member_id), envelope, update)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await erase_once(self._collection, str(member_id), event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))
