"""The calendar area's feeds and files: sessions as iCalendar text.

A feed is a view of the sessions area's sessions, so it answers with that area's own access
rules (``sessions.handlers``: who may see a network's sessions, who sees a joining link),
and writes them with ``calendar.domain`` (icalendar). Each session becomes one series
(RRULE), its changed and cancelled occurrences overrides (RECURRENCE-ID), and in a personal
feed the occurrences the member holds no place on are left out (EXDATE).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from huddle_shared.contracts import sessions as contract
from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.sessions import SessionFields
from huddle_shared.errors import NotFound
from huddle_shared.messaging.routes import RouteTable

from huddle_scheduling.calendar import domain
from huddle_scheduling.calendar.handlers import CalendarDependencies
from huddle_scheduling.sessions import handlers as sessions
from huddle_scheduling.sessions.domain import Occurrence, Session, SessionNotFound

# A network feed holds every session with an occurrence from this long ago on.
FEED_PAST = timedelta(days=366)
FEED_FUTURE = timedelta(days=366 * 21)  # beyond the longest series a session may have


class NoSuchFeed(NotFound, detail="There is no calendar feed at this address."): ...


@dataclass
class FeedSources:
    """What the feeds read: the sessions area (its sessions and rules) and the calendar
    area's tokens and places."""

    area: sessions.SessionsArea
    calendar: CalendarDependencies


def _location(fields: SessionFields) -> str:
    venue = fields.venue
    return f"{venue.name}, {venue.address}" if venue is not None else ""


def _link(fields: SessionFields, shown: bool) -> str | None:
    return str(fields.joining_link) if shown and fields.joining_link else None


def _feed_occurrence(occurrence: Occurrence, shows_link: bool) -> domain.FeedOccurrence:
    fields = occurrence.fields
    return domain.FeedOccurrence(
        occurrence_start=occurrence.key.occurrence_start,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        title=fields.title,
        description=fields.description,
        location=_location(fields),
        joining_link=_link(fields, shows_link),
        cancelled=occurrence.cancelled,
    )


def feed_session(
    session: Session, *, shows_link: bool, left_out: tuple[datetime, ...] = ()
) -> domain.FeedSession:
    """The session as a calendar shows it; ``left_out``: occurrences not to show."""
    occurrences = session.all_occurrences()
    single = session.rule is None
    # A single session is its only occurrence, changes included; a series is its rule.
    first = occurrences[0] if single else None
    fields = first.fields if first is not None else session.fields
    starts_at = first.starts_at if first is not None else session.starts_at
    duration = (
        first.ends_at - first.starts_at
        if first is not None
        else timedelta(minutes=fields.duration_minutes)
    )
    skipped = set(left_out)
    overrides = tuple(
        _feed_occurrence(occurrence, shows_link)
        for occurrence in session.exceptions()
        if occurrence.key.occurrence_start not in skipped
    )
    return domain.FeedSession(
        session_id=session.id,
        slug=session.slug,
        title=fields.title,
        description=fields.description,
        location=_location(fields),
        joining_link=_link(fields, shows_link),
        starts_at=starts_at,
        duration=duration,
        time_zone=fields.time_zone,
        rule=session.rule,
        revised_at=session.created_at,
        sequence=max(session.version - 1, 0),
        last_ends_at=max(occurrence.ends_at for occurrence in occurrences),
        overrides=() if single else overrides,
        left_out=tuple(sorted(left_out)),
        cancelled=single and occurrences[0].cancelled,
        path=f"/sessions/{session.id}",
    )


def _calendar(document: bytes) -> contract.Calendar:
    return contract.Calendar(ics=document.decode(), etag=domain.entity_tag(document))


rpc = RouteTable()


@rpc.route(contract.NETWORK_FEED, "A network's sessions as an iCalendar feed (no joining links).")
async def network_feed(
    request: contract.NetworkFeed, caller: Caller, sources: FeedSources
) -> contract.Calendar:
    area = sources.area
    network = await sessions.network_of(area, request.slug)
    await sessions.may_see(area, caller, network, [])
    now = area.clock()
    found = await area.sessions.between(now - FEED_PAST, now + FEED_FUTURE, slugs=[network.slug])
    feed = [feed_session(s, shows_link=False) for s in found if s.slug == network.slug]
    return _calendar(domain.calendar_document(feed, name=f"{network.name}: sessions"))


@rpc.route(
    contract.PERSONAL_FEED,
    "The sessions a member holds places on, with joining links, found by their feed's token.",
)
async def personal_feed(
    request: contract.PersonalFeed, caller: Caller, sources: FeedSources
) -> contract.Calendar:
    deps = sources.calendar
    member_id = await deps.tokens.member_of(domain.calendar_token_hash(request.token))
    if member_id is None:
        raise NoSuchFeed()
    held: dict[UUID, set[datetime]] = defaultdict(set)
    for key in await deps.places.held_by(member_id):
        held[key.session_id].add(key.occurrence_start)
    feed = []
    for session_id, starts in held.items():
        try:
            session = await sources.area.sessions.get(session_id)
        except SessionNotFound:
            continue  # called off since
        names = {o.key.occurrence_start for o in session.all_occurrences()}
        left_out = tuple(names - starts) if session.rule is not None else ()
        if names & starts:
            feed.append(feed_session(session, shows_link=True, left_out=left_out))
    return _calendar(domain.calendar_document(feed, name="My Huddle sessions"))


@rpc.route(contract.OCCURRENCE_FILE, "One occurrence as a single-event calendar file.")
async def occurrence_file(
    request: contract.OccurrenceFile, caller: Caller, sources: FeedSources
) -> contract.Calendar:
    area = sources.area
    session, _, standing = await sessions.readable(area, caller, request.session_id)
    occurrence = session.occurrence(request.occurrence_start)
    shows_link = await sessions.shows_link(area, standing, session)
    whole = feed_session(session, shows_link=shows_link)
    document = domain.occurrence_document(whole, _feed_occurrence(occurrence, shows_link))
    return _calendar(document)
