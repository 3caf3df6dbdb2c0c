"""Deciding races by inserting a document whose unique key is the claim.

FerretDB v1 applies no update atomically (a guarded ``update_one`` can lose a race), but a
unique ``_id`` holds on FerretDB and MongoDB alike, across processes. So where a race
decides something people care about, the winner is whoever inserts the claim first:

- ``ClaimLog``: an append-only log per subject (a membership, a network's chairs). Writing
  version ``n`` of a subject first inserts ``<subject>#<n>``; a second writer of ``n`` gets
  ``ConcurrentChange`` and decides again from a fresh read. A claim is settled once its write
  is done. A claim left unsettled by a process that stopped is abandoned after ``grace``:
  the next writer skips past it (the stopped process writes nothing more).

Each area keeps its own claim collection; this module owns none.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from huddle_shared.clock import utc_now
from huddle_shared.errors import Conflict
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

T = TypeVar("T")

ATTEMPTS = 4
# A claim not settled within this long was left by a process that stopped.
ABANDONED_AFTER = timedelta(seconds=30)


class ConcurrentChange(Conflict):
    retryable = True

    def __init__(self) -> None:
        super().__init__("Someone changed this at the same moment; try again.")


async def retrying(attempt: Callable[[], Awaitable[T]], attempts: int = ATTEMPTS) -> T:
    """Run a read-decide-write again when another writer got there first (it re-reads)."""
    for turn in range(attempts - 1):
        try:
            return await attempt()
        except ConcurrentChange:
            await asyncio.sleep(0.02 * 2**turn)  # let the other writer settle its claim
    return await attempt()


@dataclass(frozen=True)
class Claim:
    subject: str
    seq: int


class ClaimLog:
    def __init__(
        self,
        collection: AsyncCollection[Any],
        *,
        grace: timedelta = ABANDONED_AFTER,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.collection = collection
        self._grace = grace
        self._clock = clock

    async def create_indexes(self) -> None:
        await self.collection.create_index([("subject", 1), ("seq", DESCENDING)])

    async def latest(self, subject: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"subject": subject}, sort=[("seq", DESCENDING)])

    async def next_seq(self, subject: str, applied: int | None = None) -> int:
        """The number to claim next for ``subject``. ``applied``: the version its document
        shows (claims up to it are done). ``ConcurrentChange`` while a later claim is still
        being written by another writer."""
        latest = await self.latest(subject)
        if latest is None:
            return (applied or 0) + 1
        seq = int(latest["seq"])
        done = latest.get("settled") or (applied is not None and seq <= applied)
        if not done and self._clock() - latest["at"] < self._grace:
            raise ConcurrentChange()
        return max(seq, applied or 0) + 1  # done, or abandoned by a process that stopped

    async def claim(self, subject: str, seq: int, **detail: Any) -> Claim:
        try:
            await self.collection.insert_one(
                {"_id": f"{subject}#{seq}", "subject": subject, "seq": seq, "at": self._clock()}
                | detail
            )
        except DuplicateKeyError:
            raise ConcurrentChange() from None
        return Claim(subject, seq)

    async def settle(self, claim: Claim) -> None:
        await self.settle_seq(claim.subject, claim.seq)

    async def settle_seq(self, subject: str, seq: int) -> None:
        # Only the claim's holder writes it, so this update races with nobody.
        await self.collection.update_one({"_id": f"{subject}#{seq}"}, {"$set": {"settled": True}})

    async def claim_version(self, subject: str, applied: int) -> int:
        """Claim the version after ``applied`` (what the subject's document shows). One
        insert when nobody else is writing; ``ConcurrentChange`` when another writer holds
        that version; a version left by a process that stopped is skipped."""
        seq = applied + 1
        try:
            await self.claim(subject, seq)
            return seq
        except ConcurrentChange:
            taken = await self.collection.find_one({"_id": f"{subject}#{seq}"})
            if taken is None or (
                not taken.get("settled") and self._clock() - taken["at"] < self._grace
            ):
                raise
        seq = await self.next_seq(subject, applied)  # past the abandoned or failed ones
        await self.claim(subject, seq)
        return seq

    @contextlib.asynccontextmanager
    async def turn(self, subject: str, **detail: Any) -> AsyncIterator[Claim]:
        """Hold the subject's next turn: its decisions see every earlier turn's writes, and no
        other process decides for the subject until this turn is settled."""
        claim = await self.claim(subject, await self.next_seq(subject), **detail)
        try:
            yield claim
        finally:
            await self.settle(claim)
