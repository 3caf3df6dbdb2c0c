"""The sessions area's domain: a session, its series and the changes to its occurrences.

Pure: no I/O, no clock. A series is its first start (a wall-clock time in the session's time
zone) and an RFC 5545 RRULE, expanded by python-dateutil in that wall-clock time and turned
into instants with ``zoneinfo``, so a weekly Friday 13:00 in London stays 13:00 across the
GMT/BST changes. Each occurrence is named by the UTC instant the rule gave it
(``OccurrenceKey``; iCalendar's RECURRENCE-ID) and keeps that name when it is moved.

Changes to occurrences are kept as ``Edit``s in the order made: each covers one occurrence
(``this``) or one and every later one (``this_and_following``), and the later edit wins
field by field. Cancelling is an edit too and cannot be undone by a later change. So
"this and following" never splits the series or renames an occurrence, and the whole is
easy to write as iCalendar: the master event is ``starts_at`` + ``rule`` (UNTIL in UTC, as
RFC 5545 asks when DTSTART has a TZID); every occurrence with ``changed`` or ``cancelled``
set is a RECURRENCE-ID override (or an EXDATE) keyed by ``key.occurrence_start``.

Aggregates record the events they cause in ``pending_events``; the repository stores them
with the state (the outbox).
"""

import re
import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.rpc import FieldError
from huddle_shared.contracts.sessions import (
    Attendance,
    ChangeScope,
    NamedSpeakerV1,
    OccurrenceCancelledV1,
    OccurrenceChangedV1,
    OccurrenceChanges,
    OccurrenceStatus,
    SessionCancelledV1,
    SessionChanges,
    SessionFields,
    SessionScheduledV1,
    SessionUpdatedV1,
)
from huddle_shared.errors import Conflict, Invalid, NotFound

from huddle_scheduling.ports import OccurrenceKey

MAX_OCCURRENCES = 1000  # one series; a weekly meeting for 19 years
MAX_EDITS = 1000  # changes and cancellations kept for one series
# A series ends within this many years of its first start. It also bounds the work: dateutil
# would search to the year 9999 for a rule no date can meet (5 s for FREQ=DAILY;BYMONTHDAY=30
# ;BYMONTH=2).
MAX_SERIES_YEARS = 20
_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_SUB_DAILY = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
# What a meeting's rule needs ("every second month on the first Thursday"); the rest
# (BYHOUR, BYWEEKNO, BYYEARDAY...) would repeat within a day or only slow the search.
_ALLOWED_PARTS = frozenset(
    {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}
)
_UNTIL = re.compile(r"(?<![A-Z])UNTIL=([0-9TZ]+)")


# --- Errors -------------------------------------------------------------------------------


class FieldInvalid(Invalid):
    """One field of the request is wrong; the message says how."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, [FieldError(field=field_name, message=message)])


class SessionNotFound(NotFound):
    def __init__(self, session_id: UUID) -> None:
        super().__init__(f"There is no session {session_id}.")


class OccurrenceNotInSeries(NotFound):
    def __init__(self, start: datetime) -> None:
        super().__init__(f"The session has no occurrence starting at {start.isoformat()}.")


class OccurrenceIsCancelled(
    Conflict, detail="That occurrence is cancelled: a cancelled occurrence cannot be changed."
): ...


class ChangedMeanwhile(
    Conflict, detail="Someone changed this session at the same moment; try again."
):
    """Another replica saved the session first (MongoDB: the version check caught it)."""

    retryable = True


class TooManyEdits(
    Conflict, detail=f"A series keeps at most {MAX_EDITS} changes: change the series instead."
): ...


# --- Series -------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("an instant needs its UTC offset")
    return moment.astimezone(UTC)


def _normalise_until(text: str, zone: ZoneInfo) -> str:
    """UNTIL as RFC 5545 wants it beside a DTSTART with a TZID: in UTC. A date alone means
    the end of that day, a time without Z the session's wall-clock time."""
    found = _UNTIL.search(text)
    if found is None or found.group(1).endswith("Z"):
        return text
    value = found.group(1)
    try:
        if len(value) == 8:
            local = datetime.strptime(value, "%Y%m%d").replace(hour=23, minute=59, second=59)
        else:
            local = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        raise FieldInvalid(
            "rrule", f"UNTIL={value} is not a date (YYYYMMDD) or a time (YYYYMMDDTHHMMSSZ)."
        ) from None
    until = local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return text[: found.start(1)] + until + text[found.end(1) :]


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if not equals or not name:
            raise FieldInvalid("rrule", f"'{part}' is not NAME=VALUE, as in FREQ=WEEKLY.")
        parts[name] = value
    return parts


