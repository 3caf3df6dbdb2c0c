"""Identifiers with a shape: emails (also spelled out), UK phone numbers, NHS numbers,
postcodes and specific dates. Each pattern finds candidates; a check then keeps only those
that are what they look like (Modulus 11 for NHS numbers, a UK number plan for phones)."""

import re
from collections.abc import Iterator

from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check.candidates import CONTEXT, VALIDATED, Candidate
from huddle_notes.check.text import words

# --- Emails -------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_TLDS = "uk|net|com|org|gov|nhs|ac|scot|wales|cymru|io|co|info|edu|eu|ie|biz|me|email|health|care"
_DOT = r"(?:[ \t]*\.[ \t]*|[ \t]*[(\[{<]dot[)\]}>][ \t]*|[ \t]+dot[ \t]+)"
_UNDERSCORE = r"(?:_|[ \t]+underscore[ \t]+|-|[ \t]+(?:hyphen|dash)[ \t]+)"
_AT = r"(?:[ \t]*@[ \t]*|[ \t]*[(\[{<]at[)\]}>][ \t]*|[ \t]+at[ \t]+)"
_PART = r"[a-z0-9][a-z0-9'+]*"
# "k dot smith at nhs dot net", "k.smith [at] nhs [dot] net": at least one word spelled out
# (otherwise the plain pattern above finds it).
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@])(?P<local>{_PART}(?:(?:{_DOT}|{_UNDERSCORE}){_PART})*)"
    rf"(?P<at>{_AT})"
    rf"(?P<domain>[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}(?:{_TLDS}))(?![\w@])",
    re.IGNORECASE,
)


def windows(text: str, anchor: re.Pattern[str], before: int, after: int) -> list[tuple[int, int]]:
    """Stretches of ``text`` around each match of a cheap ``anchor``, merged: a costly
    pattern then runs only where it could match, not from every position of a long note."""
    spans: list[tuple[int, int]] = []
    for match in anchor.finditer(text):
        start, end = max(0, match.start() - before), min(len(text), match.end() + after)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def _search(
    pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]]
) -> Iterator[re.Match[str]]:
    for start, end in spans:
        yield from pattern.finditer(text, start, end)


# An address spelled out has "at" and, after it, "dot" or a full stop.
_AT_ANCHOR = re.compile(r"[ \t]at[ \t]|@|[(\[{<]at[)\]}>]", re.IGNORECASE)


def _spelled_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for start, end in windows(text, _AT_ANCHOR, 80, 120):
        stretch = text[start:end].lower()
        if "dot" in stretch or "." in stretch:
            spans.append((start, end))
    return spans


_PLACEHOLDER_LOCALS = ("firstname.", "first.last", "name.surname", "forename.", "joe.bloggs@")


def emails(text: str) -> Iterator[Candidate]:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            if match.group(0).lower().startswith(_PLACEHOLDER_LOCALS):
                continue  # "firstname.lastname@nhs.net" is how addresses look, not one
            yield Candidate(match.start(), match.end(), FindingCategory.EMAIL, VALIDATED, "email")
    for match in _search(_SPELLED_EMAIL, text, _spelled_spans(text)):
        spelled = match.group(0)
        if "@" in spelled and not re.search(r"\bdot\b|[(\[{<]", spelled, re.IGNORECASE):
            continue  # an ordinary address, found above
        local = match.group("local")
        # "meet at the clinic dot com" is not an address: the domain must be spelled out
        # with "dot" and the local part must not be a plain word ending a phrase ("her at").
        if local.lower() in _NOT_LOCAL_PARTS:
            continue
        yield Candidate(match.start(), match.end(), FindingCategory.EMAIL, VALIDATED, "email")


_NOT_LOCAL_PARTS = words(
    "me her him them us you it is are was were be meet met look looking arrive arrived "
    "here there this that which who we they she he i"
)

# --- Phones -------------------------------------------------------------------------------

# A UK number, international or national, in any layout: "+44 (0)20 7946 0958",
# "0161-496-0000", "(01632) 960 123", "07700900123". The digits are checked afterwards.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)[ \t]?44[ \t]?(?:\(0\)[ \t]?)?|\(?0(?:[ -](?=\d{3}))?)"
    r"\d[\d \t().-]{6,16}\d"
)
# "0 7700 900 555": the trunk zero typed as a group of its own. Only when every other group
# is three digits or more, as numbers are grouped; "0 20 30 40 50" is a row of counts, and
# "0.7700" a decimal.
_LONE_TRUNK_ZERO = re.compile(r"0[ -]\d")
_DIGIT_RUN = re.compile(r"\d+")
# Internal numbers: an extension or a bleep pins a person down as well as a phone number.
_EXTENSION = re.compile(
    r"\b(?:ext(?:ension)?\.?|bleep(?:[ \t]+(?:no\.?|number))?|pager)[ \t]*"
    r"(?:no\.?[ \t]*)?:?[ \t]*\d{3,6}\b",
    re.IGNORECASE,
)


