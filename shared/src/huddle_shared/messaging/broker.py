"""Builds a service's NATS broker with tracing and the retry/dead-letter policy in place."""

import logging
from pathlib import Path
from typing import Any

from faststream.nats import NatsBroker, NatsNKey
from faststream.nats.opentelemetry import NatsTelemetryMiddleware

from huddle_shared.messaging.dead_letter import DeadLetterMiddleware, RetryPolicy
from huddle_shared.messaging.nats_options import (  # re-exported: callers import them from here
    connection_options as connection_options,
)
from huddle_shared.messaging.nats_options import (
    deliver_prefix as deliver_prefix,
)
from huddle_shared.messaging.nats_options import (
    inbox_prefix as inbox_prefix,
)
from huddle_shared.messaging.nats_options import seed_path as _seed
from huddle_shared.messaging.rpc import RpcValidationMiddleware
from huddle_shared.telemetry import tracing_enabled


def broker_options(principal: str, nkey_seed_file: str | Path | None) -> dict[str, Any]:
    """The same for FastStream's ``NatsBroker`` (which takes the nkey as ``security``)."""
    options: dict[str, Any] = {"inbox_prefix": inbox_prefix(principal)}
    if nkey_seed_file is not None:
        options["security"] = NatsNKey.from_file(_seed(nkey_seed_file))
    return options


def create_broker(
    url: str,
    *,
    service: str,
    retry: RetryPolicy | None = None,
    nkey_seed_file: str | Path | None = None,
    principal: str | None = None,
) -> NatsBroker:
    """``principal`` (default: ``service``) names the NATS user the seed belongs to."""
    dead_letters = DeadLetterMiddleware(retry)
    # Outermost first: the trace spans the retry decision too. Without an exporter, no
    # telemetry middleware: it would only build spans nobody receives.
    telemetry = [NatsTelemetryMiddleware()] if tracing_enabled() else []
    broker = NatsBroker(
        url,
        name=f"huddle-{service}",
        middlewares=[*telemetry, dead_letters, RpcValidationMiddleware],
        logger=logging.getLogger("huddle.messaging"),  # our JSON handler, not FastStream's own
        log_level=logging.DEBUG,  # one line per message is too much at INFO
        graceful_timeout=10.0,
        max_reconnect_attempts=-1,
        **broker_options(principal or service, nkey_seed_file),
    )
    dead_letters.broker = broker
    return broker
