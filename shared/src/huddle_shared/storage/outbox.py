"""Transactional outbox inside the aggregate's own document.

A state change and the events it causes are one document write (MongoDB writes a single
document atomically; no multi-document transaction is needed). Right after the write the
document's *whole* pending outbox is published, oldest first, under the document's lock, and
the published entries are removed; if the process dies in between, or NATS refuses, the
background relay does the same later. So one document's events reach the stream in the order
they were staged, always: an event whose publish failed holds back every later event of the
same document until it is published. JetStream de-duplicates on the event id
(``Nats-Msg-Id``, within ``DUPLICATE_WINDOW_SECONDS``) and consumers are idempotent, so a
republish changes nothing.

Every document with pending entries carries ``outbox_since`` (indexed, sparse): when its
oldest pending entry was staged. The relay finds stranded entries through that index, not by
scanning collections, and the field is removed when the outbox empties.

An entry that can never be published (over NATS's message size, a subject no stream takes,
a damaged entry) is dead-lettered with the reason and removed, so it cannot stall its
document or the relay; the whole entry is kept in ``outbox_dead_letters``.

Entries hold only strings so that ``$pullAll`` matches them exactly on both MongoDB and
FerretDB (FerretDB v1 does not support ``$pull`` with a condition).
"""

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.faults import is_unavailable
from huddle_shared.messaging.publisher import EventPublisher, Unpublishable
from huddle_shared.storage.locks import document_locks

log = logging.getLogger(__name__)
_meter = metrics.get_meter("huddle.outbox")
_dead_lettered = _meter.create_counter(
    "huddle.outbox.dead_lettered", description="Outbox entries that could never be published"
)

OUTBOX_FIELD = "outbox"
OUTBOX_SINCE_FIELD = "outbox_since"
# The number of events the document has staged so far (the last event's ``sequence``).
SEQUENCE_FIELD = "event_sequence"
OUTBOX_DEAD_LETTERS = "outbox_dead_letters"
# A dead letter carries the entry's data only up to this size (the full entry is in Mongo).
_DEAD_LETTER_DATA_LIMIT = 64 * 1024
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)

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
            "sequence": str(envelope.sequence or ""),
            "data": envelope.model_dump_json(),
            "staged_at": datetime.now(UTC).isoformat(),
            "traceparent": carrier.get("traceparent", ""),
        }
        for envelope in envelopes
    ]


