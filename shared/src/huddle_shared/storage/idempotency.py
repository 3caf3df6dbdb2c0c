"""Apply an event to a projection document at most once.

The event id is added to the document in the same update as the effect, and the update
only matches a document that does not hold that id yet. A second delivery matches nothing;
its upsert then collides on ``_id`` and is recognised as already applied.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from huddle_shared.storage.locks import document_locks

APPLIED_FIELD = "applied_event_ids"
ERASED_FIELD = "erased"


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


async def erase_once(collection: AsyncCollection[Any], doc_id: Any, event_id: str) -> None:
    """Replace the document with a tombstone holding nothing but its id: the person's data
    is gone, and a late or redelivered event cannot recreate it."""
    async with document_locks.hold((collection.database.name, collection.name, doc_id)):
        await collection.replace_one(
            {"_id": doc_id}, {ERASED_FIELD: True, APPLIED_FIELD: [event_id]}, upsert=True
        )


async def read_plain(collection: AsyncCollection[Any], doc_id: Any) -> dict[str, Any] | None:
    """A projection document as its subject may see it (no bookkeeping, none if erased)."""
    document = await collection.find_one({"_id": doc_id, ERASED_FIELD: {"$ne": True}})
    if document is None:
        return None
    document.pop(APPLIED_FIELD, None)
    return dict(document)
