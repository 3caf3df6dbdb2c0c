"""Insights' projection: one non-identifying profile per member, counted on demand."""

from typing import Any
from uuid import UUID

from huddle_shared.storage.idempotency import apply_once, erase_once, read_plain
from pymongo.asynchronous.database import AsyncDatabase

from huddle_insights.domain import MemberProfile

MEMBER_PROFILES = "member_profiles"


class MemberProfiles:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[MEMBER_PROFILES]

    async def record(self, profile: MemberProfile, *, event_id: str) -> bool:
        update = {
            "$set": {
                "organisation_kind": profile.organisation_kind.value,
                "region": profile.region.value if profile.region else None,
                "member_type": profile.member_type.value,
            }
        }
        return await apply_once(self._collection, str(profile.member_id), event_id, update)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await erase_once(self._collection, str(member_id), event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await read_plain(self._collection, str(member_id))

    async def count_by_organisation_kind(self) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"organisation_kind": {"$exists": True}}},
            {"$group": {"_id": "$organisation_kind", "members": {"$sum": 1}}},
        ]
        cursor = await self._collection.aggregate(pipeline)
        return {row["_id"]: row["members"] async for row in cursor}
