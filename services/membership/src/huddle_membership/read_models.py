"""Membership's reads from memory (decision 0025): what every signed-in call and every
network page reads, kept in bounded ``ReadModel``s.

- Kept current by this process's own writes: the repositories drop what they write (the
  next read loads it), so a read never returns data older than the last write made
  through this process.
- Kept current by other replicas' writes through their events: a core NATS subscription
  on ``events.membership.>`` (JetStream's publishes reach core subscribers too, and every
  replica gets every message, which a shared durable consumer would not give) discards
  what each event names. Core delivery is at most once: on a reconnect everything is
  cleared, and each entry lives at most ``TTL_SECONDS`` (the backstop for the few writes
  that publish no event: a join request, a declined one, a network's chair flags).
- Erasure forgets the person in every model at once (``forget_member``), here on the
  erasing replica and, through ``member.erased``, on every other.

Bounds (entries; the rosters and the network list by how many memberships/networks they
hold): ``MEMBERS`` members, ``ORGANISATIONS`` organisations, ``NETWORKS`` networks,
``MEMBERSHIP_SETS`` members' sets of memberships, ``ROSTER_ENTRIES`` roster entries in all.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.networks import Role
from huddle_shared.messaging.reconnects import on_reconnect
from huddle_shared.storage.read_model import ReadModel
from pydantic import ValidationError

from huddle_membership.ports import PrivacySubject

log = logging.getLogger(__name__)

TTL_SECONDS = 30.0
MEMBERS = 10_000
ORGANISATIONS = 5_000
NETWORKS = 2_000
MEMBERSHIP_SETS = 10_000
ROSTER_ENTRIES = 50_000
EVENTS_SUBJECT = "events.membership.>"

# A network's active roster: (member id, role) of each active membership.
Roster = tuple[tuple[UUID, Role], ...]
Document = dict[str, Any]


def _size(value: tuple[Any, ...]) -> float:
    return max(len(value), 1)


def _view_size(view: Any) -> float:
    return len(view.members) + 1


@dataclass
class MembershipReadModels:
    members: ReadModel[str, Document] = field(
        default_factory=lambda: ReadModel("members", maxsize=MEMBERS, ttl=TTL_SECONDS)
    )
    organisations: ReadModel[str, Document] = field(
        default_factory=lambda: ReadModel("organisations", maxsize=ORGANISATIONS, ttl=TTL_SECONDS)
    )
    networks: ReadModel[str, Document] = field(
        default_factory=lambda: ReadModel("networks", maxsize=NETWORKS, ttl=TTL_SECONDS)
    )
    # One entry (key None): every network, ordered by slug.
    network_list: ReadModel[None, tuple[Document, ...]] = field(
        default_factory=lambda: ReadModel(
            "network_list", maxsize=NETWORKS, ttl=TTL_SECONDS, getsizeof=_size
        )
    )
    # A member's memberships (any status), as (slug, document) pairs.
    memberships: ReadModel[str, tuple[tuple[str, Document], ...]] = field(
        default_factory=lambda: ReadModel("memberships", maxsize=MEMBERSHIP_SETS, ttl=TTL_SECONDS)
    )
    rosters: ReadModel[str, Roster] = field(
        default_factory=lambda: ReadModel(
            "rosters", maxsize=ROSTER_ENTRIES, ttl=TTL_SECONDS, getsizeof=_size
        )
    )
    # Each network's listed roster as its members see it (the same for every viewer).
    roster_views: ReadModel[str, Any] = field(
        default_factory=lambda: ReadModel(
            "roster_views", maxsize=ROSTER_ENTRIES, ttl=TTL_SECONDS, getsizeof=_view_size
        )
    )
    # Called on every membership event this process sees (the statistics' freshness).
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def all(self) -> tuple[ReadModel[Any, Any], ...]:
        return (
            self.members,
            self.organisations,
            self.networks,
            self.network_list,
            self.memberships,
            self.rosters,
            self.roster_views,
        )

    def clear(self) -> None:
        for model in self.all():
            model.clear()
        for listener in self.listeners:
            listener()

    def forget_member(self, member_id: UUID) -> None:
        """Nothing of the person stays in memory: their account, their memberships, and
        every roster (which rosters held them is not worth knowing: erasure is rare)."""
        self.members.discard(str(member_id))
        self.memberships.discard(str(member_id))
        self.rosters.clear()
        self.roster_views.clear()

    def member_changed(self, member_id: UUID | str) -> None:
        """A member's account changed: a roster shows their profile, so built rosters go."""
        self.members.discard(str(member_id))
        self.roster_views.clear()

    def membership_changed(self, slug: str, member_id: UUID | str) -> None:
        self.memberships.discard(str(member_id))
        self.rosters.discard(slug)
        self.roster_views.discard(slug)

    def network_changed(self, slug: str) -> None:
        self.networks.discard(slug)
        self.network_list.clear()

    def on_event(self, envelope: EventEnvelope) -> None:
        """Discard what a membership event (any replica's) says has changed."""
        payload = envelope.payload
        kind = envelope.event_type
        if kind == "member.erased":
            self.forget_member(UUID(str(payload["member_id"])))
        elif kind.startswith("member."):
            self.member_changed(str(payload["member_id"]))
        elif kind == "organisation.registered":
            self.organisations.discard(str(payload["organisation_id"]))
        elif kind.startswith("network.member_"):
            self.membership_changed(str(payload["slug"]), str(payload["member_id"]))
        elif kind.startswith("network."):
            self.network_changed(str(payload["slug"]))
        for listener in self.listeners:
            listener()

    def size(self) -> dict[str, int]:
        return {model.name: len(model) for model in self.all()}


@dataclass
class ReadModelsPrivacy:
    """Erasure's part here: forget the person in memory (it holds nothing to export)."""

    models: MembershipReadModels

    async def export_member(self, subject: PrivacySubject) -> dict[str, Any]:
        return {}

    async def erase_member(self, subject: PrivacySubject) -> None:
        self.models.forget_member(subject.member_id)


_listeners: set[asyncio.Task[None]] = set()  # held, so the watchers are not collected


async def start(
    models: MembershipReadModels,
    broker: Any,
    *,
    warm: Sequence[Callable[[], Awaitable[None]]] = (),
) -> None:
    """A start hook: listen on the broker's connection (connected by then), then load the
    read models in the background (``warm``): the service does not wait for them."""
    for task in (await listen(models, broker.connection), asyncio.create_task(_warm(warm))):
        _listeners.add(task)
        task.add_done_callback(_listeners.discard)


async def _warm(loaders: Sequence[Callable[[], Awaitable[None]]]) -> None:
    started = time.monotonic()
    try:
        for load in loaders:
            await load()
    except Exception:  # a read loads what it needs anyway
        log.warning("loading the read models failed", exc_info=True)
        return
    log.info("read models loaded", extra={"seconds": round(time.monotonic() - started, 3)})


async def listen(models: MembershipReadModels, connection: Any) -> asyncio.Task[None]:
    """Subscribe (core NATS) to every membership event, and clear all on a reconnect: a
    core subscription misses what is published while the connection is down."""

    async def on_message(message: Any) -> None:
        try:
            envelope = EventEnvelope.model_validate_json(message.data)
            models.on_event(envelope)
        except (ValidationError, KeyError, ValueError):
            # Not ours to dead-letter (the durable consumers do); forget everything instead.
            log.warning("unreadable membership event; read models cleared")
            models.clear()

    await connection.subscribe(EVENTS_SUBJECT, cb=on_message)

    async def clear() -> None:
        models.clear()

    return on_reconnect(connection, clear, name="membership read models")
