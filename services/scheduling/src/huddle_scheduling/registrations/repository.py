"""Places, waitlists, attendance and feedback in scheduling's database (decision 0035).

FerretDB v1 applies no update atomically; only unique keys hold. So every decision a race
could spoil is an insert whose unique key is the claim:

- ``places``: one document per place, ``_id`` ``<occurrence>#<n>`` for ``n < capacity``,
  and a unique index on (occurrence, member): nobody holds two places, no place is held
  twice, so at most ``capacity`` are held whatever the number of processes.
- ``waitlist``: one document per waiting member, ``_id`` ``<occurrence>~<seq>``, ``seq``
  one more than the last (unique: two arrivals cannot share a number), and a unique index
  on (occurrence, member). The order of ``seq`` is the order of arrival.
- ``registrations``: the member's record of one occurrence, carrying the outbox of its
  events (registered, promoted, cancelled), so they go out in order.

Within one process a per-occurrence lock serialises the read-decide-insert steps, so the
answers are exact and first come is first served; across processes (MongoDB) the unique
keys still forbid overbooking and double places, and each step that may leave a free place
beside a waiting member fills it from the waitlist afterwards.
"""

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.registrations import (
    FeedbackGivenV1,
    RegisteredV1,
    RegistrationCancelledV1,
    RegistrationResult,
    SessionCompletedV1,
    WaitlistPromotedV1,
)
from huddle_shared.contracts.sessions import RegistrationState
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OutboxRelay
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey, PlaceCounts
from huddle_scheduling.registrations.domain import (
    AttendanceRecord,
    FeedbackAlreadyGiven,
    free_places,
    occurrence_name,
    places_left,
)

PLACES = "places"
WAITLIST = "waitlist"
REGISTRATIONS = "registrations"
ATTENDANCE = "attendance"
FEEDBACK = "feedback"
FEEDBACK_GIVERS = "feedback_givers"
COLLECTIONS_WITH_OUTBOX = (REGISTRATIONS, ATTENDANCE, FEEDBACK)

CANCELLED = "cancelled"


def _key_of(document: dict[str, Any]) -> OccurrenceKey:
    return OccurrenceKey(UUID(document["session_id"]), document["occurrence_start"])


