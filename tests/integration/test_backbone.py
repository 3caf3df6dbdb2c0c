"""The event backbone's guarantees, against real NATS JetStream and a MongoDB-protocol server."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import nats
import pytest
from faststream.nats import NatsBroker
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1, MemberType, OrganisationKind
from huddle_shared.contracts.streams import DEAD_LETTERS, dead_letter_subject
from huddle_shared.messaging import dead_letter
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.topology import ensure_streams
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from huddle_shared.storage.idempotency import apply_once
from huddle_shared.storage.outbox import OutboxRelay, stage
from pymongo import AsyncMongoClient
from support import eventually

MEMBERSHIP = MEMBERSHIP_SERVICE.stream

pytestmark = pytest.mark.integration

FAST_RETRIES = dead_letter.RetryPolicy(max_deliveries=3, backoff_seconds=(0.05, 0.1))


def registration_envelope(name: str = "Farah Williams") -> EventEnvelope:
    event = MemberRegisteredV1(
        member_id=uuid4(),
        display_name=name,
        member_type=MemberType.STAFF,
        organisation_id=uuid4(),
        organisation_kind=OrganisationKind.NHS_TRUST,
        region=None,
        registered_at=datetime.now(UTC),
    )
    return EventEnvelope.wrap(event, instance_id="test")


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url, service="backbone-test", retry=FAST_RETRIES)
    connection = await broker.connect()
    await ensure_streams(connection.jetstream())
    yield broker
    await broker.stop()


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[Any]:
    client = await nats.connect(nats_url)
    yield client.jetstream()
    await client.close()


@pytest.fixture
async def collection(mongodb_url: str, db_prefix: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
    yield client[db_prefix]["aggregates"]
    await client.close()


async def publish(broker: NatsBroker, envelope: EventEnvelope) -> None:
    await JetStreamEventPublisher(broker).publish(
        envelope.subject,
        envelope.model_dump_json().encode(),
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
    )


async def stream_count(js: Any, name: str) -> int:
    return int((await js.stream_info(name)).state.messages)


async def test_a_duplicate_publish_is_stored_once(broker: NatsBroker, js: Any) -> None:
    envelope = registration_envelope()
    await publish(broker, envelope)
    await publish(broker, envelope)
    assert await stream_count(js, MEMBERSHIP.name) == 1


class FailingPublisher:
    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        raise ConnectionError("NATS is down")


async def test_events_left_in_an_outbox_by_a_crash_are_relayed_once(
    broker: NatsBroker, js: Any, collection: Any
) -> None:
    entries = stage([registration_envelope(), registration_envelope("Gareth Nowak")])
    await collection.insert_one({"_id": "a1", "state": "changed", "outbox": entries})

    # The publish right after the write fails (the process "dies" before publishing)...
    await OutboxRelay(FailingPublisher(), [collection]).publish(collection, "a1", entries)
    assert len((await collection.find_one({"_id": "a1"}))["outbox"]) == 2
    assert await stream_count(js, MEMBERSHIP.name) == 0

    # ...and the relay of the restarted process publishes what was left, exactly once.
    relay = OutboxRelay(JetStreamEventPublisher(broker), [collection])
    assert await relay.relay_pending(include_recent=True) == 2
    assert (await collection.find_one({"_id": "a1"}))["outbox"] == []
    assert await relay.relay_pending(include_recent=True) == 0
    assert await stream_count(js, MEMBERSHIP.name) == 2


async def test_the_relay_leaves_fresh_entries_to_the_writer(
    broker: NatsBroker, collection: Any
) -> None:
    await collection.insert_one({"_id": "a2", "outbox": stage([registration_envelope()])})
    relay = OutboxRelay(JetStreamEventPublisher(broker), [collection])
    assert await relay.relay_pending() == 0  # within the grace period


async def test_an_event_is_applied_once_even_when_delivered_many_times(collection: Any) -> None:
    update = {"$inc": {"count": 1}}
    assert await apply_once(collection, "p1", "event-1", update) is True
    assert await apply_once(collection, "p1", "event-1", update) is False
    results = await asyncio.gather(
        *(apply_once(collection, "p1", "event-2", update) for _ in range(8))
    )
    assert results.count(True) == 1
    document = await collection.find_one({"_id": "p1"})
    assert document["count"] == 2
    assert sorted(document["applied_event_ids"]) == ["event-1", "event-2"]


async def test_concurrent_first_deliveries_create_one_document(collection: Any) -> None:
    results = await asyncio.gather(
        *(apply_once(collection, "p2", "event-1", {"$inc": {"count": 1}}) for _ in range(8))
    )
    assert results.count(True) == 1
    assert (await collection.find_one({"_id": "p2"}))["count"] == 1


async def consume_with(broker: NatsBroker, durable: str, handler: Any) -> None:
    dispatcher = EventDispatcher()
    dispatcher.on(MemberRegisteredV1, handler)
    subscribe_events(
        broker, stream=MEMBERSHIP, durable=durable, dispatcher=dispatcher, description="test"
    )
    await broker.start()


async def test_a_failed_handler_is_redelivered_until_it_succeeds(broker: NatsBroker) -> None:
    attempts: list[str] = []
    handled: list[str] = []

    async def flaky(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        attempts.append(event.display_name)
        if len(attempts) < 2:
            raise RuntimeError("database briefly unavailable")
        handled.append(event.display_name)

    await consume_with(broker, "test-flaky", flaky)
    await publish(broker, registration_envelope("Hannah Hughes"))
    await eventually(lambda: _truthy(handled))
    assert attempts == ["Hannah Hughes", "Hannah Hughes"]


async def _truthy(value: Any) -> Any:
    return value


async def test_a_poison_message_is_dead_lettered_with_its_reason_and_does_not_block(
    broker: NatsBroker, js: Any
) -> None:
    handled: list[str] = []

    async def handler(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        handled.append(event.display_name)

    await consume_with(broker, "test-poison", handler)
    subject = "events.membership.member.registered.v1"  # poison, on a subject of the stream
    await js.publish(subject, b"{this is not json", headers={"Nats-Msg-Id": "poison-1"})
    await publish(broker, registration_envelope("Imran Patel"))

    await eventually(lambda: _truthy(handled))
    assert handled == ["Imran Patel"]
    letter = await eventually(
        lambda: _last(js, DEAD_LETTERS.name, dead_letter_subject("test-poison", subject))
    )
    assert letter.data == b"{this is not json"
    assert letter.headers[dead_letter.ORIGINAL_SUBJECT_HEADER] == subject
    assert letter.headers[dead_letter.CONSUMER_HEADER] == "test-poison"
    assert letter.headers[dead_letter.DELIVERIES_HEADER] == "1"  # not worth retrying
    assert (
        "EventEnvelope" in letter.headers[dead_letter.REASON_HEADER]
        or "JSON" in letter.headers[dead_letter.REASON_HEADER]
    )


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_bounded_tries(
    broker: NatsBroker, js: Any
) -> None:
    attempts: list[str] = []

    async def broken(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        attempts.append(event.display_name)
        if event.display_name == "Jess Okafor":
            raise RuntimeError("a bug in this handler")

    await consume_with(broker, "test-broken", broken)
    envelope = registration_envelope("Jess Okafor")
    await publish(broker, envelope)
    letter = await eventually(
        lambda: _last(js, DEAD_LETTERS.name, dead_letter_subject("test-broken", envelope.subject))
    )
    assert attempts.count("Jess Okafor") == FAST_RETRIES.max_deliveries
    assert letter.headers[dead_letter.DELIVERIES_HEADER] == str(FAST_RETRIES.max_deliveries)
    assert "a bug in this handler" in letter.headers[dead_letter.REASON_HEADER]
    assert json.loads(letter.data)["event_id"] == str(envelope.event_id)  # nothing lost

    # The consumer keeps flowing after giving up on one message.
    await publish(broker, registration_envelope("Ben Campbell"))
    await eventually(lambda: _truthy("Ben Campbell" in attempts))


async def _last(js: Any, stream: str, subject: str) -> Any:
    try:
        return await js.get_last_msg(stream, subject)
    except nats.js.errors.NotFoundError:
        return None


async def test_different_events_racing_to_create_a_document_are_all_applied(
    collection: Any,
) -> None:
    await asyncio.gather(
        *(apply_once(collection, "p3", f"event-{n}", {"$inc": {"count": 1}}) for n in range(8))
    )
    document = await collection.find_one({"_id": "p3"})
    assert document["count"] == 8
    assert len(document["applied_event_ids"]) == 8


async def test_a_message_is_kept_when_its_dead_letter_cannot_be_stored(
    broker: NatsBroker, js: Any
) -> None:
    async def handler(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        raise AssertionError("not reached: the payload is poison")

    await consume_with(broker, "test-no-dead-letters", handler)
    await js.delete_stream(DEAD_LETTERS.name)  # the dead-letter stream is missing
    subject = "events.membership.member.registered.v1"
    await js.publish(subject, b"poison", headers={"Nats-Msg-Id": "poison-2"})

    async def redelivered() -> bool:
        info = await js.consumer_info(MEMBERSHIP.name, "test-no-dead-letters")
        return bool(info.num_redelivered or info.num_pending or info.num_ack_pending)

    await eventually(redelivered)
    await ensure_streams(js)  # the operator restores it; the message arrives there
    letter = await eventually(
        lambda: _last(js, DEAD_LETTERS.name, dead_letter_subject("test-no-dead-letters", subject))
    )
    assert letter.data == b"poison"
