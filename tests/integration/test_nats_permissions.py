"""NATS lets each principal do only its own part (huddle_devkit.nats_auth), on a real server.

A refused publish or subscription is not an exception in nats-py: the server answers
``-ERR 'Permissions Violation ...'`` (passed to the error callback) and drops the message.
So each check also shows that the devkit, which may listen everywhere, saw nothing arrive,
next to a permitted action that did arrive (a check that cannot fail proves nothing).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from huddle_devkit import nats_auth
from huddle_shared.contracts.rpc import queue_group
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.services import MEMBERSHIP, SCHEDULING, all_streams
from nats.errors import NoServersError
from nats.errors import TimeoutError as NatsTimeoutError
from support import connect_nats, eventually, services

pytestmark = pytest.mark.integration

SETTLE_SECONDS = 0.3  # after a flush, long enough for a delivery that was going to happen


@pytest.fixture(autouse=True)
def _needs_auth(nats_credentials: Path | None) -> None:
    if nats_credentials is None:
        pytest.skip("NATS_URL names a server without HUDDLE_TEST_NATS_CREDENTIALS")


class Client:
    """A principal's connection that records the server's permission errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: Any = None

    async def error(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    def violations(self, kind: str, subject: str) -> list[str]:
        """``nats: permissions violation for publish to "<subject>"`` and the like."""
        wanted = f'permissions violation for {kind} to "{subject}'.lower()
        return [e for e in self.errors if wanted in e.lower()]


@contextlib.asynccontextmanager
async def as_principal(url: str, principal: str) -> AsyncIterator[Client]:
    client = Client()
    client.nc = await connect_nats(url, principal, error_cb=client.error)
    try:
        yield client
    finally:
        await client.nc.close()


@contextlib.asynccontextmanager
async def listening(url: str, subject: str) -> AsyncIterator[list[str]]:
    """The devkit's view: every message published on ``subject``."""
    seen: list[str] = []

    async def record(msg: Any) -> None:
        seen.append(msg.subject)

    async with as_principal(url, nats_auth.DEVKIT) as devkit:
        await devkit.nc.subscribe(subject, cb=record)
        await devkit.nc.flush()
        yield seen


async def settle(*clients: Client) -> None:
    for client in clients:
        await client.nc.flush()
    await asyncio.sleep(SETTLE_SECONDS)


async def test_a_client_without_credentials_is_refused(nats_url: str) -> None:
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(nats_url, allow_reconnect=False, connect_timeout=2)


async def test_a_key_the_server_does_not_know_is_refused(nats_url: str, tmp_path: Path) -> None:
    stranger = nats_auth.ensure_seeds(tmp_path / "stranger", ["membership"])
    with pytest.raises((NoServersError, nats.errors.Error, OSError)):
        await nats.connect(
            nats_url,
            nkeys_seed=str(stranger.seed_file("membership")),
            allow_reconnect=False,
            connect_timeout=2,
        )


async def test_membership_cannot_publish_another_services_events(nats_url: str) -> None:
    theirs = "events.scheduling.session.created.v1"
    ours = "events.membership.member.registered.v1"
    async with listening(nats_url, "events.>") as seen, as_principal(nats_url, "membership") as m:
        await m.nc.publish(theirs, b"{}")
        await m.nc.publish(ours, b"{}")
        await settle(m)
    assert seen == [ours]
    assert m.violations("Publish", theirs)


async def test_membership_cannot_serve_another_services_requests(nats_url: str) -> None:
    async with (
        listening(nats_url, "rpc.>"),
        as_principal(nats_url, "membership") as m,
        as_principal(nats_url, nats_auth.GATEWAY) as gateway,
    ):
        got: list[str] = []

        async def answer(msg: Any) -> None:
            got.append(msg.subject)
            await msg.respond(b"{}")

        await m.nc.subscribe("rpc.notes.>", queue=queue_group("notes"), cb=answer)
        await m.nc.subscribe("rpc.membership.>", cb=answer)  # its own, but outside its group
        await m.nc.subscribe("rpc.membership.>", queue=queue_group("membership"), cb=answer)
        await settle(m)
        with pytest.raises((NatsTimeoutError, nats.errors.NoRespondersError)):
            await gateway.nc.request("rpc.notes.session.list", b"{}", timeout=1)
        reply = await gateway.nc.request("rpc.membership.me.get", b"{}", timeout=2)
        assert reply.data == b"{}"
    assert got == ["rpc.membership.me.get"]  # once: the subscription outside the group was refused
    assert m.violations("Subscription", "rpc.notes.>")
    assert len(m.violations("Subscription", "rpc.membership.>")) == 1


async def test_the_gateway_cannot_read_or_publish_events(nats_url: str) -> None:
    async with (
        listening(nats_url, "events.>") as seen,
        as_principal(nats_url, nats_auth.GATEWAY) as gateway,
        as_principal(nats_url, "membership") as membership,
    ):
        received: list[str] = []

        async def record(msg: Any) -> None:
            received.append(msg.subject)

        await gateway.nc.subscribe("events.>", cb=record)
        await gateway.nc.publish("events.membership.member.registered.v1", b"{}")
        await settle(gateway)
        await membership.nc.publish("events.membership.member.erased.v1", b"{}")
        await settle(membership, gateway)
        # JetStream's API is not the gateway's either.
        with pytest.raises((NatsTimeoutError, nats.errors.NoRespondersError, TimeoutError)):
            await gateway.nc.request("$JS.API.STREAM.INFO.MEMBERSHIP_EVENTS", b"", timeout=1)
    assert received == []
    assert seen == ["events.membership.member.erased.v1"]  # membership's, not the gateway's
    assert gateway.violations("Subscription", "events.>")
    assert gateway.violations("Publish", "events.membership.member.registered.v1")
    assert gateway.violations("Publish", "$JS.API.STREAM.INFO.MEMBERSHIP_EVENTS")


async def test_no_one_reads_another_principals_replies(nats_url: str) -> None:
    async with (
        as_principal(nats_url, "scheduling") as scheduling,
        as_principal(nats_url, nats_auth.GATEWAY) as gateway,
        as_principal(nats_url, "membership") as membership,
    ):
        overheard: list[str] = []

        async def record(msg: Any) -> None:
            overheard.append(msg.subject)

        for pattern in ("_INBOX_gateway.>", "_INBOX.>", ">"):
            await scheduling.nc.subscribe(pattern, cb=record)

        async def answer(msg: Any) -> None:
            await msg.respond(b"the admin's account")

        await membership.nc.subscribe(
            "rpc.membership.>", queue=queue_group("membership"), cb=answer
        )
        await settle(scheduling, membership)
        reply = await gateway.nc.request("rpc.membership.me.get", b"{}", timeout=2)
        assert reply.subject.startswith("_INBOX_gateway.")
        assert reply.data == b"the admin's account"
        await settle(scheduling)
    assert overheard == []
    for pattern in ("_INBOX_gateway.>", "_INBOX.>", ">"):
        assert scheduling.violations("Subscription", pattern)


async def test_a_service_may_not_touch_another_services_stream(nats_url: str) -> None:
    async with as_principal(nats_url, "membership") as membership:
        js = membership.nc.jetstream(timeout=1)
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await js.delete_stream(SCHEDULING.stream.name)
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await js.pull_subscribe("events.scheduling.>", "spy", stream=SCHEDULING.stream.name)
        # Nor change its own, or the dead letters (only the provisioner may): it reads
        # them. Membership, which erases members, may purge every stream.
        config = (await js.stream_info(MEMBERSHIP.stream.name)).config
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await js.update_stream(config)
        with pytest.raises((NatsTimeoutError, TimeoutError)):
            await js.add_stream(name="MEMBERSHIP_COPY", subjects=["events.scheduling.copy.>"])
        assert (await js.stream_info(DEAD_LETTERS.name)).config
        await js.purge_stream(SCHEDULING.stream.name)
    assert membership.violations("Publish", f"$JS.API.STREAM.DELETE.{SCHEDULING.stream.name}")
    assert membership.violations("Publish", f"$JS.API.STREAM.UPDATE.{MEMBERSHIP.stream.name}")
    async with as_principal(nats_url, nats_auth.DEVKIT) as devkit:
        assert (await devkit.nc.jetstream().stream_info(SCHEDULING.stream.name)).config


async def test_a_service_waits_for_the_provisioning_step(settings_for: Any) -> None:
    """No service may create a stream: started before they exist, scheduling waits until
    the provisioner has made them (start order still does not matter)."""
    from huddle_scheduling.bootstrap import bootstrap as scheduling
    from huddle_shared.provision import provision_streams
    from support import seed_file

    url = settings_for("scheduling").nats_url
    async with as_principal(url, nats_auth.DEVKIT) as devkit:
        for stream in all_streams():
            await devkit.nc.jetstream().delete_stream(stream.name)
    runtime = scheduling(settings_for("scheduling"))
    starting = asyncio.create_task(runtime.start())
    await asyncio.sleep(2.0)
    assert not starting.done(), "scheduling started before its streams existed"
    try:
        await provision_streams(url, seed_file(nats_auth.PROVISIONER))
        await asyncio.wait_for(starting, 20)
        async with as_principal(url, "devkit") as devkit:

            async def consuming() -> bool:
                js = devkit.nc.jetstream()
                info = await js.consumers_info(MEMBERSHIP.stream.name)
                return any(c.name.startswith("scheduling-") for c in info)

            await eventually(consuming)
    finally:
        if starting.done() and not starting.exception():
            await runtime.stop()
        else:
            starting.cancel()


async def test_every_service_runs_on_its_own_credentials(settings_for: Any) -> None:
    """The whole system under least privilege (the rest of the suite checks the behaviour)."""
    names = [spec.name for spec in (MEMBERSHIP, SCHEDULING)]
    async with services(settings_for, *names) as running:
        for name, runtime in running.items():
            connection = runtime.broker._connection
            assert connection is not None and connection.is_connected
            assert settings_for(name).nats_nkey_seed_file.endswith(f"{name}.nk")


async def test_a_key_is_rotated_without_dropping_anyone(tmp_path: Path) -> None:
    """Add the new key, roll the process onto it, remove the old one (operators' guide)."""
    from huddle_devkit.servers import nats_server, running

    with running(nats_server(tmp_path / "nats")) as server:
        credentials = server.credentials  # type: ignore[attr-defined]
        url = server.url  # type: ignore[attr-defined]
        old_seed = tmp_path / "old.nk"
        old_seed.write_bytes(credentials.seed_file("membership").read_bytes())

        async def connect(seed: Path) -> Any:
            return await nats.connect(url, nkeys_seed=str(seed), allow_reconnect=False)

        running_process = await connect(old_seed)
        nats_auth.generate(credentials.directory, rotate=["membership"])  # 1. add the new key
        server.reload()
        await eventually(lambda: _accepted(connect, credentials.next_seed_file("membership")))
        assert running_process.is_connected  # the old key still works meanwhile

        # 2. the process rolls onto the new seed; 3. the old key is removed.
        credentials.next_seed_file("membership").replace(credentials.seed_file("membership"))
        rolled = await connect(credentials.seed_file("membership"))
        await running_process.close()
        nats_auth.generate(credentials.directory)
        server.reload()

        async def old_refused() -> bool:
            return not await _accepted(connect, old_seed)

        await eventually(old_refused)
        assert rolled.is_connected
        await rolled.publish("events.membership.rotated", b"{}")
        await rolled.flush()
        await rolled.close()


async def _accepted(connect: Any, seed: Path) -> bool:
    try:
        client = await connect(seed)
    except (NoServersError, nats.errors.Error, OSError):  # refused, or cut off while refused
        return False
    await client.close()
    return True


async def test_streams_from_before_authentication_are_kept(tmp_path: Path) -> None:
    """An earlier `make run` stored its streams in NATS's global account; they move over."""
    from huddle_devkit.servers import nats_server, running

    state = tmp_path / "nats"
    with running(nats_server(state, auth=False)) as before:
        nc = await nats.connect(before.url)  # type: ignore[attr-defined]
        # The stream was provisioned as the server started, in the global account.
        await nc.jetstream().publish("events.membership.member.erased.v1", b"{}")
        await nc.close()
    with running(nats_server(state)) as after:
        credentials = after.credentials  # type: ignore[attr-defined]
        nc = await nats.connect(
            after.url,  # type: ignore[attr-defined]
            nkeys_seed=str(credentials.seed_file(nats_auth.DEVKIT)),
        )
        info = await nc.jetstream().stream_info("MEMBERSHIP_EVENTS")
        await nc.close()
    assert info.state.messages == 1
