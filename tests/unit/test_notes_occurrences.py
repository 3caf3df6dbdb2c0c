"""Notes knows a series' occurrences from scheduling's event: a rule ending with UNTIL (in
UTC, as scheduling writes it) expands on the session's own wall clock."""

from datetime import UTC, datetime

from huddle_notes.notes.domain import occurrence_starts


def test_a_weekly_rule_until_a_utc_instant_keeps_one_oclock_in_london_all_year() -> None:
    starts = occurrence_starts(
        datetime(2026, 1, 2, 13, 0, tzinfo=UTC),
        "Europe/London",
        "FREQ=WEEKLY;BYDAY=FR;UNTIL=20260731T235959Z",
    )
    assert len(starts) == 31
    assert starts[0] == datetime(2026, 1, 2, 13, 0, tzinfo=UTC)  # GMT
    assert starts[-1] == datetime(2026, 7, 31, 12, 0, tzinfo=UTC)  # 1pm summer time


def test_a_rule_that_counts_is_unchanged() -> None:
    starts = occurrence_starts(
        datetime(2026, 1, 1, 13, 0, tzinfo=UTC), "Europe/London", "FREQ=MONTHLY;INTERVAL=2;COUNT=6"
    )
    assert len(starts) == 6
