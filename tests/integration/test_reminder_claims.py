"""Reminders against real FerretDB and NATS: exactly one ``session.reminder_due`` per member,
occurrence and offset, however many sweepers race, and none lost when a process dies
between claiming a reminder and publishing it.

Sessions and places are the other areas' (``huddle_scheduling.ports``): here a list of
occurrences and who holds a place, as those areas would answer.
"""

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from huddle_scheduling.calendar.handlers import ReminderSweeper
from huddle_scheduling.calendar.repository import REMINDERS_SENT, SentReminders
from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.registrations import ReminderDueV1
from huddle_shared.contracts.sessions import SessionFormat
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.services import SCHEDULING
from huddle_shared.storage.outbox import OUTBOX_FIELD, OutboxRelay
from pymongo import AsyncMongoClient
from support import as_devkit, connect_nats, eventually

pytestmark = pytest.mark.integration

START = datetime(2027, 3, 26, 13, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(hours=24)


def facts(starts_at: datetime, *, cancelled: bool = False) -> OccurrenceFacts:
    return OccurrenceFacts(
        key=OccurrenceKey(uuid4(), starts_at),
        slug="psmn",
        open_to_networks=(),
        title="Friday huddle",
        format=SessionFormat.DISCUSSION,
        starts_at=starts_at,
        ends_at=starts_at + HOUR,
        time_zone="Europe/London",
        capacity=None,
        registration=True,
        cancelled=cancelled,
        joining_link=None,
    )


@dataclass
class Schedule:
    """What the sessions and registrations areas answer: occurrences and their places."""

    places: dict[OccurrenceKey, list[UUID]] = field(default_factory=dict)
    occurrences: list[OccurrenceFacts] = field(default_factory=list)

    def add(self, occurrence: OccurrenceFacts, members: int) -> OccurrenceFacts:
        self.occurrences.append(occurrence)
        self.places[occurrence.key] = [uuid4() for _ in range(members)]
        return occurrence

    async def starting_between(self, start: datetime, end: datetime) -> list[OccurrenceFacts]:
        await asyncio.sleep(0)  # as a database read would, let the other sweeper run
        return [o for o in self.occurrences if start <= o.starts_at < end]

    async def find(self, session_id: UUID, occurrence_start: datetime | None) -> OccurrenceFacts:
        raise NotImplementedError

    async def registered_members(self, key: OccurrenceKey) -> list[UUID]:
        await asyncio.sleep(0)
        return list(self.places.get(key, []))

    async def counts(self, keys: Sequence[OccurrenceKey]) -> dict[Any, Any]:
        raise NotImplementedError

    async def states_of(self, member_id: UUID, keys: Sequence[OccurrenceKey]) -> dict[Any, Any]:
        raise NotImplementedError

    async def capacity_changed(self, key: OccurrenceKey, capacity: int | None) -> None:
        raise NotImplementedError


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Replica:
    """One scheduling process's part in reminders: its own NATS connection, database
    client, outbox relay and sweeper, over the one database."""

    def __init__(self, nats_url: str, mongodb_url: str, database: str, schedule: Schedule):
        self.broker = create_broker(nats_url, service="scheduling", **as_devkit())
        self.client: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
        self.publisher: Any = JetStreamEventPublisher(self.broker)
        self.relay = OutboxRelay(self, [])  # publishes through ``self.publish``
        self.reminders = SentReminders(self.client[database], self.relay, "test-instance")
        self.clock = Clock(START - 2 * DAY)
        self.sweeper = ReminderSweeper(
            schedule, schedule, self.reminders, (DAY, HOUR), interval=0.05, clock=self.clock
        )

    async def publish(self, subject: str, data: bytes, **kwargs: Any) -> None:
        await self.publisher.publish(subject, data, **kwargs)

    async def dead_letter(self, source: str, data: bytes, **kwargs: Any) -> None:
        await self.publisher.dead_letter(source, data, **kwargs)

    async def start(self) -> None:
        await self.broker.connect()
        await self.reminders.create_indexes()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.client.close()


class DeadPublisher:
    """The process dies right after the claim: nothing it stages reaches NATS."""

    async def publish(self, subject: str, data: bytes, **kwargs: Any) -> None:
        raise ConnectionError("the process died")

    async def dead_letter(self, source: str, data: bytes, **kwargs: Any) -> None:
        raise ConnectionError("the process died")


@pytest.fixture
def schedule() -> Schedule:
    return Schedule()


@pytest.fixture
async def replicas(
    nats_url: str, mongodb_url: str, db_prefix: str, schedule: Schedule
) -> AsyncIterator[tuple[Replica, Replica]]:
    one, two = (Replica(nats_url, mongodb_url, f"{db_prefix}_scheduling", schedule) for _ in "12")
    for replica in (one, two):
        await replica.start()
    yield one, two
    for replica in (one, two):
        await replica.stop()


async def reminders_in_stream(nats_url: str) -> list[dict[str, Any]]:
    connection = await connect_nats(nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.pull_subscribe(
            ReminderDueV1.subject_filter(), stream=SCHEDULING.stream.name
        )
        remaining = (await subscription.consumer_info()).num_pending
        payloads = []
        while remaining > 0:
            for message in await subscription.fetch(batch=min(remaining, 500), timeout=5):
                payloads.append(EventEnvelope.model_validate_json(message.data).payload)
                await message.ack()
                remaining -= 1
        return payloads
    finally:
        await connection.close()


def names(payloads: list[dict[str, Any]]) -> list[tuple[str, str, str, int]]:
    return sorted(
        (p["session_id"], p["occurrence_start"], p["member_id"], p["offset_minutes"])
        for p in payloads
    )


def expected(schedule: Schedule, occurrences: list[OccurrenceFacts], offsets: list[int]) -> list:
    return sorted(
        (
            str(o.key.session_id),
            o.key.occurrence_start.isoformat().replace("+00:00", "Z"),
            str(member),
            minutes,
        )
        for o in occurrences
        for member in schedule.places[o.key]
        for minutes in offsets
    )


async def test_two_sweepers_racing_emit_each_reminder_once(
    replicas: tuple[Replica, Replica], schedule: Schedule, nats_url: str
) -> None:
    one, two = replicas
    soon = [schedule.add(facts(START + timedelta(minutes=10 * n)), members=15) for n in range(4)]
    later = schedule.add(facts(START + 3 * DAY), members=5)  # nothing due yet
    cancelled = schedule.add(facts(START, cancelled=True), members=5)
    emitted = []
    # The day-before moment, then the hour-before one: both replicas sweep at once, twice.
    for now in (START - DAY + timedelta(minutes=40), START - timedelta(minutes=20)):
        for replica in (one, two):
            replica.clock.now = now
        for _ in range(2):
            emitted.extend(await asyncio.gather(one.sweeper.sweep(), two.sweeper.sweep()))

    want = expected(schedule, soon, [24 * 60, 60])
    assert sum(emitted) == len(want) == 4 * 15 * 2
    got = await eventually(lambda: _at_least(nats_url, len(want)), timeout=15)
    assert names(got) == want  # exactly once each: no duplicate, none missing
    assert {p["session_id"] for p in got}.isdisjoint(
        {str(later.key.session_id), str(cancelled.key.session_id)}
    )


async def _at_least(nats_url: str, count: int) -> list[dict[str, Any]] | None:
    payloads = await reminders_in_stream(nats_url)
    return payloads if len(payloads) >= count else None


async def test_a_sweep_after_a_missed_moment_emits_late_and_none_after_the_start(
    replicas: tuple[Replica, Replica], schedule: Schedule, nats_url: str
) -> None:
    one, _ = replicas
    missed = schedule.add(facts(START), members=3)
    started = schedule.add(facts(START - timedelta(minutes=35)), members=3)
    # The service was down from two days before until 30 minutes before ``missed`` starts:
    # both its reminders go out now, the day-before one late; ``started`` gets none.
    one.clock.now = START - timedelta(minutes=30)
    assert await one.sweeper.sweep() == 6
    one.clock.now = START + timedelta(minutes=1)
    assert await one.sweeper.sweep() == 0
    got = await eventually(lambda: _at_least(nats_url, 6), timeout=15)
    assert names(got) == expected(schedule, [missed], [24 * 60, 60])
    assert str(started.key.session_id) not in {p["session_id"] for p in got}
    await asyncio.sleep(0.5)
    assert len(await reminders_in_stream(nats_url)) == 6


async def test_a_claim_whose_process_died_before_publishing_is_published_by_the_relay(
    replicas: tuple[Replica, Replica], schedule: Schedule, nats_url: str
) -> None:
    one, two = replicas
    occurrence = schedule.add(facts(START), members=4)
    one.publisher = DeadPublisher()
    one.clock.now = two.clock.now = START - timedelta(minutes=30)
    assert await one.sweeper.sweep() == 8  # claimed, staged, never published
    assert await two.sweeper.sweep() == 0  # the other replica sees them claimed
    collection = one.client[one.reminders._collection.database.name][REMINDERS_SENT]
    assert await collection.count_documents({f"{OUTBOX_FIELD}.0": {"$exists": True}}) == 8
    assert await reminders_in_stream(nats_url) == []
    # Another replica's relay (or this one's after a restart) finds the stranded events.
    assert await two.relay.relay_pending(include_recent=True) == 8
    got = await eventually(lambda: _at_least(nats_url, 8), timeout=15)
    assert names(got) == expected(schedule, [occurrence], [24 * 60, 60])
    assert await two.relay.relay_pending(include_recent=True) == 0
