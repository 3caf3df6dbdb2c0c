"""The access area's storage: recent failed sign-ins and API tokens."""

from datetime import datetime
from typing import Any
from uuid import UUID

from huddle_shared.storage.locks import document_locks
from pymongo.asynchronous.database import AsyncDatabase

SIGN_IN_FAILURES = "sign_in_failures"
API_TOKENS = "api_tokens"


class SignInFailures:
    """Recent failed sign-ins per key (an (account, address) pair or an address). A pair's
    document also names its account, so erasing the member finds every pair."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[SIGN_IN_FAILURES]

    def lock(self, key: str) -> Any:
        """Held around read-modify-write (FerretDB applies no update atomically)."""
        return document_locks.hold((self._collection.database.name, SIGN_IN_FAILURES, key))

    async def recent(self, key: str) -> list[datetime]:
        document = await self._collection.find_one({"_id": key})
        return list(document["failures"]) if document else []

    async def record(
        self, key: str, now: datetime, keep_after: datetime, *, account: str | None = None
    ) -> None:
        async with self.lock(key):
            failures = [moment for moment in await self.recent(key) if moment > keep_after]
            fields: dict[str, Any] = {"failures": [*failures, now]}
            if account is not None:
                fields["account"] = account
            await self._collection.update_one({"_id": key}, {"$set": fields}, upsert=True)

    async def clear(self, key: str) -> None:
        async with self.lock(key):
            await self._collection.delete_one({"_id": key})

    async def clear_account(self, account: str) -> None:
        """Every pair of this account, and the document of the older per-account limit."""
        await self._collection.delete_many({"account": account})
        await self._collection.delete_one({"_id": account})


class ApiTokens:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[API_TOKENS]

    async def create_indexes(self) -> None:
        await self._collection.create_index("token_hash", unique=True)

    async def add(self, document: dict[str, Any]) -> None:
        await self._collection.insert_one(document)

    async def find_active(self, token_hash: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"token_hash": token_hash, "revoked_at": None})

    async def revoke(self, token_id: str, now: datetime) -> bool:
        async with document_locks.hold((self._collection.database.name, API_TOKENS, token_id)):
            result = await self._collection.update_one(
                {"_id": token_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
            )
        return result.matched_count > 0

    async def exists(self, token_id: str) -> bool:
        return await self._collection.count_documents({"_id": token_id}, limit=1) > 0

    async def every(self) -> list[dict[str, Any]]:
        """Every token, newest first, without its hash."""
        cursor = self._collection.find({}, {"token_hash": 0}).sort("created_at", -1)
        return [document async for document in cursor]

    async def created_by(self, member_id: UUID) -> list[dict[str, Any]]:
        cursor = self._collection.find({"created_by": str(member_id)}, {"token_hash": 0})
        return [document async for document in cursor]
