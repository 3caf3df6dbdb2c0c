"""The calendar area's rules. Pure: no I/O, and the time is always given.

Reminders: for each registered member and each occurrence, one ``session.reminder_due``
per configured offset before the start. A reminder whose moment has passed is still due
(a sweep missed it: a restart, an outage) until the occurrence starts; after that it is
never due. Each reminder has a name (``claim_id``); whoever stores that name first emits it.
"""

import hashlib
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

from huddle_shared.contracts.registrations import ReminderDueV1
from icalendar import Calendar, Event, Timezone, vDuration, vRecur

from huddle_scheduling.ports import OccurrenceDetails, OccurrenceFacts, SeriesDetails

DEFAULT_REMINDER_OFFSETS = (timedelta(hours=24), timedelta(hours=1))


def utc_text(moment: datetime) -> str:
    """An instant as names and links carry it: UTC, to the second, e.g. 2027-03-05T13:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def session_path(occurrence: OccurrenceFacts) -> str:
    """The occurrence's page on this instance (the web app's session page)."""
    key = occurrence.key
    return f"/sessions/{key.session_id}?occurrence={utc_text(key.occurrence_start)}"


@dataclass(frozen=True)
class DueReminder:
    member_id: UUID
    occurrence: OccurrenceFacts
    offset: timedelta

    @property
    def offset_minutes(self) -> int:
        return int(self.offset.total_seconds() // 60)

    @property
    def claim_id(self) -> str:
        """One per member, occurrence (by its name, which a move keeps) and offset."""
        key = self.occurrence.key
        return (
            f"{key.session_id}:{utc_text(key.occurrence_start)}:"
            f"{self.member_id}:{self.offset_minutes}"
        )

    def event(self) -> ReminderDueV1:
        occurrence = self.occurrence
        return ReminderDueV1(
            member_id=self.member_id,
            session_id=occurrence.key.session_id,
            slug=occurrence.slug,
            title=occurrence.title,
            occurrence_start=occurrence.key.occurrence_start,
            starts_at=occurrence.starts_at,
            time_zone=occurrence.time_zone,
            offset_minutes=self.offset_minutes,
            path=session_path(occurrence),
        )


def reminder_window(now: datetime, offsets: Sequence[timedelta]) -> tuple[datetime, datetime]:
    """The starts to look at: any occurrence starting later than the largest offset from now
    has no reminder due yet, and one that has started has none any more."""
    return now, now + max(offsets)


def due_reminders(
    now: datetime,
    occurrence: OccurrenceFacts,
    members: Iterable[UUID],
    offsets: Sequence[timedelta],
) -> list[DueReminder]:
    """The reminders of ``occurrence`` due at ``now``: late ones too, none once it started
    or if it is cancelled."""
    if occurrence.cancelled or occurrence.starts_at <= now:
        return []
    offsets_due = [offset for offset in offsets if occurrence.starts_at - offset <= now]
    return [
        DueReminder(member_id, occurrence, offset)
        for member_id in sorted(set(members))
        for offset in offsets_due
    ]


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """``"1440,60"`` (minutes before the start) -> the offsets, largest first."""
    try:
        minutes = {int(part) for part in text.replace(" ", "").split(",") if part}
    except ValueError:
        raise ValueError(f"reminder offsets are minutes, comma-separated: {text!r}") from None
    if not minutes or min(minutes) <= 0:
        raise ValueError(f"reminder offsets must be positive minutes: {text!r}")
    return tuple(timedelta(minutes=value) for value in sorted(minutes, reverse=True))


# --- Personal calendar tokens ---------------------------------------------------------------

CALENDAR_TOKEN_BYTES = 32


def new_calendar_token() -> str:
    """Unguessable (256 random bits), URL-safe: it is the feed's only credential."""
    return secrets.token_urlsafe(CALENDAR_TOKEN_BYTES)


