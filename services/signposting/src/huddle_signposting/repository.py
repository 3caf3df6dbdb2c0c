"""Signposting's directory of organisations, and which organisation each member is at
(erased members are buried and no longer counted: see ``MemberTombstones``)."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once
from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase

from huddle_signposting.domain import DirectoryOrganisation

ORGANISATIONS = "organisations"
ORGANISATION_MEMBERS = "organisation_members"


class OrganisationDirectory:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[ORGANISATIONS]
        self._members = MemberProjection(database, ORGANISATION_MEMBERS)

    async def create_indexes(self) -> None:
        await self._members.collection.create_index("organisation_id")

    async def record(self, organisation: DirectoryOrganisation, *, event_id: str) -> bool:
        update = {
            "$set": {
                "name": organisation.name,
                "kind": organisation.kind.value,
                "region": organisation.region.value if organisation.region else None,
            }
        }
        return await apply_once(
            self._collection, str(organisation.organisation_id), event_id, update
        )

    async def record_member(self, member_id: UUID, organisation_id: UUID, *, event_id: str) -> bool:
        """A member at an organisation: someone who may know about local support."""
        update = {"$set": {"organisation_id": str(organisation_id)}}
        return await self._members.apply(member_id, update, event_id=event_id)

    async def names(self, organisation_ids: list[UUID]) -> dict[UUID, str]:
        """Organisations' names by id (those known so far)."""
        keys = sorted({str(organisation_id) for organisation_id in organisation_ids})
        if not keys:
            return {}
        cursor = self._collection.find({"_id": {"$in": keys}}, {"name": 1})
        return {UUID(document["_id"]): document.get("name", "") async for document in cursor}

    async def member_count(self, organisation_id: UUID) -> int:
        return await self._members.collection.count_documents(
            {"organisation_id": str(organisation_id)}
        )

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._members.forget(member_id, event_id=event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await self._members.export(member_id)
