"""Runs one service process: the shared start-up order, health answer, relay and shutdown.

Each service's ``bootstrap`` builds a ``ServiceRuntime`` (nothing connects at import time);
``run_forever`` starts it and stops cleanly on SIGTERM or SIGINT.
"""

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from faststream.nats import NatsBroker, NatsRouter
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.rpc import HealthReport, health_subject, queue_group
from huddle_shared.contracts.streams import StreamSpec
from huddle_shared.messaging.caller_assertions import CallerKeyError, CallerVerifier
from huddle_shared.messaging.consumer import EventDispatcher
from huddle_shared.messaging.routes import Route
from huddle_shared.messaging.rpc import RpcServer, drain_post_reply_work
from huddle_shared.messaging.topology import owned_streams, wait_for_streams
from huddle_shared.storage.mongo import Document, ping
from huddle_shared.storage.outbox import OutboxRelay

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0
# Between attempts to reach NATS or the database at start (they may start beside us).
RETRY_SECONDS = 0.1

# Set by the launcher (``time.time()`` when it spawned the processes): the start-up log then
# says how long the imports took, not only the steps after them.
SPAWNED_AT_ENV = "HUDDLE_SPAWNED_AT"


class StartupClock:
    """Seconds spent in each start-up step, logged with "service started" (decision 0028)."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self._last = time.monotonic()
        spawned = os.environ.get(SPAWNED_AT_ENV)
        if spawned:
            with contextlib.suppress(ValueError):
                # Wall clock across processes; monotonic from here on.
                self.steps["imports"] = round(max(0.0, time.time() - float(spawned)), 3)

    def step(self, name: str) -> None:
        now = time.monotonic()
        self.steps[name] = round(now - self._last, 3)
        self._last = now

    def report(self) -> dict[str, float]:
        return {**self.steps, "total": round(sum(self.steps.values()), 3)}


StartHook = Callable[[], Awaitable[None]]
# Work that runs as long as the service does (e.g. a periodic sweep), started after the
# start hooks and cancelled first at stop, as the outbox relay is.
BackgroundWork = tuple[str, Callable[[], Coroutine[Any, Any, None]]]


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    broker: NatsBroker
    client: AsyncMongoClient[Document]
    database: AsyncDatabase[Document]
    relay: OutboxRelay | None = None
    caller_verifier: CallerVerifier | None = None
    # The FastStream RPC subscribers (documented; they serve only without ``rpc_server``).
    rpc_router: NatsRouter | None = None
    # Serves the RPC subjects from one raw queue subscription (decision 0027).
    rpc_server: RpcServer | None = None
    start_hooks: list[StartHook] = field(default_factory=list)
    routes: tuple[Route, ...] = ()
    # Durable consumer name -> the dispatcher it feeds (replays and tests use these).
    dispatchers: dict[str, EventDispatcher] = field(default_factory=dict)
    # Durable consumer name -> the stream it reads (its NATS permissions follow from these).
    consumers: dict[str, StreamSpec] = field(default_factory=dict)
    # Further JetStream API subjects the service uses (see ``ServiceBuilder.uses_jetstream_api``).
    jetstream_api: tuple[str, ...] = ()
    background: tuple[BackgroundWork, ...] = ()
    _relay_task: asyncio.Task[None] | None = None
    _background_tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.rpc_router or self.broker).subscriber(
            health_subject(self.name),
            queue=queue_group(self.name),
            title=health_subject(self.name),
            description="Readiness: answers when the service and its database are up.",
        )(self.health)
        if self.rpc_server is not None:
            self.rpc_server.health = self.health

    async def health(self) -> dict[str, Any]:
        await ping(self.database)
        return HealthReport(
            service=self.name,
            status="ok",
            instance_id=self.settings.instance_id,
            database=self.database.name,
        ).model_dump()

    async def start(self) -> None:
        clock = StartupClock()
        if self.caller_verifier is None:
            raise CallerKeyError(
                "HUDDLE_CALLER_VERIFY_KEY_FILES is not set: a service answers no RPC without "
                "the public key of the gateway's caller signing key (docs/operators-guide.md, "
                "'Caller signing key')"
            )
        await self._wait_for_database()
        clock.step("database")
        connection = await self._connect_to_nats()
        clock.step("nats")
        js = connection.jetstream()
        # A service creates no stream (a stream's config could republish into another's
        # subjects): the provisioning step does (huddle_shared.provision). It waits for the
        # streams it writes and reads, so start order does not matter.
        needed = {*owned_streams(self.name), *self.consumers.values()}
        await wait_for_streams(js, sorted(needed, key=lambda spec: spec.name))
        clock.step("streams")
        for hook in self.start_hooks:  # may write and publish (e.g. the configured admin)
            await hook()
        clock.step("start_hooks")
        if self.rpc_server is not None and self.rpc_router in self.broker.routers:
            # Served raw instead: FastStream must not subscribe them too (one queue group).
            self.broker.routers.remove(self.rpc_router)
        await self.broker.start()
        if self.rpc_server is not None:
            await self.rpc_server.start(connection)
        clock.step("subscriptions")
        if self.relay is not None:
            self._relay_task = asyncio.create_task(
                self.relay.run(self.settings.outbox_relay_interval), name="outbox-relay"
            )
        for name, work in self.background:
            self._background_tasks.append(asyncio.create_task(work(), name=name))
        log.info(
            "service started",
            extra={"database": self.database.name, "startup_seconds": clock.report()},
        )

    async def stop(self) -> None:
        for task in (*self._background_tasks, self._relay_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._background_tasks.clear()
        if self.rpc_server is not None:  # no new requests; those in progress answer
            await self.rpc_server.stop(DRAIN_SECONDS)
        # Publish what replies already promised while NATS is still there; anything that
        # misses it stays in an outbox for the relay at the next start.
        # Bounded: a hung database must not hang the shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await drain_post_reply_work()
        await self.broker.stop()
        await self.client.close()
        log.info("service stopped")

    async def _connect_to_nats(self, wait_seconds: float = 60.0) -> Any:
        """`make run` starts NATS beside the services: retried soon, logged once."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        attempts = 0
        while True:
            try:
                return await self.broker.connect()
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                if attempts == 0:
                    log.warning("waiting for NATS")
                attempts += 1
                await asyncio.sleep(RETRY_SECONDS)

    async def _wait_for_database(self, wait_seconds: float = 60.0) -> None:
        """In a fresh deployment the database may start after the service."""
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            try:
                async with asyncio.timeout(2.0):
                    await ping(self.database)
                return
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                log.warning("waiting for the database")
                await asyncio.sleep(RETRY_SECONDS)


async def run_forever(runtime: ServiceRuntime) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await runtime.start()
    try:
        await stopping.wait()
    finally:
        await runtime.stop()


def serve(service: str, bootstrap: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    """A service's ``main``: configure telemetry, bootstrap, run until signalled."""
    from huddle_shared.telemetry import configure_telemetry

    settings = ServiceSettings()
    configure_telemetry(service, settings.log_level)
    asyncio.run(run_forever(bootstrap(settings)))
