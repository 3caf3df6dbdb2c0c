"""The calendar area's storage: reminders sent (the claims) and personal calendar tokens."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.outbox import OUTBOX_SINCE_FIELD, OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_scheduling.calendar.domain import DueReminder

REMINDERS_SENT = "reminders_sent"
CALENDAR_TOKENS = "calendar_tokens"
# A claim is kept this long after its occurrence's start (then nothing can be due for it).
KEEP_CLAIMS_FOR = timedelta(days=14)
_LOOKUP_BATCH = 500


class SentReminders:
    """One document per reminder, ``_id`` its ``claim_id``, holding its event in its outbox.

    Inserting it is the claim: a unique ``_id`` is what FerretDB v1 (and MongoDB) decide
    atomically, so of two replicas racing exactly one inserts, and only that one emits. The
    event is staged in the same document, so the claim and the event are one write: if the
    process dies right after it, the outbox relay (of this or any replica) publishes the
    event later; it can never be claimed and lost.
    """

    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str):
        self._collection = database[REMINDERS_SENT]
        self._store = AggregateStore(self._collection, relay, instance_id)
        relay.watch(self._collection)  # what a process that died leaves, relayed later

    async def create_indexes(self) -> None:
        await self._collection.create_index("member_id")
        await self._collection.create_index("keep_until")

    async def claimed(self, claim_ids: Sequence[str]) -> set[str]:
        """Which of these are already claimed (a read to skip them; the insert decides)."""
        found: set[str] = set()
        for start in range(0, len(claim_ids), _LOOKUP_BATCH):
            batch = list(claim_ids[start : start + _LOOKUP_BATCH])
            cursor = self._collection.find({"_id": {"$in": batch}}, {"_id": 1})
            found.update([document["_id"] async for document in cursor])
        return found

    async def claim(self, reminder: DueReminder, now: datetime) -> bool:
        """True if this call claimed it (and so emits it), False if it was claimed before."""
        occurrence = reminder.occurrence
        document = {
            "_id": reminder.claim_id,
            "member_id": str(reminder.member_id),
            "session_id": str(occurrence.key.session_id),
            "occurrence_start": occurrence.key.occurrence_start,
            "offset_minutes": reminder.offset_minutes,
            "claimed_at": now,
            "keep_until": occurrence.starts_at + KEEP_CLAIMS_FOR,
        }
        try:
            await self._store.insert(document, [reminder.event()])
        except DuplicateKeyError:
            return False
        return True

    async def forget_past(self, now: datetime) -> int:
        """Claims of occurrences long started (none still waiting to be published)."""
        result = await self._collection.delete_many(
            {"keep_until": {"$lt": now}, OUTBOX_SINCE_FIELD: {"$exists": False}}
        )
        return result.deleted_count

    async def of_member(self, member_id: UUID) -> list[dict[str, Any]]:
        cursor = self._collection.find(
            {"member_id": str(member_id)}, {"outbox": 0, OUTBOX_SINCE_FIELD: 0}
        )
        return [document async for document in cursor]

    async def forget_member(self, member_id: UUID) -> None:
        await self._collection.delete_many({"member_id": str(member_id)})


class CalendarTokens:
    """At most one token per member (``_id`` the member id), kept only as its hash."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[CALENDAR_TOKENS]

    async def create_indexes(self) -> None:
        await self._collection.create_index("token_hash", unique=True)

    async def replace(self, member_id: UUID, token_hash: str, now: datetime) -> None:
        """The member's token is now this one; the one before stops working at once."""
        await self._collection.replace_one(
            {"_id": str(member_id)},
            {"token_hash": token_hash, "created_at": now},
            upsert=True,
        )

    async def revoke(self, member_id: UUID) -> bool:
        result = await self._collection.delete_one({"_id": str(member_id)})
        return result.deleted_count > 0

    async def member_of(self, token_hash: str) -> UUID | None:
        document = await self._collection.find_one({"token_hash": token_hash}, {"_id": 1})
        return UUID(document["_id"]) if document else None

    async def of_member(self, member_id: UUID) -> dict[str, Any] | None:
        return await self._collection.find_one({"_id": str(member_id)}, {"token_hash": 0})