class Registrations:
    """The registrations area's store; also what the other areas ask (``ports.Places``)."""

    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._database = database
        self._places = database[PLACES]
        self._waitlist = database[WAITLIST]
        self._givers = database[FEEDBACK_GIVERS]
        self._records = AggregateStore(database[REGISTRATIONS], relay, instance_id)
        self._attendance = AggregateStore(database[ATTENDANCE], relay, instance_id)
        self._feedback = AggregateStore(database[FEEDBACK], relay, instance_id)
        for name in COLLECTIONS_WITH_OUTBOX:
            relay.watch(database[name])

    async def create_indexes(self) -> None:
        for claims in (self._places, self._waitlist):
            await claims.create_index(
                [("occurrence", ASCENDING), ("member_id", ASCENDING)], unique=True
            )
            await claims.create_index("member_id")
        await self._places.create_index([("occurrence", ASCENDING), ("n", ASCENDING)])
        await self._waitlist.create_index([("occurrence", ASCENDING), ("seq", ASCENDING)])
        await self._records.collection.create_index("member_id")
        await self._givers.create_index("member_id")
        await self._feedback.collection.create_index("occurrence")
        await self._feedback.collection.create_index("session_id")

    def _hold(self, occurrence: str) -> Any:
        """The occurrence's in-process lock (re-entrant for the task holding it)."""
        return document_locks.hold((self._database.name, PLACES, occurrence))

    # --- Reading -----------------------------------------------------------------------

    async def state_of(self, key: OccurrenceKey, member_id: UUID) -> RegistrationResult | None:
        occurrence = occurrence_name(key)
        about = {"occurrence": occurrence, "member_id": str(member_id)}
        if await self._places.count_documents(about, limit=1):
            return RegistrationResult(status=RegistrationState.REGISTERED)
        waiting = await self._waitlist.find_one(about, {"seq": 1})
        if waiting is None:
            return None
        ahead = await self._waitlist.count_documents(
            {"occurrence": occurrence, "seq": {"$lt": waiting["seq"]}}
        )
        return RegistrationResult(status=RegistrationState.WAITLISTED, position=ahead + 1)

    async def holds_place(self, key: OccurrenceKey, member_id: UUID) -> bool:
        about = {"occurrence": occurrence_name(key), "member_id": str(member_id)}
        return bool(await self._places.count_documents(about, limit=1))

    async def counts(self, keys: Sequence[OccurrenceKey]) -> dict[OccurrenceKey, PlaceCounts]:
        by_name = {occurrence_name(key): key for key in keys}
        if not by_name:
            return {}
        registered, waitlisted = await asyncio.gather(
            self._count_by_occurrence(PLACES, list(by_name)),
            self._count_by_occurrence(WAITLIST, list(by_name)),
        )
        return {
            key: PlaceCounts(registered.get(name, 0), waitlisted.get(name, 0))
            for name, key in by_name.items()
            if name in registered or name in waitlisted
        }

    async def _count_by_occurrence(self, collection: str, names: list[str]) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"occurrence": {"$in": names}}},
            {"$group": {"_id": "$occurrence", "count": {"$sum": 1}}},
        ]
        cursor = await self._database[collection].aggregate(pipeline)
        return {document["_id"]: document["count"] async for document in cursor}

    async def states_of(
        self, member_id: UUID, keys: Sequence[OccurrenceKey]
    ) -> dict[OccurrenceKey, RegistrationState]:
        by_name = {occurrence_name(key): key for key in keys}
        query = {"member_id": str(member_id), "occurrence": {"$in": list(by_name)}}
        states: dict[OccurrenceKey, RegistrationState] = {}
        async for document in self._waitlist.find(query, {"occurrence": 1}):
            states[by_name[document["occurrence"]]] = RegistrationState.WAITLISTED
        async for document in self._places.find(query, {"occurrence": 1}):
            states[by_name[document["occurrence"]]] = RegistrationState.REGISTERED
        return states

    async def registered_members(self, key: OccurrenceKey) -> list[UUID]:
        cursor = self._places.find({"occurrence": occurrence_name(key)}, {"member_id": 1})
        return [UUID(document["member_id"]) async for document in cursor.sort("n", ASCENDING)]

    async def held_by(self, member_id: UUID) -> list[OccurrenceKey]:
        cursor = self._places.find(
            {"member_id": str(member_id)}, {"session_id": 1, "occurrence_start": 1}
        )
        return sorted([_key_of(document) async for document in cursor])

    async def waitlisted_members(self, key: OccurrenceKey) -> list[UUID]:
        """In the order they will be promoted."""
        cursor = self._waitlist.find({"occurrence": occurrence_name(key)}, {"member_id": 1})
        return [UUID(document["member_id"]) async for document in cursor.sort("seq", ASCENDING)]

    async def of_member(self, member_id: UUID) -> list[tuple[OccurrenceKey, RegistrationResult]]:
        """Every occurrence the member holds a place for or waits for."""
        found: list[tuple[OccurrenceKey, RegistrationResult]] = []
        async for document in self._places.find({"member_id": str(member_id)}):
            found.append(
                (_key_of(document), RegistrationResult(status=RegistrationState.REGISTERED))
            )
        async for document in self._waitlist.find({"member_id": str(member_id)}):
            state = await self.state_of(_key_of(document), member_id)
            if state is not None:
                found.append((_key_of(document), state))
        return found

    # --- Registering and cancelling ------------------------------------------------------

    async def register(self, facts: OccurrenceFacts, member_id: UUID) -> RegistrationResult:
        """A place if one is free and nobody waits; otherwise the end of the waitlist.
        Registering again answers the same, without a second place."""
        occurrence = occurrence_name(facts.key)
        async with self._hold(occurrence):
            state = await self.state_of(facts.key, member_id)
            if state is not None:
                return state
            nobody_waits = not await self._waitlist.count_documents(
                {"occurrence": occurrence}, limit=1
            )
            if nobody_waits and await self._claim_place(facts, member_id) is not None:
                # Another process may have put the same member on the waitlist meanwhile.
                await self._waitlist.delete_many(
                    {"occurrence": occurrence, "member_id": str(member_id)}
                )
                event = self._registered(facts, member_id, RegistrationState.REGISTERED, None)
                await self._record(facts, member_id, RegistrationState.REGISTERED, [event])
                return RegistrationResult(status=RegistrationState.REGISTERED)
            await self._join_waitlist(facts, member_id)
            if await self.holds_place(facts.key, member_id):  # a place taken in another process
                await self._waitlist.delete_many(
                    {"occurrence": occurrence, "member_id": str(member_id)}
                )
                return RegistrationResult(status=RegistrationState.REGISTERED)
            state = await self.state_of(facts.key, member_id)
            assert state is not None
            event = self._registered(facts, member_id, RegistrationState.WAITLISTED, state.position)
            await self._record(facts, member_id, RegistrationState.WAITLISTED, [event])
            # A place may have freed in another process before this member joined the queue.
            await self._fill(facts.key, facts.capacity)
            return await self.state_of(facts.key, member_id) or state

    async def cancel(
        self, facts: OccurrenceFacts, member_id: UUID, *, announce: bool = True
    ) -> bool:
        """Give up the place or the spot on the waitlist (False: held neither); a freed
        place goes to the first on the waitlist. ``announce=False`` for an erasure: no
        event about the erased member."""
        return await self._release(facts.key, facts.capacity, member_id, announce=announce)

    async def _release(
        self, key: OccurrenceKey, capacity: int | None, member_id: UUID, *, announce: bool
    ) -> bool:
        occurrence = occurrence_name(key)
        about = {"occurrence": occurrence, "member_id": str(member_id)}
        async with self._hold(occurrence):
            place = await self._places.find_one(about, {"slug": 1})
            waiting = await self._waitlist.find_one(about, {"slug": 1})
            held = place or waiting
            if held is None:
                return False
            if place is not None:
                await self._places.delete_one({"_id": place["_id"]})
            if waiting is not None:
                await self._waitlist.delete_one({"_id": waiting["_id"]})
            if announce:
                event = RegistrationCancelledV1(
                    member_id=member_id,
                    session_id=key.session_id,
                    slug=held["slug"],
                    occurrence_start=key.occurrence_start,
                )
                await self._update_record(key, member_id, CANCELLED, [event])
            if place is not None:
                await self._fill(key, capacity)
            return True

    async def capacity_changed(self, key: OccurrenceKey, capacity: int | None) -> None:
        """Places numbered at or above a smaller capacity move down to free numbers (so the
        numbers keep bounding the places held), then free places go to the waitlist."""
        occurrence = occurrence_name(key)
        async with self._hold(occurrence):
            if capacity is not None:
                await self._renumber_below(occurrence, capacity)
            await self._fill(key, capacity)

    async def _renumber_below(self, occurrence: str, capacity: int) -> None:
        documents = [d async for d in self._places.find({"occurrence": occurrence})]
        held = {d["n"] for d in documents}
        above = [d for d in documents if d["n"] >= capacity]
        free = iter(n for n in range(capacity) if n not in held)
        for document, n in zip(above, free, strict=False):
            moved = {**document, "_id": f"{occurrence}#{n}", "n": n}
            await self._places.delete_one({"_id": document["_id"]})
            try:
                await self._places.insert_one(moved)
            except DuplicateKeyError:  # taken meanwhile in another process: keep the old
                await self._places.insert_one(document)

    async def _claim_place(self, facts: OccurrenceFacts, member_id: UUID) -> int | None:
        """Insert the first free place number's document; None if every place is held."""
        return await self._claim_place_in(facts.key, facts.capacity, member_id, facts.slug)

    async def _claim_place_in(
        self, key: OccurrenceKey, capacity: int | None, member_id: UUID, slug: str
    ) -> int | None:
        occurrence = occurrence_name(key)
        held = {d["n"] async for d in self._places.find({"occurrence": occurrence}, {"n": 1})}
        if not places_left(len(held), capacity):
            return None
        for n in free_places(held, capacity):
            document = {
                "_id": f"{occurrence}#{n}",
                "n": n,
                **self._about(key, member_id, slug),
            }
            try:
                await self._places.insert_one(document)
                return n
            except DuplicateKeyError:
                if await self.holds_place(key, member_id):  # the same member, elsewhere
                    return None
        return None

    async def _join_waitlist(self, facts: OccurrenceFacts, member_id: UUID) -> None:
        occurrence = occurrence_name(facts.key)
        last = await self._waitlist.find_one(
            {"occurrence": occurrence}, {"seq": 1}, sort=[("seq", DESCENDING)]
        )
        seq = (last["seq"] if last else 0) + 1
        while True:
            document = {
                "_id": f"{occurrence}~{seq:010d}",
                "seq": seq,
                **self._about(facts.key, member_id, facts.slug),
            }
            try:
                await self._waitlist.insert_one(document)
                return
            except DuplicateKeyError:
                about = {"occurrence": occurrence, "member_id": str(member_id)}
                if await self._waitlist.count_documents(about, limit=1):
                    return  # the same member, in another process
                seq += 1  # someone arrived just before: after them

    async def _fill(self, key: OccurrenceKey, capacity: int | None) -> None:
        """Promote from the waitlist, first come first, while places are free."""
        occurrence = occurrence_name(key)
        async with self._hold(occurrence):
            while True:
                first = await self._waitlist.find_one(
                    {"occurrence": occurrence}, sort=[("seq", ASCENDING)]
                )
                if first is None:
                    return
                member_id = UUID(first["member_id"])
                if await self.holds_place(key, member_id):  # promoted in another process
                    await self._waitlist.delete_one({"_id": first["_id"]})
                    continue
                n = await self._claim_place_in(key, capacity, member_id, first["slug"])
                if n is None:
                    return
                await self._waitlist.delete_one({"_id": first["_id"]})
                promoted = WaitlistPromotedV1(
                    member_id=member_id,
                    session_id=key.session_id,
                    slug=first["slug"],
                    occurrence_start=key.occurrence_start,
                )
                await self._update_record(key, member_id, RegistrationState.REGISTERED, [promoted])

    @staticmethod
    def _about(key: OccurrenceKey, member_id: UUID, slug: str) -> dict[str, Any]:
        return {
            "occurrence": occurrence_name(key),
            "session_id": str(key.session_id),
            "occurrence_start": key.occurrence_start,
            "slug": slug,
            "member_id": str(member_id),
            "since": utc_now(),
        }

    @staticmethod
    def _registered(
        facts: OccurrenceFacts, member_id: UUID, status: RegistrationState, position: int | None
    ) -> RegisteredV1:
        return RegisteredV1(
            member_id=member_id,
            session_id=facts.key.session_id,
            slug=facts.slug,
            occurrence_start=facts.key.occurrence_start,
            status=status,
            position=position,
        )

    @staticmethod
    def _record_id(key: OccurrenceKey, member_id: UUID) -> str:
        return f"{occurrence_name(key)}|{member_id}"

    async def _record(
        self,
        facts: OccurrenceFacts,
        member_id: UUID,
        status: str,
        events: Sequence[EventPayload],
    ) -> None:
        """The member's record of the occurrence, with its events (created if new)."""
        doc_id = self._record_id(facts.key, member_id)
        if await self._update_record(facts.key, member_id, status, events):
            return
        document = {
            "_id": doc_id,
            "status": status,
            **self._about(facts.key, member_id, facts.slug),
        }
        try:
            await self._records.insert(document, events)
        except DuplicateKeyError:
            await self._update_record(facts.key, member_id, status, events)

    async def _update_record(
        self, key: OccurrenceKey, member_id: UUID, status: str, events: Sequence[EventPayload]
    ) -> bool:
        doc_id = self._record_id(key, member_id)
        return await self._records.update(doc_id, {"status": status, "since": utc_now()}, events)

    # --- Attendance ------------------------------------------------------------------------

    async def attendance(self, key: OccurrenceKey) -> AttendanceRecord | None:
        document = await self._attendance.collection.find_one({"_id": occurrence_name(key)})
        if document is None:
            return None
        attended = document.get("attended")
        return AttendanceRecord(
            frozenset(UUID(m) for m in attended) if attended is not None else None,
            document["count"],
        )

    async def record_attendance(
        self,
        facts: OccurrenceFacts,
        attended: Sequence[UUID] | None,
        count: int,
        by: UUID,
    ) -> PlaceCounts:
        """Replaces an earlier record (organisers correct mistakes); each time says so with
        the counts only (``SessionCompletedV1``)."""
        occurrence = occurrence_name(facts.key)
        async with self._hold(occurrence):
            counted = (await self.counts([facts.key])).get(facts.key, PlaceCounts())
            fields = {
                "session_id": str(facts.key.session_id),
                "occurrence_start": facts.key.occurrence_start,
                "attended": sorted({str(m) for m in attended}) if attended is not None else None,
                "count": count,
                "recorded_by": str(by),
                "recorded_at": utc_now(),
            }
            event = SessionCompletedV1(
                session_id=facts.key.session_id,
                slug=facts.slug,
                format=facts.format.value,
                occurrence_start=facts.key.occurrence_start,
                registered=counted.registered,
                waitlisted=counted.waitlisted,
                attended=count,
            )
            if not await self._attendance.update(occurrence, fields, [event]):
                try:
                    await self._attendance.insert({"_id": occurrence, **fields}, [event])
                except DuplicateKeyError:
                    await self._attendance.update(occurrence, fields, [event])
            return counted

    # --- Feedback --------------------------------------------------------------------------

    async def give_feedback(
        self, facts: OccurrenceFacts, member_id: UUID, rating: int, comment: str
    ) -> None:
        """Once per member and occurrence: the giver's claim (unique) first, then the
        feedback itself, which names nobody."""
        occurrence = occurrence_name(facts.key)
        feedback_id = str(uuid.uuid4())
        giver = {
            "_id": f"{occurrence}|{member_id}",
            "occurrence": occurrence,
            "session_id": str(facts.key.session_id),
            "occurrence_start": facts.key.occurrence_start,
            "member_id": str(member_id),
            "feedback_id": feedback_id,
            "given_at": utc_now(),
        }
        try:
            await self._givers.insert_one(giver)
        except DuplicateKeyError:
            raise FeedbackAlreadyGiven() from None
        document = {
            "_id": feedback_id,
            "occurrence": occurrence,
            "session_id": str(facts.key.session_id),
            "rating": rating,
            "comment": comment,
        }
        event = FeedbackGivenV1(
            session_id=facts.key.session_id,
            slug=facts.slug,
            format=facts.format.value,
            occurrence_start=facts.key.occurrence_start,
            rating=rating,
        )
        await self._feedback.insert(document, [event])

    async def feedback(
        self, session_id: UUID, key: OccurrenceKey | None
    ) -> tuple[list[int], list[str]]:
        query = (
            {"occurrence": occurrence_name(key)}
            if key is not None
            else {"session_id": str(session_id)}
        )
        ratings: list[int] = []
        comments: list[str] = []
        async for document in self._feedback.collection.find(query, {"rating": 1, "comment": 1}):
            ratings.append(document["rating"])
            comments.append(document.get("comment", ""))
        return ratings, comments

    # --- Erasure and export ----------------------------------------------------------------

    async def places_of(self, member_id: UUID) -> list[OccurrenceKey]:
        found = set()
        for claims in (self._places, self._waitlist):
            async for document in claims.find({"member_id": str(member_id)}):
                found.add(_key_of(document))
        return sorted(found)

    async def forget(self, member_id: UUID) -> None:
        """After the member's places are released: nothing left that names them. Their
        ratings stay, as anonymous counts; their comments go (a comment may identify)."""
        async for giver in self._givers.find({"member_id": str(member_id)}):
            await self._feedback.collection.update_one(
                {"_id": giver["feedback_id"]}, {"$set": {"comment": ""}}
            )
            await self._givers.delete_one({"_id": giver["_id"]})
        member = str(member_id)
        async for document in self._attendance.collection.find({"attended": member}):
            async with self._attendance.lock(document["_id"]):
                current = await self._attendance.collection.find_one({"_id": document["_id"]})
                if current is not None and current.get("attended") is not None:
                    left = [m for m in current["attended"] if m != member]
                    await self._attendance.collection.update_one(
                        {"_id": document["_id"]}, {"$set": {"attended": left}}
                    )
        for claims in (self._places, self._waitlist):
            await claims.delete_many({"member_id": member})
        await self._records.collection.delete_many({"member_id": member})

    async def export(self, member_id: UUID) -> dict[str, Any]:
        member = str(member_id)
        registrations = []
        for key, state in await self.of_member(member_id):
            registrations.append(
                {
                    "session_id": str(key.session_id),
                    "occurrence_start": key.occurrence_start.isoformat(),
                    **state.model_dump(mode="json", exclude_none=True),
                }
            )
        history = [
            {
                "session_id": d["session_id"],
                "occurrence_start": d["occurrence_start"].isoformat(),
                "status": d["status"],
            }
            async for d in self._records.collection.find({"member_id": member})
        ]
        attended = [
            {"session_id": d["session_id"], "occurrence_start": d["occurrence_start"].isoformat()}
            async for d in self._attendance.collection.find({"attended": member})
        ]
        feedback = []
        async for giver in self._givers.find({"member_id": member}):
            given = await self._feedback.collection.find_one({"_id": giver["feedback_id"]})
            feedback.append(
                {
                    "session_id": giver["session_id"],
                    "occurrence_start": giver["occurrence_start"].isoformat(),
                    "rating": given["rating"] if given else None,
                    "comment": given.get("comment", "") if given else "",
                }
            )
        return {
            "registrations": registrations,
            "registration_history": history,
            "attended": attended,
            "feedback": feedback,
        }
