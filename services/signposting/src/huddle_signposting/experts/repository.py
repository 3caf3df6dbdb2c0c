"""The experts area's collections: ``contact_requests`` and ``contact_request_slots`` (the
rate limit's claims: ``_id`` unique per member, day and number)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from huddle_shared.contracts.experts import ContactRequestStatus
from huddle_shared.storage.locks import document_locks
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_signposting.experts.domain import ContactRequest

CONTACT_REQUESTS = "contact_requests"
CONTACT_REQUEST_SLOTS = "contact_request_slots"


class ContactRequests:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[CONTACT_REQUESTS]

    def lock(self, request_id: UUID) -> Any:
        """Read-decide-write of one request, one at a time (FerretDB: no atomic update)."""
        key = (self._collection.database.name, CONTACT_REQUESTS, str(request_id))
        return document_locks.hold(key)

    async def add(self, request: ContactRequest) -> None:
        await self._collection.insert_one({"_id": str(request.id), **_fields(request)})

    async def decide(self, request: ContactRequest) -> bool:
        """Save an answer while the request is still pending (another replica's answer, or
        an erasure that deleted it, wins): False if it no longer was."""
        pending = {"_id": str(request.id), "status": ContactRequestStatus.PENDING.value}
        result = await self._collection.update_one(pending, {"$set": _fields(request)})
        return result.matched_count == 1

    async def get(self, request_id: UUID) -> ContactRequest | None:
        document = await self._collection.find_one({"_id": str(request_id)})
        return _request(document) if document else None

    async def involving(self, member_id: UUID) -> list[ContactRequest]:
        """Sent or received by the member, newest first."""
        key = str(member_id)
        cursor = self._collection.find({"$or": [{"requester_id": key}, {"expert_id": key}]})
        requests = [_request(document) async for document in cursor]
        return sorted(requests, key=lambda r: r.created_at, reverse=True)

    async def forget(self, member_id: UUID) -> int:
        """Erasure: every request the member sent or received."""
        key = str(member_id)
        result = await self._collection.delete_many(
            {"$or": [{"requester_id": key}, {"expert_id": key}]}
        )
        return result.deleted_count


class ContactSlots:
    """Claims of the rate limit's slots: the first insert of a slot's key wins it."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[CONTACT_REQUEST_SLOTS]

    async def claim(
        self, member_id: UUID, day: str, keys: list[str], request_id: UUID, now: datetime
    ) -> str | None:
        """The first free slot of ``keys``, now taken for ``request_id``; None if all are."""
        # Yesterday's claims are of no use any more.
        await self._collection.delete_many({"member_id": str(member_id), "day": {"$ne": day}})
        for key in keys:
            try:
                await self._collection.insert_one(
                    {
                        "_id": key,
                        "member_id": str(member_id),
                        "day": day,
                        "request_id": str(request_id),
                        "claimed_at": now,
                    }
                )
            except DuplicateKeyError:
                continue
            return key
        return None

    async def release(self, key: str) -> None:
        await self._collection.delete_one({"_id": key})

    async def forget(self, member_id: UUID) -> None:
        await self._collection.delete_many({"member_id": str(member_id)})


def _fields(request: ContactRequest) -> dict[str, Any]:
    return {
        "requester_id": str(request.requester_id),
        "expert_id": str(request.expert_id),
        "message": request.message,
        "created_at": request.created_at,
        "status": request.status.value,
        "decided_at": request.decided_at,
        "expert_email": request.expert_email,
    }


def _request(document: dict[str, Any]) -> ContactRequest:
    return ContactRequest(
        id=UUID(document["_id"]),
        requester_id=UUID(document["requester_id"]),
        expert_id=UUID(document["expert_id"]),
        message=document["message"],
        created_at=document["created_at"],
        status=ContactRequestStatus(document["status"]),
        decided_at=document.get("decided_at"),
        expert_email=document.get("expert_email"),
    )
