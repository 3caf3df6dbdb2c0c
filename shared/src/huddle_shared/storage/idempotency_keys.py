"""Client-supplied idempotency keys: the first request with a key runs, retries get its reply.

A key is claimed by inserting a document whose ``_id`` is the hash of (subject, caller,
key): a unique ``_id`` is the one thing FerretDB v1 decides atomically, so of two
concurrent requests with one key exactly one runs. The document then holds the reply until
it expires. It remembers which member ids the request and reply named (``mentions``), so
erasing a member also forgets the replies that named them.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from huddle_shared.clock import utc_now
from huddle_shared.contracts.rpc import Caller

IDEMPOTENCY_KEYS = "idempotency_keys"
DEFAULT_RETENTION = timedelta(hours=24)
# A claim still "running" after this long belongs to a process that died mid-request.
STALE_AFTER = timedelta(minutes=2)
PURGE_EVERY = timedelta(minutes=10)

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def key_id(subject: str, caller: Caller, key: str) -> str:
    """Keys are the caller's own: another caller's same key is a different request."""
    if caller.member_id is not None:
        who = f"member:{caller.member_id}"
    elif caller.api_token_id is not None:
        who = f"api-token:{caller.api_token_id}"
    else:
        who = "anonymous"
    return hashlib.sha256(f"{subject}\n{who}\n{key}".encode()).hexdigest()


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def mentioned_ids(*values: Any) -> list[str]:
    """Every UUID-shaped string inside ``values``: the members (among others) they name."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if _UUID.match(value):
                found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    for value in values:
        walk(value)
    return sorted(found)


@dataclass(frozen=True)
class Claim:
    """What claiming a key found: ``claimed`` (run the handler), ``done`` (answer ``reply``),
    ``mismatch`` (the key was used for another request) or ``running`` (still in progress)."""

    outcome: Literal["claimed", "done", "mismatch", "running"]
    reply: dict[str, Any] | None = None


class IdempotencyKeys:
    def __init__(
        self,
        database: AsyncDatabase[Any],
        *,
        retention: timedelta = DEFAULT_RETENTION,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._collection = database[IDEMPOTENCY_KEYS]
        self._retention = retention
        self._stale_after = stale_after
        self._next_purge: datetime | None = None

    async def _purge_expired(self, now: datetime) -> None:
        """FerretDB v1 has no TTL indexes: expired keys are deleted here, now and then."""
        if self._next_purge is not None and now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY
        await self._collection.delete_many({"expires_at": {"$lte": now}})

    async def create_indexes(self) -> None:
        await self._collection.create_index("mentions")
        try:  # MongoDB removes expired keys itself
            await self._collection.create_index("expires_at", expireAfterSeconds=0)
        except OperationFailure:  # FerretDB v1: see _purge_expired
            await self._collection.create_index("expires_at")

    async def claim(self, key: str, body_hash: str, *, now: datetime | None = None) -> Claim:
        now = now or utc_now()
        await self._purge_expired(now)
        for _ in range(3):
            try:
                await self._collection.insert_one(
                    {
                        "_id": key,
                        "request_hash": body_hash,
                        "state": "running",
                        "started_at": now,
                        "expires_at": now + self._retention,
                    }
                )
                return Claim("claimed")
            except DuplicateKeyError:
                pass
            found = await self._collection.find_one({"_id": key})
            if found is None:  # released or expired in between: claim it again
                continue
            if found["request_hash"] != body_hash:
                return Claim("mismatch")
            if found["state"] == "done":
                return Claim("done", found["reply"])
            if found["expires_at"] <= now or found["started_at"] <= now - self._stale_after:
                # Expired, or its process died mid-request: clear it and claim again.
                await self._collection.delete_one({"_id": key, "started_at": found["started_at"]})
                continue
            return Claim("running")
        return Claim("running")

    async def complete(self, key: str, reply: dict[str, Any], mentions: list[str]) -> None:
        await self._collection.update_one(
            {"_id": key}, {"$set": {"state": "done", "reply": reply, "mentions": mentions}}
        )

    async def release(self, key: str) -> None:
        """The request failed unexpectedly: a retry with the key may run it again."""
        await self._collection.delete_one({"_id": key})

    async def forget_member(self, member_id: Any) -> int:
        """Erasure: drop every stored reply that named the member."""
        result = await self._collection.delete_many({"mentions": str(member_id)})
        return result.deleted_count

    # As a part of a member's export and erasure (anything with a ``member_id``).
    async def export_member(self, subject: Any) -> dict[str, Any]:
        return {}  # copies of answers the member already had

    async def erase_member(self, subject: Any) -> None:
        await self.forget_member(subject.member_id)
