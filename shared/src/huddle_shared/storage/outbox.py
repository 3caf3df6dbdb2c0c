"""Transactional outbox inside the aggregate's own document.

A state change and the events it causes are one document write (MongoDB writes a single
document atomically; no multi-document transaction is needed). Right after the write the
events are published and removed from the document; if the process dies in between, the
background relay republishes what was left behind. JetStream de-duplicates on the event id
(``Nats-Msg-Id``) and consumers are idempotent, so a republish changes nothing.

Entries hold only strings so that ``$pullAll`` matches them exactly on both MongoDB and
FerretDB (FerretDB v1 does not support ``$pull`` with a condition).
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate
from pymongo.asynchronous.collection import AsyncCollection

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.messaging.publisher import EventPublisher
from huddle_shared.storage.locks import document_locks

log = logging.getLogger(__name__)

OUTBOX_FIELD = "outbox"

Entry = dict[str, str]


def stage(envelopes: Iterable[EventEnvelope]) -> list[Entry]:
    """Outbox entries for a document write; keeps the trace so a late relay stays in it."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return [
        {
            "id": str(envelope.event_id),
            "type": envelope.event_type,
            "subject": envelope.subject,
            "data": envelope.model_dump_json(),
            "staged_at": datetime.now(UTC).isoformat(),
            "traceparent": carrier.get("traceparent", ""),
        }
        for envelope in envelopes
    ]


class OutboxRelay:
    def __init__(
        self,
        publisher: EventPublisher,
        collections: Sequence[AsyncCollection[Any]],
        *,
        grace: timedelta = timedelta(seconds=2),
    ) -> None:
        self._publisher = publisher
        self._collections = list(collections)
        self._grace = grace

    def watch(self, collection: AsyncCollection[Any]) -> None:
        """Also relay what documents of ``collection`` leave behind."""
        if all(existing.name != collection.name for existing in self._collections):
            self._collections.append(collection)

    async def publish(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry]
    ) -> None:
        """Publish entries just written with ``doc_id``; on failure leave them for the relay."""
        try:
            await self._publish_and_clear(collection, doc_id, entries)
        except Exception:
            log.warning("outbox publish failed; the relay will retry", exc_info=True)

    async def _publish_and_clear(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry]
    ) -> None:
        for entry in entries:
            token = otel_context.attach(
                propagate.extract({"traceparent": entry.get("traceparent", "")})
            )
            try:
                await self._publisher.publish(
                    entry["subject"],
                    entry["data"].encode(),
                    event_id=entry["id"],
                    event_type=entry["type"],
                )
            finally:
                otel_context.detach(token)
        key = (collection.database.name, collection.name, doc_id)
        async with document_locks.hold(key):
            await collection.update_one({"_id": doc_id}, {"$pullAll": {OUTBOX_FIELD: entries}})

    async def relay_pending(self, *, include_recent: bool = False) -> int:
        """Republish entries left behind (older than the grace period). Returns how many."""
        cutoff = datetime.now(UTC) - self._grace
        relayed = 0
        for collection in self._collections:
            cursor = collection.find({f"{OUTBOX_FIELD}.0": {"$exists": True}}, {OUTBOX_FIELD: 1})
            async for document in cursor:
                entries = [
                    entry
                    for entry in document[OUTBOX_FIELD]
                    if include_recent or datetime.fromisoformat(entry["staged_at"]) <= cutoff
                ]
                if entries:
                    await self._publish_and_clear(collection, document["_id"], entries)
                    relayed += len(entries)
        if relayed:
            log.info("outbox relay republished events", extra={"count": relayed})
        return relayed

    async def run(self, interval: float) -> None:
        """Relay forever; at start, everything pending is relayed (a crash may have left it)."""
        include_recent = True
        while True:
            try:
                await self.relay_pending(include_recent=include_recent)
                include_recent = False
            except Exception:
                log.warning("outbox relay pass failed", exc_info=True)
            await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay, interval: float) -> Any:
    task = asyncio.create_task(relay.run(interval), name="outbox-relay")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
