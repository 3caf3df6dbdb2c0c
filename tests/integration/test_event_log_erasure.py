"""Erasure reaches the event log (decision 0012): once every consumer has processed
``member.erased``, no stream holds the member's personal data, dead letters included, and
replaying the streams still rebuilds every projection for everyone else."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import httpx
import pytest
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberProfileUpdatedV1, MemberType
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.errors import PermanentFailure
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.services import MEMBERSHIP, all_streams
from huddle_shared.storage.outbox import stage
from nats.js.errors import NotFoundError
from pymongo import AsyncMongoClient
from support import JWT_SECRET, connect_nats, eventually, gateway_server, services

pytestmark = pytest.mark.integration

ALL = ("membership", "notes", "scheduling", "signposting", "insights")
PROJECTIONS = ("notes", "scheduling", "signposting", "insights")
ADMIN = {"email": "admin@example.org", "password": "admin password long enough"}
PASSWORD = "a long enough password"


@dataclass
class Person:
    id: str
    name: str
    renamed: str
    email: str
    headers: dict[str, str]


@dataclass
class Scenario:
    running: dict[str, ServiceRuntime]
    client: httpx.AsyncClient
    js: Any
    admin: dict[str, str]
    organisation_id: str
    unique: str

    async def person(self, label: str) -> Person:
        name, email = f"{label} Quill{self.unique}", f"{label.lower()}.{self.unique}@example.org"
        account = {
            "email": email,
            "password": PASSWORD,
            "display_name": name,
            "organisation_id": self.organisation_id,
            "member_type": "patient_safety_partner",
        }
        registered = await self.client.post("/api/v1/accounts", json=account)
        assert registered.status_code == 201, registered.text
        headers = await token(self.client, email, PASSWORD)
        return Person(
            registered.json()["id"], name, f"{label} Renamed{self.unique}", email, headers
        )

    async def rename(self, person: Person) -> None:
        response = await self.client.patch(
            "/api/v1/me", headers=person.headers, json={"display_name": person.renamed}
        )
        assert response.status_code == 200, response.text

    async def network(self, slug: str) -> None:
        body = {"slug": slug, "name": f"Network {slug}", "visibility": "open"}
        response = await self.client.post("/api/v1/networks", headers=self.admin, json=body)
        assert response.status_code == 201, response.text

    async def join(self, person: Person, slug: str, role: str | None = None) -> None:
        joined = await self.client.post(
            f"/api/v1/networks/{slug}/join", headers=person.headers, json={}
        )
        assert joined.status_code == 200, joined.text
        if role:
            changed = await self.client.put(
                f"/api/v1/networks/{slug}/members/{person.id}/role",
                headers=self.admin,
                json={"role": role},
            )
            assert changed.status_code == 200, changed.text

    async def erase(self, person: Person) -> None:
        erased = await self.client.delete("/api/v1/me", headers=person.headers)
        assert erased.status_code == 204, erased.text

    async def consumers_done(self) -> bool:
        """Every durable consumer of membership's events has acknowledged everything."""
        infos = await self.js.consumers_info(MEMBERSHIP.stream.name)
        return bool(infos) and all(
            not info.num_pending and not info.num_ack_pending for info in infos
        )


