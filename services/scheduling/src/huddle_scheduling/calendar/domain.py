"""The calendar area's rules. Pure: no I/O, and the time is always given.

Reminders: for each registered member and each occurrence, one ``session.reminder_due``
per configured offset before the start. A reminder whose moment has passed is still due
(a sweep missed it: a restart, an outage) until the occurrence starts; after that it is
never due. Each reminder has a name (``claim_id``); whoever stores that name first emits it.
"""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from huddle_shared.contracts.registrations import ReminderDueV1

from huddle_scheduling.ports import OccurrenceFacts

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