def calendar_token_hash(token: str) -> str:
    """Tokens are long and random, so a fast hash suffices (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Calendar files (RFC 5545, written with the icalendar library) ----------------------------


@dataclass(frozen=True)
class FeedOccurrence:
    """One occurrence that differs from its series (an override, RECURRENCE-ID), or a
    single session's only one. ``occurrence_start`` names it (UTC); ``starts_at`` and
    ``ends_at`` are when it happens, aware."""

    occurrence_start: datetime
    starts_at: datetime
    ends_at: datetime
    title: str
    description: str
    location: str
    joining_link: str | None
    cancelled: bool


@dataclass(frozen=True)
class FeedSession:
    """A session or series as a calendar shows it. ``starts_at`` is its first start in its
    own zone; ``rule`` its RRULE (UNTIL in UTC); ``overrides`` the occurrences that differ;
    ``left_out`` occurrences this calendar does not show (EXDATE: in a personal feed, those
    the member holds no place on). ``joining_link`` is None where it must not show."""

    session_id: UUID
    slug: str
    title: str
    description: str
    location: str
    joining_link: str | None
    starts_at: datetime
    duration: timedelta
    time_zone: str
    rule: str | None
    revised_at: datetime
    sequence: int
    last_ends_at: datetime  # when its last occurrence ends (the VTIMEZONE must reach it)
    overrides: tuple[FeedOccurrence, ...] = ()
    left_out: tuple[datetime, ...] = ()
    cancelled: bool = False  # a single session, cancelled
    path: str = ""


def feed_occurrence(occurrence: OccurrenceDetails) -> FeedOccurrence:
    return FeedOccurrence(
        occurrence_start=occurrence.key.occurrence_start.astimezone(UTC),
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        title=occurrence.title,
        description=occurrence.description,
        location=occurrence.location,
        joining_link=occurrence.joining_link,
        cancelled=occurrence.cancelled,
    )


def feed_session(
    series: SeriesDetails, *, shown: Collection[datetime] | None = None, path: str = ""
) -> FeedSession:
    """The session as a calendar writes it: the series (RRULE) with an override for each
    occurrence that differs from it (moved, changed, cancelled), and, when ``shown`` names
    the occurrences (by ``occurrence_start``) this calendar holds, every other one left out
    (EXDATE). A single session is its only occurrence, as changed."""
    occurrences = series.occurrences
    last_ends_at = max(o.ends_at for o in occurrences)
    if series.rule is None:
        (only,) = occurrences
        return FeedSession(
            session_id=series.session_id,
            slug=series.slug,
            title=only.title,
            description=only.description,
            location=only.location,
            joining_link=only.joining_link,
            starts_at=only.starts_at,
            duration=only.ends_at - only.starts_at,
            time_zone=series.time_zone,
            rule=None,
            revised_at=series.revised_at,
            sequence=series.revision,
            last_ends_at=last_ends_at,
            cancelled=only.cancelled,
            path=path,
        )
    wanted = None if shown is None else {moment.astimezone(UTC) for moment in shown}

    def included(occurrence: OccurrenceDetails) -> bool:
        return wanted is None or occurrence.key.occurrence_start.astimezone(UTC) in wanted

    return FeedSession(
        session_id=series.session_id,
        slug=series.slug,
        title=series.title,
        description=series.description,
        location=series.location,
        joining_link=series.joining_link,
        starts_at=series.starts_at,
        duration=series.duration,
        time_zone=series.time_zone,
        rule=series.rule,
        revised_at=series.revised_at,
        sequence=series.revision,
        last_ends_at=last_ends_at,
        overrides=tuple(
            feed_occurrence(o) for o in occurrences if (o.changed or o.cancelled) and included(o)
        ),
        left_out=tuple(
            o.key.occurrence_start.astimezone(UTC) for o in occurrences if not included(o)
        ),
        path=path,
    )


def series_path(session_id: UUID) -> str:
    """The session's page on this instance (the web app's)."""
    return f"/sessions/{session_id}"


PRODUCT_ID = "-//Huddle//Sessions//EN"
# Calendar apps poll a subscribed feed this often (a hint: Outlook and Apple read it).
REFRESH_INTERVAL = timedelta(hours=1)
CANCELLED_PREFIX = "Cancelled: "


def event_uid(session_id: UUID) -> str:
    """Stable for the session's whole life: an override shares its series' UID."""
    return f"session-{session_id}@huddle"


def _wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def _details(description: str, joining_link: str | None, page: str | None) -> str:
    parts = [part for part in (description.strip(),) if part]
    if joining_link:
        parts.append(f"Join: {joining_link}")
    if page:
        parts.append(f"Session page: {page}")
    return "\n\n".join(parts)


def _vevent(
    session: FeedSession,
    *,
    title: str,
    description: str,
    location: str,
    joining_link: str | None,
    starts_at: datetime,
    ends_at: datetime,
    cancelled: bool,
    base_url: str,
) -> Event:
    zone = ZoneInfo(session.time_zone)
    event = Event()
    event.add("uid", event_uid(session.session_id))
    event.add("dtstamp", session.revised_at.astimezone(UTC))
    event.add("sequence", session.sequence)
    event.add("dtstart", _wall_clock(starts_at, zone))
    event.add("dtend", _wall_clock(ends_at, zone))
    # A client that ignores STATUS still shows the cancellation in the title.
    event.add("summary", f"{CANCELLED_PREFIX}{title}" if cancelled else title)
    page = f"{base_url}{session.path}" if base_url and session.path else None
    details = _details(description, joining_link, page)
    if details:
        event.add("description", details)
    # Online only: the link is where it happens (calendar apps make it a button).
    where = location or joining_link
    if where:
        event.add("location", where)
    if page:
        event.add("url", page)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def session_events(session: FeedSession, *, base_url: str = "") -> list[Event]:
    """The master VEVENT (RRULE, EXDATE) and one VEVENT per override (RECURRENCE-ID)."""
    zone = ZoneInfo(session.time_zone)
    master = _vevent(
        session,
        title=session.title,
        description=session.description,
        location=session.location,
        joining_link=session.joining_link,
        starts_at=session.starts_at,
        ends_at=session.starts_at + session.duration,
        cancelled=session.cancelled,
        base_url=base_url,
    )
    if session.rule is not None:
        master.add("rrule", vRecur.from_ical(session.rule))
        if session.left_out:
            master.add("exdate", [_wall_clock(moment, zone) for moment in sorted(session.left_out)])
    events = [master]
    for occurrence in sorted(session.overrides, key=lambda o: o.occurrence_start):
        if session.rule is None:
            continue  # a single session has no instances to override: the master is it
        override = _vevent(
            session,
            title=occurrence.title,
            description=occurrence.description,
            location=occurrence.location,
            joining_link=occurrence.joining_link,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            cancelled=occurrence.cancelled,
            base_url=base_url,
        )
        override.add("recurrence-id", _wall_clock(occurrence.occurrence_start, zone))
        events.append(override)
    return events


def _years_covered(sessions: Sequence[FeedSession]) -> tuple[int, int]:
    starts = [s.starts_at for s in sessions] + [o.starts_at for s in sessions for o in s.overrides]
    last = [s.last_ends_at for s in sessions] + [o.ends_at for s in sessions for o in s.overrides]
    return min(starts).year, max(last).year


@lru_cache(maxsize=256)
def time_zone_component(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE for ``tzid`` from zoneinfo, covering those years (kept: it never
    changes, and working it out is most of the cost of a small calendar)."""
    first, last = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def calendar_document(sessions: Sequence[FeedSession], *, name: str, base_url: str = "") -> bytes:
    """A whole calendar: a VTIMEZONE for every TZID used, then each session's events.

    Each session's events and each VTIMEZONE are written once and kept (``_session_text``,
    ``_time_zone_text``: keyed by what they are written from, so a change is a new key):
    serialising is nearly all of the cost, and most feeds differ from the last one asked
    for by a session or two, if at all."""
    calendar = _calendar(name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))  # an X- name: typed here
    parts: list[bytes] = []
    if sessions:
        first, last = _years_covered(sessions)
        for tzid in sorted({session.time_zone for session in sessions}):
            parts.append(_time_zone_text(tzid, first, last))
    for session in sorted(sessions, key=lambda s: (s.starts_at, str(s.session_id))):
        parts.append(_session_text(session, base_url))
    return _with_components(calendar, parts)


