"""Erasure reaches the event log: membership purges an erased member's events (decision 0012).

On its own ``member.erased``, membership purges the member's subjects from every events
stream and from ``DEAD_LETTERS`` at once, so no consumer that is behind ever reads the
member's data (it needs none: it will read ``member.erased`` next). A consumer that was
already handling one of the member's events may still dead-letter it, so membership
waits, by redelivering ``member.erased`` to itself with a growing delay (never
dead-lettering it), and purges again at each delivery, until every other durable consumer
of the stream had acknowledged everything up to the erasure before that delivery's purge,
and the member's outbox held nothing the relay would still publish. Purging is idempotent,
so a redelivery or a second replica repeats it harmlessly.
"""

import logging
from typing import Any

from faststream.exceptions import NackMessage
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.messaging.event_log import EventLog, api_subjects
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.service import ServiceBuilder
from huddle_shared.storage.outbox import OUTBOX_FIELD
from pymongo.asynchronous.collection import AsyncCollection

from huddle_membership.members.repository import MEMBERS

log = logging.getLogger(__name__)

DURABLE = "membership-event-log-erasure"
MAX_WAIT_SECONDS = 60.0


erasures = Subscription(
    DURABLE, "Purges an erased member's events and dead letters from every stream."
)


def wait_before_retry(deliveries: int) -> float:
    """1, 2, 4 … seconds, at most a minute: a consumer that is down may be down a while."""
    return float(min(2 ** (deliveries - 1), MAX_WAIT_SECONDS))


@erasures.handler
async def purge_erased_member(
    envelope: EventEnvelope,
    event: MemberErasedV1,
    *,
    event_log: EventLog,
    members: AsyncCollection[Any],
) -> None:
    position = event_log.position()
    # Checked before purging: a consumer that has acknowledged everything up to the erasure
    # has written every dead letter it will write of the member's earlier events.
    waiting_for = await event_log.consumers_behind(
        position.stream, position.sequence, ignore=[DURABLE]
    )
    # An earlier change whose publish failed is still in the member's outbox: the relay
    # publishes it after member.erased, so purge again once it has.
    if await _unpublished(members, envelope, event):
        waiting_for.append(f"the outbox of {MEMBERS}")
    await event_log.purge_member(event.member_id)
    if waiting_for:
        delay = wait_before_retry(position.deliveries)
        log.info(
            "erased member purged; waiting for consumers to purge again",
            extra={"member_id": str(event.member_id), "consumers": waiting_for, "delay": delay},
        )
        raise NackMessage(delay=delay)  # a wait, not a failure: never dead-lettered


async def _unpublished(
    members: AsyncCollection[Any], envelope: EventEnvelope, event: MemberErasedV1
) -> bool:
    """Whether the member's outbox holds an entry other than this erasure."""
    document = await members.find_one({"_id": str(event.member_id)}, {OUTBOX_FIELD: 1})
    entries = (document or {}).get(OUTBOX_FIELD) or []
    return any(entry["id"] != str(envelope.event_id) for entry in entries)


def consume_erasures(service: ServiceBuilder) -> None:
    """Subscribe membership to its own ``member.erased`` events, to purge the event log."""
    service.consume(erasures, event_log=EventLog(service.broker), members=service.database[MEMBERS])
    service.uses_jetstream_api(*api_subjects(erasures.stream))
