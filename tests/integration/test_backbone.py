"""The event backbone's guarantees, against real NATS JetStream and a MongoDB-protocol server."""

import asyncio
import json
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import nats
import pytest
from faststream.nats import NatsBroker
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
)
from huddle_shared.contracts.networks import NetworkMemberJoinedV1, NetworkMemberLeftV1, Role
from huddle_shared.contracts.streams import (
    DEAD_LETTERS,
    DUPLICATE_WINDOW_SECONDS,
    dead_letter_subject,
)
from huddle_shared.messaging import dead_letter
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.topology import ensure_streams
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.idempotency import apply_in_order, apply_once
from huddle_shared.storage.outbox import (
    OUTBOX_DEAD_LETTERS,
    OUTBOX_SINCE_FIELD,
    OutboxRelay,
)
from pymongo import AsyncMongoClient
from pymongo.errors import ServerSelectionTimeoutError
from support import as_devkit, connect_nats, eventually, services

MEMBERSHIP = MEMBERSHIP_SERVICE.stream

pytestmark = pytest.mark.integration

FAST_RETRIES = dead_letter.RetryPolicy(
    max_deliveries=3,
    backoff_seconds=(0.05, 0.1),
    outage_backoff_seconds=(0.02, 0.05),
    refused_delay_seconds=0.2,
    handler_timeout_seconds=1.0,
)


def registration(name: str = "Farah Williams", member_id: UUID | None = None) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        member_id=member_id or uuid4(),
        display_name=name,
        member_type=MemberType.STAFF,
        organisation_id=uuid4(),
        organisation_kind=OrganisationKind.NHS_TRUST,
        region=None,
        registered_at=datetime.now(UTC),
    )


def registration_envelope(name: str = "Farah Williams") -> EventEnvelope:
    return EventEnvelope.wrap(registration(name), instance_id="test")


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url, service="backbone-test", **as_devkit(), retry=FAST_RETRIES)
    connection = await broker.connect()
    await ensure_streams(connection.jetstream())
    yield broker
    await broker.stop()


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[Any]:
    client = await connect_nats(nats_url)
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
    """NATS refuses every publish (and every dead letter)."""

    def __init__(self) -> None:
        self.calls = 0

    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        self.calls += 1
        raise ConnectionError("NATS is down")

    async def dead_letter(self, source: str, data: bytes, **_: Any) -> None:
        raise ConnectionError("NATS is down")


class RecordingPublisher:
    """The real publisher, counting every publish call (JetStream's de-duplication would
    hide a second publish of the same event in the stream's count)."""

    def __init__(self, broker: NatsBroker, *, fail_first: int = 0) -> None:
        self._real = JetStreamEventPublisher(broker)
        self._fail_first = fail_first
        self.published: list[str] = []

    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        if self._fail_first:
            self._fail_first -= 1
            raise ConnectionError("NATS is briefly unavailable")
        await self._real.publish(subject, data, event_id=event_id, event_type=event_type)
        self.published.append(event_id)

    async def dead_letter(self, source: str, data: bytes, **kwargs: Any) -> None:
        await self._real.dead_letter(source, data, **kwargs)


async def stream_events(js: Any, stream: str) -> list[dict[str, Any]]:
    """Every envelope in ``stream``, in stream order."""
    count = await stream_count(js, stream)
    return [json.loads((await js.get_msg(stream, seq)).data) for seq in range(1, count + 1)]


def joined(slug: str, member_id: UUID) -> NetworkMemberJoinedV1:
    return NetworkMemberJoinedV1(slug=slug, member_id=member_id, role=Role.MEMBER)


async def test_events_left_in_an_outbox_are_relayed_once_and_in_order(
    broker: NatsBroker, js: Any, collection: Any
) -> None:
    # The write succeeds; the publish right after it does not (NATS unreachable).
    store = AggregateStore(collection, OutboxRelay(FailingPublisher(), []), "test")
    first, second = registration("Farah Williams"), registration("Gareth Nowak")
    await store.insert({"_id": "a1", "state": "new"}, [first, second])
    await store.update("a1", {"state": "changed"}, [registration("Hannah Hughes")])
    document = await collection.find_one({"_id": "a1"})
    assert [e["sequence"] for e in document["outbox"]] == ["1", "2", "3"]
    assert document[OUTBOX_SINCE_FIELD] is not None
    assert await stream_count(js, MEMBERSHIP.name) == 0

    # The relay of a restarted process publishes each entry exactly once, oldest first.
    recording = RecordingPublisher(broker)
    relay = OutboxRelay(recording, [collection])
    assert await relay.relay_pending(include_recent=True) == 3
    assert await relay.relay_pending(include_recent=True) == 0
    assert len(recording.published) == 3  # not re-published (the stream would hide that)
    names = [e["payload"]["display_name"] for e in await stream_events(js, MEMBERSHIP.name)]
    assert names == ["Farah Williams", "Gareth Nowak", "Hannah Hughes"]
    assert [e["sequence"] for e in await stream_events(js, MEMBERSHIP.name)] == [1, 2, 3]
    document = await collection.find_one({"_id": "a1"})
    assert document["outbox"] == [] and OUTBOX_SINCE_FIELD not in document


