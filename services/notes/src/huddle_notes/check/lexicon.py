"""Many phrases found in one pass: a pyahocorasick automaton over the lower-cased text, with
a case rule per phrase deciding whether what it found counts ("Hope" the member, not "we live
in hope"; "JR" the hospital, not "jr")."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum

import ahocorasick
from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check.text import bounded, is_capitalised


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
        ) and any(is_capitalised(w) for w in words)
    return True


_JOINERS = frozenset({"of", "and", "upon", "on", "the", "in", "under", "le", "de", "la", "by"})


class Lexicon:
    """Phrases (lower-cased keys) to what they are; built once, searched many times."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        table: dict[str, list[Entry]] = {}
        for entry in entries:
            key = " ".join(entry.phrase.lower().split())
            if len(key) < 2:
                continue
            bucket = table.setdefault(key, [])
            if entry not in bucket:
                bucket.append(entry)
        self.size = len(table)
        self._automaton = ahocorasick.Automaton()
        for key, bucket in table.items():
            self._automaton.add_word(key, (len(key), tuple(bucket)))
        if self.size:
            self._automaton.make_automaton()

    def hits(self, text: str, lowered: str) -> Iterator[Hit]:
        """Every phrase found on word boundaries whose case rule holds. ``lowered`` is
        ``text`` lower-cased with the same length. Spaces in a phrase match one space."""
        if not self.size:
            return
        for last, (length, bucket) in self._automaton.iter(lowered):
            start, end = last - length + 1, last + 1
            if not bounded(text, start, end):
                continue
            found = text[start:end]
            for entry in bucket:
                if _case_holds(found, entry):
                    yield Hit(start, end, entry)
