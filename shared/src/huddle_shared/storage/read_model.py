"""A bounded in-memory read model: documents a service serves without asking its database.

A ``ReadModel`` is a ``cachetools.TTLCache`` (at most ``maxsize`` entries, each at most
``ttl`` seconds old) plus the one rule that keeps it correct: a value loaded from the
database is kept only if nothing was written or invalidated in this model while it was
being loaded. So a read that raced a write (this process's, or another replica's seen as an
event) never puts back what the write replaced; the next read loads again.

The service owns what goes in: it ``put``s what its own writes stored (write-through),
``discard``s what an event says changed elsewhere, and ``clear``s everything when it may
have missed events (a reconnect). The TTL is the backstop for changes nothing announces.
Values are returned as stored: store immutable values, or copy before changing one.
"""

import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from cachetools import TTLCache

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


@dataclass
class ReadModelStats:
    hits: int = 0
    misses: int = 0


class ReadModel(Generic[Key, Value]):
    def __init__(
        self,
        name: str,
        *,
        maxsize: int,
        ttl: float,
        getsizeof: Callable[[Value], float] | None = None,
    ) -> None:
        """At most ``maxsize`` entries, or, with ``getsizeof``, entries whose sizes add up
        to at most ``maxsize`` (e.g. a list's length); the least recently used go first."""
        self.name = name
        self._entries: TTLCache[Key, Value] = TTLCache(
            maxsize=maxsize, ttl=ttl, getsizeof=getsizeof
        )
        # Grows with every write or invalidation: a load that saw it change keeps nothing.
        self._epoch = 0
        self.stats = ReadModelStats()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def maxsize(self) -> float:
        return self._entries.maxsize

    def peek(self, key: Key) -> Value | None:
        return self._entries.get(key)

    async def get(self, key: Key, load: Callable[[], Awaitable[Value | None]]) -> Value | None:
        """The value from memory, else ``load``ed (and kept unless a write intervened).
        ``None`` (nothing stored) is not kept: a later write or event may create it."""
        found = self._entries.get(key)
        if found is not None:
            self.stats.hits += 1
            return found
        self.stats.misses += 1
        epoch = self._epoch
        loaded = await load()
        if loaded is not None and epoch == self._epoch:
            self.fill({key: loaded})
        return loaded

    async def get_many(
        self, keys: Iterable[Key], load: Callable[[list[Key]], Awaitable[dict[Key, Value]]]
    ) -> dict[Key, Value]:
        """Values for ``keys``: those in memory, and the rest by one ``load`` of the misses."""
        found: dict[Key, Value] = {}
        missing: list[Key] = []
        for key in keys:
            value = self._entries.get(key)
            if value is None:
                missing.append(key)
            else:
                found[key] = value
        self.stats.hits += len(found)
        if missing:
            self.stats.misses += len(missing)
            epoch = self._epoch
            loaded = await load(missing)
            if epoch == self._epoch:
                self.fill(loaded)
            found.update(loaded)
        return found

    def fill(self, values: dict[Key, Value]) -> None:
        """Values loaded at an epoch still current (a warm-up, or ``get_many``'s)."""
        for key, value in values.items():
            with contextlib.suppress(ValueError):  # one value bigger than the whole bound
                self._entries[key] = value

    def epoch(self) -> int:
        return self._epoch

    def fill_if_current(self, epoch: int, values: dict[Key, Value]) -> None:
        """``fill`` unless something was written since ``epoch`` (a warm-up's load)."""
        if epoch == self._epoch:
            self.fill(values)

    def put(self, key: Key, value: Value) -> None:
        """What this process just stored (write-through)."""
        self._epoch += 1
        try:
            self._entries[key] = value
        except ValueError:  # bigger than the whole bound: not kept
            self._entries.pop(key, None)

    def evict(self, key: Key) -> None:
        """Drop a value just loaded that is not to be served from memory (no write: unlike
        ``discard``, loads in flight may keep what they read)."""
        self._entries.pop(key, None)

    def discard(self, *keys: Key) -> None:
        """Changed elsewhere (an event), or a write whose result is not known here."""
        self._epoch += 1
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._epoch += 1
        self._entries.clear()
