"""Per-document locks inside one process.

MongoDB applies each single-document update atomically. FerretDB v1 (used for local runs and
tests) does not: its SQLite handler reads and then writes, so two concurrent updates of one
document can lose one of them (FerretDB issue 3040). Serialising updates of the same document
within the process makes local runs exact; against MongoDB the lock merely costs a dict look-up.
Running several replicas of a service is for MongoDB only.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


document_locks = KeyedLocks()
