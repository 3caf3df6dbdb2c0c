"""The check itself: every rule's candidates, minus what is safe to keep, resolved into
findings; and the acronyms."""

from collections.abc import Iterator, Mapping

from huddle_shared.contracts.notes import CheckReport, FindingCategory

from huddle_notes.check import context, gazetteers
from huddle_notes.check.acronyms import Acronyms
from huddle_notes.check.candidates import Candidate
from huddle_notes.check.knowledge import knowledge_entries
from huddle_notes.check.lexicon import Entry, Hit, Lexicon, searchable
from huddle_notes.check.resolve import PLACEHOLDERS, drop_protected, findings, merge
from huddle_notes.check.structured import structured


class Engine:
    def __init__(
        self,
        members: tuple[str, ...],
        organisations: tuple[str, ...],
        speakers: tuple[str, ...],
        glossary: Mapping[str, str],
    ) -> None:
        self.acronyms = Acronyms(glossary)
        self.public = gazetteers.public()
        # The network's own words that are safe: its glossary's acronyms and expansions.
        safe = [
            Entry(phrase, None, "glossary", case, 0)
            for acronym, expansion in self.acronyms.glossary.items()
            for phrase, case in ((acronym, gazetteers.Case.EXACT), (expansion, gazetteers.Case.ANY))
        ]
        self.known = Lexicon([*knowledge_entries(members, organisations, speakers), *safe])

    def check(self, text: str) -> CheckReport:
        lowered = searchable(text)
        hits = [*self.known.hits(text, lowered), *self.public.hits(text, lowered)]
        protected = [(h.start, h.end) for h in hits if h.entry.category is None]
        protected.extend(context.placeholders(text, PLACEHOLDERS))
        # A short name used as a place ("at the MRI") is no longer the glossary's acronym.
        places = context.short_names_as_places(text) if "MRI" in text else []
        if places:
            used = {(c.start, c.end) for c in places}
            protected = [span for span in protected if span not in used]
        candidates = [
            *places,
            *structured(text),
            *context.from_hits(text, [h for h in hits if h.entry.category is not None]),
            *context.rules(text, lowered),
        ]
        candidates = drop_protected(candidates, protected)
        candidates = context.widen(text, candidates)
        resolved = merge(candidates)
        found = findings(text, resolved)
        acronym_skip = [(f.start, f.end) for f in found] + protected_placeholders(text, protected)
        return CheckReport(findings=found, acronyms=self.acronyms.find(text, acronym_skip))


def protected_placeholders(text: str, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(s, e) for s, e in protected if text[s : s + 1] == "["]


def categories(candidates: list[Candidate]) -> Iterator[FindingCategory]:
    return (c.category for c in candidates)


__all__ = ["Engine", "Hit"]
