"""Insights' projection: one non-identifying profile per member, counted on demand (erased
members are buried: see ``MemberTombstones``)."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once, read_plain
from huddle_shared.storage.tombstones import MemberDocuments, MemberTombstones
from pymongo.asynchronous.database import AsyncDatabase

from huddle_insights.domain import MemberProfile

MEMBER_PROFILES = "member_profiles"


class MemberProfiles:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[MEMBER_PROFILES]
        self._tombstones = MemberTombstones(database)

    def _about(self, member_id: UUID) -> MemberDocuments:
        return self._collection, {"_id": str(member_id)}

    async def record(self, profile: MemberProfile, *, event_id: str) -> bool:
        update = {
            "$set": {
                "organisation_kind": profile.organisation_kind.value,
                "region": profile.region.value if profile.region else None,
                "member_type": profile.member_type.value,
            }
        }
        member_id = profile.member_id
        return await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_once(self._collection, str(member_id), event_id, update),
        )

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._tombstones.erase(member_id, event_id, [self._about(member_id)])

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))

    async def count_by_organisation_kind(self) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"organisation_kind": {"$exists": True}}},
            {"$group": {"_id": "$organisation_kind", "members": {"$sum": 1}}},
        ]
        cursor = await self._collection.aggregate(pipeline)
        return {row["_id"]: row["members"] async for row in cursor}