async def token(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextlib.asynccontextmanager
async def scenario(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Scenario]:
    monkeypatch.setenv("HUDDLE_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN["password"])
    connection = await connect_nats(nats_url)
    try:
        async with (
            services(settings_for, *ALL) as running,
            gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=JWT_SECRET) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            organisation = await client.post(
                "/api/v1/organisations", json={"name": "Trust", "kind": "nhs_trust"}
            )
            yield Scenario(
                running=running,
                client=client,
                js=connection.jetstream(),
                admin=await token(client, ADMIN["email"], ADMIN["password"]),
                organisation_id=organisation.json()["id"],
                unique=uuid.uuid4().hex[:8],
            )
    finally:
        await connection.close()


async def every_message(js: Any, stream: str) -> list[Any]:
    """Every message still stored in ``stream``, in order."""
    state = (await js.stream_info(stream)).state
    messages: list[Any] = []
    if not state.messages:
        return messages
    for sequence in range(state.first_seq, state.last_seq + 1):
        with contextlib.suppress(NotFoundError):  # purged
            messages.append(await js.get_msg(stream, sequence))
    return messages


def as_text(message: Any) -> str:
    return f"{message.subject}\n{message.headers}\n{message.data.decode(errors='replace')}"


async def test_no_stream_holds_an_erased_members_data_dead_letters_included(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scenario(settings_for, nats_url, monkeypatch) as world:
        person = await world.person("Zebedee")
        other = await world.person("Other")

        # Notes' name consumer holds the person's rename until released, then gives up on it:
        # a dead letter carrying their new name is written after the erasure's first purge.
        dispatcher = world.running["notes"].dispatchers["notes-redaction-names"]
        real = dispatcher.handler(MemberProfileUpdatedV1)
        holding, release = asyncio.Event(), asyncio.Event()

        async def fails_on_the_person(
            envelope: EventEnvelope, event: MemberProfileUpdatedV1
        ) -> None:
            if str(event.member_id) != person.id:
                return await real(envelope, event)
            holding.set()
            await asyncio.wait_for(release.wait(), timeout=25)
            raise PermanentFailure("refusing this member's rename (test)")

        dispatcher.on(MemberProfileUpdatedV1, fails_on_the_person, replace=True)
        seen_dead_letters: list[Any] = []
        watcher = await connect_nats(nats_url)  # core NATS sees every dead letter published
        await watcher.subscribe(f"{DEAD_LETTERS.subjects[0]}", cb=_append_to(seen_dead_letters))
        try:
            await world.rename(person)
            await world.rename(other)
            for slug in ("erasure-a", "erasure-b"):
                await world.network(slug)
                await world.join(person, slug, role="note_taker")
            await world.join(other, "erasure-a", role="facilitator")
            await asyncio.wait_for(holding.wait(), timeout=10)

            secrets = (person.name, person.renamed, person.email)
            stream = MEMBERSHIP.stream.name
            before = "\n".join(as_text(m) for m in await every_message(world.js, stream))
            assert person.name in before and person.renamed in before  # today's problem

            await world.erase(person)

            async def first_purge_done() -> bool:
                messages = await every_message(world.js, stream)
                return not any(person.renamed in as_text(m) for m in messages)

            await eventually(first_purge_done, timeout=10)
            release.set()  # now the late dead letter is written
            await eventually(lambda: _any(person.renamed, seen_dead_letters), timeout=10)
            await eventually(world.consumers_done, timeout=30)
            # The dead letter was stored (then purged), not only published.
            assert (await world.js.stream_info(DEAD_LETTERS.name)).state.last_seq >= 1

            everything: list[str] = []
            for spec in all_streams():
                everything.extend(as_text(m) for m in await every_message(world.js, spec.name))
            text = "\n".join(everything)
            for secret in secrets:
                assert secret not in text, f"{secret!r} is still in a stream"
            # The member's id is left only where it says they were erased.
            about_them = [m for m in everything if person.id in m]
            assert about_them and all("member.erased" in m for m in about_them)
            # Everyone else's events are all still there.
            assert other.name in text and other.renamed in text
            assert "erasure-a" in text and "erasure-b" in text
        finally:
            release.set()
            await watcher.close()


async def test_an_event_relayed_after_the_erasure_is_purged_too(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with scenario(settings_for, nats_url, monkeypatch) as world:
        person = await world.person("Zebedee")
        late_name = f"Zebedee Late{world.unique}"
        # A rename whose publish failed: its entry waits in the member's outbox for the relay,
        # which publishes it (2 seconds on) after the erasure's own member.erased.
        late = EventEnvelope.wrap(
            MemberProfileUpdatedV1(
                member_id=uuid.UUID(person.id),
                display_name=late_name,
                member_type=MemberType.PATIENT_SAFETY_PARTNER,
            ),
            instance_id="test-instance",
        )
        members = world.running["membership"].database["members"]
        await members.update_one(
            {"_id": person.id}, {"$push": {"outbox": {"$each": stage([late])}}}
        )
        await world.erase(person)

        async def relayed() -> bool:
            document = await members.find_one({"_id": person.id})
            return not document["outbox"]

        await eventually(relayed, timeout=10)
        await eventually(world.consumers_done, timeout=30)
        for spec in all_streams():
            for message in await every_message(world.js, spec.name):
                assert late_name not in as_text(message), spec.name
                assert person.name not in as_text(message), spec.name


async def test_replaying_the_streams_rebuilds_every_projection_for_everyone_else(
    settings_for: Any,
    nats_url: str,
    mongodb_url: str,
    db_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with scenario(settings_for, nats_url, monkeypatch) as world:
        person = await world.person("Zebedee")
        others = [await world.person("Other"), await world.person("Third")]
        for slug in ("replay-a", "replay-b"):
            await world.network(slug)
        await world.rename(person)
        await world.rename(others[0])
        await world.join(person, "replay-a", role="note_taker")
        await world.join(others[0], "replay-a", role="facilitator")
        await world.join(others[1], "replay-b")
        leave = await world.client.delete(
            "/api/v1/networks/replay-b/members/me", headers=others[1].headers
        )
        assert leave.status_code == 204, leave.text
        await world.join(others[1], "replay-a")
        await world.erase(person)
        await eventually(world.consumers_done, timeout=30)

        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        try:
            for name in PROJECTIONS:
                live = world.running[name].database
                replayed = await replay(name, settings_for(name), f"{db_prefix}_replay_{name}")
                expected = await state_without(mongo[live.name], person.id)
                got = await state_without(mongo[replayed], person.id)
                assert got == expected, name
                # Not vacuous: the others are there.
                assert all(other.id in repr(expected) for other in others), name
                # And the erased person left nothing but, at most, tombstones.
                rebuilt = repr(await state_without(mongo[replayed], "no one"))
                assert person.name not in rebuilt and person.renamed not in rebuilt
        finally:
            await mongo.close()


async def replay(service: str, settings: ServiceSettings, database: str) -> str:
    """Feed every stored event, in stream order, to fresh projections of ``service``."""
    settings = settings.model_copy(update={"mongodb_database": database})
    runtime: ServiceRuntime = import_module(f"huddle_{service}.bootstrap").bootstrap(settings)
    connection = await connect_nats(settings.nats_url)
    await runtime.broker.connect()  # the service runs its start hooks connected
    try:
        for hook in runtime.start_hooks:  # indexes, and the library's listener
            await hook()
        js = connection.jetstream()
        for spec in all_streams():
            if spec == DEAD_LETTERS:
                continue  # copies of events, not events
            for message in await every_message(js, spec.name):
                envelope = EventEnvelope.model_validate_json(message.data)
                for dispatcher in runtime.dispatchers.values():
                    await dispatcher.dispatch(envelope)
    finally:
        await connection.close()
        await runtime.broker.stop()
        await runtime.client.close()
    return database


# Random markers that say "something changed" (notes' checker cache), never the same twice.
CHANGE_MARKERS = {"knowledge_revisions"}


async def state_without(database: Any, member_id: str) -> dict[str, list[Any]]:
    """Every collection's documents, in ``_id`` order, leaving out those about the member."""
    state = {}
    for name in sorted(await database.list_collection_names()):
        if name in CHANGE_MARKERS:
            continue
        documents = []
        async for document in database[name].find({}).sort("_id", 1):
            if member_id in repr(document):
                continue
            if "applied_event_ids" in document:
                document["applied_event_ids"] = sorted(document["applied_event_ids"])
            documents.append(document)
        if documents or await database[name].count_documents({}):
            state[name] = documents  # an empty collection holds nothing (a delete may make one)
    return state


def _append_to(found: list[Any]) -> Any:
    async def append(message: Any) -> None:
        found.append(message)

    return append


async def _any(text: str, messages: list[Any]) -> bool:
    return any(text in as_text(message) for message in messages)