def aggregate_id(collection: AsyncCollection[Any], doc_id: Any) -> str:
    return f"{collection.name}/{doc_id}"


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
        self._prepared: set[tuple[str, str]] = set()

    def watch(self, collection: AsyncCollection[Any]) -> None:
        """Also relay what documents of ``collection`` leave behind."""
        if all(existing.name != collection.name for existing in self._collections):
            self._collections.append(collection)

    async def publish(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry] | None
    ) -> None:
        """Publish ``entries`` (the document's pending outbox, oldest first; ``None``: read
        it now) right after a write; on failure leave what is left for the relay."""
        try:
            await self.publish_in_order(collection, doc_id, entries)
        except Exception:
            log.warning(
                "outbox publish failed; the relay will retry",
                extra={"collection": collection.name, "document": str(doc_id)},
                exc_info=True,
            )

    async def publish_in_order(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry] | None = None
    ) -> int:
        """Publish the document's pending entries in order under its lock, then remove them.

        Stops at the first entry that fails to publish (and raises): later entries of the
        same document wait behind it. An entry that never can be published is dead-lettered.
        ``entries`` is what the caller just read; without it the document is read here.
        """
        key = (collection.database.name, collection.name, doc_id)
        async with document_locks.hold(key):
            if entries is None:
                document = await collection.find_one({"_id": doc_id}, {OUTBOX_FIELD: 1})
                entries = list((document or {}).get(OUTBOX_FIELD) or [])
            done: list[Entry] = []
            try:
                for entry in entries:
                    try:
                        await self._publish_entry(entry)
                    except Unpublishable as exc:
                        await self._dead_letter(collection, doc_id, entry, str(exc))
                    done.append(entry)
            finally:
                if done:
                    await self._clear(collection, doc_id, done)
            return len(done)

    async def _publish_entry(self, entry: Entry) -> None:
        try:
            subject, data, event_id, event_type = (
                entry["subject"],
                entry["data"].encode(),
                entry["id"],
                entry["type"],
            )
        except (KeyError, AttributeError, TypeError) as exc:
            raise Unpublishable(f"damaged outbox entry: {exc!r}") from exc
        token = otel_context.attach(
            propagate.extract({"traceparent": entry.get("traceparent", "")})
        )
        try:
            await self._publisher.publish(subject, data, event_id=event_id, event_type=event_type)
        finally:
            otel_context.detach(token)

    async def _clear(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry]
    ) -> None:
        await collection.update_one({"_id": doc_id}, {"$pullAll": {OUTBOX_FIELD: entries}})
        await collection.update_one(
            {"_id": doc_id, f"{OUTBOX_FIELD}.0": {"$exists": False}},
            {"$unset": {OUTBOX_SINCE_FIELD: ""}},
        )

    async def _dead_letter(
        self, collection: AsyncCollection[Any], doc_id: Any, entry: Any, reason: str
    ) -> None:
        """Keep the whole entry in the database, and tell the dead-letter stream why."""
        entry_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
        data = str(entry.get("data", "")) if isinstance(entry, dict) else repr(entry)
        record_id = f"{collection.name}:{doc_id}:{entry_id}"
        with contextlib.suppress(DuplicateKeyError):  # kept by an earlier, interrupted try
            await collection.database[OUTBOX_DEAD_LETTERS].insert_one(
                {
                    "_id": record_id,
                    "collection": collection.name,
                    "document_id": doc_id,
                    "entry": entry,
                    "reason": reason,
                    "dead_lettered_at": datetime.now(UTC),
                }
            )
        body = {
            "event_id": entry_id,
            "subject": entry.get("subject") if isinstance(entry, dict) else None,
            "aggregate_id": aggregate_id(collection, doc_id),
            "reason": reason,
            "data_bytes": len(data.encode()),
            "kept_in": f"{collection.database.name}.{OUTBOX_DEAD_LETTERS}/{record_id}",
        }
        if len(data) <= _DEAD_LETTER_DATA_LIMIT:
            body["data"] = data
        source = f"outbox-{collection.database.name}"
        # On the event's own subject, so erasure purges it with the member's other events.
        original = str(body["subject"] or "unknown")
        await self._publisher.dead_letter(
            source,
            json.dumps(body).encode(),
            original_subject=original,
            msg_id=f"outbox:{record_id}",
            headers={
                "Huddle-Dead-Letter-Reason": reason.replace("\n", " ")[:2000],
                "Huddle-Original-Subject": str(body["subject"] or ""),
                "Huddle-Consumer": source,
            },
        )
        _dead_lettered.add(1, {"collection": collection.name})
        log.error(
            "outbox entry dead-lettered: it can never be published",
            extra={"collection": collection.name, "event_id": entry_id, "reason": reason},
        )

    async def prepare(self) -> None:
        """Index ``outbox_since``, and date entries staged before it existed (once)."""
        for collection in self._collections:
            key = (collection.database.name, collection.name)
            if key in self._prepared:
                continue
            await collection.create_index(OUTBOX_SINCE_FIELD, sparse=True)
            await collection.update_many(
                {f"{OUTBOX_FIELD}.0": {"$exists": True}, OUTBOX_SINCE_FIELD: {"$exists": False}},
                {"$set": {OUTBOX_SINCE_FIELD: _LONG_AGO}},
            )
            self._prepared.add(key)

    async def relay_pending(self, *, include_recent: bool = False) -> int:
        """Publish what documents left behind (pending longer than the grace period, or all
        with ``include_recent``). Returns how many entries were published or dead-lettered.

        A document that fails is skipped until the next pass; the pass stops early only
        when NATS or the database is unavailable (then every document would fail).
        """
        await self.prepare()
        if include_recent:
            query: dict[str, Any] = {OUTBOX_SINCE_FIELD: {"$exists": True}}
        else:
            query = {OUTBOX_SINCE_FIELD: {"$lte": datetime.now(UTC) - self._grace}}
        relayed = 0
        for collection in self._collections:
            doc_ids = [document["_id"] async for document in collection.find(query, {"_id": 1})]
            for doc_id in doc_ids:
                try:
                    relayed += await self.publish_in_order(collection, doc_id)
                except Exception as exc:
                    if is_unavailable(exc):
                        raise
                    log.warning(
                        "outbox relay could not publish a document's events; next pass retries",
                        extra={"collection": collection.name, "document": str(doc_id)},
                        exc_info=True,
                    )
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


class OutboxDeadLetters:
    """Entries the relay could never publish, kept whole in ``outbox_dead_letters``.

    They may name a member (an event's payload does), so they take part in that member's
    export and erasure like any other data of the service."""

    def __init__(self, database: Any) -> None:
        self._collection = database[OUTBOX_DEAD_LETTERS]

    def _naming(self, member_id: Any) -> dict[str, Any]:
        return {"entry.data": {"$regex": re.escape(str(member_id))}}

    async def export_member(self, subject: Any) -> dict[str, Any]:
        cursor = self._collection.find(self._naming(subject.member_id), {"entry": 1, "reason": 1})
        return {OUTBOX_DEAD_LETTERS: [document async for document in cursor]}

    async def erase_member(self, subject: Any) -> None:
        await self._collection.delete_many(self._naming(subject.member_id))
