"""The requests area's collection: ``signposting_requests``, each with its outbox (a gap
event is written in the same document write as the request's state: ``AggregateStore``)."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.experts import SupportEntry
from huddle_shared.contracts.signposting import Audience
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.outbox import OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase

from huddle_signposting.requests.domain import SignpostingRequest

SIGNPOSTING_REQUESTS = "signposting_requests"
_NO_OUTBOX = {"outbox": 0}


class SignpostingRequests:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self.collection = database[SIGNPOSTING_REQUESTS]
        relay.watch(self.collection)
        self._store = AggregateStore(self.collection, relay, instance_id)

    def lock(self, request_id: UUID) -> Any:
        return self._store.lock(str(request_id))

    async def add(self, request: SignpostingRequest, events: Sequence[EventPayload]) -> None:
        await self._store.insert({"_id": str(request.id), **_fields(request)}, events)

    async def save_outcome(
        self, request: SignpostingRequest, events: Sequence[EventPayload]
    ) -> bool:
        """Only the outcome's fields, and only while the request is still the requester's
        and unanswered: an erasure meanwhile (text and requester blanked) is not undone,
        and a second answer (another replica's) stages no second gap. False if it moved."""
        expect = {"requester_id": str(request.requester_id), "helped": None}
        changes = {"helped": request.helped, "gap_recorded": request.gap_recorded}
        return await self._store.update(str(request.id), changes, events, expect=expect)

    async def get(self, request_id: UUID) -> SignpostingRequest | None:
        document = await self.collection.find_one({"_id": str(request_id)}, _NO_OUTBOX)
        return _request(document) if document else None

    async def of_requester(self, member_id: UUID) -> list[SignpostingRequest]:
        cursor = self.collection.find({"requester_id": str(member_id)}, _NO_OUTBOX)
        return [_request(document) async for document in cursor]

    async def forget(self, member_id: UUID) -> None:
        """Erasure: the free text of the member's requests, and who asked, go; what the
        need was (category, area, audience) stays, naming nobody. Their id goes from the
        answers given to others too."""
        key = str(member_id)
        await self.collection.update_many(
            {"requester_id": key}, {"$set": {"text": "", "requester_id": None}}
        )
        await self.collection.update_many({"expert_ids": key}, {"$pullAll": {"expert_ids": [key]}})


def _fields(request: SignpostingRequest) -> dict[str, Any]:
    return {
        "requester_id": str(request.requester_id) if request.requester_id else None,
        "category": request.category,
        "category_name": request.category_name,
        "area": request.area,
        "audience": request.audience.value,
        "text": request.text,
        "created_at": request.created_at,
        "services": [entry.model_dump(mode="json") for entry in request.services],
        "expert_ids": [str(i) for i in request.expert_ids],
        "helped": request.helped,
        "gap_recorded": request.gap_recorded,
    }


def _request(document: dict[str, Any]) -> SignpostingRequest:
    requester = document.get("requester_id")
    return SignpostingRequest(
        id=UUID(document["_id"]),
        requester_id=UUID(requester) if requester else None,
        category=document["category"],
        category_name=document.get("category_name", ""),
        area=document["area"],
        audience=Audience(document["audience"]),
        text=document.get("text", ""),
        created_at=document["created_at"],
        services=tuple(SupportEntry.model_validate(e) for e in document.get("services") or ()),
        expert_ids=tuple(UUID(i) for i in document.get("expert_ids") or ()),
        helped=document.get("helped"),
        gap_recorded=bool(document.get("gap_recorded", False)),
    )
