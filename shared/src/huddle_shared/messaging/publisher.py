"""Publishes events to JetStream with ``Nats-Msg-Id`` = event id, so a re-send is stored once."""

from typing import Protocol

from faststream.nats import NatsBroker

from huddle_shared.services import stream_for_subject

MSG_ID_HEADER = "Nats-Msg-Id"
EVENT_TYPE_HEADER = "Huddle-Event-Type"


class EventPublisher(Protocol):
    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        """Publish and wait for JetStream's acknowledgement (raises if not stored)."""


class JetStreamEventPublisher:
    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker

    async def publish(self, subject: str, data: bytes, *, event_id: str, event_type: str) -> None:
        await self._broker.publish(
            data,
            subject,
            headers={
                MSG_ID_HEADER: event_id,
                EVENT_TYPE_HEADER: event_type,
                "content-type": "application/json",
            },
            stream=stream_for_subject(subject).name,
            timeout=5.0,
        )
