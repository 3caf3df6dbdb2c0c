"""The public statistics as a projection of membership's own events (decision 0025).

A durable consumer (``membership-statistics``) turns each event into changes of counts:
``organisation.registered`` +1 organisation, ``network.created`` +1 network, and a member's
events move them in or out of the active counts (by their organisation's kind and region).
Each event's change is applied exactly once: with the event's id as the idempotency marker
(``apply_once``) in the same single-document update as the ``$inc``. The counts live in one
document per hour of the events' time, so no document's markers grow without bound; the
figures are their sum, with ``revision`` the number of events applied (it grows with every
change, so the gateway can make an ETag from it).

Whether a member's event moves a count depends on the member's previous state, kept per
member (kind, region, status) in event order (``apply_in_order``): a redelivered or late
event never undoes a newer one, and a member's counted state is decided before it changes.

Reading sums the hour documents only when something changed (an event applied here, or one
seen by the read models' core subscription), and at most every ``FRESH_SECONDS`` otherwise.
"""

import asyncio
import time
from collections import Counter
from typing import Any
from uuid import UUID

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
    OrganisationRegisteredV1,
)
from huddle_shared.contracts.networks import NetworkCreatedV1
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.storage.idempotency import (
    APPLIED_FIELD,
    SEQUENCES_FIELD,
    apply_in_order,
    apply_once,
)
from huddle_shared.storage.locks import document_locks
from pymongo.asynchronous.database import AsyncDatabase

STATISTICS = "statistics"  # the counts, one document per hour of events
STATISTICS_MEMBERS = "statistics_members"  # each member's counted state
DURABLE = "membership-statistics"
UNSPECIFIED_REGION = "unspecified"  # national bodies and others without a region
FRESH_SECONDS = 1.0  # how stale a replica's figures may be after another's event
ACTIVE = "active"

_COUNTED = ("members", "organisations", "networks")


def contribution(state: dict[str, Any]) -> Counter[str]:
    """What a member in this state adds to the counts."""
    if state.get("status") != ACTIVE or not state.get("kind"):
        return Counter()
    region = state.get("region") or UNSPECIFIED_REGION
    return Counter({"members": 1, f"by_kind.{state['kind']}": 1, f"by_region.{region}": 1})


def change_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    change = Counter(contribution(after))
    change.subtract(contribution(before))
    return {key: value for key, value in change.items() if value}


def ordered_merge(
    state: dict[str, Any], fields: dict[str, Any], sequence: int | None
) -> dict[str, Any]:
    """``state`` after ``fields``, leaving each field a newer event has set (as
    ``apply_in_order`` stores it)."""
    sequences = state.get(SEQUENCES_FIELD) or {}
    newer = {
        name: value
        for name, value in fields.items()
        if sequence is None or sequences.get(name, 0) < sequence
    }
    return {**state, **newer}


def hour_of(envelope: EventEnvelope) -> str:
    """The counts document an event belongs to: the same for every delivery of it."""
    return envelope.occurred_at.strftime("%Y-%m-%dT%H")


def figures(documents: list[dict[str, Any]]) -> contract.Stats:
    totals: Counter[str] = Counter()
    by_kind = Counter(dict.fromkeys((kind.value for kind in contract.OrganisationKind), 0))
    by_region = Counter(
        dict.fromkeys([*(region.value for region in contract.Region), UNSPECIFIED_REGION], 0)
    )
    revision = 0
    for document in documents:
        revision += int(document.get("revision", 0))
        for name in _COUNTED:
            totals[name] += int(document.get(name, 0))
        by_kind.update(document.get("by_kind") or {})
        by_region.update(document.get("by_region") or {})
    return contract.Stats(
        members=totals["members"],
        organisations=totals["organisations"],
        networks=totals["networks"],
        members_by_organisation_kind=dict(by_kind),
        members_by_region=dict(by_region),
        revision=revision,
    )


class Statistics:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._counts = database[STATISTICS]
        self._members = database[STATISTICS_MEMBERS]
        self._current: contract.Stats | None = None
        self._read_at = 0.0
        self._stale = True
        self._refreshing = asyncio.Lock()

    def changed(self) -> None:
        """Something may have changed the counts (an event, here or on another replica)."""
        self._stale = True

    async def read(self) -> contract.Stats:
        """The figures from memory; summed again (one small query) only after a change."""
        if not self._needs_reading():
            assert self._current is not None
            return self._current
        async with self._refreshing:  # one reader refreshes; the others wait for it
            if self._needs_reading():
                self._stale = False
                self._read_at = time.monotonic()
                documents = await self._counts.find({}, {APPLIED_FIELD: 0}).to_list()
                self._current = figures(documents)
            assert self._current is not None
            return self._current

    def _needs_reading(self) -> bool:
        return (
            self._current is None or self._stale or time.monotonic() - self._read_at > FRESH_SECONDS
        )

    async def count(self, envelope: EventEnvelope, change: dict[str, int]) -> bool:
        """Apply ``change`` to the counts once for this event; whether this call did."""
        update = {"$inc": {**change, "revision": 1}}
        applied = await apply_once(self._counts, hour_of(envelope), str(envelope.event_id), update)
        self.changed()
        return applied

    async def member_changed(
        self, envelope: EventEnvelope, member_id: UUID, fields: dict[str, Any]
    ) -> None:
        key = str(member_id)
        async with document_locks.hold((self._members.database.name, self._members.name, key)):
            before = await self._members.find_one({"_id": key}) or {}
            after = ordered_merge(before, fields, envelope.sequence)
            await self.count(envelope, change_between(before, after))
            # After the count: a delivery that stops between the two is redelivered, finds
            # its count applied, and records the state.
            await apply_in_order(self._members, key, envelope, {"$set": fields})


statistics = Subscription(DURABLE, "Public statistics: counts kept from membership's events.")


@statistics.handler
async def on_organisation_registered(
    envelope: EventEnvelope, event: OrganisationRegisteredV1, *, statistics: Statistics
) -> None:
    await statistics.count(envelope, {"organisations": 1})


@statistics.handler
async def on_network_created(
    envelope: EventEnvelope, event: NetworkCreatedV1, *, statistics: Statistics
) -> None:
    await statistics.count(envelope, {"networks": 1})


@statistics.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, *, statistics: Statistics
) -> None:
    fields = {
        "kind": event.organisation_kind.value,
        "region": event.region.value if event.region else None,
        "status": ACTIVE,
    }
    await statistics.member_changed(envelope, event.member_id, fields)


@statistics.handler
async def on_member_status_changed(
    envelope: EventEnvelope, event: MemberStatusChangedV1, *, statistics: Statistics
) -> None:
    await statistics.member_changed(envelope, event.member_id, {"status": event.status})


@statistics.handler
async def on_member_erased(
    envelope: EventEnvelope, event: MemberErasedV1, *, statistics: Statistics
) -> None:
    # Only the counted state stays: no kind or region of the person.
    fields = {"status": "erased", "kind": None, "region": None}
    await statistics.member_changed(envelope, event.member_id, fields)
