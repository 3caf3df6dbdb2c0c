"""Calendar files as the calendar area writes them, read back as a calendar app would:
parsed with icalendar and expanded with recurring-ical-events, across the clock changes."""

from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from huddle_scheduling.calendar import domain
from huddle_scheduling.calendar.domain import FeedOccurrence, FeedSession

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")
SESSION = UUID("0190f7c2-0000-7000-8000-000000000001")
FIRST = datetime(2027, 3, 19, 13, 0, tzinfo=LONDON)  # a Friday before the March change
WEEKS = 34  # to 5 November 2027: over the last Sundays of March (28th) and October (31st)
HOUR = timedelta(hours=1)


def week(n: int) -> datetime:
    """The n-th Friday's 13:00 in London, as an instant (computed apart from the file)."""
    return (FIRST.replace(tzinfo=None) + timedelta(weeks=n)).replace(tzinfo=LONDON)


def override(
    n: int,
    *,
    moved_by: timedelta = timedelta(0),
    cancelled: bool = False,
    title: str = "Friday huddle",
) -> FeedOccurrence:
    return FeedOccurrence(
        occurrence_start=week(n).astimezone(UTC),
        starts_at=week(n) + moved_by,
        ends_at=week(n) + moved_by + HOUR,
        title=title,
        description="",
        location="",
        joining_link="https://meet.example.org/psmn",
        cancelled=cancelled,
    )


def series(**changes: object) -> FeedSession:
    fields: dict[str, object] = {
        "session_id": SESSION,
        "slug": "psmn",
        "title": "Friday huddle",
        "description": "Patient safety managers' weekly huddle.",
        "location": "",
        "joining_link": "https://meet.example.org/psmn",
        "starts_at": FIRST,
        "duration": HOUR,
        "time_zone": "Europe/London",
        "rule": f"FREQ=WEEKLY;BYDAY=FR;COUNT={WEEKS}",
        "revised_at": datetime(2027, 1, 4, 9, 30, tzinfo=UTC),
        "sequence": 3,
        "last_ends_at": week(WEEKS - 1) + HOUR,
        "path": f"/sessions/{SESSION}",
    }
    fields.update(changes)
    return FeedSession(**fields)  # type: ignore[arg-type]


def expanded(document: bytes) -> list[tuple[datetime, str, str]]:
    calendar = icalendar.Calendar.from_ical(document)
    events = recurring_ical_events.of(calendar).between(datetime(2026, 1, 1), datetime(2029, 1, 1))
    return sorted(
        (event["DTSTART"].dt.astimezone(UTC), str(event.get("STATUS")), str(event["SUMMARY"]))
        for event in events
    )


def test_a_weekly_series_keeps_its_wall_clock_time_across_both_clock_changes() -> None:
    document = domain.calendar_document([series()], name="PSMN")
    starts = [start for start, _, _ in expanded(document)]
    assert starts == [week(n).astimezone(UTC) for n in range(WEEKS)]
    # 13:00 GMT in March and November, 12:00 UTC (13:00 BST) in between.
    assert {start.hour for start in starts[:2]} == {13}
    assert starts[2].hour == 12  # 2 April, after the 28 March change
    assert starts[-1].hour == 13  # 5 November, after the 31 October change