def _national(digits: str) -> str:
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44"):
        digits = "0" + digits[2:]
    if digits.startswith("00"):  # "+44 (0)20 ..." keeps its trunk zero twice
        digits = digits[1:]
    return digits


def is_uk_phone(digits: str) -> bool:
    """A UK number: 0 then 9 or 10 digits, in a range Ofcom allocates (01, 02, 03, 05, 07,
    08, 09). 10-digit numbers exist (some 01 areas, 0800 and 0500)."""
    national = _national(digits)
    return (
        len(national) in (10, 11)
        and national[0] == "0"
        and national[1] in "1235789"
        and not (len(national) == 10 and national[1] in "237")
    )


def phones(text: str) -> Iterator[Candidate]:
    for match in _PHONE.finditer(text):
        found = match.group(0)
        # The pattern is greedy across spaces: take the longest run of digit groups that is
        # a whole number, so "01632 960123 2 times" finds the number and not the count.
        best = 0
        digits = ""
        for run in _DIGIT_RUN.finditer(found):
            digits += run.group(0)
            if len(digits) > 15:
                break
            if is_uk_phone(digits):
                best = run.end()
        if best and _LONE_TRUNK_ZERO.match(found):
            groups = [len(g) for g in _DIGIT_RUN.findall(found[:best])]
            if min(groups[1:]) < 3:
                continue
        if best:
            start = match.start()
            if text[start] == "(" and ")" not in found[:best]:
                start += 1
            yield Candidate(start, match.start() + best, FindingCategory.PHONE, VALIDATED, "phone")
    for match in _EXTENSION.finditer(text):
        yield Candidate(match.start(), match.end(), FindingCategory.PHONE, CONTEXT, "extension")


# --- NHS numbers --------------------------------------------------------------------------


