"""A value kept for at most a second, refreshed by one request while the others wait for it.

For answers that are the same for everyone and may be a moment old (readiness, public
statistics): under load the gateway asks the service once per ``max_age``, not once per
request. A failure is not kept: the requests waiting on it get it, the next one asks again; nor is
a value ``keep`` refuses (e.g. "not ready": recovery shows at once).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

# The upper bound for anything kept this way (docs/decisions/0026).
MAX_AGE_SECONDS = 1.0


class Recent(Generic[T]):
    def __init__(
        self,
        fetch: Callable[[], Awaitable[T]],
        max_age: float = MAX_AGE_SECONDS,
        *,
        keep: Callable[[T], bool] = lambda value: True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not 0 <= max_age <= MAX_AGE_SECONDS:
            raise ValueError(f"max_age must be between 0 and {MAX_AGE_SECONDS} s")
        self._fetch = fetch
        self.max_age = max_age
        self._keep = keep
        self._clock = clock
        self._value: T | None = None
        self._fetched_at = -float("inf")
        self._refresh: asyncio.Future[T] | None = None

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def get(self) -> T:
        """The kept value while younger than ``max_age``; otherwise the one refresh's."""
        if self._value is not None and self._now() - self._fetched_at < self.max_age:
            return self._value
        if self._refresh is None:
            # Its own task: a client that disconnects must not cancel the others' answer.
            self._refresh = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._refresh)

    async def _run(self) -> T:
        started = self._now()  # the value is as old as the question, not the answer
        try:
            value = await self._fetch()
        finally:
            self._refresh = None
        if self._keep(value):
            self._value, self._fetched_at = value, started
        else:
            self.forget()
        return value

    def forget(self) -> None:
        self._value, self._fetched_at = None, -float("inf")
