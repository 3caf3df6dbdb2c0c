"""Apply an event to a projection document at most once, and (ordered mode) never let an
older event overwrite what a newer one set.

The event id is added to the document in the same update as the effect, and the update
only matches a document that does not hold that id yet. A second delivery matches nothing;
its upsert then collides on ``_id`` and is recognised as already applied.

Ordered mode (``apply_in_order``) is for projection documents kept from one aggregate's
events, whose state depends on order (a roster entry: joined, then left). Every event
carries its aggregate's ``sequence``; the document remembers, per field, the sequence of
the event that last set it, and an event only sets fields no newer event has set. So a
redelivered or retried older event still fills in what it alone carries, but cannot undo
a newer change.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.storage.locks import document_locks

APPLIED_FIELD = "applied_event_ids"
ERASED_FIELD = "erased"
# Ordered mode: field -> sequence of the event that last set it; and a revision counter so
# that two processes cannot interleave a read and a write of the same document.
SEQUENCES_FIELD = "applied_sequences"
REVISION_FIELD = "revision"
BOOKKEEPING_FIELDS = (APPLIED_FIELD, SEQUENCES_FIELD, REVISION_FIELD)


async def apply_once(
    collection: AsyncCollection[Any],
    doc_id: Any,
    event_id: str,
    update: dict[str, Any],
    *,
    attempts: int = 5,
) -> bool:
    """Run ``update`` on ``doc_id`` (creating it if needed) unless ``event_id`` was applied.

    Returns whether this call applied it. Concurrent calls in one process are serialised per
    document (see ``locks``); across processes MongoDB's single-document atomicity holds.
    """
    guarded = dict(update)
    guarded["$addToSet"] = {**update.get("$addToSet", {}), APPLIED_FIELD: event_id}
    key = (collection.database.name, collection.name, doc_id)
    async with document_locks.hold(key):
        return await _apply(collection, doc_id, event_id, guarded, attempts)


async def _apply(
    collection: AsyncCollection[Any],
    doc_id: Any,
    event_id: str,
    guarded: dict[str, Any],
    attempts: int,
) -> bool:
    for _ in range(attempts):
        try:
            result = await collection.update_one(
                {"_id": doc_id, APPLIED_FIELD: {"$ne": event_id}, ERASED_FIELD: {"$ne": True}},
                guarded,
                upsert=True,
            )
        except DuplicateKeyError:
            # This event is already applied, or the person was erased (a late event must not
            # bring their data back), or another event created the document first: then
            # apply ours to the existing one.
            if await collection.count_documents({"_id": doc_id, APPLIED_FIELD: event_id}, limit=1):
                return False
            if await collection.count_documents({"_id": doc_id, ERASED_FIELD: True}, limit=1):
                return False
            continue
        return result.upserted_id is not None or result.modified_count > 0
    raise RuntimeError(f"could not apply {event_id} to {doc_id} after {attempts} attempts")


async def apply_in_order(
    collection: AsyncCollection[Any],
    doc_id: Any,
    envelope: EventEnvelope,
    update: dict[str, Any],
    *,
    attempts: int = 5,
) -> bool:
    """Apply ``update`` (``$set`` only) once, leaving fields a newer event of the same
    aggregate has set. Returns whether anything was applied.

    An event without a sequence (published before events carried one) is applied as by
    ``apply_once``.
    """
    event_id = str(envelope.event_id)
    if envelope.sequence is None:
        return await apply_once(collection, doc_id, event_id, update, attempts=attempts)
    if set(update) - {"$set"}:
        raise ValueError("ordered mode applies $set updates only")
    sequence = envelope.sequence
    key = (collection.database.name, collection.name, doc_id)
    async with document_locks.hold(key):
        for _ in range(attempts):
            document = await collection.find_one(
                {"_id": doc_id},
                {APPLIED_FIELD: 1, ERASED_FIELD: 1, SEQUENCES_FIELD: 1, REVISION_FIELD: 1},
            )
            document = document or {}
            if document.get(ERASED_FIELD) or event_id in document.get(APPLIED_FIELD, []):
                return False
            sequences = document.get(SEQUENCES_FIELD) or {}
            newer = {
                name: value
                for name, value in update.get("$set", {}).items()
                if sequences.get(name, 0) < sequence
            }
            revision = document.get(REVISION_FIELD)
            changes = {
                **newer,
                **{f"{SEQUENCES_FIELD}.{name}": sequence for name in newer},
                REVISION_FIELD: (revision or 0) + 1,
            }
            query = {
                "_id": doc_id,
                REVISION_FIELD: revision if revision is not None else {"$exists": False},
            }
            try:
                result = await collection.update_one(
                    query, {"$set": changes, "$addToSet": {APPLIED_FIELD: event_id}}, upsert=True
                )
            except DuplicateKeyError:
                continue  # created or changed by another process meanwhile: decide again
            if result.upserted_id is not None or result.modified_count > 0:
                return bool(newer)
    raise RuntimeError(f"could not apply {event_id} to {doc_id} after {attempts} attempts")


async def read_plain(collection: AsyncCollection[Any], doc_id: Any) -> dict[str, Any] | None:
    """A projection document as its subject may see it (no bookkeeping, none if erased)."""
    document = await collection.find_one({"_id": doc_id, ERASED_FIELD: {"$ne": True}})
    if document is None:
        return None
    for name in BOOKKEEPING_FIELDS:
        document.pop(name, None)
    return dict(document)
