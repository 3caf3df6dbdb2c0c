"""Erased members stay erased: replaying the whole stream after an erasure (a retried nack,
a replayed dead letter, a new consumer reading from the start) leaves no trace of them but
tombstones, and a consumer with a new durable name changes nothing it already did."""

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.networks import NetworkMemberJoinedV1, Role
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.services import MEMBERSHIP, service_names
from huddle_shared.storage.tombstones import MEMBER_TOMBSTONES
from huddle_signposting.repository import OrganisationDirectory
from pymongo import AsyncMongoClient
from support import JWT_SECRET, as_devkit, connect_nats, eventually, gateway_server, services

pytestmark = pytest.mark.integration

ALL = service_names()
PROJECTIONS = ("scheduling", "notes", "signposting", "insights")
ADMIN = {"email": "admin@example.org", "password": "admin password long enough"}
PASSWORD = "a long enough password"
STREAM = MEMBERSHIP.stream.name
DEAD_LETTER_CONSUMER = "notes-network-roster"  # whose dead letters the test replays


async def caught_up(js: Any, durables: list[str]) -> bool:
    for durable in durables:
        info = await js.consumer_info(STREAM, durable)
        # Counted by the server among the messages the consumer's filter takes (its last
        # delivery may be short of the stream's last message, which it does not take).
        if info.num_ack_pending or info.num_pending:
            return False
    return True


