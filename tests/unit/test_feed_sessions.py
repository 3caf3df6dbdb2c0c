"""A session as the sessions area answers it (``ports.SeriesDetails``) turned into what the
calendar writer writes (``FeedSession``): overrides, left-out occurrences, single sessions."""

from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from huddle_scheduling.calendar import domain
from huddle_scheduling.ports import OccurrenceDetails, OccurrenceKey, SeriesDetails

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")
SESSION = UUID(int=7)
FIRST = datetime(2027, 3, 19, 13, 0, tzinfo=LONDON)
HOUR = timedelta(hours=1)


def week(n: int) -> datetime:
    return (FIRST.replace(tzinfo=None) + timedelta(weeks=n)).replace(tzinfo=LONDON)


def details(n: int, *, moved: timedelta = timedelta(0), **changes: object) -> OccurrenceDetails:
    fields: dict[str, object] = {
        "key": OccurrenceKey(SESSION, week(n).astimezone(UTC)),
        "starts_at": week(n) + moved,
        "ends_at": week(n) + moved + HOUR,
        "title": "Friday huddle",
        "description": "",
        "location": "",
        "joining_link": None,
        "cancelled": False,
        "changed": bool(moved),
    }
    fields.update(changes)
    return OccurrenceDetails(**fields)  # type: ignore[arg-type]


def series(
    *occurrences: OccurrenceDetails, rule: str | None = "FREQ=WEEKLY;COUNT=4"
) -> SeriesDetails:
    return SeriesDetails(
        session_id=SESSION,
        slug="psmn",
        title="Friday huddle",
        description="",
        location="",
        joining_link=None,
        starts_at=FIRST,
        duration=HOUR,
        time_zone="Europe/London",
        rule=rule,
        revised_at=datetime(2027, 1, 4, tzinfo=UTC),
        revision=2,
        occurrences=occurrences,
    )


def test_only_occurrences_that_differ_are_overrides() -> None:
    feed = domain.feed_session(
        series(details(0), details(1, moved=HOUR), details(2, cancelled=True), details(3))
    )
    assert [o.occurrence_start for o in feed.overrides] == [
        week(1).astimezone(UTC),
        week(2).astimezone(UTC),
    ]
    assert feed.overrides[1].cancelled and feed.left_out == ()
    assert feed.last_ends_at == week(3) + HOUR and feed.sequence == 2


def test_occurrences_not_shown_are_left_out_and_not_overridden() -> None:
    feed = domain.feed_session(
        series(details(0), details(1, moved=HOUR), details(2), details(3)),
        shown=[week(2)],
    )
    assert feed.overrides == ()
    assert feed.left_out == tuple(week(n).astimezone(UTC) for n in (0, 1, 3))


def test_a_single_session_is_its_only_occurrence_as_changed() -> None:
    only = details(0, moved=2 * HOUR, title="Moved", cancelled=True)
    feed = domain.feed_session(series(only, rule=None))
    assert (feed.starts_at, feed.title, feed.cancelled, feed.rule) == (
        week(0) + 2 * HOUR,
        "Moved",
        True,
        None,
    )
    assert feed.overrides == () and feed.duration == HOUR
