"""Signposting's projection of members (``people``, one document per member, kept in order
from membership's events and buried on erasure: ``MemberProjection``), and the listing of
people who know (``expert_listing``: a copy of the documents of those listed, so that
finding them reads a few dozen documents, not every member's: FerretDB filters nothing by
index but ``_id``)."""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.storage.idempotency import ERASED_FIELD
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.tombstones import MemberProjection, MemberTombstones
from pymongo.asynchronous.database import AsyncDatabase

from huddle_signposting.members.domain import Person

PEOPLE = "people"
EXPERT_LISTING = "expert_listing"
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
        self._listing = database[EXPERT_LISTING]
        self._tombstones = MemberTombstones(database)

    async def record(self, envelope: EventEnvelope, member_id: UUID, **fields: Any) -> bool:
        """Set ``fields`` unless a later event of the member already set them; then the
        listing follows what the member's document now says."""
        update = {"$set": fields}
        applied = await self._projection.apply_in_order(member_id, update, envelope=envelope)
        await self._list_or_unlist(member_id)
        return applied

    async def _list_or_unlist(self, member_id: UUID) -> None:
        key = str(member_id)
        about = (self._listing, {"_id": key})

        async def follow() -> bool:
            # Read under the listing's lock: whichever event ran last, the copy is current.
            document = await self._collection.find_one({"_id": key}, _FIELDS)
            if document and person_of(document).is_listed_expert:
                await self._listing.replace_one({"_id": key}, document, upsert=True)
            else:
                await self._listing.delete_one({"_id": key})
            return True

        async with document_locks.hold((self._listing.database.name, EXPERT_LISTING, key)):
            await self._tombstones.unless_erased(member_id, about, follow)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        await self._projection.forget(member_id, event_id=event_id)
        await self._tombstones.erase(
            member_id, event_id, [(self._listing, {"_id": str(member_id)})]
        )

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return await self._projection.export(member_id)

    async def get(self, member_id: UUID) -> Person | None:
        document = await self._collection.find_one(
            {"_id": str(member_id), ERASED_FIELD: {"$ne": True}}, _FIELDS
        )
        return person_of(document) if document else None

    async def many(self, member_ids: list[UUID]) -> dict[UUID, Person]:
        if not member_ids:
            return {}
        keys = sorted({str(member_id) for member_id in member_ids})
        cursor = self._collection.find({"_id": {"$in": keys}}, _FIELDS)
        return {person.member_id: person async for person in _people(cursor)}

    async def listed_experts(self) -> list[Person]:
        """Everyone who consented to be listed, active, with a topic (checked again: the
        copy is only ever of such documents)."""
        cursor = self._listing.find({})
        return [person async for person in _people(cursor) if person.is_listed_expert]


async def _people(cursor: Any) -> Any:
    async for document in cursor:
        yield person_of(document)


def person_of(document: dict[str, Any]) -> Person:
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