def _with_components(calendar: Calendar, components: Sequence[bytes]) -> bytes:
    """The calendar with components already written put inside it, before its END line."""
    text = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    if not text.endswith(end):  # pragma: no cover - icalendar always ends so
        raise ValueError("unexpected calendar text")
    return b"".join((text[: -len(end)], *components, end))


@lru_cache(maxsize=4096)
def _session_text(session: FeedSession, base_url: str) -> bytes:
    return b"".join(event.to_ical() for event in session_events(session, base_url=base_url))


@lru_cache(maxsize=256)
def _time_zone_text(tzid: str, first_year: int, last_year: int) -> bytes:
    return bytes(time_zone_component(tzid, first_year, last_year).to_ical())


def occurrence_uid(session_id: UUID, occurrence_start: datetime) -> str:
    """A single occurrence added on its own: its own event, not an instance of the series
    (the file has no series for a RECURRENCE-ID to belong to)."""
    return f"session-{session_id}-{occurrence_start.astimezone(UTC):%Y%m%dT%H%M%SZ}@huddle"


def occurrence_document(
    session: FeedSession, occurrence: FeedOccurrence, *, base_url: str = ""
) -> bytes:
    """One occurrence as a single-event file ("Add to calendar")."""
    calendar = _calendar(occurrence.title)
    first, last = occurrence.starts_at.year, occurrence.ends_at.year
    event = _vevent(
        session,
        title=occurrence.title,
        description=occurrence.description,
        location=occurrence.location,
        joining_link=occurrence.joining_link,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        cancelled=occurrence.cancelled,
        base_url=base_url,
    )
    event["uid"] = occurrence_uid(session.session_id, occurrence.occurrence_start)
    time_zone = _time_zone_text(session.time_zone, first, last)
    return _with_components(calendar, [time_zone, event.to_ical()])


def entity_tag(document: bytes) -> str:
    """From the document itself: the same calendar always has the same tag."""
    return '"' + hashlib.sha256(document).hexdigest()[:32] + '"'
