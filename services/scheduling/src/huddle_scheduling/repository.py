"""Scheduling's projection of members who may register for sessions."""

from typing import Any

from huddle_shared.storage.idempotency import apply_once
from pymongo.asynchronous.database import AsyncDatabase

from huddle_scheduling.domain import Attendee

ATTENDEES = "attendees"


class Attendees:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[ATTENDEES]

    async def record(self, attendee: Attendee, *, event_id: str) -> bool:
        update = {
            "$set": {
                "display_name": attendee.display_name,
                "member_type": attendee.member_type.value,
            }
        }
        return await apply_once(self._collection, str(attendee.member_id), event_id, update)
