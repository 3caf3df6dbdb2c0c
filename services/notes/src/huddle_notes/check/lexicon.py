"""Many phrases found in one pass: a pyahocorasick automaton over the lower-cased text, with
a case rule per phrase deciding whether what it found counts ("Hope" the member, not "we live
in hope"; "JR" the hospital, not "jr")."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import ahocorasick
from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check.text import is_capitalised, lower_same_length

_PUNCTUATION = ".'\u2019)"


class Case(IntEnum):
    ANY = 0  # "dan smith", "Dan Smith", "DAN SMITH": a full name is a name in any case
    CAPITALISED = 1  # every word starts with a capital: "Hope", "Royal Free"
    EXACT = 2  # exactly as written: "JR", "QEQM", "D.S."


@dataclass(frozen=True, slots=True)
class Entry:
    phrase: str  # as written in the source
    category: FindingCategory | None  # None: something safe to keep (a national body...)
    kind: str  # member, member_part, initials, first_name, surname, trust, town, national...
    case: Case
    strength: int

    @property
    def tail(self) -> int:
        """How many characters at the end of the phrase are not letters or digits."""
        return len(self.phrase) - len(self.phrase.rstrip(_PUNCTUATION))


@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    entry: Entry


def _case_holds(found: str, entry: Entry) -> bool:
    if entry.case is Case.EXACT:
        return found == entry.phrase
    if entry.case is Case.CAPITALISED:
        words = [w for w in found.replace("-", " ").split() if w[:1].isalpha()]
        # Small joining words ("of", "and", "upon", "on", "the") may stay lower case.
        return all(
            is_capitalised(w) or w in _JOINERS or (w.isupper() and len(w) <= 4) for w in words
        ) and any(is_capitalised(w) or _short_form(w) for w in words)
    return True


def _short_form(word: str) -> bool:
    """ "the QE", "the JR": a short form in capitals carries the name on its own."""
    return len(word) >= 2 and word.isupper()


_JOINERS = frozenset({"of", "and", "upon", "on", "the", "in", "under", "le", "de", "la", "by"})


class Lexicon:
    """Phrases (lower-cased keys) to what they are; built once, searched many times."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        table: dict[str, list[Entry]] = {}
        for entry in entries:
            spaced = key(entry.phrase)
            if len(spaced) < 2:
                continue
            bucket = table.setdefault(f" {spaced} ", [])
            if entry not in bucket:
                bucket.append(entry)
        self.size = len(table)
        self._automaton = ahocorasick.Automaton()
        for spaced, bucket in table.items():
            self._automaton.add_word(spaced, (len(spaced), tuple(bucket)))
        if self.size:
            self._automaton.make_automaton()

    def hits(self, text: str, padded: str) -> Iterator[Hit]:
        """Every phrase found as whole words whose case rule holds. ``padded`` is
        ``searchable(text)``: one space, the text lower-cased with every character that is
        not a letter or a digit made a space, one space; so a hit is on word boundaries by
        construction and offsets carry over (less the leading space)."""
        if not self.size:
            return
        for last, (length, bucket) in self._automaton.iter(padded):
            start, end = last - length + 1, last - 1
            for entry in bucket:
                # "D.S.", "St.": what the phrase ends with that is not a letter counts too.
                tail = entry.tail
                stop = end
                if tail and text.startswith(entry.phrase[-tail:], end):
                    stop = end + tail
                if _case_holds(text[start:stop], entry):
                    yield Hit(start, stop, entry)


_NOT_WORD = re.compile(r"[\W_]")


def key(phrase: str) -> str:
    """How a phrase is looked up: lower case, letters and digits only, one space between."""
    return " ".join(_NOT_WORD.sub(" ", phrase.lower()).split())


def searchable(text: str) -> str:
    """See ``Lexicon.hits``: the same length as ``text`` plus two."""
    return " " + _NOT_WORD.sub(" ", lower_same_length(text)) + " "
