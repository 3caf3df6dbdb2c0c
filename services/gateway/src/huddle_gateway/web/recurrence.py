"""The session form's "does it repeat?" choices, as RFC 5545 RRULE text and back.

People choose in plain words ("every 2 months on the first Thursday, 6 times"); the service
gets the rule's text and decides whether it is a rule it accepts (that it parses, that it
ends). Only the wording lives here: no date arithmetic, which is dateutil's in the service.
"""

from dataclasses import dataclass, field
from datetime import date

# The form's own field names.
REPEAT, EVERY, WEEKDAY, ORDINAL, ENDS, UNTIL, COUNT = (
    "repeat",
    "every",
    "weekday",
    "ordinal",
    "ends",
    "until",
    "count",
)

NOT_REPEATING, WEEKLY, MONTHLY, AS_WRITTEN = "none", "weekly", "monthly", "as_written"
ENDS_ON_DATE, ENDS_AFTER_COUNT = "until", "count"

WEEKDAYS: dict[str, str] = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
WEEKDAY_CODES = list(WEEKDAYS)  # Monday first, as date.weekday() counts
ORDINALS: dict[str, str] = {
    "1": "first",
    "2": "second",
    "3": "third",
    "4": "fourth",
    "-1": "last",
}


@dataclass
class Repeat:
    """The choices as the form holds them (strings, as typed)."""

    repeat: str = NOT_REPEATING
    every: str = "1"
    weekday: str = "FR"
    ordinal: str = "1"
    ends: str = ENDS_AFTER_COUNT
    until: dict[str, str] = field(default_factory=dict)  # day, month, year
    count: str = ""
    as_written: str = ""  # a rule the choices cannot say, kept as it was

    @classmethod
    def from_form(cls, form: dict[str, str]) -> "Repeat":
        return cls(
            repeat=form.get(REPEAT, NOT_REPEATING),
            every=form.get(EVERY, "1").strip() or "1",
            weekday=form.get(WEEKDAY, "FR"),
            ordinal=form.get(ORDINAL, "1"),
            ends=form.get(ENDS, ENDS_AFTER_COUNT),
            until={part: form.get(f"{UNTIL}-{part}", "").strip() for part in PARTS},
            count=form.get(COUNT, "").strip(),
            as_written=form.get("rrule", "").strip(),
        )

    @classmethod
    def starting(cls, start: date) -> "Repeat":
        """A new form: not repeating, and if it will, on the start's weekday."""
        return cls(weekday=WEEKDAY_CODES[start.weekday()], ordinal=_ordinal_of(start))


PARTS = ("day", "month", "year")


class RepeatError(ValueError):
    """A choice the form cannot turn into a rule; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _ordinal_of(day: date) -> str:
    return str(min((day.day - 1) // 7 + 1, 4))


def _whole_number(text: str, field: str, what: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise RepeatError(field, f"Enter {what} as a whole number, like 2")
    return int(text)


def _until(parts: dict[str, str]) -> str:
    """The last day, as RRULE's UNTIL: the end of that day in UTC (the rule's start has a
    time zone, so RFC 5545 wants UNTIL in UTC)."""
    try:
        last = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except (KeyError, ValueError):
        raise RepeatError(f"{UNTIL}-day", "Enter a real date for the last session") from None
    return f"{last:%Y%m%d}T235959Z"


def to_rrule(choice: Repeat) -> str | None:
    """The rule's text, or None when the session does not repeat. Raises ``RepeatError``
    for a choice that is not a rule at all (a count that is not a number, a date that is
    not a date); whether the rule is one the service takes is the service's answer."""
    if choice.repeat == NOT_REPEATING:
        return None
    if choice.repeat == AS_WRITTEN:
        return choice.as_written or None
    every = _whole_number(choice.every, EVERY, "how often it repeats")
    if choice.repeat == WEEKLY:
        parts = ["FREQ=WEEKLY", f"BYDAY={_weekday(choice.weekday)}"]
    elif choice.repeat == MONTHLY:
        if choice.ordinal not in ORDINALS:
            raise RepeatError(ORDINAL, "Choose which week of the month")
        parts = ["FREQ=MONTHLY", f"BYDAY={choice.ordinal}{_weekday(choice.weekday)}"]
    else:
        raise RepeatError(REPEAT, "Choose whether the session repeats")
    if every > 1:
        parts.insert(1, f"INTERVAL={every}")
    if choice.ends == ENDS_ON_DATE:
        parts.append(f"UNTIL={_until(choice.until)}")
    elif choice.ends == ENDS_AFTER_COUNT:
        parts.append(f"COUNT={_whole_number(choice.count, COUNT, 'how many times')}")
    else:
        raise RepeatError(ENDS, "Choose when the series ends")
    return ";".join(parts)


def _weekday(code: str) -> str:
    if code not in WEEKDAYS:
        raise RepeatError(WEEKDAY, "Choose a day of the week")
    return code


def from_rrule(rule: str | None, start: date) -> Repeat:
    """The choices that give ``rule`` (for the edit form), or the rule as written when the
    choices cannot say it."""
    if not rule:
        return Repeat.starting(start)
    parts = dict(item.split("=", 1) for item in rule.upper().split(";") if "=" in item)
    known = {"FREQ", "INTERVAL", "BYDAY", "UNTIL", "COUNT"}
    choice = Repeat(every=parts.get("INTERVAL", "1"), as_written=rule)
    byday = parts.get("BYDAY", "")
    if set(parts) - known or "," in byday or not byday:
        choice.repeat = AS_WRITTEN
        return choice
    if parts.get("FREQ") == "WEEKLY" and byday in WEEKDAYS:
        choice.repeat, choice.weekday = WEEKLY, byday
    elif parts.get("FREQ") == "MONTHLY" and byday[-2:] in WEEKDAYS and byday[:-2] in ORDINALS:
        choice.repeat, choice.weekday, choice.ordinal = MONTHLY, byday[-2:], byday[:-2]
    else:
        choice.repeat = AS_WRITTEN
        return choice
    if "COUNT" in parts:
        choice.ends, choice.count = ENDS_AFTER_COUNT, parts["COUNT"]
    elif "UNTIL" in parts and len(parts["UNTIL"]) >= 8 and parts["UNTIL"][:8].isdigit():
        text = parts["UNTIL"]
        choice.ends = ENDS_ON_DATE
        choice.until = {"year": text[:4], "month": str(int(text[4:6])), "day": str(int(text[6:8]))}
    else:
        choice.repeat = AS_WRITTEN
    return choice


def describe(rule: str | None) -> str:
    """The rule in words, for the session page ("Every week on Friday, 10 times")."""
    if not rule:
        return "Does not repeat"
    choice = from_rrule(rule, date(2000, 1, 1))
    if choice.repeat == AS_WRITTEN:
        return "Repeats"
    every = int(choice.every) if choice.every.isdigit() else 1
    day = WEEKDAYS[choice.weekday]
    if choice.repeat == WEEKLY:
        text = f"Every week on {day}" if every == 1 else f"Every {every} weeks on {day}"
    else:
        month = "month" if every == 1 else f"{every} months"
        text = f"Every {month} on the {ORDINALS[choice.ordinal]} {day}"
    if choice.ends == ENDS_AFTER_COUNT:
        text += f", {choice.count} times"
    else:
        last = date(int(choice.until["year"]), int(choice.until["month"]), int(choice.until["day"]))
        text += f", until {last.day} {last:%B %Y}"
    return text
