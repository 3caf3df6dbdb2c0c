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
                {"_id": doc_id, APPLIED_FIELD: {"$ne": event_id}}, guarded, upsert=True
            )
        except DuplicateKeyError:
            # Either this event is already applied, or another event created the document
            # first (two events racing to create it): then apply ours to the existing one.
            if await collection.count_documents({"_id": doc_id, APPLIED_FIELD: event_id}, limit=1):
                return False
            continue
        return result.upserted_id is not None or result.modified_count > 0
    raise RuntimeError(f"could not apply {event_id} to {doc_id} after {attempts} attempts")
