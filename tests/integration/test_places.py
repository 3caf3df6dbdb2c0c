"""Places and waitlists on the real database (FerretDB, or MongoDB with ``MONGODB_URL``):
the registrations repository against the ``Occurrences`` port, given facts directly.

The unique keys decide every race (decision 0035): here 200 concurrent registrations for
100 places, and two repositories on one database standing in for two processes.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey, PlaceCounts
from huddle_scheduling.registrations.domain import FeedbackAlreadyGiven
from huddle_scheduling.registrations.repository import PLACES, WAITLIST, Registrations
from huddle_shared.contracts.sessions import RegistrationState, SessionFormat
from huddle_shared.storage.locks import KeyedLocks
from huddle_shared.storage.mongo import create_client
from huddle_shared.storage.outbox import OutboxRelay

pytestmark = pytest.mark.integration

REGISTERED = RegistrationState.REGISTERED
WAITLISTED = RegistrationState.WAITLISTED


class Published:
    """Stands in for JetStream: what the outboxes published, by event type."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        self.events.append((event_type, json.loads(data)["payload"]))

    async def dead_letter(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing should be dead-lettered")

    def of(self, event_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == event_type]


def occurrence(capacity: int | None = 100, **changes: Any) -> OccurrenceFacts:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    facts = OccurrenceFacts(
        key=OccurrenceKey(uuid.uuid4(), start),
        slug="psmn",
        open_to_networks=(),
        title="Friday huddle",
        format=SessionFormat.DISCUSSION,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone="Europe/London",
        capacity=capacity,
        registration=True,
        cancelled=False,
        joining_link=None,
    )
    return replace(facts, **changes)


@pytest.fixture
async def database(mongodb_url: str, db_prefix: str) -> AsyncIterator[Any]:
    client = create_client(mongodb_url, app_name="huddle-test")
    yield client[f"{db_prefix}_scheduling"]
    await client.drop_database(f"{db_prefix}_scheduling")
    await client.close()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
async def registrations(database: Any, published: Published) -> Registrations:
    store = Registrations(database, OutboxRelay(published, []), "test-instance")
    await store.create_indexes()
    return store


async def test_200_at_once_for_100_places_100_registered_100_waitlisted_in_order(
    registrations: Registrations, published: Published
) -> None:
    facts = occurrence(capacity=100)
    members = [uuid.uuid4() for _ in range(200)]
    answers = await asyncio.gather(*(registrations.register(facts, m) for m in members))

    registered = [m for m, a in zip(members, answers, strict=True) if a.status == REGISTERED]
    waiting = {a.position: m for m, a in zip(members, answers, strict=True) if a.position}
    assert len(registered) == 100
    assert sorted(waiting) == list(range(1, 101))  # every position once: arrival order
    assert set(await registrations.registered_members(facts.key)) == set(registered)
    in_order = await registrations.waitlisted_members(facts.key)
    assert in_order == [waiting[n] for n in range(1, 101)]
    assert await registrations.counts([facts.key]) == {facts.key: PlaceCounts(100, 100)}
    assert len(published.of("session.registered")) == 200

    # Registering again: the same answer, no second place.
    again = await asyncio.gather(*(registrations.register(facts, m) for m in members))
    assert again == answers
    assert await registrations.counts([facts.key]) == {facts.key: PlaceCounts(100, 100)}
    assert len(published.of("session.registered")) == 200

    # Cancelling 10 places promotes exactly the next 10, first come first.
    await asyncio.gather(*(registrations.cancel(facts, m) for m in registered[:10]))
    promoted = [e["member_id"] for e in published.of("session.waitlist_promoted")]
    assert sorted(promoted) == sorted(str(waiting[n]) for n in range(1, 11))
    assert await registrations.waitlisted_members(facts.key) == in_order[10:]
    assert await registrations.counts([facts.key]) == {facts.key: PlaceCounts(100, 90)}
    first_left = await registrations.state_of(facts.key, waiting[11])
    assert first_left is not None and first_left.position == 1
    assert len(published.of("session.registration_cancelled")) == 10


async def test_two_processes_never_overbook_nor_give_anyone_two_places(
    database: Any, registrations: Registrations, published: Published
) -> None:
    """Two repositories on one database, the second with its own locks as another process
    would have: their locks do not see each other, so only the unique keys stand between
    them."""
    other = Registrations(database, OutboxRelay(published, []), "test-instance")
    own_locks = KeyedLocks()  # another process's: not the module's ``document_locks``
    other._hold = lambda occurrence: own_locks.hold((database.name, PLACES, occurrence))  # type: ignore[method-assign]
    facts = occurrence(capacity=20)
    members = [uuid.uuid4() for _ in range(60)]
    stores = [registrations, other]
    # Every member asks both "processes" at once.
    await asyncio.gather(
        *(store.register(facts, m) for m in members for store in stores),
    )
    held = [d async for d in database[PLACES].find({"occurrence": {"$exists": True}})]
    waiting = [d async for d in database[WAITLIST].find({})]
    holders = [d["member_id"] for d in held]
    assert len(holders) == 20 == len(set(holders))
    assert {d["n"] for d in held} == set(range(20))
    assert len(waiting) == 40 == len({d["member_id"] for d in waiting})
    assert not set(holders) & {d["member_id"] for d in waiting}

    # Both release at once: still never more than the capacity, nobody in both lists.
    leaving = [uuid.UUID(m) for m in holders[:5]]
    await asyncio.gather(*(store.cancel(facts, m) for m in leaving for store in stores))
    held = [d["member_id"] async for d in database[PLACES].find({})]
    waiting_now = [d["member_id"] async for d in database[WAITLIST].find({})]
    assert len(held) == 20 == len(set(held))
    assert len(waiting_now) == 35
    assert not set(held) & set(waiting_now)


async def test_a_larger_capacity_promotes_first_come_first(
    registrations: Registrations, published: Published
) -> None:
    facts = occurrence(capacity=2)
    members = [uuid.uuid4() for _ in range(5)]
    for member in members:  # one at a time: arrival order is the list's
        await registrations.register(facts, member)
    assert await registrations.waitlisted_members(facts.key) == members[2:]
    await registrations.capacity_changed(facts.key, 4)
    assert await registrations.registered_members(facts.key) == members[:4]
    assert await registrations.waitlisted_members(facts.key) == members[4:]
    assert [e["member_id"] for e in published.of("session.waitlist_promoted")] == [
        str(m) for m in members[2:4]
    ]
    await registrations.capacity_changed(facts.key, None)  # no limit: everyone
    assert await registrations.registered_members(facts.key) == members
    assert await registrations.states_of(members[4], [facts.key]) == {facts.key: REGISTERED}


async def test_a_smaller_capacity_renumbers_places_so_none_frees_beyond_it(
    database: Any, registrations: Registrations
) -> None:
    facts = occurrence(capacity=6)
    members = [uuid.uuid4() for _ in range(6)]
    for member in members:
        await registrations.register(facts, member)
    for member in members[:3]:  # places 0, 1, 2 free; 3, 4, 5 held
        await registrations.cancel(facts, member)
    await registrations.capacity_changed(facts.key, 3)
    numbers = sorted([d["n"] async for d in database[PLACES].find({})])
    assert numbers == [0, 1, 2]
    smaller = replace(facts, capacity=3)
    late = await registrations.register(smaller, uuid.uuid4())
    assert late.status == WAITLISTED and late.position == 1


async def test_feedback_once_and_erasure_leaves_only_anonymous_ratings(
    database: Any, registrations: Registrations, published: Published
) -> None:
    facts = occurrence(capacity=None)
    member, other = uuid.uuid4(), uuid.uuid4()
    for person in (member, other):
        await registrations.register(facts, person)
    await registrations.give_feedback(facts, member, 4, "Useful, thank you")
    with pytest.raises(FeedbackAlreadyGiven):
        await registrations.give_feedback(facts, member, 1, "changed my mind")
    assert await registrations.feedback(facts.key.session_id, facts.key) == (
        [4],
        ["Useful, thank you"],
    )
    await registrations.record_attendance(facts, [member, other], 2, uuid.uuid4())
    assert published.of("session.feedback_given")[0]["rating"] == 4
    assert "comment" not in published.of("session.feedback_given")[0]
    assert "member_id" not in published.of("session.feedback_given")[0]

    exported = await registrations.export(member)
    assert exported["feedback"][0]["comment"] == "Useful, thank you"
    assert exported["registrations"][0]["status"] == "registered"

    await registrations.forget(member)
    assert await registrations.feedback(facts.key.session_id, None) == ([4], [""])
    assert await registrations.registered_members(facts.key) == [other]
    everything = [
        document
        for name in await database.list_collection_names()
        async for document in database[name].find({})
    ]
    assert str(member) not in repr(everything)
    assert (await registrations.attendance(facts.key)).count == 2  # type: ignore[union-attr]
