"""Builds one service process: broker, database, outbox relay, routes, consumers, runtime.

A service's ``bootstrap`` makes a ``ServiceBuilder``, adds its own routes, event
subscriptions and start hooks, and returns ``builder.build()``. Nothing connects until the
runtime starts, so building is also how the AsyncAPI generator and the tests inspect it.
"""

import functools
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

from faststream.nats import NatsRouter
from pymongo.asynchronous.collection import AsyncCollection

from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.registry import payload_type
from huddle_shared.contracts.streams import StreamSpec
from huddle_shared.messaging.broker import create_broker, deliver_prefix
from huddle_shared.messaging.caller_assertions import CallerVerifier, key_files
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.messaging.dead_letter import RetryPolicy
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.routes import Route, RouteTable, raw_routes, serve
from huddle_shared.messaging.rpc import CallerCheck, RpcServer, after_reply
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.runtime import BackgroundWork, ServiceRuntime, StartHook
from huddle_shared.services import ServiceSpec
from huddle_shared.storage.idempotency_keys import IdempotencyKeys
from huddle_shared.storage.mongo import create_client
from huddle_shared.storage.outbox import Entry, OutboxRelay
from huddle_shared.telemetry import tracing_enabled


class PostReplyRelay(OutboxRelay):
    """Inside an RPC handler, publishes a write's outbox just after the reply (in order per
    document, ``after_reply``), so the caller does not wait for
    JetStream's acknowledgement. The entries are already stored with the write: if the
    process dies first, the relay publishes them later. Elsewhere it publishes at once."""

    async def publish(
        self, collection: AsyncCollection[Any], doc_id: Any, entries: list[Entry] | None
    ) -> None:
        # Read the outbox again when the work runs: by then the document may hold more, or
        # be gone (an erasure deleted it), and what it no longer holds must not go out.
        work = functools.partial(super().publish, collection, doc_id, None)
        key = ("outbox", collection.database.name, collection.name, doc_id)
        if not after_reply(key, work):
            await work()


@dataclass(frozen=True)
class _Consumer:
    """One durable consumer: what it reads and the dispatcher that applies its events."""

    durable: str
    stream: StreamSpec
    dispatcher: EventDispatcher
    description: str