async def test_the_relay_leaves_fresh_entries_to_the_writer(
    broker: NatsBroker, collection: Any
) -> None:
    store = AggregateStore(collection, OutboxRelay(FailingPublisher(), []), "test")
    await store.insert({"_id": "a2"}, [registration()])
    relay = OutboxRelay(JetStreamEventPublisher(broker), [collection])
    assert await relay.relay_pending() == 0  # within the grace period
    relay = OutboxRelay(JetStreamEventPublisher(broker), [collection], grace=timedelta(0))
    assert await relay.relay_pending() == 1  # found through outbox_since once it is due
    indexes = await collection.index_information()
    assert any(spec["key"] == [(OUTBOX_SINCE_FIELD, 1)] for spec in indexes.values())


async def test_later_events_of_a_document_wait_behind_one_whose_publish_failed(
    broker: NatsBroker, js: Any, collection: Any
) -> None:
    """The probe from the issue: a join whose publish failed, then a leave."""
    member_id = uuid4()
    recording = RecordingPublisher(broker, fail_first=1)
    store = AggregateStore(collection, OutboxRelay(recording, []), "test")
    await store.insert({"_id": "m1", "status": "active"}, [joined("natssips", member_id)])
    assert recording.published == []  # the join's publish failed; it waits in the outbox
    await store.update(
        "m1", {"status": "left"}, [NetworkMemberLeftV1(slug="natssips", member_id=member_id)]
    )

    events = await stream_events(js, MEMBERSHIP.name)
    assert [e["event_type"] for e in events] == ["network.member_joined", "network.member_left"]
    assert [e["sequence"] for e in events] == [1, 2]
    assert {e["aggregate_id"] for e in events} == {"aggregates/m1"}

    # A roster fed from the stream ends as membership's state: not active.
    roster = NetworkRoster(collection.database)
    dispatcher = EventDispatcher()
    roster.subscribe(dispatcher)
    subscribe_events(
        broker, stream=MEMBERSHIP, durable="test-roster", dispatcher=dispatcher, description="t"
    )
    await broker.start()

    async def settled() -> bool:
        info = await js.consumer_info(MEMBERSHIP.name, "test-roster")
        return bool(info.delivered.stream_seq == 2 and not info.num_ack_pending)

    await eventually(settled)
    assert await roster.role_of("natssips", member_id) is None


