"""Signposting's projection of members (``people``, one document per member, kept in order
from membership's events and buried on erasure: ``MemberProjection``)."""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.storage.idempotency import ERASED_FIELD
from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase

from huddle_signposting.members.domain import Person

PEOPLE = "people"
_FIELDS = {
    "display_name": 1,
    "member_type": 1,
    "organisation_id": 1,
    "region": 1,
    "topics": 1,
    "listed_as_expert": 1,
    "status": 1,
}


class People:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._projection = MemberProjection(database, PEOPLE)
        self._collection = self._projection.collection

    async def record(self, envelope: EventEnvelope, member_id: UUID, **fields: Any) -> bool:
        """Set ``fields`` unless a later event of the member already set them."""
        update = {"$set": fields}
        return await self._projection.apply_in_order(member_id, update, envelope=envelope)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._projection.forget(member_id, event_id=event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await self._projection.export(member_id)

    async def get(self, member_id: UUID) -> Person | None:
        document = await self._collection.find_one(
            {"_id": str(member_id), ERASED_FIELD: {"$ne": True}}, _FIELDS
        )
        return _person(document) if document else None

    async def many(self, member_ids: list[UUID]) -> dict[UUID, Person]:
        if not member_ids:
            return {}
        keys = sorted({str(member_id) for member_id in member_ids})
        cursor = self._collection.find({"_id": {"$in": keys}}, _FIELDS)
        return {person.member_id: person async for person in _people(cursor)}

    async def listed_experts(self) -> list[Person]:
        """Everyone who consented to be listed, active, with a topic. FerretDB reads the
        whole (small: one document per member) collection whatever the filter."""
        cursor = self._collection.find({"listed_as_expert": True}, _FIELDS)
        return [person async for person in _people(cursor) if person.is_listed_expert]


async def _people(cursor: Any) -> Any:
    async for document in cursor:
        yield _person(document)


def _person(document: dict[str, Any]) -> Person:
    organisation_id = document.get("organisation_id")
    region = document.get("region")
    return Person(
        member_id=UUID(document["_id"]),
        display_name=document.get("display_name", ""),
        member_type=MemberType(document.get("member_type", MemberType.STAFF.value)),
        organisation_id=UUID(organisation_id) if organisation_id else None,
        region=Region(region) if region else None,
        topics=tuple(document.get("topics") or ()),
        listed_as_expert=bool(document.get("listed_as_expert", False)),
        status=document.get("status"),
    )
