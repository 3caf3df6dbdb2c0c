"""Publishes events to JetStream with ``Nats-Msg-Id`` = event id, so a re-send is stored once."""

from typing import Protocol

import nats.errors
import nats.js.errors
from faststream.nats import NatsBroker

from huddle_shared.contracts.streams import DEAD_LETTERS, dead_letter_subject
from huddle_shared.services import stream_for_subject

MSG_ID_HEADER = "Nats-Msg-Id"
EVENT_TYPE_HEADER = "Huddle-Event-Type"
# JetStream's "message size exceeds maximum allowed" (a stream's max_msg_size).
_JS_MESSAGE_TOO_LARGE = 10054


class Unpublishable(Exception):
    """This message can never be stored (too large, no stream takes its subject): retrying
    will not help, so it is dead-lettered instead."""


class EventPublisher(Protocol):
    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        """Publish and wait for JetStream's acknowledgement (raises if not stored;
        ``Unpublishable`` if it never can be)."""

    async def dead_letter(
        self,
        source: str,
        data: bytes,
        *,
        original_subject: str,
        msg_id: str,
        headers: dict[str, str],
    ) -> None:
        """Store ``data`` in the dead-letter stream (see ``dead_letter_subject``)."""


class JetStreamEventPublisher:
    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker

    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        try:
            stream = stream_for_subject(subject).name
        except LookupError as exc:
            raise Unpublishable(str(exc)) from exc
        try:
            await self._broker.publish(
                data,
                subject,
                headers={
                    MSG_ID_HEADER: event_id,
                    EVENT_TYPE_HEADER: event_type,
                    "content-type": "application/json",
                },
                stream=stream,
                timeout=5.0,
            )
        except nats.errors.MaxPayloadError as exc:
            raise Unpublishable(f"{len(data)} bytes is over NATS's message limit") from exc
        except nats.js.errors.APIError as exc:
            if exc.err_code == _JS_MESSAGE_TOO_LARGE:
                raise Unpublishable(f"{len(data)} bytes is over the stream's limit") from exc
            raise

    async def dead_letter(
        self,
        source: str,
        data: bytes,
        *,
        original_subject: str,
        msg_id: str,
        headers: dict[str, str],
    ) -> None:
        await self._broker.publish(
            data,
            dead_letter_subject(source, original_subject),
            headers={**headers, MSG_ID_HEADER: msg_id},
            stream=DEAD_LETTERS.name,
            timeout=5.0,
        )
