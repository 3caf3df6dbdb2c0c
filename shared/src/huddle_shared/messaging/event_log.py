"""Removing a member's personal data from the event log (decision 0012).

Events that carry a member's personal data travel on that member's own subject
(``events.<producer>.personal.<member id>.…``, see ``contracts.envelope``), and their dead
letters keep that subject after the consumer's name (``deadletter.<consumer>.<subject>``).
So one purge by subject filter per stream removes all of them, and nothing else.

JetStream needs, for this: ``$JS.API.STREAM.PURGE.<stream>`` on every events stream and
``DEAD_LETTERS``, and ``$JS.API.CONSUMER.LIST.<stream>`` on the stream whose consumers are
waited for.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from huddle_shared.contracts.envelope import member_subjects
from huddle_shared.contracts.streams import DEAD_LETTERS, StreamSpec, dead_letters_of
from huddle_shared.services import SERVICES, all_streams

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    """Where the message being handled sits: its stream, sequence and deliveries so far."""

    stream: str
    sequence: int
    deliveries: int


def member_filters(member_id: UUID | str) -> list[tuple[StreamSpec, str]]:
    """(stream, subject filter) pairs that match every message carrying the member's data."""
    filters = []
    for spec in SERVICES:
        events = member_subjects(spec.name, member_id)
        filters.append((spec.stream, events))
        filters.append((DEAD_LETTERS, dead_letters_of(events)))
    return filters


def api_subjects(watched: StreamSpec) -> tuple[str, ...]:
    """The JetStream API subjects ``EventLog`` publishes to, purging every stream and
    watching the consumers of ``watched`` (the service grants them, ``uses_jetstream_api``)."""
    purges = tuple(f"$JS.API.STREAM.PURGE.{spec.name}" for spec in all_streams())
    return (*purges, f"$JS.API.CONSUMER.LIST.{watched.name}")


class EventLog:
    """The broker's JetStream, for purging a member and watching consumers' progress."""

    def __init__(self, broker: NatsBroker) -> None:
        self._broker = broker

    @property
    def _js(self) -> JetStreamContext:
        return self._broker.connection.jetstream()

    async def purge_member(self, member_id: UUID | str) -> None:
        """Remove every message carrying the member's data. Idempotent: purging a filter that
        matches nothing succeeds and changes nothing."""
        for stream, subjects in member_filters(member_id):
            await self._js.purge_stream(stream.name, subject=subjects)
        log.info("member's events purged", extra={"member_id": str(member_id)})

    async def consumers_behind(
        self, stream: str, sequence: int, *, ignore: Iterable[str] = ()
    ) -> list[str]:
        """Durable consumers of ``stream`` that have not yet acknowledged everything up to
        ``sequence``: one of them may still dead-letter an earlier message."""
        ignored = set(ignore)
        behind = []
        for info in await self._all_consumers(stream):
            durable = info.config.durable_name
            if not durable or durable in ignored:
                continue  # ephemeral consumers write no dead letters
            acked = info.ack_floor.stream_seq if info.ack_floor else 0
            caught_up = not info.num_pending and not info.num_ack_pending
            if (acked or 0) < sequence and not caught_up:
                behind.append(durable)
        return sorted(behind)

    async def _all_consumers(self, stream: str) -> list[Any]:
        found: list[Any] = []
        while True:
            page = await self._js.consumers_info(stream, offset=len(found))
            found.extend(page)
            if not page:
                return found

    def position(self) -> Position:
        """The JetStream position of the message the current handler is handling."""
        message = self._broker.context.get_local("message")
        raw = getattr(message, "raw_message", None)
        if not isinstance(raw, Msg):
            raise RuntimeError("not handling a JetStream message")
        metadata = raw.metadata
        return Position(
            stream=metadata.stream,
            sequence=metadata.sequence.stream,
            deliveries=metadata.num_delivered or 1,
        )