CRASH_BETWEEN_WRITE_AND_PUBLISH = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from datetime import UTC, datetime
    from uuid import UUID, uuid4
    from huddle_shared.contracts.membership import (
        MemberProfileUpdatedV1, MemberRegisteredV1, MemberType, OrganisationKind,
    )
    from huddle_shared.storage.aggregates import AggregateStore
    from huddle_shared.storage.mongo import create_client
    from huddle_shared.storage.outbox import OutboxRelay

    class DieOnPublish:
        async def publish(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)  # after the state write, before the publish

    async def main(url, database, member_id):
        client = create_client(url, app_name="crash-test")
        store = AggregateStore(client[database]["members"], OutboxRelay(DieOnPublish(), []), "t")
        registered = MemberRegisteredV1(
            member_id=member_id, display_name="Farah Williams", member_type=MemberType.STAFF,
            organisation_id=uuid4(), organisation_kind=OrganisationKind.NHS_TRUST, region=None,
            registered_at=datetime.now(UTC),
        )
        renamed = MemberProfileUpdatedV1(
            member_id=member_id, display_name="Farah Okafor", member_type=MemberType.STAFF
        )
        document = {"_id": str(member_id), "email_normalised": f"{member_id}@example.org"}
        await store.insert(document, [registered, renamed])

    asyncio.run(main(sys.argv[1], sys.argv[2], UUID(sys.argv[3])))
    """
)


async def test_a_service_killed_between_its_write_and_its_publish_loses_no_event(
    settings_for: Any, mongodb_url: str, js: Any, collection: Any
) -> None:
    member_id = uuid4()
    database = settings_for("membership").database_for("membership")
    crashed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASH_BETWEEN_WRITE_AND_PUBLISH,
        mongodb_url,
        database,
        str(member_id),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(crashed.communicate(), timeout=60)
    assert crashed.returncode == -signal.SIGKILL, stderr.decode()
    members = collection.database.client[database]["members"]
    assert len((await members.find_one({"_id": str(member_id)}))["outbox"]) == 2
    assert (await js.stream_info(MEMBERSHIP.name)).state.messages == 0  # nothing published

    # The service starts again: its relay publishes both events, once each, in order.
    async with services(settings_for, "membership"):
        events = await eventually(lambda: _at_least(js, MEMBERSHIP.name, 2), timeout=15)
        await asyncio.sleep(0.5)  # a few more relay passes: nothing is published twice
        events = await stream_events(js, MEMBERSHIP.name)
    assert [e["event_type"] for e in events] == ["member.registered", "member.profile_updated"]
    assert [e["sequence"] for e in events] == [1, 2]
    assert (await members.find_one({"_id": str(member_id)}))["outbox"] == []


async def _at_least(js: Any, stream: str, count: int) -> bool:
    try:
        return await stream_count(js, stream) >= count
    except nats.js.errors.NotFoundError:
        return False


async def test_the_relay_dead_letters_an_entry_it_can_never_publish_and_goes_on(
    broker: NatsBroker, js: Any, collection: Any
) -> None:
    store = AggregateStore(collection, OutboxRelay(FailingPublisher(), []), "test")
    too_large = MemberRegisteredV1.model_construct(
        **{**registration().__dict__, "display_name": "x" * (2 << 20)}
    )
    await store.insert({"_id": "big"}, [too_large, registration("Imran Patel")])
    await store.insert({"_id": "fine"}, [registration("Jess Okafor")])

    relay = OutboxRelay(JetStreamEventPublisher(broker), [collection])
    assert await relay.relay_pending(include_recent=True) == 3
    names = [e["payload"]["display_name"] for e in await stream_events(js, MEMBERSHIP.name)]
    assert sorted(names) == ["Imran Patel", "Jess Okafor"]
    for doc_id in ("big", "fine"):
        document = await collection.find_one({"_id": doc_id})
        assert document["outbox"] == [] and OUTBOX_SINCE_FIELD not in document

    assert await stream_count(js, DEAD_LETTERS.name) == 1
    letter = await js.get_msg(DEAD_LETTERS.name, 1)
    assert letter.subject.startswith(f"deadletter.outbox-{collection.database.name}.events.")
    body = json.loads(letter.data)
    assert "message limit" in body["reason"] and body["aggregate_id"] == "aggregates/big"
    assert "data" not in body  # too large for the stream; the whole entry is kept in Mongo
    kept = await collection.database[OUTBOX_DEAD_LETTERS].find_one({"document_id": "big"})
    assert len(kept["entry"]["data"]) > 2 << 20


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


class MemberRegisteredV2(MemberRegisteredV1):
    """A newer version, as membership would publish it mid-way through a rolling upgrade."""

    version: ClassVar[int] = 2


async def test_a_newer_event_version_is_refused_and_kept_not_dropped(
    broker: NatsBroker, js: Any, nats_url: str
) -> None:
    handled: list[str] = []

    async def handler(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        handled.append(f"v{envelope.schema_version} {event.display_name}")

    await consume_with(broker, "test-versions", handler)
    await publish(broker, EventEnvelope.wrap(registration("Kofi Mensah"), instance_id="t"))
    newer = EventEnvelope.wrap(
        MemberRegisteredV2(**registration("Lena Fischer").model_dump()), instance_id="t"
    )
    await publish(broker, newer)
    await publish(broker, EventEnvelope.wrap(registration("Mo Ahmed"), instance_id="t"))

    await eventually(lambda: _truthy(len(handled) == 2))
    assert handled == ["v1 Kofi Mensah", "v1 Mo Ahmed"]  # the v2 does not block the rest

    async def offered_again() -> bool:
        info = await js.consumer_info(MEMBERSHIP.name, "test-versions")
        # Offered again and again, never acknowledged (the ack floor stays below it).
        return bool(
            info.num_ack_pending == 1
            and info.ack_floor.stream_seq == 1
            and info.delivered.consumer_seq >= 5
        )

    await eventually(offered_again)  # still in the stream, unacknowledged
    assert await stream_count(js, DEAD_LETTERS.name) == 0
    await broker.stop()

    # After the upgrade a consumer that knows v2 takes it from the same durable consumer.
    upgraded = create_broker(nats_url, service="backbone-test", **as_devkit(), retry=FAST_RETRIES)
    await upgraded.connect()
    dispatcher = EventDispatcher()
    dispatcher.on(MemberRegisteredV1, handler)
    dispatcher.on(MemberRegisteredV2, handler)
    subscribe_events(
        upgraded, stream=MEMBERSHIP, durable="test-versions", dispatcher=dispatcher, description="t"
    )
    await upgraded.start()
    try:
        await eventually(lambda: _truthy("v2 Lena Fischer" in handled))
    finally:
        await upgraded.stop()


async def test_an_outage_is_retried_without_limit_and_never_dead_lettered(
    broker: NatsBroker, js: Any
) -> None:
    attempts: list[str] = []

    async def handler(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        attempts.append(event.display_name)
        if len(attempts) <= 3 * FAST_RETRIES.max_deliveries:
            raise ServerSelectionTimeoutError("the database is restarting")

    await consume_with(broker, "test-outage", handler)
    await publish(broker, registration_envelope("Nia Roberts"))
    await eventually(lambda: _truthy(len(attempts) > 3 * FAST_RETRIES.max_deliveries))
    assert await stream_count(js, DEAD_LETTERS.name) == 0

    async def acknowledged() -> bool:
        info = await js.consumer_info(MEMBERSHIP.name, "test-outage")
        return bool(info.delivered.stream_seq == 1 and not info.num_ack_pending)

    await eventually(acknowledged)


async def test_stream_settings_an_operator_changed_are_kept(js: Any) -> None:
    await ensure_streams(js)
    info = await js.stream_info(MEMBERSHIP.name)
    assert info.config.duplicate_window == DUPLICATE_WINDOW_SECONDS

    # The operator limits the stream's age and size; a shorter duplicate window and a
    # missing subject would break Huddle's guarantees.
    config = info.config
    config.max_age = 30 * 86400
    config.max_bytes = 1 << 30
    config.duplicate_window = 60
    config.subjects = ["events.membership.member.>"]
    await js.update_stream(config)

    await ensure_streams(js)  # a service starts
    config = (await js.stream_info(MEMBERSHIP.name)).config
    assert config.max_age == 30 * 86400 and config.max_bytes == 1 << 30  # kept
    assert config.duplicate_window == DUPLICATE_WINDOW_SECONDS  # raised back
    assert config.subjects == ["events.membership.>"]  # restored


async def test_an_older_event_never_overwrites_what_a_newer_one_set(collection: Any) -> None:
    member_id = uuid4()
    registered, renamed = AggregateStore(
        collection, OutboxRelay(FailingPublisher(), []), "t"
    ).envelopes(
        [
            registration("Owen Price", member_id),
            MemberProfileUpdatedV1(
                member_id=member_id, display_name="Owen Price-Jones", member_type=MemberType.STAFF
            ),
        ],
        str(member_id),
    )
    # The rename arrives first (the registration was retried after it).
    await apply_in_order(collection, "o1", renamed, {"$set": {"display_name": "Owen Price-Jones"}})
    applied = await apply_in_order(
        collection, "o1", registered, {"$set": {"display_name": "Owen Price", "type": "staff"}}
    )
    assert applied is True  # it still fills in what only it carries...
    document = await collection.find_one({"_id": "o1"})
    assert document["display_name"] == "Owen Price-Jones"  # ...but not over the newer name
    assert document["type"] == "staff"
    again = await apply_in_order(collection, "o1", registered, {"$set": {"type": "other"}})
    assert again is False and (await collection.find_one({"_id": "o1"}))["type"] == "staff"


async def test_a_handler_stuck_on_a_hung_database_is_timed_out_and_retried(
    broker: NatsBroker, js: Any
) -> None:
    attempts: list[str] = []

    async def handler(envelope: EventEnvelope, event: MemberRegisteredV1) -> None:
        attempts.append(event.display_name)
        if len(attempts) == 1:
            await asyncio.sleep(60)  # the database accepted the query and never answered

    await consume_with(broker, "test-hung", handler)
    await publish(broker, registration_envelope("Priya Shah"))
    await eventually(lambda: _truthy(len(attempts) == 2), timeout=5)

    async def acknowledged() -> bool:
        info = await js.consumer_info(MEMBERSHIP.name, "test-hung")
        return bool(info.delivered.stream_seq == 1 and not info.num_ack_pending)

    await eventually(acknowledged)
    assert await stream_count(js, DEAD_LETTERS.name) == 0
