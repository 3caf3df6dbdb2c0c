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
from dataclasses import dataclass, field


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    owner: asyncio.Task[object] | None = None
    depth: int = 0


class KeyedLocks:
    """One lock per key, created on demand and dropped when unused. Re-entrant for the
    task holding it, so a read-decide-save can publish its outbox under the same lock."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, _Entry] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry())
        task = asyncio.current_task()
        if entry.owner is task and task is not None:
            entry.depth += 1
            try:
                yield
            finally:
                entry.depth -= 1
            return
        entry.users += 1
        try:
            async with entry.lock:
                entry.owner, entry.depth = task, 1
                try:
                    yield
                finally:
                    entry.owner, entry.depth = None, 0
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]


document_locks = KeyedLocks()
