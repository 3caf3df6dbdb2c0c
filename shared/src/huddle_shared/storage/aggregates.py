"""Saving an aggregate with its pending events in one document write (see ``outbox``)."""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OUTBOX_FIELD, OutboxRelay, stage
from huddle_shared.telemetry import current_trace_id


class AggregateStore:
    """Inserts a document together with its outbox, then publishes the outbox."""

    def __init__(
        self, collection: AsyncCollection[Any], relay: OutboxRelay, instance_id: str
    ) -> None:
        self.collection = collection
        self._relay = relay
        self._instance_id = instance_id

    def envelopes(self, events: Sequence[EventPayload]) -> list[EventEnvelope]:
        correlation_id = current_trace_id()
        return [
            EventEnvelope.wrap(event, instance_id=self._instance_id, correlation_id=correlation_id)
            for event in events
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
        entries = stage(self.envelopes(events))
        update: dict[str, Any] = {}
        if changes:
            update["$set"] = changes
        if unset:
            update["$unset"] = dict.fromkeys(unset, "")
        if entries:
            update["$push"] = {OUTBOX_FIELD: {"$each": entries}}
        result = await self.collection.update_one({"_id": doc_id, **(expect or {})}, update)
        if result.matched_count == 0:
            return False
        if entries:
            await self._relay.publish(self.collection, doc_id, entries)
        return True

    async def insert(self, document: dict[str, Any], events: Sequence[EventPayload]) -> None:
        """Raises the driver's DuplicateKeyError untouched: the caller knows what it means."""
        entries = stage(self.envelopes(events))
        await self.collection.insert_one({**document, OUTBOX_FIELD: entries})
        await self._relay.publish(self.collection, document["_id"], entries)