def test_moved_and_cancelled_occurrences_are_overrides_of_the_series() -> None:
    moved = override(1, moved_by=timedelta(hours=2))  # 26 March, two hours later
    cancelled = override(2, cancelled=True)  # 2 April, just after the change
    following = [
        override(n, title="Friday huddle (new time)", moved_by=HOUR) for n in range(30, WEEKS)
    ]  # this and following from 15 October
    document = domain.calendar_document(
        [series(overrides=(moved, cancelled, *following))], name="PSMN"
    )
    got = expanded(document)
    want = [(week(n).astimezone(UTC), "CONFIRMED", "Friday huddle") for n in range(WEEKS)]
    want[1] = ((week(1) + 2 * HOUR).astimezone(UTC), "CONFIRMED", "Friday huddle")
    want[2] = (week(2).astimezone(UTC), "CANCELLED", "Cancelled: Friday huddle")
    for n in range(30, WEEKS):
        want[n] = ((week(n) + HOUR).astimezone(UTC), "CONFIRMED", "Friday huddle (new time)")
    assert got == sorted(want)

    calendar = icalendar.Calendar.from_ical(document)
    events = calendar.walk("VEVENT")
    assert {str(event["UID"]) for event in events} == {f"session-{SESSION}@huddle"}
    assert all("DTSTAMP" in event for event in events)
    ids = sorted(event["RECURRENCE-ID"].dt for event in events if "RECURRENCE-ID" in event)
    assert ids == sorted([week(1), week(2), *(week(n) for n in range(30, WEEKS))])
    text = document.decode()
    assert "RECURRENCE-ID;TZID=Europe/London:20270326T130000" in text
    assert "RRULE:FREQ=WEEKLY;COUNT=34;BYDAY=FR" in text


def test_every_tzid_has_its_vtimezone() -> None:
    other = series(
        session_id=UUID(int=2),
        time_zone="America/New_York",
        starts_at=datetime(2027, 3, 19, 9, 0, tzinfo=ZoneInfo("America/New_York")),
        rule=None,
        last_ends_at=datetime(2027, 3, 19, 10, 0, tzinfo=UTC),
    )
    calendar = icalendar.Calendar.from_ical(domain.calendar_document([series(), other], name="x"))
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    used = {event["DTSTART"].params["TZID"] for event in calendar.walk("VEVENT")}
    assert zones == used == {"Europe/London", "America/New_York"}


def test_left_out_occurrences_are_exdates() -> None:
    left_out = tuple(week(n).astimezone(UTC) for n in range(WEEKS) if n not in (0, 5, 20))
    document = domain.calendar_document([series(left_out=left_out)], name="Mine")
    assert [start for start, _, _ in expanded(document)] == [
        week(n).astimezone(UTC) for n in (0, 5, 20)
    ]


def test_the_joining_link_is_in_the_file_only_when_given() -> None:
    with_link = domain.calendar_document([series()], name="x", base_url="https://huddle.test")
    without = domain.calendar_document([series(joining_link=None)], name="x")
    assert b"meet.example.org" in with_link
    assert b"meet.example.org" not in without
    event = icalendar.Calendar.from_ical(with_link).walk("VEVENT")[0]
    assert str(event["URL"]) == f"https://huddle.test/sessions/{SESSION}"
    assert str(event["LOCATION"]) == "https://meet.example.org/psmn"  # online: where it is


def test_a_cancelled_single_session_is_shown_cancelled() -> None:
    single = series(rule=None, cancelled=True, last_ends_at=FIRST + HOUR)
    assert expanded(domain.calendar_document([single], name="x")) == [
        (FIRST.astimezone(UTC), "CANCELLED", "Cancelled: Friday huddle")
    ]


def test_one_occurrence_on_its_own_is_a_single_event_with_its_own_uid() -> None:
    occurrence = override(2, moved_by=HOUR)
    document = domain.occurrence_document(series(), occurrence)
    calendar = icalendar.Calendar.from_ical(document)
    [event] = calendar.walk("VEVENT")
    assert "RRULE" not in event and "RECURRENCE-ID" not in event
    assert str(event["UID"]) == f"session-{SESSION}-20270402T120000Z@huddle"
    assert event["DTSTART"].dt == week(2) + HOUR
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_the_same_calendar_has_the_same_tag_and_a_change_changes_it() -> None:
    one = domain.calendar_document([series()], name="x")
    assert domain.calendar_document([series()], name="x") == one
    assert domain.entity_tag(one) == domain.entity_tag(one)
    changed = domain.calendar_document([series(overrides=(override(3, cancelled=True),))], name="x")
    assert domain.entity_tag(changed) != domain.entity_tag(one)


def test_the_refresh_hints_are_durations_calendar_apps_read() -> None:
    from huddle_scheduling.calendar import domain as calendar_domain

    text = calendar_domain.calendar_document([], name="A network").decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text
    assert "X-PUBLISHED-TTL:PT1H" in text