def _shifted(moment: datetime, years: int) -> datetime:
    return moment.replace(year=moment.year + years)


@lru_cache(maxsize=4096)
def _expand(rule: str | None, starts_at: datetime, time_zone: str) -> tuple[datetime, ...]:
    """The UTC instants the series gives, in order (cached: listings expand the same series
    again and again). ``starts_at`` is a wall-clock time in ``time_zone``."""
    zone = ZoneInfo(time_zone)
    first = starts_at.replace(tzinfo=zone)
    if rule is None:
        return (_utc(first),)
    too_long = FieldInvalid(
        "rrule", f"The series must end within {MAX_SERIES_YEARS} years of its first occurrence."
    )
    horizon = _shifted(starts_at.replace(day=min(starts_at.day, 28)), MAX_SERIES_YEARS)
    until_part = _UNTIL.search(rule)
    until = horizon
    if until_part is not None:
        until_utc = datetime.strptime(until_part.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        until = until_utc.astimezone(zone).replace(tzinfo=None)
        if until > horizon:
            raise too_long
    # dateutil stops at UNTIL only when a date meets the rule: for a rule no date meets it
    # searches on to the year 9999 (5 s for FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30). So expand
    # where 9999 is near: the Gregorian calendar repeats exactly every 400 years (146,097
    # days, 20,871 weeks), so the dates are the same once shifted back.
    shift = (datetime.max.year - MAX_SERIES_YEARS - 2 - starts_at.year) // 400 * 400
    without_until = ";".join(p for p in rule.split(";") if not p.startswith("UNTIL="))
    try:
        parsed = rrulestr(without_until, dtstart=_shifted(starts_at, shift))
        if not isinstance(parsed, rrule):
            raise FieldInvalid("rrule", "Give one RRULE, such as FREQ=WEEKLY;BYDAY=FR;COUNT=10.")
        with warnings.catch_warnings():  # dateutil frowns on COUNT with UNTIL; here it caps
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = parsed.replace(until=_shifted(until, shift))
        # Wall-clock times: the offset follows each date (GMT in winter, BST in summer).
        instants = tuple(
            _utc(_shifted(moment, -shift).replace(tzinfo=zone))
            for moment in islice(parsed, MAX_OCCURRENCES + 1)
        )
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise FieldInvalid("rrule", f"The RRULE does not parse: {error}.") from None
    if not instants:
        raise FieldInvalid("rrule", "The RRULE gives no occurrence.")
    if len(instants) > MAX_OCCURRENCES:
        raise FieldInvalid(
            "rrule", f"The RRULE gives more than {MAX_OCCURRENCES} occurrences: end it sooner."
        )
    if until_part is None and len(instants) < int(_parts(rule)["COUNT"]):
        raise too_long
    if instants[0] != _utc(first):
        raise FieldInvalid(
            "starts_at", "The first occurrence must fall on the rule (say, a Friday for BYDAY=FR)."
        )
    return instants


@dataclass(frozen=True)
class Series:
    """When a session happens: its first start as a wall-clock time in ``time_zone``, and the
    rule (``None``: once). ``rule`` is the RRULE as iCalendar should carry it."""

    starts_at: datetime
    time_zone: str
    rule: str | None

    @classmethod
    def of(cls, starts_at: datetime, time_zone: str, rrule_text: str | None) -> "Series":
        """Refuses (``FieldInvalid`` on ``rrule`` or ``starts_at``) a rule that does not parse,
        never ends (no COUNT or UNTIL), repeats more often than daily, gives no occurrence or
        more than ``MAX_OCCURRENCES``, or does not start at ``starts_at``."""
        if starts_at.tzinfo is not None:
            raise FieldInvalid("starts_at", "Give a wall-clock time without an offset.")
        starts_at = starts_at.replace(microsecond=0)
        rule = None
        if rrule_text is not None:
            text = rrule_text.strip().upper().removeprefix("RRULE:")
            if any(character in text for character in "\r\n:"):
                raise FieldInvalid("rrule", "Give one RRULE without DTSTART or other lines.")
            parts = _parts(text)
            unknown = sorted(set(parts) - _ALLOWED_PARTS)
            if unknown:
                raise FieldInvalid(
                    "rrule",
                    f"A session's RRULE may use {', '.join(sorted(_ALLOWED_PARTS))};"
                    f" not {', '.join(unknown)}.",
                )
            if "FREQ" not in parts:
                raise FieldInvalid("rrule", "The RRULE needs FREQ, such as FREQ=WEEKLY.")
            if parts["FREQ"] in _SUB_DAILY:
                raise FieldInvalid("rrule", "A session repeats at most daily.")
            if parts["FREQ"] not in _FREQUENCIES:
                raise FieldInvalid(
                    "rrule", f"FREQ may be {', '.join(_FREQUENCIES)}; not {parts['FREQ']}."
                )
            if "COUNT" not in parts and "UNTIL" not in parts:
                raise FieldInvalid(
                    "rrule", "The RRULE never ends: give COUNT (how many) or UNTIL (a date)."
                )
            rule = _normalise_until(text, ZoneInfo(time_zone))
        series = cls(starts_at, time_zone, rule)
        series.starts  # noqa: B018 - expanding is the check
        return series

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def starts(self) -> tuple[datetime, ...]:
        """The occurrences' names: the UTC instants the rule gives."""
        return _expand(self.rule, self.starts_at, self.time_zone)

    def gives(self, start: datetime) -> bool:
        return _utc(start) in self._start_set

    @property
    def _start_set(self) -> frozenset[datetime]:
        return _start_set(self.rule, self.starts_at, self.time_zone)

    def wall_clock(self, start: datetime) -> datetime:
        """An instant as a wall-clock time in the session's zone (naive)."""
        return start.astimezone(self.zone).replace(tzinfo=None)


@lru_cache(maxsize=4096)
def _start_set(rule: str | None, starts_at: datetime, time_zone: str) -> frozenset[datetime]:
    return frozenset(_expand(rule, starts_at, time_zone))


# --- Changes to occurrences ----------------------------------------------------------------

# What an occurrence may change, besides when it starts.
OCCURRENCE_FIELDS = tuple(name for name in OccurrenceChanges.model_fields if name != "starts_at")


@dataclass(frozen=True)
class Edit:
    """One change or cancellation, covering the occurrence named ``start`` (UTC) and, for
    ``this_and_following``, every later one. ``move_by`` is the wall-clock shift from the
    time the rule gives (the same shift for each occurrence it covers)."""

    start: datetime
    scope: ChangeScope
    cancelled: bool = False
    updates: dict[str, Any] = field(default_factory=dict)
    move_by: timedelta | None = None

    def covers(self, start: datetime) -> bool:
        if self.scope is ChangeScope.THIS:
            return start == self.start
        return start >= self.start


def _updates_of(changes: OccurrenceChanges) -> dict[str, Any]:
    return {
        name: getattr(changes, name)
        for name in OCCURRENCE_FIELDS
        if getattr(changes, name) is not None
    }


@dataclass(frozen=True)
class Occurrence:
    """One occurrence with its changes applied. ``starts_at``/``ends_at`` are aware, in the
    session's zone; ``fields`` are the session's with this occurrence's changes (its
    ``starts_at`` is this occurrence's wall-clock start). ``changed``: it differs from what
    the series says (an iCalendar override)."""

    key: OccurrenceKey
    starts_at: datetime
    ends_at: datetime
    status: OccurrenceStatus
    fields: SessionFields
    changed: bool

    @property
    def cancelled(self) -> bool:
        return self.status is OccurrenceStatus.CANCELLED


# --- The session -----------------------------------------------------------------------------


def _named(fields: SessionFields) -> list[NamedSpeakerV1]:
    """Speakers as events may name them: guests only if they agreed to be named."""
    named = []
    for speaker in fields.speakers:
        if speaker.member_id is None and not speaker.agreed_to_be_named:
            continue
        named.append(
            NamedSpeakerV1(
                member_id=speaker.member_id,
                name=speaker.name if speaker.member_id is None else None,
                organisation=speaker.organisation,
            )
        )
    return named


def check_fields(fields: SessionFields, *, slug: str, never_recorded: bool) -> SessionFields:
    """The session's own rules beyond its fields' types; answers the fields as kept."""
    if never_recorded and fields.recorded:
        raise FieldInvalid(
            "recorded", "This network's ground rules say its sessions are never recorded."
        )
    if fields.attendance is not Attendance.ONLINE and fields.venue is None:
        raise FieldInvalid("venue", "Say where the session happens: a venue and its address.")
    opened = sorted({other for other in fields.open_to_networks if other != slug})
    return fields.model_copy(update={"open_to_networks": opened})


@dataclass
class Session:
    id: UUID
    slug: str
    fields: SessionFields
    created_at: datetime
    created_by: UUID | None = None
    edits: list[Edit] = field(default_factory=list)
    version: int = 0  # 0: not stored yet
    revised_at: datetime | None = None  # when last stored (calendars' DTSTAMP)
    pending_events: list[EventPayload] = field(default_factory=list, compare=False)

    @classmethod
    def schedule(
        cls,
        *,
        session_id: UUID,
        slug: str,
        fields: SessionFields,
        never_recorded: bool,
        created_by: UUID | None,
        now: datetime,
    ) -> "Session":
        fields = check_fields(fields, slug=slug, never_recorded=never_recorded)
        series = Series.of(fields.starts_at, fields.time_zone, fields.rrule)
        fields = fields.model_copy(update={"starts_at": series.starts_at, "rrule": series.rule})
        session = cls(session_id, slug, fields, now, created_by)
        session.pending_events.append(session._described(SessionScheduledV1))
        return session

    @property
    def series(self) -> Series:
        # Kept valid by ``schedule`` and ``update``: building it again checks nothing new.
        return Series(self.fields.starts_at, self.fields.time_zone, self.fields.rrule)

    @property
    def starts_at(self) -> datetime:
        """The first occurrence's start, aware (iCalendar's DTSTART with its TZID)."""
        return self.fields.starts_at.replace(tzinfo=self.series.zone)

    @property
    def rule(self) -> str | None:
        return self.fields.rrule

    def _described(self, event: type[SessionScheduledV1]) -> SessionScheduledV1:
        return event(
            session_id=self.id,
            slug=self.slug,
            title=self.fields.title,
            format=self.fields.format,
            starts_at=self.starts_at,
            time_zone=self.fields.time_zone,
            duration_minutes=self.fields.duration_minutes,
            rrule=self.fields.rrule,
            open_to_networks=list(self.fields.open_to_networks),
            speakers=_named(self.fields),
        )

    # --- Reading occurrences ---

    def _occurrence(self, series: Series, start: datetime) -> Occurrence:
        updates: dict[str, Any] = {}
        move_by: timedelta | None = None
        cancelled = False
        for edit in self.edits:
            if not edit.covers(start):
                continue
            if edit.cancelled:
                cancelled = True
            else:
                updates.update(edit.updates)
                move_by = edit.move_by if edit.move_by is not None else move_by
        wall_clock = series.wall_clock(start)
        if move_by:
            wall_clock += move_by
        effective = self.fields.model_copy(update={**updates, "starts_at": wall_clock})
        starts_at = wall_clock.replace(tzinfo=series.zone)
        ends_at = (_utc(starts_at) + timedelta(minutes=effective.duration_minutes)).astimezone(
            series.zone
        )
        changed = any(getattr(self.fields, name) != value for name, value in updates.items())
        return Occurrence(
            key=OccurrenceKey(self.id, start),
            starts_at=starts_at,
            ends_at=ends_at,
            status=OccurrenceStatus.CANCELLED if cancelled else OccurrenceStatus.SCHEDULED,
            fields=effective,
            changed=changed or bool(move_by),
        )

    def all_occurrences(self) -> list[Occurrence]:
        series = self.series
        return [self._occurrence(series, start) for start in series.starts]

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """The occurrences that start (as moved) in ``[start, end)``, cancelled ones too, in
        the order they happen."""
        start, end = _utc(start), _utc(end)
        # Only names near the window can start in it (a moved one within its move, a
        # changed duration never moves the start): a year of a long series is a slice.
        reach = max((abs(e.move_by) for e in self.edits if e.move_by), default=timedelta(0))
        series = self.series
        near = (
            self._occurrence(series, name)
            for name in series.starts
            if start - reach <= name < end + reach
        )
        found = [o for o in near if start <= _utc(o.starts_at) < end]
        return sorted(found, key=lambda occurrence: occurrence.starts_at)

    def occurrence(self, start: datetime | None) -> Occurrence:
        """The occurrence the rule gave at ``start`` (``None``: the first); refuses a name
        the series never gives."""
        series = self.series
        name = series.starts[0] if start is None else _utc(start)
        if not series.gives(name):
            raise OccurrenceNotInSeries(name)
        return self._occurrence(series, name)

    def exceptions(self) -> list[Occurrence]:
        """The occurrences that differ from the series: iCalendar's overrides and EXDATEs."""
        return [o for o in self.all_occurrences() if o.changed or o.cancelled]

    # --- Changing ---

    def update(self, changes: SessionChanges, *, never_recorded: bool) -> bool:
        """Change the whole session or series; records session.updated if anything changed.
        A new start, rule or time zone keeps the changes of the occurrences it still gives
        (and "this and following" ones from where they began)."""
        given = {
            name: getattr(changes, name)
            for name in type(changes).model_fields
            if getattr(changes, name) is not None and name in SessionFields.model_fields
        }
        fields = SessionFields.model_validate({**self.fields.model_dump(), **given})
        fields = check_fields(fields, slug=self.slug, never_recorded=never_recorded)
        series = Series.of(fields.starts_at, fields.time_zone, fields.rrule)
        fields = fields.model_copy(update={"starts_at": series.starts_at, "rrule": series.rule})
        if fields == self.fields:
            return False
        # Occurrences the new rule no longer gives are gone: announced as cancelled.
        dropped = [
            o
            for o in self.all_occurrences()
            if not o.cancelled and not series.gives(o.key.occurrence_start)
        ]
        self.fields = fields
        self.edits = [
            edit
            for edit in self.edits
            if edit.scope is ChangeScope.THIS_AND_FOLLOWING or series.gives(edit.start)
        ]
        self.pending_events.append(self._described(SessionUpdatedV1))
        self.pending_events.extend(
            OccurrenceCancelledV1(
                session_id=self.id, slug=self.slug, occurrence_start=o.key.occurrence_start
            )
            for o in dropped
        )
        return True

    def _covered(self, start: datetime, scope: ChangeScope) -> list[Occurrence]:
        anchor = self.occurrence(start)
        if scope is ChangeScope.THIS:
            return [anchor]
        return [o for o in self.all_occurrences() if o.key >= anchor.key]

    def _add(self, edit: Edit) -> None:
        if len(self.edits) >= MAX_EDITS:
            raise TooManyEdits()
        self.edits.append(edit)

    def change_occurrence(
        self, start: datetime, changes: OccurrenceChanges, scope: ChangeScope
    ) -> list[Occurrence]:
        """Change one occurrence (or it and every later one). ``changes.starts_at`` is the
        new wall-clock start of the occurrence named; "this and following" moves each later
        one by the same shift. Answers the occurrences that changed (none: a repeat), cancelled
        ones too (they keep their details); only scheduled ones are announced."""
        before = self._covered(start, scope)
        anchor = before[0]
        if scope is ChangeScope.THIS and anchor.cancelled:
            raise OccurrenceIsCancelled()
        move_by = None
        if changes.starts_at is not None:
            move_by = changes.starts_at.replace(microsecond=0) - self.series.wall_clock(
                anchor.key.occurrence_start
            )
        edit = Edit(anchor.key.occurrence_start, scope, updates=_updates_of(changes))
        edit = replace(edit, move_by=move_by)
        previous = list(self.edits)
        self.edits.append(edit)
        after = self._covered(start, scope)
        self.edits = previous
        changed = [new for old, new in zip(before, after, strict=True) if old != new]
        if not changed:
            return []
        self._add(edit)
        for occurrence in (o for o in changed if not o.cancelled):
            self.pending_events.append(
                OccurrenceChangedV1(
                    session_id=self.id,
                    slug=self.slug,
                    occurrence_start=occurrence.key.occurrence_start,
                    starts_at=occurrence.starts_at,
                    duration_minutes=occurrence.fields.duration_minutes,
                    title=occurrence.fields.title,
                )
            )
        return changed

    def cancel_occurrence(self, start: datetime, scope: ChangeScope) -> list[Occurrence]:
        """Cancel one occurrence (or it and every later one); answers those newly cancelled
        (none: a repeat)."""
        covered = [o for o in self._covered(start, scope) if not o.cancelled]
        if not covered:
            return []
        self._add(Edit(covered[0].key.occurrence_start, scope, cancelled=True))
        for occurrence in covered:
            self.pending_events.append(
                OccurrenceCancelledV1(
                    session_id=self.id,
                    slug=self.slug,
                    occurrence_start=occurrence.key.occurrence_start,
                )
            )
        return [self._occurrence(self.series, o.key.occurrence_start) for o in covered]

    def cancel(self) -> None:
        """The whole session or series is called off (the repository then removes it)."""
        self.pending_events.append(SessionCancelledV1(session_id=self.id, slug=self.slug))
