"""The sessions area's answer to ``ports.Series``: sessions whole, for calendars.

Who may read a session and who sees its joining link are the sessions area's rules
(``handlers._may_see``, ``_readable``, ``_shows_link``): a calendar shows exactly what the
session's page shows the same caller.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.sessions import Attendance, SessionFields
from huddle_shared.errors import Forbidden, NotFound

from huddle_scheduling.ports import OccurrenceDetails, SeriesDetails
from huddle_scheduling.sessions.domain import MAX_SERIES_YEARS, Occurrence, Session
from huddle_scheduling.sessions.handlers import (
    SessionsArea,
    _may_see,
    _network,
    _readable,
    _shows_link,
)

# A network's feed: every session with an occurrence from this long ago on (series whole).
FEED_PAST = timedelta(days=366)
_FEED_FUTURE = timedelta(days=366 * (MAX_SERIES_YEARS + 1))


def _location(fields: SessionFields) -> str:
    if fields.attendance is Attendance.ONLINE or fields.venue is None:
        return ""
    return f"{fields.venue.name}, {fields.venue.address}"


def _description(fields: SessionFields) -> str:
    agenda = f"Agenda:\n{fields.agenda}" if fields.agenda.strip() else ""
    return "\n\n".join(part for part in (fields.description.strip(), agenda) if part)


def _link(fields: SessionFields, shown: bool) -> str | None:
    return str(fields.joining_link) if shown and fields.joining_link else None


def _details(occurrence: Occurrence, shows_link: bool) -> OccurrenceDetails:
    fields = occurrence.fields
    return OccurrenceDetails(
        key=occurrence.key,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        title=fields.title,
        description=_description(fields),
        location=_location(fields),
        joining_link=_link(fields, shows_link),
        cancelled=occurrence.cancelled,
        changed=occurrence.changed,
    )


def series_details(session: Session, *, shows_link: bool) -> SeriesDetails:
    """The session as a calendar shows it; its joining link only if ``shows_link``."""
    fields = session.fields
    return SeriesDetails(
        session_id=session.id,
        slug=session.slug,
        title=fields.title,
        description=_description(fields),
        location=_location(fields),
        joining_link=_link(fields, shows_link),
        starts_at=session.starts_at,
        duration=timedelta(minutes=fields.duration_minutes),
        time_zone=fields.time_zone,
        rule=session.rule,
        revised_at=session.revised_at or session.created_at,
        revision=max(session.version - 1, 0),
        occurrences=tuple(_details(o, shows_link) for o in session.all_occurrences()),
    )


@dataclass
class SessionSeries:
    """``ports.Series`` over the sessions area."""

    area: SessionsArea

    async def of_network(self, slug: str, caller: Caller) -> tuple[str, list[SeriesDetails]]:
        network = await _network(self.area, slug)
        await _may_see(self.area, caller, network, [])
        now = self.area.clock()
        sessions = await self.area.sessions.between(
            now - FEED_PAST, now + _FEED_FUTURE, slugs=[network.slug]
        )
        # Never joining links: a feed's address is passed on and polled without signing in.
        return network.name, [
            series_details(session, shows_link=False)
            for session in sessions
            if session.slug == network.slug
        ]

    async def readable(self, session_id: UUID, caller: Caller) -> SeriesDetails:
        session, _, standing = await _readable(self.area, caller, session_id)
        shows_link = await _shows_link(self.area, standing, session)
        return series_details(session, shows_link=shows_link)

    async def of_member(self, member_id: UUID, session_ids: Sequence[UUID]) -> list[SeriesDetails]:
        caller = Caller(member_id=member_id)
        found = []
        for session_id in dict.fromkeys(session_ids):
            try:
                found.append(await self.readable(session_id, caller))
            except (NotFound, Forbidden):
                continue  # gone, or no longer theirs to read (they left the network)
        return found
