"""Sessions' series (pure): expansion in Europe/London wall-clock time across the clock
changes, refusals of rules that never end, and edits that apply to exactly the occurrences
asked."""

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from huddle_scheduling.sessions.domain import (
    FieldInvalid,
    OccurrenceIsCancelled,
    OccurrenceNotInSeries,
    Series,
    Session,
)
from huddle_shared.contracts.sessions import (
    ChangeScope,
    OccurrenceCancelledV1,
    OccurrenceChangedV1,
    OccurrenceChanges,
    OccurrenceStatus,
    SessionChanges,
    SessionFields,
    SessionScheduledV1,
)
from hypothesis import given, settings
from hypothesis import strategies as st

LONDON = ZoneInfo("Europe/London")
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def session(rrule: str | None, starts_at: datetime, **fields: object) -> Session:
    return Session.schedule(
        session_id=uuid4(),
        slug="psmn",
        fields=SessionFields(
            title="Friday huddle",
            starts_at=starts_at,
            duration_minutes=60,
            rrule=rrule,
            **fields,  # type: ignore[arg-type]
        ),
        never_recorded=False,
        created_by=None,
        now=NOW,
    )


# Day times away from 01:00-02:00, the hour the clocks skip or repeat in London.
day_times = st.builds(time, st.integers(6, 22), st.sampled_from([0, 15, 30, 45]))
first_days = st.dates(date(2026, 1, 1), date(2030, 12, 31))


@st.composite
def weekly_series(draw: st.DrawFn) -> tuple[str, datetime, int, int]:
    first_day = draw(first_days)
    interval = draw(st.integers(1, 3))
    count = draw(st.integers(1, 80))
    rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={DAYS[first_day.weekday()]};COUNT={count}"
    return rule, datetime.combine(first_day, draw(day_times)), interval, count


@given(weekly_series())
@settings(max_examples=150, deadline=None)
def test_every_weekly_occurrence_is_on_the_rule_in_london_wall_clock_time(
    case: tuple[str, datetime, int, int],
) -> None:
    rule, starts_at, interval, count = case
    occurrences = session(rule, starts_at).all_occurrences()
    assert len(occurrences) == count
    for number, occurrence in enumerate(occurrences):
        local = occurrence.key.occurrence_start.astimezone(LONDON)
        assert occurrence.key.occurrence_start.utcoffset() == timedelta(0)  # named in UTC
        assert local.date() == starts_at.date() + timedelta(weeks=interval * number)
        assert local.time() == starts_at.time()  # the same wall-clock time, GMT or BST
        assert occurrence.starts_at == local
        assert occurrence.ends_at - occurrence.starts_at == timedelta(minutes=60)


@given(first_days, day_times, st.integers(1, 3), st.integers(1, 24))
@settings(max_examples=100, deadline=None)
def test_every_first_thursday_of_every_nth_month(
    near: date, at: time, interval: int, count: int
) -> None:
    first = near.replace(day=1)
    first += timedelta(days=(3 - first.weekday()) % 7)  # the month's first Thursday
    rule = f"FREQ=MONTHLY;INTERVAL={interval};BYDAY=1TH;COUNT={count}"
    occurrences = session(rule, datetime.combine(first, at)).all_occurrences()
    assert len(occurrences) == count
    for number, occurrence in enumerate(occurrences):
        local = occurrence.starts_at
        months = (local.year - first.year) * 12 + local.month - first.month
        assert months == interval * number
        assert local.weekday() == 3 and local.day <= 7
        assert local.time() == at and local.tzinfo == LONDON


def test_a_weekly_friday_at_one_stays_at_one_across_the_clock_changes() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=52", datetime(2027, 1, 1, 13, 0))
    occurrences = series.all_occurrences()
    offsets = {o.starts_at.utcoffset() for o in occurrences}
    assert offsets == {timedelta(0), timedelta(hours=1)}  # GMT and BST both crossed
    assert {o.starts_at.time() for o in occurrences} == {time(13, 0)}
    utc_hours = {o.key.occurrence_start.hour for o in occurrences}
    assert utc_hours == {12, 13}


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=WEEKLY;BYDAY=FR", "never ends"),
        ("FREQ=WEEKLY;BYDAY=FR;INTERVAL=2", "never ends"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "does not parse"),
        ("FREQ=FORTNIGHTLY;COUNT=3", "not FORTNIGHTLY"),
        ("FREQ=SOMETIMES", "not SOMETIMES"),  # what it says is wrong first, not "never ends"
        ("WEEKLY", "is not NAME=VALUE"),
        ("BYDAY=FR;COUNT=3", "needs FREQ"),
        ("FREQ=HOURLY;COUNT=3", "at most daily"),
        ("FREQ=WEEKLY;BYHOUR=9,13;COUNT=3", "not BYHOUR"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1", "no occurrence"),
        ("FREQ=WEEKLY;COUNT=0", "no occurrence"),
        ("FREQ=DAILY;COUNT=1001", "more than 1000"),
        ("FREQ=WEEKLY;BYDAY=FR;UNTIL=20600101", "within 20 years"),
        ("FREQ=YEARLY;COUNT=30", "within 20 years"),
        ("FREQ=WEEKLY;BYDAY=FR;UNTIL=2027", "is not a date"),
        ("FREQ=WEEKLY;BYDAY=FR;COUNT=3\nRRULE:FREQ=DAILY;COUNT=2", "one RRULE"),
    ],
)
def test_a_rule_that_does_not_give_a_bounded_series_is_refused_on_rrule(
    rule: str, why: str
) -> None:
    with pytest.raises(FieldInvalid) as refused:
        Series.of(datetime(2027, 3, 5, 13, 0), "Europe/London", rule)
    assert refused.value.errors[0].field == "rrule"
    assert why in refused.value.detail


