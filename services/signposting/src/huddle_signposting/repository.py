"""Signposting's directory of organisations."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once
from pymongo.asynchronous.database import AsyncDatabase

from huddle_signposting.domain import DirectoryOrganisation

ORGANISATIONS = "organisations"


class OrganisationDirectory:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[ORGANISATIONS]

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

    async def count_member(self, organisation_id: UUID, *, event_id: str) -> bool:
        """One more member at this organisation: someone who may know about local support."""
        return await apply_once(
            self._collection, str(organisation_id), event_id, {"$inc": {"member_count": 1}}
        )