async def documents(database: Any) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection, sorted: the whole state of a service."""
    state = {}
    for name in sorted(await database.list_collection_names()):
        if name == "knowledge_revisions":  # notes' random "something changed" markers
            continue
        state[name] = [doc async for doc in database[name].find({}).sort("_id")]
    return state


@contextlib.asynccontextmanager
async def erased_member(
    settings_for: Any, nats_url: str, mongodb_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[
    tuple[dict[str, ServiceRuntime], dict[str, Any], dict[str, Any], Any, list[Any]]
]:
    """Five services; a member who registered, renamed, joined a network, then was erased;
    and a bystander who stays. Yields (runtimes, member, databases, jetstream, and the
    stream's messages from before the erasure)."""
    monkeypatch.setenv("HUDDLE_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN["password"])
    async with (
        services(settings_for, *ALL) as running,
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=JWT_SECRET) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
        nc = await connect_nats(nats_url)
        databases = {name: mongo[runtime.database.name] for name, runtime in running.items()}
        try:

            async def token(email: str, password: str = PASSWORD) -> dict[str, str]:
                response = await client.post(
                    "/api/v1/auth/token", json={"email": email, "password": password}
                )
                return {"Authorization": f"Bearer {response.json()['access_token']}"}

            organisation = (
                await client.post(
                    "/api/v1/organisations", json={"name": "Leeds Trust", "kind": "nhs_trust"}
                )
            ).json()
            people = {}
            for email, name in (("rae@example.org", "Rae Okafor"), ("sam@example.org", "Sam Bo")):
                created = await client.post(
                    "/api/v1/accounts",
                    json={
                        "email": email,
                        "password": PASSWORD,
                        "display_name": name,
                        "organisation_id": organisation["id"],
                        "member_type": "staff",
                    },
                )
                assert created.status_code == 201, created.text
                people[email] = created.json()
            admin = await token(ADMIN["email"], ADMIN["password"])
            created = await client.post(
                "/api/v1/networks",
                headers=admin,
                json={"slug": "leeds", "name": "Leeds network", "visibility": "open"},
            )
            assert created.status_code == 201, created.text
            rae, sam = await token("rae@example.org"), await token("sam@example.org")
            for headers in (rae, sam):
                joined = await client.post("/api/v1/networks/leeds/join", headers=headers, json={})
                assert joined.status_code == 200, joined.text
            renamed = await client.patch(
                "/api/v1/me", headers=rae, json={"display_name": "Rae Okafor-Smith"}
            )
            assert renamed.status_code == 200, renamed.text

            # What a backup of the stream, or a dead letter, still holds after the erasure
            # has purged the member's events from the stream.
            js = nc.jetstream()
            durables = [
                d
                for name in PROJECTIONS
                for d, stream in running[name].consumers.items()
                if stream.name == STREAM  # membership's consumers (not notes-sessions)
            ]
            await eventually(lambda: caught_up(js, durables), timeout=15)
            last = (await js.stream_info(STREAM)).state.last_seq
            earlier = [await js.get_msg(STREAM, sequence) for sequence in range(1, last + 1)]

            assert (await client.delete("/api/v1/me", headers=rae)).status_code == 204
            await eventually(lambda: caught_up(js, durables), timeout=15)
            yield running, people["rae@example.org"], databases, js, earlier
        finally:
            await nc.close()
            await mongo.close()


class Watched(EventDispatcher):
    """A dispatcher that looks at the databases after each event it applies."""

    def __init__(self, inner: EventDispatcher, look: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._inner, self._look = inner, look

    @property
    def handled(self) -> list[type[EventPayload]]:
        return self._inner.handled

    async def dispatch(self, envelope: EventEnvelope) -> None:
        await self._inner.dispatch(envelope)
        await self._look()


async def traces_of(member_id: str, databases: dict[str, Any]) -> dict[str, list[str]]:
    """Where each projection service still mentions the member, tombstones aside."""
    found: dict[str, list[str]] = {}
    for service in PROJECTIONS:
        for collection, docs in (await documents(databases[service])).items():
            if collection == MEMBER_TOMBSTONES:
                continue
            for doc in docs:
                if member_id in json.dumps(doc, default=str):
                    found.setdefault(service, []).append(f"{collection}: {doc}")
    return found


async def test_replaying_everything_after_an_erasure_leaves_only_tombstones(
    settings_for: Any, nats_url: str, mongodb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with erased_member(settings_for, nats_url, mongodb_url, monkeypatch) as (
        running,
        member,
        databases,
        js,
        earlier,
    ):
        assert await traces_of(member["id"], databases) == {}
        for service in PROJECTIONS:
            tombstones = [d["_id"] async for d in databases[service][MEMBER_TOMBSTONES].find()]
            assert tombstones == [member["id"]], service

        # Every message before the erasure, again, as new messages: what a retried nack,
        # a reordering, a restored backup or an operator replaying dead letters delivers.
        for original in earlier:
            headers = {k: v for k, v in (original.headers or {}).items() if k != "Nats-Msg-Id"}
            headers["Nats-Msg-Id"] = f"replay-{original.seq}"
            await js.publish(original.subject, original.data, headers=headers)
        assert len(earlier) >= 6  # organisation, two members, network, joins, rename...

        # And each of the member's earlier events as a dead letter that an operator replays
        # by the operators' guide: the body again, on its original subject, a new message.
        for original in earlier:
            if member["id"] not in original.data.decode():
                continue
            await js.publish(
                f"deadletter.{DEAD_LETTER_CONSUMER}",
                original.data,
                headers={
                    "Huddle-Original-Subject": original.subject,
                    "Huddle-Dead-Letter-Reason": "RuntimeError: database unavailable",
                },
                stream=DEAD_LETTERS.name,
            )
        dead = (await js.stream_info(DEAD_LETTERS.name)).state
        assert dead.messages >= 1  # the erasure purge may already have taken some
        for sequence in range(dead.first_seq, dead.last_seq + 1):
            letter = await js.get_msg(DEAD_LETTERS.name, sequence)
            assert letter.headers is not None
            await js.publish(letter.headers["Huddle-Original-Subject"], letter.data)

        # And the probe's case: a join the rosters never saw before the erasure (held back
        # by retries, say) arrives only now. It must not create an entry.
        late = EventEnvelope.wrap(
            NetworkMemberJoinedV1(slug="york", member_id=member["id"], role=Role.MEMBER),
            instance_id="test-instance",
        )
        await js.publish(
            late.subject,
            late.model_dump_json().encode(),
            headers={"Nats-Msg-Id": str(late.event_id), "Huddle-Event-Type": late.event_type},
        )
        durables = [
            d
            for name in PROJECTIONS
            for d, stream in running[name].consumers.items()
            if stream.name == STREAM  # membership's consumers (not notes-sessions)
        ]
        # A replay of every stream: slow when other tests run beside it.
        await eventually(lambda: caught_up(js, durables), timeout=60)

        assert await traces_of(member["id"], databases) == {}
        known = await databases["notes"]["redaction_names"].count_documents({})
        assert known == 2  # the administrator and the bystander are still known
        for service in ("notes", "scheduling"):
            roster = [doc["_id"] async for doc in databases[service]["network_roster"].find()]
            assert len(roster) == 2, roster  # the admin (chair) and the bystander


async def test_a_new_durable_reading_history_again_changes_nothing(
    settings_for: Any, nats_url: str, mongodb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer restarted under a new durable name reads the whole stream again into the
    same database: member counts, rosters and tombstones stay exactly as they were."""
    async with erased_member(settings_for, nats_url, mongodb_url, monkeypatch) as (
        running,
        member,
        databases,
        js,
        _,
    ):
        before = {service: await documents(databases[service]) for service in PROJECTIONS}
        [organisation_id] = [
            doc["_id"]
            for doc in before["signposting"]["organisations"]
            if doc["name"] == "Leeds Trust"
        ]
        directory = OrganisationDirectory(databases["signposting"])
        assert await directory.member_count(organisation_id) == 1  # the bystander only

        # After each event the new consumers apply: is the erased member back, is anyone
        # counted twice? (The end state alone would hide it: the replay ends with the erasure.)
        seen: list[tuple[dict[str, list[str]], int]] = []

        async def look() -> None:
            traces = await traces_of(member["id"], databases)
            seen.append((traces, await directory.member_count(organisation_id)))

        again = create_broker(nats_url, service="replay", **as_devkit())
        durables = []
        for service in PROJECTIONS:
            for durable, dispatcher in running[service].dispatchers.items():
                subscribe_events(
                    again,
                    stream=MEMBERSHIP.stream,
                    durable=f"{durable}-renamed",
                    dispatcher=Watched(dispatcher, look),
                    description="The same projection under a new durable name.",
                )
                durables.append(f"{durable}-renamed")
        await again.start()
        try:
            # The whole stream again: slower on a busy machine.
            await eventually(lambda: caught_up(js, durables), timeout=60)
        finally:
            await again.stop()

        after = {service: await documents(databases[service]) for service in PROJECTIONS}
        assert after == before
        assert len(seen) >= 4 * 8
        assert [moment for moment in seen if moment != ({}, 1)] == []
        assert await directory.member_count(organisation_id) == 1
        assert await traces_of(member["id"], databases) == {}
