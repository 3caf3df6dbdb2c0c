"""Redelivery with back-off, then a dead-letter stream: no failed message is dropped.

FastStream's default for NATS drops (terminates) a message whose handler raised. This
middleware replaces that, by what the error means:

- The database or NATS is unavailable (``faults.is_unavailable``): not the message's fault.
  The handler is retried in place, without limit, with capped back-off (the message's ack
  deadline is extended meanwhile), and the message is never dead-lettered: an outage heals.
- The consumer handles this event type, but not at this version (``VersionNotHandled``, a
  rolling upgrade): the message is refused (nacked with a delay) and stays in the stream
  until a consumer that knows the version takes it. Counted in a metric and logged.
- Anything else is the message's fault (invalid data, a handler that raises on it): nacked
  with a growing delay, and after ``max_deliveries`` tries (or at once, for a message that
  can never succeed) copied to ``deadletter.<consumer>`` with the reason and original
  subject, then acked so the consumer keeps flowing.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from faststream import BaseMiddleware
from faststream.exceptions import AckMessage, HandlerException, NackMessage
from faststream.message import StreamMessage
from nats.aio.msg import Msg
from opentelemetry import metrics
from pydantic import ValidationError

from huddle_shared.contracts.streams import DEAD_LETTERS, dead_letter_subject
from huddle_shared.errors import PermanentFailure
from huddle_shared.faults import is_unavailable
from huddle_shared.messaging.consumer import VersionNotHandled

log = logging.getLogger(__name__)
_meter = metrics.get_meter("huddle.messaging")
_outage_retries = _meter.create_counter(
    "huddle.consumer.outage_retries",
    description="Handler retries because the database or NATS was unavailable",
)
_refused_versions = _meter.create_counter(
    "huddle.consumer.refused_versions",
    description="Events refused (kept in the stream) because their version is not handled here",
)
_dead_letters = _meter.create_counter(
    "huddle.consumer.dead_letters", description="Messages a consumer gave up on"
)

REASON_HEADER = "Huddle-Dead-Letter-Reason"
ORIGINAL_SUBJECT_HEADER = "Huddle-Original-Subject"
ORIGINAL_STREAM_HEADER = "Huddle-Original-Stream"
ORIGINAL_SEQUENCE_HEADER = "Huddle-Original-Sequence"
CONSUMER_HEADER = "Huddle-Consumer"
DELIVERIES_HEADER = "Huddle-Deliveries"

PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentFailure,
    ValidationError,
    UnicodeDecodeError,
    json.JSONDecodeError,
)


@dataclass(frozen=True)
class RetryPolicy:
    max_deliveries: int = 5
    backoff_seconds: Sequence[float] = field(default=(0.5, 2.0, 10.0, 30.0))
    # While the database or NATS is unavailable: retry in place, for ever, at most this far
    # apart (well inside the consumer's ack wait, which each retry extends).
    outage_backoff_seconds: Sequence[float] = field(default=(0.2, 0.5, 1.0, 2.0, 5.0))
    # A version this consumer does not handle is offered again this often.
    refused_delay_seconds: float = 30.0
    # A handler still running after this long is cancelled and retried as an outage (a hung
    # database): inside the consumer's 30 s ack wait, so the message stays ours.
    handler_timeout_seconds: float = 20.0

    def delay_after(self, deliveries: int) -> float:
        index = min(deliveries - 1, len(self.backoff_seconds) - 1)
        return self.backoff_seconds[max(index, 0)]

    def outage_delay(self, attempt: int) -> float:
        index = min(attempt - 1, len(self.outage_backoff_seconds) - 1)
        return self.outage_backoff_seconds[max(index, 0)]


class DeadLetterMiddleware:
    """Broker middleware factory (FastStream calls it once per message)."""

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        self.policy = policy or RetryPolicy()
        self.broker: Any = None  # bound by create_broker: the broker needs this middleware first

    def __call__(self, msg: Any, /, *, context: Any) -> "_DeadLetterScope":
        return _DeadLetterScope(msg, context=context, factory=self)


class _DeadLetterScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, factory: DeadLetterMiddleware) -> None:
        super().__init__(msg, context=context)
        self.policy = factory.policy
        self.factory = factory

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        if not isinstance(raw, Msg) or not (raw.reply or "").startswith("$JS.ACK."):
            return await call_next(msg)  # core NATS (RPC): nothing to redeliver
        outage_attempts = 0
        while True:
            try:
                async with asyncio.timeout(self.policy.handler_timeout_seconds):
                    return await call_next(msg)
            except HandlerException:
                raise
            except VersionNotHandled as exc:
                self._refuse(raw, exc)
                raise NackMessage(delay=self.policy.refused_delay_seconds) from exc
            except Exception as exc:
                if not is_unavailable(exc):
                    await self._message_failed(raw, exc)
                outage_attempts += 1
                await self._wait_out_outage(raw, exc, outage_attempts)

    def _refuse(self, raw: Msg, exc: VersionNotHandled) -> None:
        consumer = raw.metadata.consumer or "unknown"
        _refused_versions.add(1, {"consumer": consumer, "subject": raw.subject})
        log.warning(
            "event version not handled here; refused, it stays in the stream",
            extra={
                "subject": raw.subject,
                "consumer": consumer,
                "reason": str(exc),
                "delay": self.policy.refused_delay_seconds,
            },
        )

    async def _wait_out_outage(self, raw: Msg, exc: Exception, attempt: int) -> None:
        delay = self.policy.outage_delay(attempt)
        consumer = raw.metadata.consumer or "unknown"
        _outage_retries.add(1, {"consumer": consumer})
        log.warning(
            "database or NATS unavailable; retrying the handler",
            extra={"subject": raw.subject, "consumer": consumer, "attempt": attempt},
            exc_info=exc if attempt == 1 else None,
        )
        # Keep the message ours while we wait (fails harmlessly while NATS is away).
        with contextlib.suppress(Exception):
            await raw.in_progress()
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):
            await raw.in_progress()

    async def _message_failed(self, raw: Msg, exc: Exception) -> NoReturn:
        """Raises the nack or ack that settles a message whose own content failed."""
        metadata = raw.metadata
        deliveries = metadata.num_delivered or 1
        permanent = isinstance(exc, PERMANENT_ERRORS)
        if not permanent and deliveries < self.policy.max_deliveries:
            delay = self.policy.delay_after(deliveries)
            log.warning(
                "handler failed; redelivering",
                extra={"subject": raw.subject, "deliveries": deliveries, "delay": delay},
                exc_info=exc,
            )
            raise NackMessage(delay=delay) from exc
        try:
            await self._dead_letter(raw, exc, deliveries)
        except Exception as publish_error:
            # Keep the message: it is redelivered and dead-lettered once the stream takes it.
            log.error("dead-letter publish failed; redelivering", exc_info=publish_error)
            raise NackMessage(delay=self.policy.delay_after(deliveries)) from exc
        raise AckMessage() from exc

    async def _dead_letter(self, raw: Msg, exc: Exception, deliveries: int) -> None:
        metadata = raw.metadata
        consumer = metadata.consumer or "unknown"
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        headers = {k: v for k, v in (raw.headers or {}).items() if not k.startswith("Nats-")}
        headers.update(
            {
                REASON_HEADER: reason.replace("\r", " ").replace("\n", " "),
                ORIGINAL_SUBJECT_HEADER: raw.subject,
                ORIGINAL_STREAM_HEADER: metadata.stream or "",
                ORIGINAL_SEQUENCE_HEADER: str(metadata.sequence.stream),
                CONSUMER_HEADER: consumer,
                DELIVERIES_HEADER: str(deliveries),
                # Re-sending the same dead letter is stored once.
                "Nats-Msg-Id": f"{metadata.stream}:{metadata.sequence.stream}:{consumer}",
            }
        )
        broker = self.factory.broker
        subject = dead_letter_subject(consumer, raw.subject)
        await broker.publish(raw.data, subject, headers=headers, stream=DEAD_LETTERS.name)
        _dead_letters.add(1, {"consumer": consumer})
        log.error(
            "message dead-lettered",
            extra={"subject": raw.subject, "consumer": consumer, "reason": reason},
        )
