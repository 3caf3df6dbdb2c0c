"""Public lists kept as data in ``data/`` (their sources are in ``data/README.md``), read
once per process into one automaton shared by every checker.

Formats: one entry a line, ``#`` starts a comment. ``organisations.txt`` lines are
``kind: name | short form | short form``; an all-capital short form matches exactly
("JR"), others when capitalised ("the Royal Free").
"""

from functools import cache
from importlib import resources

from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check.candidates import GAZETTEER, WEAK
from huddle_notes.check.knowledge import organisation_entries
from huddle_notes.check.lexicon import Case, Entry, Lexicon

__all__ = [
    "Case",
    "common_words",
    "first_names",
    "generic_words",
    "lines",
    "nicknames",
    "not_names",
    "public",
    "surnames",
    "towns",
]


@cache
def lines(name: str) -> tuple[str, ...]:
    text = resources.files("huddle_notes.check").joinpath("data", name).read_text("utf-8")
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return tuple(out)


@cache
def first_names() -> frozenset[str]:
    return frozenset(n.lower() for n in lines("first_names.txt"))


@cache
def surnames() -> frozenset[str]:
    return frozenset(n.lower() for n in lines("surnames.txt"))


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """First name (lower case) to its familiar forms."""
    table: dict[str, tuple[str, ...]] = {}
    for line in lines("nicknames.txt"):
        formal, _, shorts = line.partition(":")
        table[formal.strip().lower()] = tuple(s.strip() for s in shorts.split(",") if s.strip())
    return table


@cache
def generic_words() -> frozenset[str]:
    return frozenset(n.lower() for n in lines("generic_words.txt"))


@cache
def not_names() -> frozenset[str]:
    return frozenset(n.lower() for n in lines("not_names.txt"))


@cache
def towns() -> frozenset[str]:
    return frozenset(n.lower() for n in lines("places.txt"))


@cache
def common_words() -> frozenset[str]:
    """Names that are also ordinary words ("hope", "grace", "will", "ward", "bishop"):
    names only with something else saying so."""
    return frozenset(n.lower() for n in lines("name_words.txt"))


def _organisation_entries() -> list[Entry]:
    entries: list[Entry] = []
    for line in lines("organisations.txt"):
        kind, _, rest = line.partition(":")
        names = [n.strip() for n in rest.split("|") if n.strip()]
        if not names:
            continue
        kind = kind.strip()
        entries.extend(organisation_entries(names[0], kind, GAZETTEER + 5))
        for alias in names[1:]:
            case = (
                Case.EXACT
                if alias.replace("&", "").replace("'", "").isupper()
                else (Case.CAPITALISED)
            )
            # "the Christie", "the JR": an alias written with "the" needs it in the text.
            entries.append(Entry(alias, FindingCategory.ORGANISATION, kind, case, GAZETTEER + 5))
    return entries


@cache
def public() -> Lexicon:
    """Everything public in one automaton: names, organisations, towns, and what is safe
    (national bodies, programmes, public figures, common acronyms)."""
    entries: list[Entry] = _organisation_entries()
    person = FindingCategory.PERSON
    for name in lines("first_names.txt"):
        entries.append(Entry(name, person, "first_name", Case.CAPITALISED, GAZETTEER))
    for name in lines("surnames.txt"):
        entries.append(Entry(name, person, "surname", Case.CAPITALISED, WEAK))
    for name in lines("places.txt"):
        entries.append(Entry(name, FindingCategory.PLACE, "town", Case.CAPITALISED, GAZETTEER))
    for name in lines("venues.txt"):
        case = Case.EXACT if name.isupper() or _mixed(name) else Case.CAPITALISED
        entries.append(Entry(name, FindingCategory.PLACE, "venue", case, GAZETTEER + 5))
    for name in (*lines("safe.txt"), *lines("public_figures.txt")):
        case = Case.EXACT if name.replace("&", "").isupper() or _mixed(name) else Case.ANY
        entries.append(Entry(name, None, "safe", case, 0))
    return Lexicon(entries)


def _mixed(name: str) -> bool:
    """ "NatSSIPs", "LocSSIPs": an acronym with small letters, matched exactly."""
    return " " not in name and sum(ch.isupper() for ch in name) >= 2 and not name.istitle()
