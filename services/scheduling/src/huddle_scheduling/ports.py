"""What scheduling's areas need of each other, and nothing more.

The sessions area owns sessions and series and answers ``Occurrences``; the registrations
area owns places, waitlists, attendance and feedback and answers ``Places``; the calendar
area (feeds, tokens, reminders) reads both. Each area keeps its own collections: another
area reaches them only through these interfaces, wired in the composition root.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from huddle_shared.contracts.networks import Visibility
from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.sessions import RegistrationState, SessionFormat


@dataclass(frozen=True, order=True)
class OccurrenceKey:
    """Names one occurrence: the session and the instant its rule gave it, in UTC."""

    session_id: UUID
    occurrence_start: datetime


@dataclass(frozen=True)
class OccurrenceFacts:
    """One occurrence as the other areas need it (after its own changes are applied)."""

    key: OccurrenceKey
    slug: str
    open_to_networks: tuple[str, ...]
    title: str
    format: SessionFormat
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    capacity: int | None
    registration: bool
    cancelled: bool
    joining_link: str | None


class NetworkVisibility(Protocol):
    """The sessions area's networks projection: who may see a network's sessions."""

    async def visibility_of(self, slug: str) -> Visibility | None:
        """The network's visibility; ``None`` for a network scheduling does not know."""
        ...


class OccurrenceNotFound(LookupError):
    """No such session, or no such occurrence in its series."""


class Occurrences(Protocol):
    """The sessions area."""

    async def find(self, session_id: UUID, occurrence_start: datetime | None) -> OccurrenceFacts:
        """The occurrence (``None``: a single session's only one); ``OccurrenceNotFound``."""
        ...

    async def starting_between(self, start: datetime, end: datetime) -> list[OccurrenceFacts]:
        """Every session's occurrences starting in ``[start, end)`` (reminders use it)."""
        ...


@dataclass(frozen=True)
class OccurrenceDetails:
    """One occurrence as a calendar shows it, its own changes applied. ``starts_at`` and
    ``ends_at`` are aware (the session's zone); ``changed``: it differs from its series."""

    key: OccurrenceKey
    starts_at: datetime
    ends_at: datetime
    title: str
    description: str
    location: str
    joining_link: str | None
    cancelled: bool
    changed: bool


@dataclass(frozen=True)
class SeriesDetails:
    """A session or series as a calendar needs it: the series' own particulars, and every
    occurrence it gives (in order). ``joining_link`` (the series' and its occurrences') is
    None where the caller may not see it; ``revision`` counts its changes."""

    session_id: UUID
    slug: str
    title: str
    description: str
    location: str
    joining_link: str | None
    starts_at: datetime  # the first occurrence's start, aware, in ``time_zone``
    duration: timedelta
    time_zone: str
    rule: str | None  # RFC 5545 RRULE, UNTIL in UTC
    revised_at: datetime
    revision: int
    occurrences: tuple[OccurrenceDetails, ...]


class Series(Protocol):
    """The sessions area, for calendars: sessions whole, as a caller may read them (the
    sessions area's own rules of who sees what and who sees the joining link)."""

    async def of_network(self, slug: str, caller: Caller) -> tuple[str, list[SeriesDetails]]:
        """The network's name and its sessions, never with joining links; refuses as
        listing does (404 no such network or invite-only, 403 approval) to non-members."""
        ...

    async def readable(self, session_id: UUID, caller: Caller) -> SeriesDetails:
        """One session as its page shows it to the caller (404 if they may not read it)."""
        ...

    async def of_member(self, member_id: UUID, session_ids: Sequence[UUID]) -> list[SeriesDetails]:
        """Those of the sessions that still exist and the member may read, as their pages
        show them to the member (the joining link where they may see it)."""
        ...


@dataclass(frozen=True)
class PlaceCounts:
    registered: int = 0
    waitlisted: int = 0


class Places(Protocol):
    """The registrations area."""

    async def counts(self, keys: Sequence[OccurrenceKey]) -> dict[OccurrenceKey, PlaceCounts]:
        """Counts for each key asked (keys with no registration may be left out)."""
        ...

    async def states_of(
        self, member_id: UUID, keys: Sequence[OccurrenceKey]
    ) -> dict[OccurrenceKey, RegistrationState]:
        """The member's registration for each key they hold one for."""
        ...

    async def held_by(self, member_id: UUID) -> list[OccurrenceKey]:
        """The occurrences the member holds a place on (not the waitlist), for their feed."""
        ...

    async def registered_members(self, key: OccurrenceKey) -> list[UUID]:
        """Who holds a place (not the waitlist), for reminders."""
        ...

    async def capacity_changed(self, key: OccurrenceKey, capacity: int | None) -> None:
        """A larger capacity (or none) promotes from the waitlist, first come first."""
        ...
