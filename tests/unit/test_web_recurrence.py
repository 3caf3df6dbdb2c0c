"""The session form's repeat choices as RRULE text: the rule the service gets (and checks,
with dateutil: here only that dateutil reads it as meant), and back for the edit form."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from huddle_gateway.web.recurrence import (
    Repeat,
    RepeatError,
    describe,
    from_rrule,
    to_rrule,
)

LONDON = ZoneInfo("Europe/London")


def form(**fields: str) -> Repeat:
    return Repeat.from_form(fields)


def test_a_session_that_does_not_repeat_has_no_rule() -> None:
    assert to_rrule(form(repeat="none", count="10")) is None


def test_every_week_on_friday_ten_times() -> None:
    rule = to_rrule(form(repeat="weekly", weekday="FR", ends="count", count="10"))
    assert rule == "FREQ=WEEKLY;BYDAY=FR;COUNT=10"
    start = datetime(2027, 3, 5, 13, tzinfo=LONDON)
    dates = list(rrulestr(rule, dtstart=start))
    assert len(dates) == 10
    assert {d.weekday() for d in dates} == {4}
    assert {d.hour for d in dates} == {13}  # across the clocks going forward on 28 March


def test_every_second_month_on_the_first_thursday_until_a_date() -> None:
    rule = to_rrule(
        form(
            repeat="monthly",
            every="2",
            weekday="TH",
            ordinal="1",
            ends="until",
            **{"until-day": "31", "until-month": "12", "until-year": "2027"},
        )
    )
    assert rule == "FREQ=MONTHLY;INTERVAL=2;BYDAY=1TH;UNTIL=20271231T235959Z"
    dates = list(rrulestr(rule, dtstart=datetime(2027, 1, 7, 14, tzinfo=LONDON)))
    assert [d.date() for d in dates] == [
        date(2027, 1, 7),
        date(2027, 3, 4),
        date(2027, 5, 6),
        date(2027, 7, 1),
        date(2027, 9, 2),
        date(2027, 11, 4),
    ]


def test_the_last_weekday_of_the_month() -> None:
    rule = to_rrule(form(repeat="monthly", weekday="MO", ordinal="-1", ends="count", count="3"))
    assert rule == "FREQ=MONTHLY;BYDAY=-1MO;COUNT=3"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"repeat": "weekly", "ends": "count", "count": "ten"}, "count"),
        ({"repeat": "weekly", "ends": "count", "count": "0"}, "count"),
        ({"repeat": "weekly", "every": "-2", "ends": "count", "count": "3"}, "every"),
        ({"repeat": "weekly", "weekday": "XX", "ends": "count", "count": "3"}, "weekday"),
        ({"repeat": "weekly", "ends": "until", "until-day": "31", "until-month": "2"}, "until-day"),
        ({"repeat": "monthly", "ordinal": "9", "ends": "count", "count": "3"}, "ordinal"),
        ({"repeat": "sometimes"}, "repeat"),
        ({"repeat": "weekly", "ends": "never"}, "ends"),
    ],
)
def test_a_choice_that_is_no_rule_names_its_field(fields: dict[str, str], field: str) -> None:
    with pytest.raises(RepeatError) as refused:
        to_rrule(Repeat.from_form(fields))
    assert refused.value.field == field


def test_no_end_is_left_for_the_service_to_refuse() -> None:
    # The form always asks for an end; a rule typed as written is sent as it is.
    assert to_rrule(form(repeat="as_written", rrule="FREQ=DAILY")) == "FREQ=DAILY"


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=FR;COUNT=52",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20271231T235959Z",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=1TH;COUNT=6",
        "FREQ=MONTHLY;BYDAY=-1MO;UNTIL=20280101T235959Z",
    ],
)
def test_a_rule_the_choices_can_say_reads_back_the_same(rule: str) -> None:
    assert to_rrule(from_rrule(rule, date(2027, 1, 1))) == rule


def test_a_rule_the_choices_cannot_say_is_kept_as_written() -> None:
    rule = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8"
    choice = from_rrule(rule, date(2027, 1, 1))
    assert choice.repeat == "as_written"
    assert to_rrule(choice) == rule


def test_a_new_form_proposes_the_start_day() -> None:
    choice = Repeat.starting(date(2027, 3, 4))  # the first Thursday of March
    assert (choice.weekday, choice.ordinal, choice.repeat) == ("TH", "1", "none")


def test_the_rule_in_words() -> None:
    assert describe(None) == "Does not repeat"
    assert describe("FREQ=WEEKLY;BYDAY=FR;COUNT=10") == "Every week on Friday, 10 times"
    assert (
        describe("FREQ=MONTHLY;INTERVAL=2;BYDAY=1TH;UNTIL=20271231T235959Z")
        == "Every 2 months on the first Thursday, until 31 December 2027"
    )
