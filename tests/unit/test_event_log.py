"""Which consumers the erasure purge waits for, and how long it waits between looks."""

from types import SimpleNamespace
from typing import Any

import pytest
from huddle_membership.event_log import DURABLE, wait_before_retry
from huddle_shared.messaging.event_log import EventLog

pytestmark = pytest.mark.unit


def consumer(
    name: str | None, acked: int, *, pending: int = 0, ack_pending: int = 0
) -> SimpleNamespace:
    return SimpleNamespace(
        config=SimpleNamespace(durable_name=name),
        ack_floor=SimpleNamespace(stream_seq=acked),
        num_pending=pending,
        num_ack_pending=ack_pending,
    )


class FakeJetStream:
    def __init__(self, consumers: list[SimpleNamespace], page: int = 2) -> None:
        self.consumers, self.page = consumers, page

    async def consumers_info(self, stream: str, offset: int | None = None) -> list[Any]:
        start = offset or 0
        return self.consumers[start : start + self.page]


def event_log(consumers: list[SimpleNamespace]) -> EventLog:
    js = FakeJetStream(consumers)
    broker: Any = SimpleNamespace(connection=SimpleNamespace(jetstream=lambda: js))
    return EventLog(broker)


async def test_waits_for_durable_consumers_still_short_of_the_erasure() -> None:
    log = event_log(
        [
            consumer("notes-redaction-names", acked=9, ack_pending=1),  # handling an earlier one
            consumer("scheduling-attendees", acked=10),  # acknowledged the erasure
            consumer("insights-member-counts", acked=4, pending=3),  # not there yet
            consumer("signposting-organisation-directory", acked=4),  # nothing left to do
            consumer(None, acked=0, pending=10),  # ephemeral: writes no dead letters
            consumer(DURABLE, acked=9, ack_pending=1),  # the purge itself
        ]
    )
    behind = await log.consumers_behind("MEMBERSHIP_EVENTS", 10, ignore=[DURABLE])
    assert behind == ["insights-member-counts", "notes-redaction-names"]


async def test_nobody_behind_once_all_have_acknowledged_past_the_erasure() -> None:
    log = event_log([consumer("a", acked=12), consumer("b", acked=10), consumer("c", acked=3)])
    assert await log.consumers_behind("MEMBERSHIP_EVENTS", 10) == []


def test_the_wait_grows_and_is_capped_at_a_minute() -> None:
    assert [wait_before_retry(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert wait_before_retry(50) == 60.0
