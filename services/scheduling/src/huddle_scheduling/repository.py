"""Scheduling's projection of members who may register for sessions (erased members are
buried: see ``MemberTombstones``). Kept in order (``apply_in_order``): a registration
redelivered after a rename must not bring the old display name back."""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase

from huddle_scheduling.domain import Attendee

ATTENDEES = "attendees"


class Attendees(MemberProjection):
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, ATTENDEES)

    async def record(self, attendee: Attendee, *, envelope: EventEnvelope) -> bool:
        update = {
            "$set": {
                "display_name": attendee.display_name,
                "member_type": attendee.member_type.value,
                "listed": attendee.listed,
                "is_instance_admin": attendee.is_instance_admin,
            }
        }
        return await self.apply_in_order(attendee.member_id, update, envelope=envelope)

    async def rename(
        self, member_id: UUID, display_name: str, *, listed: bool, envelope: EventEnvelope
    ) -> bool:
        update = {"$set": {"display_name": display_name, "listed": listed}}
        return await self.apply_in_order(member_id, update, envelope=envelope)

    async def listed_names(self, member_ids: list[UUID]) -> dict[UUID, str]:
        """Display names of those who agreed to be listed (organisers see who registered)."""
        query = {"_id": {"$in": [str(m) for m in member_ids]}, "listed": True}
        cursor = self.collection.find(query, {"display_name": 1})
        return {UUID(document["_id"]): document["display_name"] async for document in cursor}

    async def set_instance_admin(
        self, member_id: UUID, is_instance_admin: bool, *, envelope: EventEnvelope
    ) -> bool:
        update = {"$set": {"is_instance_admin": is_instance_admin}}
        return await self.apply_in_order(member_id, update, envelope=envelope)

    async def is_instance_admin(self, member_id: UUID) -> bool:
        """Instance admins organise every network's sessions (announced by membership)."""
        document = await self.collection.find_one({"_id": str(member_id)}, {"is_instance_admin": 1})
        return bool(document and document.get("is_instance_admin"))
