"""Builds a service's NATS broker with tracing and the retry/dead-letter policy in place."""

import logging

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware

from huddle_shared.messaging.dead_letter import DeadLetterMiddleware, RetryPolicy
from huddle_shared.messaging.rpc import RpcValidationMiddleware


def create_broker(url: str, *, service: str, retry: RetryPolicy | None = None) -> NatsBroker:
    dead_letters = DeadLetterMiddleware(retry)
    broker = NatsBroker(
        url,
        name=f"huddle-{service}",
        # Outermost first: the trace spans the retry decision too.
        middlewares=[NatsTelemetryMiddleware(), dead_letters, RpcValidationMiddleware],
        logger=logging.getLogger("huddle.messaging"),  # our JSON handler, not FastStream's own
        log_level=logging.DEBUG,  # one line per message is too much at INFO
        graceful_timeout=10.0,
        max_reconnect_attempts=-1,
    )
    dead_letters.broker = broker
    return broker