def test_a_first_start_off_the_rule_is_refused_on_starts_at() -> None:
    with pytest.raises(FieldInvalid) as refused:  # 5 March 2027 is a Friday, not a Monday
        Series.of(datetime(2027, 3, 5, 13, 0), "Europe/London", "FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    assert refused.value.errors[0].field == "starts_at"


def test_until_is_kept_in_utc_and_a_date_alone_includes_that_day() -> None:
    series = Series.of(
        datetime(2027, 3, 5, 13, 0), "Europe/London", "freq=weekly;byday=fr;until=20270402"
    )
    assert series.rule == "FREQ=WEEKLY;BYDAY=FR;UNTIL=20270402T225959Z"  # 23:59:59 BST
    assert series.starts[-1] == datetime(2027, 4, 2, 12, 0, tzinfo=UTC)
    assert len(series.starts) == 5


def test_a_name_the_series_never_gives_is_an_error() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=4", datetime(2027, 3, 5, 13, 0))
    with pytest.raises(OccurrenceNotInSeries):
        series.occurrence(datetime(2027, 3, 5, 13, 30, tzinfo=UTC))
    with pytest.raises(OccurrenceNotInSeries):
        series.cancel_occurrence(datetime(2027, 3, 6, 13, 0, tzinfo=UTC), ChangeScope.THIS)
    with pytest.raises(OccurrenceNotInSeries):  # after the series ends
        series.change_occurrence(
            datetime(2027, 4, 2, 12, 0, tzinfo=UTC), OccurrenceChanges(title="X"), ChangeScope.THIS
        )
    # The same instant with another offset names the same occurrence.
    at_one = datetime(2027, 3, 5, 13, 0, tzinfo=LONDON)
    assert series.occurrence(at_one).key.occurrence_start == datetime(2027, 3, 5, 13, tzinfo=UTC)


# --- Edits ---------------------------------------------------------------------------------

edits = st.lists(
    st.tuples(
        st.integers(0, 29),
        st.sampled_from(list(ChangeScope)),
        st.sampled_from(["cancel", "title", "move"]),
    ),
    max_size=8,
)


@given(edits)
@settings(max_examples=150, deadline=None)
def test_edits_apply_to_exactly_the_occurrences_asked_and_cancelled_ones_never_show_scheduled(
    plan: list[tuple[int, ChangeScope, str]],
) -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=30", datetime(2027, 1, 1, 13, 0))
    starts = [o.key.occurrence_start for o in series.all_occurrences()]
    # The model: what each occurrence should be after the plan, by its index.
    cancelled: set[int] = set()
    titles: dict[int, str] = {}
    moves: dict[int, timedelta] = {}
    for step, (index, scope, kind) in enumerate(plan):
        covered = {index} if scope is ChangeScope.THIS else set(range(index, 30))
        before = {o.key: o for o in series.all_occurrences()}
        if kind == "cancel":
            series.cancel_occurrence(starts[index], scope)
            cancelled |= covered
        elif scope is ChangeScope.THIS and index in cancelled:
            with pytest.raises(OccurrenceIsCancelled):
                series.change_occurrence(starts[index], OccurrenceChanges(title="x"), scope)
            continue
        elif kind == "title":
            series.change_occurrence(starts[index], OccurrenceChanges(title=f"Step {step}"), scope)
            titles.update(dict.fromkeys(covered, f"Step {step}"))
        else:
            shift = timedelta(minutes=30 * (step + 1))
            local = starts[index].astimezone(LONDON).replace(tzinfo=None)
            series.change_occurrence(
                starts[index], OccurrenceChanges(starts_at=local + shift), scope
            )
            moves.update(dict.fromkeys(covered, shift))
        after = {o.key: o for o in series.all_occurrences()}
        untouched = [k for n, k in enumerate(after) if n not in covered]
        assert all(after[key] == before[key] for key in untouched)  # nothing else changed

    occurrences = series.all_occurrences()
    assert [o.key.occurrence_start for o in occurrences] == starts  # no occurrence renamed
    for index, occurrence in enumerate(occurrences):
        wanted = OccurrenceStatus.CANCELLED if index in cancelled else OccurrenceStatus.SCHEDULED
        assert occurrence.status is wanted
        assert occurrence.fields.title == titles.get(index, "Friday huddle")
        local = starts[index].astimezone(LONDON).replace(tzinfo=None)
        assert occurrence.starts_at.replace(tzinfo=None) == local + moves.get(index, timedelta())
        assert occurrence.changed == (index in titles or index in moves)
    window = series.occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
    scheduled = [o for o in window if o.status is OccurrenceStatus.SCHEDULED]
    assert {starts.index(o.key.occurrence_start) for o in scheduled} == set(range(30)) - cancelled
    assert {o.key for o in series.exceptions()} == {
        o.key for n, o in enumerate(occurrences) if n in cancelled | set(titles) | set(moves)
    }


def test_moving_this_and_following_keeps_names_and_each_wall_clock_shift() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=8", datetime(2027, 3, 5, 13, 0))
    third = series.all_occurrences()[2].key.occurrence_start
    changed = series.change_occurrence(
        third,
        OccurrenceChanges(starts_at=datetime(2027, 3, 19, 15, 0)),
        ChangeScope.THIS_AND_FOLLOWING,
    )
    assert len(changed) == 6
    occurrences = series.all_occurrences()
    assert [o.starts_at.time() for o in occurrences] == [time(13)] * 2 + [time(15)] * 6
    # 26 March 2027 (BST from 28 March) and 2 April both at 15:00 London time.
    assert occurrences[4].starts_at == datetime(2027, 4, 2, 15, 0, tzinfo=LONDON)
    assert occurrences[4].key.occurrence_start == datetime(2027, 4, 2, 12, 0, tzinfo=UTC)
    events = [e for e in series.pending_events if isinstance(e, OccurrenceChangedV1)]
    assert [e.occurrence_start for e in events] == [o.key.occurrence_start for o in changed]


def test_a_repeated_change_or_cancellation_changes_nothing_and_says_nothing() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=4", datetime(2027, 3, 5, 13, 0))
    first = series.all_occurrences()[0].key.occurrence_start
    assert series.change_occurrence(first, OccurrenceChanges(title="New"), ChangeScope.THIS)
    assert series.change_occurrence(
        first, OccurrenceChanges(title="New"), ChangeScope.THIS_AND_FOLLOWING
    )
    assert series.cancel_occurrence(first, ChangeScope.THIS_AND_FOLLOWING)
    kept = (list(series.edits), len(series.pending_events))
    assert series.cancel_occurrence(first, ChangeScope.THIS_AND_FOLLOWING) == []
    assert (
        series.change_occurrence(
            first, OccurrenceChanges(title="New"), ChangeScope.THIS_AND_FOLLOWING
        )
        == []
    )
    assert (list(series.edits), len(series.pending_events)) == kept
    kinds = [type(e) for e in series.pending_events]
    assert kinds == [SessionScheduledV1] + [OccurrenceChangedV1] * 4 + [OccurrenceCancelledV1] * 4


def test_recorded_is_refused_where_the_network_never_records() -> None:
    fields = SessionFields(
        title="Huddle", starts_at=datetime(2027, 3, 5, 13), duration_minutes=60, recorded=True
    )
    with pytest.raises(FieldInvalid) as refused:
        Session.schedule(
            session_id=uuid4(),
            slug="psmn",
            fields=fields,
            never_recorded=True,
            created_by=None,
            now=NOW,
        )
    assert refused.value.errors[0].field == "recorded"
    kept = session(None, datetime(2027, 3, 5, 13))
    with pytest.raises(FieldInvalid):
        kept.update(SessionChanges(recorded=True), never_recorded=True)
    assert kept.fields.recorded is False


def test_changing_the_series_time_keeps_following_edits_and_drops_lost_names() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=6", datetime(2027, 3, 5, 13, 0))
    starts = [o.key.occurrence_start for o in series.all_occurrences()]
    series.cancel_occurrence(starts[1], ChangeScope.THIS)
    series.change_occurrence(
        starts[3], OccurrenceChanges(title="Later"), ChangeScope.THIS_AND_FOLLOWING
    )
    assert series.update(
        SessionChanges(starts_at=datetime(2027, 3, 5, 14, 0)), never_recorded=False
    )
    occurrences = series.all_occurrences()
    assert all(o.status is OccurrenceStatus.SCHEDULED for o in occurrences)  # name lost
    assert [o.fields.title for o in occurrences] == ["Friday huddle"] * 3 + ["Later"] * 3


def test_a_shorter_rule_announces_the_occurrences_it_drops_as_cancelled() -> None:
    series = session("FREQ=WEEKLY;BYDAY=FR;COUNT=10", datetime(2027, 1, 1, 13, 0))
    starts = [o.key.occurrence_start for o in series.all_occurrences()]
    series.cancel_occurrence(starts[8], ChangeScope.THIS)  # already cancelled: not again
    series.pending_events = []
    assert series.update(SessionChanges(rrule="FREQ=WEEKLY;BYDAY=FR;COUNT=6"), never_recorded=False)
    cancelled = [e for e in series.pending_events if isinstance(e, OccurrenceCancelledV1)]
    assert [e.occurrence_start for e in cancelled] == [starts[6], starts[7], starts[9]]
    assert len(series.all_occurrences()) == 6
