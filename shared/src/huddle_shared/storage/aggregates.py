"""Saving an aggregate with its pending events in one document write (see ``outbox``)."""

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
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

    async def insert(self, document: dict[str, Any], events: Sequence[EventPayload]) -> None:
        """Raises the driver's DuplicateKeyError untouched: the caller knows what it means."""
        entries = stage(self.envelopes(events))
        await self.collection.insert_one({**document, OUTBOX_FIELD: entries})
        await self._relay.publish(self.collection, document["_id"], entries)
