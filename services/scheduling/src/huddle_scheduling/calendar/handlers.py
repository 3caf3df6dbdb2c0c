"""The calendar area's handlers: personal calendar tokens, feeds and reminders.

Plain async functions ``(request, caller, deps)``; the composition root binds them. Sessions
and places come only through ``huddle_scheduling.ports``: ``Series`` answers sessions whole
as the caller may read them (the sessions area's rules, joining links included), ``Places``
which occurrences a member holds a place on; this area only writes them as iCalendar.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import sessions as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import NotFound, require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from huddle_scheduling.calendar import domain
from huddle_scheduling.calendar.repository import CalendarTokens, SentReminders
from huddle_scheduling.ports import Occurrences, Places, Series, SeriesDetails

log = logging.getLogger(__name__)


class ReminderSettings(BaseSettings):
    """When reminders are due, and how often the service looks."""

    model_config = SettingsConfigDict(extra="ignore")

    offsets_minutes: str = Field(
        default="1440,60",
        alias="HUDDLE_REMINDER_OFFSETS_MINUTES",
        description="Minutes before an occurrence's start, comma-separated (24 h and 1 h)",
    )
    sweep_seconds: float = Field(
        default=60.0,
        gt=0,
        alias="HUDDLE_REMINDER_SWEEP_SECONDS",
        description="How often due reminders are looked for (at most this late)",
    )

    @field_validator("offsets_minutes")
    @classmethod
    def _offsets_parse(cls, value: str) -> str:
        domain.parse_offsets(value)
        return value

    @property
    def offsets(self) -> tuple[timedelta, ...]:
        return domain.parse_offsets(self.offsets_minutes)


class FeedSettings(BaseSettings):
    """Where the web app is, so a calendar's events link to their session's page."""

    model_config = SettingsConfigDict(extra="ignore")

    public_url: str = Field(
        default="",
        alias="HUDDLE_PUBLIC_URL",
        description="The web app's address (https://host); empty: events carry no page link",
    )

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


@dataclass
class CalendarDependencies:
    occurrences: Occurrences
    places: Places
    tokens: CalendarTokens
    reminders: SentReminders
    series: Series
    base_url: str = ""
    clock: Callable[[], datetime] = utc_now


# --- Reminders ------------------------------------------------------------------------------


@dataclass
class ReminderSweeper:
    """Looks for due reminders every ``interval`` seconds and emits each once (see
    ``SentReminders``): any number of replicas may sweep at once."""

    occurrences: Occurrences
    places: Places
    reminders: SentReminders
    offsets: tuple[timedelta, ...] = domain.DEFAULT_REMINDER_OFFSETS
    interval: float = 60.0
    clock: Callable[[], datetime] = utc_now
    _sweeps: int = field(default=0, init=False)

    async def sweep(self) -> int:
        """Claim and emit every reminder due now; returns how many this call emitted."""
        now = self.clock()
        start, end = domain.reminder_window(now, self.offsets)
        due: list[domain.DueReminder] = []
        for occurrence in await self.occurrences.starting_between(start, end):
            if occurrence.cancelled:
                continue
            members = await self.places.registered_members(occurrence.key)
            due.extend(domain.due_reminders(now, occurrence, members, self.offsets))
        already = await self.reminders.claimed([reminder.claim_id for reminder in due])
        emitted = 0
        for reminder in due:
            if reminder.claim_id not in already and await self.reminders.claim(reminder, now):
                emitted += 1
        self._sweeps += 1
        if self._sweeps % 60 == 1:  # now and then: claims nothing can be due for any more
            await self.reminders.forget_past(now)
        if emitted:
            log.info("reminders emitted", extra={"count": emitted})
        return emitted

    async def run(self) -> None:
        """Sweep until cancelled; a failed sweep is retried at the next one (nothing lost:
        what it did not claim is still due, unless the occurrence has started)."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.warning("reminder sweep failed; the next one retries", exc_info=True)
            await asyncio.sleep(self.interval)


# --- Calendar feeds and files ----------------------------------------------------------------

rpc = RouteTable()

PERSONAL_FEED_NAME = "My Huddle sessions"


def _calendar(document: bytes) -> contract.Calendar:
    return contract.Calendar(ics=document.decode(), etag=domain.entity_tag(document))


