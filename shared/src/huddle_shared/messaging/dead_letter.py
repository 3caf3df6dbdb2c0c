"""Redelivery with back-off, then a dead-letter stream: no failed message is dropped.

FastStream's default for NATS drops (terminates) a message whose handler raised. This
middleware replaces that: a failed JetStream message is nacked with a growing delay, and
after ``max_deliveries`` tries (or at once, for a message that can never succeed) it is
copied to ``deadletter.<consumer>`` with the reason and original subject, then acked so the
consumer keeps flowing.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from faststream import BaseMiddleware
from faststream.exceptions import AckMessage, HandlerException, NackMessage
from faststream.message import StreamMessage
from nats.aio.msg import Msg
from pydantic import ValidationError

from huddle_shared.contracts.streams import DEAD_LETTERS, dead_letter_subject
from huddle_shared.errors import PermanentFailure

log = logging.getLogger(__name__)

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

    def delay_after(self, deliveries: int) -> float:
        index = min(deliveries - 1, len(self.backoff_seconds) - 1)
        return self.backoff_seconds[max(index, 0)]


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
        try:
            return await call_next(msg)
        except HandlerException:
            raise
        except Exception as exc:
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
        log.error(
            "message dead-lettered",
            extra={"subject": raw.subject, "consumer": consumer, "reason": reason},
        )
