"""Consuming events: one durable pull consumer per (service, purpose), dispatching by type.

Replicas of a service bind the same durable name and so share the work. Handlers must be
idempotent (see ``storage.idempotency``): JetStream delivers at least once.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream import AckPolicy
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, PullSub
from nats.js.api import INBOX_PREFIX

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.streams import StreamSpec
from huddle_shared.errors import PermanentFailure

log = logging.getLogger(__name__)

P = TypeVar("P", bound=EventPayload)
EventHandler = Callable[[EventEnvelope, Any], Awaitable[None]]

ACK_WAIT_SECONDS = 30.0


class VersionNotHandled(Exception):
    """An event of a type this consumer handles, at a version it does not (yet) handle: it is
    refused (see ``dead_letter``) and stays in the stream for a consumer that does, instead
    of being acknowledged and lost (a rolling upgrade publishes v2 before every consumer
    knows it)."""


class EventDispatcher:
    """Maps (event type, version) to a handler. Event types this consumer has no handler for
    are acknowledged and ignored; a handled type at another version is refused."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, int], tuple[type[EventPayload], EventHandler]] = {}

    def on(
        self,
        payload_type: type[P],
        handler: Callable[[EventEnvelope, P], Awaitable[None]],
        *,
        replace: bool = False,
    ) -> None:
        key = (payload_type.event_type, payload_type.version)
        if key in self._routes and not replace:  # one handler per event type and consumer
            raise ValueError(f"{payload_type.__name__} already has a handler here")
        self._routes[key] = (payload_type, handler)

    def handler(self, payload_type: type[P]) -> Callable[[EventEnvelope, P], Awaitable[None]]:
        """The handler registered for ``payload_type`` (tests wrap it to inject failures)."""
        return self._routes[(payload_type.event_type, payload_type.version)][1]

    @property
    def handled(self) -> list[type[EventPayload]]:
        return [payload_type for payload_type, _ in self._routes.values()]

    async def dispatch(self, envelope: EventEnvelope) -> None:
        route = self._routes.get((envelope.event_type, envelope.schema_version))
        if route is None:
            handled = sorted(v for (t, v) in self._routes if t == envelope.event_type)
            if handled:
                raise VersionNotHandled(
                    f"{envelope.event_type} v{envelope.schema_version} arrived; this consumer "
                    f"handles {', '.join(f'v{v}' for v in handled)}"
                )
            log.debug("ignoring event", extra={"event_type": envelope.event_type})
            return
        payload_type, handler = route
        try:
            payload = envelope.payload_as(payload_type)
        except ValueError as exc:
            raise PermanentFailure(
                f"payload does not match {payload_type.__name__}: {exc}"
            ) from exc
        await handler(envelope, payload)


def subscribe_events(
    broker: NatsBroker,
    *,
    stream: StreamSpec,
    durable: str,
    dispatcher: EventDispatcher,
    description: str,
    inbox_prefix: bytes = INBOX_PREFIX,
) -> None:
    """Attach a durable pull consumer on ``stream`` that feeds ``dispatcher``; fetched
    messages arrive under ``inbox_prefix`` (the service's own, ``broker.deliver_prefix``)."""
    handled = ", ".join(f"{p.event_type} v{p.version}" for p in dispatcher.handled)

    @broker.subscriber(
        stream.subjects[0],
        stream=JStream(stream.name, declare=False),
        durable=durable,
        # One message per fetch: FastStream handles a fetched batch concurrently, and events
        # are applied in order, one at a time, per consumer (replicas share the work).
        pull_sub=PullSub(batch_size=1, timeout=1.0),
        inbox_prefix=inbox_prefix,
        config=ConsumerConfig(
            ack_wait=ACK_WAIT_SECONDS,
            max_deliver=-1,  # the dead-letter middleware bounds retries, not the server
            deliver_policy=DeliverPolicy.ALL,
        ),
        # Backstop: anything escaping the dead-letter middleware is redelivered, never dropped.
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=durable,
        description=f"{description} Handles: {handled}.",
    )
    async def consume(envelope: EventEnvelope) -> None:
        await dispatcher.dispatch(envelope)