class ServiceBuilder:
    def __init__(self, spec: ServiceSpec, settings: ServiceSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.broker = create_broker(
            settings.nats_url,
            service=spec.name,
            retry=RetryPolicy(backoff_seconds=settings.retry_backoff_seconds),
            nkey_seed_file=settings.nats_nkey_seed_file,
        )
        # Unset, the service can be built (AsyncAPI, tests) but refuses to start.
        paths = key_files(settings.caller_verify_key_files)
        self.caller_verifier = (
            CallerVerifier.from_files(paths, settings.instance_id) if paths else None
        )
        # Innermost: it runs just before the handler and its validation.
        self.caller_check = CallerCheck(self.caller_verifier, service=spec.name)
        self.broker.add_middleware(self.caller_check)
        # The RPC subscribers (and health): documented always, started by FastStream only
        # when tracing is on; otherwise ``RpcServer`` serves them (decision 0027).
        self.rpc_router = NatsRouter()
        self.client = create_client(settings.mongodb_url, app_name=f"huddle-{spec.name}")
        self.database = self.client[settings.database_for(spec.name)]
        self._routes: list[Route] = []
        self._consumers: list[_Consumer] = []
        self._start_hooks: list[StartHook] = []
        self._background: list[BackgroundWork] = []
        self._jetstream_api: list[str] = []
        self._relay: OutboxRelay | None = None
        # Replies kept for retries with the same Idempotency-Key, in the service's own database.
        self.idempotency_keys = IdempotencyKeys(
            self.database, retention=timedelta(hours=settings.idempotency_key_hours)
        )

    @property
    def relay(self) -> OutboxRelay:
        if self._relay is None:
            self._relay = PostReplyRelay(JetStreamEventPublisher(self.broker), [])
        return self._relay

    def serve(self, routes: Iterable[Route]) -> None:
        self._routes.extend(routes)

    def consume(self, subscription: Subscription, **dependencies: Any) -> EventDispatcher:
        """A durable consumer feeding the subscription's handlers, given their dependencies."""
        dispatcher = subscription.dispatcher(**dependencies)
        self._consumers.append(
            _Consumer(
                subscription.durable, subscription.stream, dispatcher, subscription.description
            )
        )
        return dispatcher

    def include(self, handlers: ModuleType, **dependencies: Any) -> None:
        """Everything a handlers module declares (its ``Subscription``s and its ``RouteTable``),
        bound to the dependencies their handlers name."""
        for declared in vars(handlers).values():
            if isinstance(declared, Subscription):
                self.consume(declared, **dependencies)
            elif isinstance(declared, RouteTable):
                self.serve(declared.bind(**dependencies))

    def consume_into(
        self, dispatcher: EventDispatcher, *, stream: StreamSpec, durable: str, description: str
    ) -> None:
        """A durable consumer for a dispatcher built elsewhere (a shared projection)."""
        self._consumers.append(_Consumer(durable, stream, dispatcher, description))

    def publishes(self, payload_types: Iterable[type[EventPayload]]) -> None:
        """Documents (AsyncAPI) the events this service publishes; each must be registered."""
        for model in payload_types:
            payload_type(model.event_type, model.version)  # raises if the registry lacks it
            if model.producer != self.spec.name:
                raise ValueError(f"{model.__name__} is produced by {model.producer}")
            self.broker.publisher(
                model.subject_pattern(),
                title=model.subject_pattern(),
                description=f"{model.event_type} v{model.version}, in an EventEnvelope.",
                schema=model,
            )

    def uses_jetstream_api(self, *subjects: str) -> None:
        """JetStream API subjects this service needs beyond its own stream and consumers
        (e.g. purging other streams): its NATS permissions are derived from them."""
        self._jetstream_api.extend(subjects)

    def on_start(self, *hooks: StartHook) -> None:
        """Run at start, before messages flow, in order (indexes, the configured admin)."""
        self._start_hooks.extend(hooks)

    def in_background(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work`` (a loop) once the service has started, until it stops."""
        self._background.append((name, work))

    def build(self) -> ServiceRuntime:
        serve(
            self.rpc_router,
            self.spec.name,
            self._routes,
            max_workers=self.settings.rpc_workers,
            idempotency_keys=self.idempotency_keys,
        )
        self.broker.include_router(self.rpc_router)
        rpc_server = None
        if not tracing_enabled():  # with tracing, FastStream's middleware carries the trace
            rpc_server = RpcServer(
                self.spec.name,
                raw_routes(self._routes, idempotency_keys=self.idempotency_keys),
                check=self.caller_check,
                max_workers=self.settings.rpc_workers,
            )
        for consumer in self._consumers:
            subscribe_events(
                self.broker,
                stream=consumer.stream,
                durable=consumer.durable,
                dispatcher=consumer.dispatcher,
                description=consumer.description,
                inbox_prefix=deliver_prefix(self.spec.name),
            )
        return ServiceRuntime(
            name=self.spec.name,
            settings=self.settings,
            broker=self.broker,
            client=self.client,
            database=self.database,
            relay=self._relay,
            caller_verifier=self.caller_verifier,
            rpc_router=self.rpc_router,
            rpc_server=rpc_server,
            start_hooks=[self.idempotency_keys.create_indexes, *self._start_hooks],
            routes=tuple(self._routes),
            dispatchers={c.durable: c.dispatcher for c in self._consumers},
            consumers={c.durable: c.stream for c in self._consumers},
            jetstream_api=tuple(self._jetstream_api),
            background=tuple(self._background),
        )