def passes_modulus_11(digits: str) -> bool:
    """The NHS number check digit: weights 10..2 over the first nine digits; 11 minus the
    remainder mod 11 is the check digit (11 means 0, 10 means no valid number)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# Runs of digit groups joined by single spaces or hyphens: "943 476 5919", "36 943 476 5919".
_DIGIT_GROUPS = re.compile(r"(?<![\w.])\d+(?:[ \t.-]\d+)*(?![\w]|[.]\d)")
# Within a longer run, the groupings an NHS number is written in.
_NHS_SHAPES = {(3, 3, 4), (10,), (4, 3, 3), (5, 5), (2, 2, 2, 2, 2), (3, 4, 3)}


def nhs_numbers(text: str) -> Iterator[Candidate]:
    """Ten digits that pass Modulus 11, in any grouping when they stand alone; within a run
    of other numbers ("Ward 36 943 476 5919"), in the groupings NHS numbers are written in."""
    for run in _DIGIT_GROUPS.finditer(text):
        groups = [(m.start(), m.end()) for m in _DIGIT_RUN.finditer(run.group(0))]
        total = sum(e - s for s, e in groups)
        if total < 10:
            continue
        offset = run.start()
        if total == 10:
            yield from _nhs_number(text, offset + groups[0][0], offset + groups[-1][1])
            continue
        i = 0
        while i < len(groups):
            digits, j = 0, i
            while j < len(groups) and digits < 10:
                digits += groups[j][1] - groups[j][0]
                j += 1
            shape = tuple(e - s for s, e in groups[i:j])
            if digits == 10 and shape in _NHS_SHAPES:
                found = list(_nhs_number(text, offset + groups[i][0], offset + groups[j - 1][1]))
                if found:
                    yield from found
                    i = j
                    continue
            i += 1


def _nhs_number(text: str, start: int, end: int) -> Iterator[Candidate]:
    digits = re.sub(r"\D", "", text[start:end])
    if len(set(digits)) > 1 and passes_modulus_11(digits):  # "0000000000" is a placeholder
        yield Candidate(start, end, FindingCategory.NHS_NUMBER, VALIDATED + 1, "nhs")


# --- Postcodes ----------------------------------------------------------------------------

# The Royal Mail's shapes: outward code (A9, A99, AA9, AA99, A9A, AA9A) then the inward code
# (9AA), with or without the space, any case.
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR[ \t]?0AA|"
    r"[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[ \t]{0,2}[0-9][ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ORDINAL_TAIL = re.compile(r"[0-9](?:st|nd|rd|th)$", re.IGNORECASE)


def postcodes(text: str) -> Iterator[Candidate]:
    for match in _POSTCODE.finditer(text):
        found = match.group(0)
        # "B4 5th floor": an ordinal, not an inward code, unless written in capitals.
        if _ORDINAL_TAIL.search(found) and not found.isupper():
            continue
        yield Candidate(match.start(), match.end(), FindingCategory.POSTCODE, VALIDATED, "postcode")


# --- Dates --------------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAYS = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?)\.?"
)
_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)?"
_ORD_DAY = r"(?:3[01]|[12][0-9]|0?[1-9])(?:st|nd|rd|th)"
_YEAR = r"(?:19|20)\d\d"
_B, _E = r"(?<![\w/.-])", r"(?![\w]|[/.-]\d)"

_DATE_PATTERNS = [
    # 14/03/2024, 14-3-24, 14.03.2024
    re.compile(rf"{_B}(?:3[01]|[12][0-9]|0?[1-9])([/.-])(?:1[0-2]|0?[1-9])\1(?:{_YEAR}|\d\d){_E}"),
    # 2024-03-14
    re.compile(rf"{_B}{_YEAR}-(?:1[0-2]|0[1-9])-(?:3[01]|[12][0-9]|0[1-9]){_E}"),
    # (Friday,) (the) 14(th) (of) March (2024)
    re.compile(
        rf"\b(?:{_WEEKDAYS},?[ \t]+)?(?:the[ \t]+)?{_DAY}(?:[ \t]+of)?[ \t]+{_MONTHS}"
        rf"(?:,?[ \t]+{_YEAR})?\b",
        re.IGNORECASE,
    ),
    # (Friday,) March (the) 14(th)(, 2024)
    re.compile(
        rf"\b(?:{_WEEKDAYS},?[ \t]+)?{_MONTHS}[ \t]+(?:the[ \t]+)?{_DAY}(?:,?[ \t]+{_YEAR})?\b"
        r"(?![ \t]*(?:%|per|patients|people|staff|cases|incidents|members|minutes|hours|days"
        r"|weeks|months|years|times|beds|wards|of|to|-|\u2013)\b)",
        re.IGNORECASE,
    ),
    # Friday the 14th, Friday 14th
    re.compile(rf"\b{_WEEKDAYS}[ \t]+(?:the[ \t]+)?{_ORD_DAY}\b", re.IGNORECASE),
]
# "since 12/3", "DOB 4/7": a day and month alone only after a word that makes it a date.
_DAY_MONTH = re.compile(
    rf"\b(?:on|since|from|until|till|by|dated|dob|d\.o\.b\.?|born|before|after|{_WEEKDAYS}"
    r")[ \t:,]+"
    r"(?P<date>(?:3[01]|[12][0-9]|0?[1-9])[/.](?:1[0-2]|0?[1-9]))(?![\w/]|[.]\d)",
    re.IGNORECASE,
)
# "18/06": a day and a two-digit month reads as a date anywhere (fractions are not padded).
_PADDED_DAY_MONTH = re.compile(
    r"(?<![\w/.])(?:3[01]|[12][0-9]|0[1-9])/(?:1[0-2]|0[1-9])(?![\w/]|[.]\d)"
)
# "on the 14th", "by the 3rd": only when nothing follows that makes it a count or a floor.
_ON_THE_DAY = re.compile(
    rf"\b(?:on|by|from|until|till|since|before|after)[ \t]+the[ \t]+(?P<day>{_ORD_DAY})\b"
    r"(?![ \t]+(?:floor|time|day|week|month|year|attempt|occasion|ward|bed|patient|case|"
    r"centile|percentile|birthday|anniversary|round|cycle|dose|shift|visit|call|session|"
    r"meeting|edition|version|iteration|line|page|item|point|step|stage|place|row|of))",
    re.IGNORECASE,
)
_AMBIGUOUS_MONTHS = {"may", "mar", "march", "jan", "sat", "sun", "wed", "dec", "jun", "jul"}
_DATE_MONTH_WORD = re.compile(rf"\b{_MONTHS}", re.IGNORECASE)


_DIGITS = re.compile(r"\d+")


def dates(text: str) -> Iterator[Candidate]:
    # Every date shape has a number in it: look only around numbers.
    spans = windows(text, _DIGITS, 40, 40)
    for pattern in _DATE_PATTERNS:
        for match in _search(pattern, text, spans):
            found = match.group(0)
            # "may" and "march" are also verbs: only as the month when capitalised.
            words = re.findall(r"[A-Za-z]+", found)
            if any(w.lower() in _AMBIGUOUS_MONTHS and not w[0].isupper() for w in words):
                continue
            start = match.start()
            if found.lower().startswith("the "):
                start += 4
            yield Candidate(start, match.end(), FindingCategory.DATE, CONTEXT + 5, "date")
    for match in _search(_PADDED_DAY_MONTH, text, spans):
        yield Candidate(match.start(), match.end(), FindingCategory.DATE, CONTEXT, "date")
    for match in _search(_DAY_MONTH, text, spans):
        yield Candidate(
            match.start("date"), match.end("date"), FindingCategory.DATE, CONTEXT, "date"
        )
    for match in _search(_ON_THE_DAY, text, spans):
        yield Candidate(match.start("day") - 4, match.end(), FindingCategory.DATE, CONTEXT, "date")


def structured(text: str) -> Iterator[Candidate]:
    yield from emails(text)
    yield from phones(text)
    yield from nhs_numbers(text)
    yield from postcodes(text)
    yield from dates(text)
