"""Insights' projection: one non-identifying profile per member, counted on demand (erased
members are buried: see ``MemberTombstones``)."""

from typing import Any

from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase

from huddle_insights.domain import MemberProfile

MEMBER_PROFILES = "member_profiles"


class MemberProfiles(MemberProjection):
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, MEMBER_PROFILES)

    async def record(self, profile: MemberProfile, *, event_id: str) -> bool:
        update = {
            "$set": {
                "organisation_kind": profile.organisation_kind.value,
                "region": profile.region.value if profile.region else None,
                "member_type": profile.member_type.value,
            }
        }
        return await self.apply(profile.member_id, update, event_id=event_id)

    async def count_by_organisation_kind(self) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"organisation_kind": {"$exists": True}}},
            {"$group": {"_id": "$organisation_kind", "members": {"$sum": 1}}},
        ]
        cursor = await self.collection.aggregate(pipeline)
        return {row["_id"]: row["members"] async for row in cursor}
