"""Apply an event to a projection document at most once.

The event id is added to the document in the same update as the effect, and the update
only matches a document that does not hold that id yet. A second delivery matches nothing;
its upsert then collides on ``_id`` and is recognised as already applied.
"""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

APPLIED_FIELD = "applied_event_ids"


async def apply_once(
    collection: AsyncCollection[Any],
    doc_id: Any,
    event_id: str,
    update: dict[str, Any],
    *,
    upsert: bool = True,
) -> bool:
    """Run ``update`` on ``doc_id`` unless ``event_id`` was applied. True if it ran now."""
    guarded = dict(update)
    guarded["$addToSet"] = {**update.get("$addToSet", {}), APPLIED_FIELD: event_id}
    try:
        result = await collection.update_one(
            {"_id": doc_id, APPLIED_FIELD: {"$ne": event_id}}, guarded, upsert=upsert
        )
    except DuplicateKeyError:
        return False
    return result.upserted_id is not None or result.modified_count > 0