@rpc.route(
    contract.NETWORK_FEED,
    "A network's sessions as an iCalendar feed (never joining links); who may list them.",
)
async def network_feed(
    request: contract.NetworkFeed, caller: Caller, deps: CalendarDependencies
) -> contract.Calendar:
    name, sessions = await deps.series.of_network(request.slug, caller)
    feed = [
        domain.feed_session(series, path=domain.series_path(series.session_id))
        for series in sessions
    ]
    return _calendar(domain.calendar_document(feed, name=name, base_url=deps.base_url))


@rpc.route(
    contract.PERSONAL_FEED,
    "A member's feed, found by its token: the occurrences they hold a place on, with links.",
)
async def personal_feed(
    request: contract.PersonalFeed, caller: Caller, deps: CalendarDependencies
) -> contract.Calendar:
    member_id = await deps.tokens.member_of(domain.calendar_token_hash(request.token))
    if member_id is None:  # never made, replaced or revoked: the same answer
        raise NotFound("There is no calendar feed at this address.")
    held: dict[UUID, list[datetime]] = defaultdict(list)
    for key in await deps.places.held_by(member_id):
        held[key.session_id].append(key.occurrence_start)
    sessions = await deps.series.of_member(member_id, sorted(held))
    feed = [
        domain.feed_session(
            series, shown=held[series.session_id], path=domain.series_path(series.session_id)
        )
        for series in sessions
    ]
    document = domain.calendar_document(feed, name=PERSONAL_FEED_NAME, base_url=deps.base_url)
    return _calendar(document)


def _occurrence_of(series: SeriesDetails, start: datetime | None) -> domain.FeedOccurrence:
    if start is None:
        return domain.feed_occurrence(series.occurrences[0])
    for occurrence in series.occurrences:
        if occurrence.key.occurrence_start == start.astimezone(UTC):
            return domain.feed_occurrence(occurrence)
    raise NotFound(f"The session has no occurrence starting at {start.isoformat()}.")


@rpc.route(
    contract.OCCURRENCE_FILE,
    "One occurrence as a single-event iCalendar file, as the session's page shows it.",
)
async def occurrence_file(
    request: contract.OccurrenceFile, caller: Caller, deps: CalendarDependencies
) -> contract.Calendar:
    series = await deps.series.readable(request.session_id, caller)
    occurrence = _occurrence_of(series, request.occurrence_start)
    path = (
        f"/sessions/{series.session_id}?occurrence={domain.utc_text(occurrence.occurrence_start)}"
    )
    session = domain.feed_session(series, path=path)
    return _calendar(domain.occurrence_document(session, occurrence, base_url=deps.base_url))


# --- Personal calendar tokens ---------------------------------------------------------------


# No idempotency keys: the token is shown once and kept only as a hash.
@rpc.route(
    contract.CREATE_CALENDAR_TOKEN,
    "A new address for my personal calendar feed (the one before stops working).",
    idempotency_keys=False,
)
async def create_calendar_token(
    request: Empty, caller: Caller, deps: CalendarDependencies
) -> contract.CalendarTokenView:
    member_id = require_member(caller)
    token, now = domain.new_calendar_token(), deps.clock()
    await deps.tokens.replace(member_id, domain.calendar_token_hash(token), now)
    return contract.CalendarTokenView(token=token, created_at=now)


@rpc.route(
    contract.REVOKE_CALENDAR_TOKEN,
    "Stop my personal calendar feed's address working (none left: nothing changes).",
)
async def revoke_calendar_token(request: Empty, caller: Caller, deps: CalendarDependencies) -> None:
    await deps.tokens.revoke(require_member(caller))


# --- Members' data --------------------------------------------------------------------------

erasures = Subscription(
    "scheduling-calendar-erasures",
    "Forgets an erased member's calendar token and the reminders sent to them.",
)


@erasures.handler
async def on_member_erased(
    envelope: EventEnvelope, event: MemberErasedV1, deps: CalendarDependencies
) -> None:
    await deps.tokens.revoke(event.member_id)
    await deps.reminders.forget_member(event.member_id)


async def export_member(caller: Caller, deps: CalendarDependencies) -> dict[str, Any]:
    """The calendar area's part of the member's export (never the token: only its date)."""
    member_id = require_member(caller)
    token = await deps.tokens.of_member(member_id)
    return {
        "calendar_token_created_at": token["created_at"] if token else None,
        "reminders_sent": await deps.reminders.of_member(member_id),
    }
