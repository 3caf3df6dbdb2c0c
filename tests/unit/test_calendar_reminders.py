"""Reminders: which are due at a given moment (pure, with the time given)."""

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from huddle_scheduling.calendar import domain
from huddle_scheduling.calendar.handlers import ReminderSettings
from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey
from huddle_shared.contracts.sessions import SessionFormat
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

START = datetime(2027, 3, 26, 13, 0, tzinfo=UTC)  # a Friday, 13:00 GMT
DAY, HOUR = timedelta(hours=24), timedelta(hours=1)
OFFSETS = (DAY, HOUR)


def occurrence(
    starts_at: datetime = START,
    *,
    name: datetime | None = None,
    cancelled: bool = False,
    session_id: UUID | None = None,
) -> OccurrenceFacts:
    return OccurrenceFacts(
        key=OccurrenceKey(session_id or UUID(int=7), name or starts_at),
        slug="psmn",
        open_to_networks=(),
        title="Friday huddle",
        format=SessionFormat.DISCUSSION,
        starts_at=starts_at,
        ends_at=starts_at + HOUR,
        time_zone="Europe/London",
        capacity=100,
        registration=True,
        cancelled=cancelled,
        joining_link="https://meet.example.org/psmn",
    )


def offsets_due(now: datetime, facts: OccurrenceFacts | None = None) -> list[timedelta]:
    member = UUID(int=1)
    return [r.offset for r in domain.due_reminders(now, facts or occurrence(), [member], OFFSETS)]


def test_nothing_is_due_more_than_a_day_before() -> None:
    assert offsets_due(START - DAY - timedelta(seconds=1)) == []


def test_the_day_before_reminder_is_due_from_its_moment() -> None:
    assert offsets_due(START - DAY) == [DAY]
    assert offsets_due(START - 2 * HOUR) == [DAY]


def test_a_missed_moment_is_still_due_late_until_the_start() -> None:
    # The sweep that should have sent the day-before reminder never ran: it is sent late,
    # with the hour-before one.
    assert offsets_due(START - timedelta(minutes=30)) == [DAY, HOUR]
    assert offsets_due(START - timedelta(seconds=1)) == [DAY, HOUR]


def test_nothing_is_due_once_the_occurrence_has_started() -> None:
    assert offsets_due(START) == []
    assert offsets_due(START + timedelta(minutes=5)) == []


def test_a_cancelled_occurrence_has_no_reminders() -> None:
    assert offsets_due(START - timedelta(minutes=30), occurrence(cancelled=True)) == []


def test_a_moved_occurrence_is_reminded_of_by_its_new_start_under_its_own_name() -> None:
    moved = occurrence(START + 3 * HOUR, name=START)
    assert offsets_due(START - timedelta(minutes=30), moved) == [DAY]
    [reminder] = domain.due_reminders(START + 2 * HOUR, moved, [UUID(int=1)], (HOUR,))
    assert reminder.claim_id == domain.DueReminder(UUID(int=1), occurrence(), HOUR).claim_id


def test_each_member_occurrence_and_offset_has_its_own_name() -> None:
    members = [uuid4(), uuid4()]
    other = occurrence(session_id=UUID(int=8))
    due = [
        *domain.due_reminders(START - HOUR, occurrence(), [*members, members[0]], OFFSETS),
        *domain.due_reminders(START - HOUR, other, members, OFFSETS),
    ]
    assert len(due) == 8  # a member listed twice is reminded once
    assert len({reminder.claim_id for reminder in due}) == 8


def test_the_event_carries_what_a_notifier_needs() -> None:
    member = uuid4()
    [reminder] = domain.due_reminders(START - HOUR, occurrence(), [member], (HOUR,))
    event = reminder.event()
    assert event.model_dump(mode="json") == {
        "member_id": str(member),
        "session_id": str(UUID(int=7)),
        "slug": "psmn",
        "title": "Friday huddle",
        "occurrence_start": "2027-03-26T13:00:00Z",
        "starts_at": "2027-03-26T13:00:00Z",
        "time_zone": "Europe/London",
        "offset_minutes": 60,
        "path": f"/sessions/{UUID(int=7)}?occurrence=2027-03-26T13:00:00Z",
    }
    assert "joining_link" not in event.model_dump()  # the page shows it to who may see it


def test_the_window_reaches_as_far_ahead_as_the_largest_offset() -> None:
    assert domain.reminder_window(START, (HOUR, DAY)) == (START, START + DAY)


@given(
    before=st.timedeltas(min_value=timedelta(minutes=-120), max_value=timedelta(hours=30)),
    minutes=st.sets(st.integers(min_value=1, max_value=3 * 24 * 60), min_size=1, max_size=4),
)
def test_an_offset_is_due_exactly_between_its_moment_and_the_start(
    before: timedelta, minutes: set[int]
) -> None:
    offsets = tuple(timedelta(minutes=m) for m in minutes)
    now = START - before
    due = {r.offset for r in domain.due_reminders(now, occurrence(), [UUID(int=1)], offsets)}
    assert due == {offset for offset in offsets if START - offset <= now < START}


def test_offsets_are_a_setting_of_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ReminderSettings().offsets == (DAY, HOUR)
    monkeypatch.setenv("HUDDLE_REMINDER_OFFSETS_MINUTES", "15, 2880")
    assert ReminderSettings().offsets == (2 * DAY, timedelta(minutes=15))
    for wrong in ("", "0", "an hour", "-60"):
        monkeypatch.setenv("HUDDLE_REMINDER_OFFSETS_MINUTES", wrong)
        with pytest.raises(ValueError, match="reminder offsets"):
            ReminderSettings()


def test_calendar_tokens_are_long_random_and_kept_only_as_a_hash() -> None:
    tokens = {domain.new_calendar_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 40 for token in tokens)
    token = tokens.pop()
    assert domain.calendar_token_hash(token) == domain.calendar_token_hash(token)
    assert token not in domain.calendar_token_hash(token)
