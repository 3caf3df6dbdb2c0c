"""Saving an aggregate with its pending events in one document write (see ``outbox``).

Each document numbers its events 1, 2, 3, ... (``event_sequence`` holds the last number);
every envelope carries its ``aggregate_id`` and ``sequence`` so that consumers can tell an
older event from a newer one.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import (
    OUTBOX_FIELD,
    OUTBOX_SINCE_FIELD,
    SEQUENCE_FIELD,
    Entry,
    OutboxRelay,
    aggregate_id,
    stage,
)
from huddle_shared.telemetry import current_trace_id

# Tries when another process staged events of the same document between our read and write
# (possible with several replicas on MongoDB; within one process the lock prevents it).
_SEQUENCE_ATTEMPTS = 10


class AggregateStore:
    """Writes a document together with its outbox, then publishes the document's outbox."""

    def __init__(
        self, collection: AsyncCollection[Any], relay: OutboxRelay, instance_id: str
    ) -> None:
        self.collection = collection
        self._relay = relay
        self._instance_id = instance_id

    def envelopes(
        self, events: Sequence[EventPayload], doc_id: Any = None, *, first_sequence: int = 1
    ) -> list[EventEnvelope]:
        correlation_id = current_trace_id()
        aggregate = aggregate_id(self.collection, doc_id) if doc_id is not None else None
        return [
            EventEnvelope.wrap(
                event, instance_id=self._instance_id, correlation_id=correlation_id
            ).model_copy(
                update={
                    "aggregate_id": aggregate,
                    "sequence": first_sequence + n if aggregate else None,
                }
            )
            for n, event in enumerate(events)
        ]

    def lock(self, doc_id: Any) -> Any:
        """Serialise read-decide-write of one document within this process (see ``locks``)."""
        return document_locks.hold((self.collection.database.name, self.collection.name, doc_id))

    async def update(
        self,
        doc_id: Any,
        changes: dict[str, Any],
        events: Sequence[EventPayload],
        *,
        expect: dict[str, Any] | None = None,
        unset: Sequence[str] = (),
    ) -> bool:
        """Set ``changes`` and stage ``events`` in one update, if the document still matches
        ``expect`` (optimistic concurrency across processes). False if it did not match.

        Callers that read, decide, then write hold ``lock(doc_id)`` around all three.
        """
        async with self.lock(doc_id):
            pending = await self._write(doc_id, changes, events, expect or {}, unset)
            if pending is None:
                return False
            if events:
                await self._relay.publish(self.collection, doc_id, pending)
            return True

    async def _write(
        self,
        doc_id: Any,
        changes: dict[str, Any],
        events: Sequence[EventPayload],
        expect: dict[str, Any],
        unset: Sequence[str],
    ) -> list[Entry] | None:
        """The update; returns the document's pending outbox afterwards (None: no match)."""
        for _ in range(_SEQUENCE_ATTEMPTS):
            current = await self.collection.find_one(
                {"_id": doc_id}, {SEQUENCE_FIELD: 1, OUTBOX_FIELD: 1}
            )
            if current is None:
                return None
            last = current.get(SEQUENCE_FIELD)
            entries = stage(self.envelopes(events, doc_id, first_sequence=(last or 0) + 1))
            update: dict[str, Any] = {}
            if changes:
                update["$set"] = dict(changes)
            if unset:
                update["$unset"] = dict.fromkeys(unset, "")
            query = {"_id": doc_id, **expect}
            if entries:
                update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
                update.setdefault("$set", {})[SEQUENCE_FIELD] = (last or 0) + len(entries)
                update["$min"] = {OUTBOX_SINCE_FIELD: datetime.now(UTC)}
                # Numbers are taken only if nobody else took them meanwhile.
                query[SEQUENCE_FIELD] = last if last is not None else {"$exists": False}
            result = await self.collection.update_one(query, update)
            if result.matched_count:
                return [*(current.get(OUTBOX_FIELD) or []), *entries]
            if not entries or not await self.collection.count_documents(
                {"_id": doc_id, **expect}, limit=1
            ):
                return None
        raise RuntimeError(f"could not number the events of {doc_id}: too many concurrent writes")

    async def insert(self, document: dict[str, Any], events: Sequence[EventPayload]) -> None:
        """Raises the driver's DuplicateKeyError untouched: the caller knows what it means."""
        doc_id = document["_id"]
        async with self.lock(doc_id):
            entries = stage(self.envelopes(events, doc_id))
            stored = {**document, OUTBOX_FIELD: entries, SEQUENCE_FIELD: len(entries)}
            if entries:
                stored[OUTBOX_SINCE_FIELD] = datetime.now(UTC)
            await self.collection.insert_one(stored)
            if entries:
                await self._relay.publish(self.collection, doc_id, entries)
