"""Which errors mean "a server is unavailable" (wait and retry) rather than "this message or
entry is wrong" (count it, then give up on it).

An outage heals: a database restart or a NATS reconnect must not cost a single event, so
these errors are retried without limit and never dead-lettered.
"""

import asyncio
from collections.abc import Iterator

import nats.errors
import nats.js.errors
from pymongo.errors import ConnectionFailure, PyMongoError

# NATS: no connection, no server, no reply in time, JetStream temporarily without a leader.
_NATS_UNAVAILABLE: tuple[type[BaseException], ...] = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.StaleConnectionError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.ConnectionClosedError,
    nats.errors.NoServersError,
    nats.errors.ConnectionDrainingError,
    nats.errors.ConnectionReconnectingError,
    nats.js.errors.ServiceUnavailableError,
    nats.js.errors.NoStreamResponseError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` (or what caused it) says the database or NATS is unavailable."""
    for error in _chain(exc):
        # ConnectionFailure covers AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError;
        # ``timeout`` is set on every client-side timeout (``timeoutMS``), ExecutionTimeout too.
        if isinstance(error, ConnectionFailure):
            return True
        if isinstance(error, PyMongoError) and error.timeout:
            return True
        if isinstance(error, _NATS_UNAVAILABLE):
            return True
        if isinstance(error, (asyncio.TimeoutError, ConnectionError)):
            return True
    return False
