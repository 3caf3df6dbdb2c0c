"""The identifier check: finds what could identify a person or where they work in a note's
body, and suggests what to write instead. Pure: no I/O, the same engine for the service and
for ``python -m huddle_notes.check``.

The API (the rest of the package is its workings):
- ``Knowledge``: what the network knows (members' names, organisations, speakers, glossary).
- ``Checker(knowledge).check(text) -> CheckReport``: compiled once per knowledge.
- ``apply_suggestions(text, findings) -> str`` and ``expand_acronyms(text, acronyms) -> str``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from huddle_shared.contracts.notes import AcronymUse, CheckReport, Finding

from huddle_notes.check.acronyms import expand
from huddle_notes.check.text import starts_sentence


@dataclass(frozen=True)
class Knowledge:
    members: tuple[str, ...] = ()  # display names, current and former
    organisations: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    glossary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class Checker:
    """Compiles the network's knowledge into one automaton, once; ``check`` is then one
    pass of it, the public gazetteers' automaton and a few compiled patterns."""

    def __init__(self, knowledge: Knowledge) -> None:
        from huddle_notes.check.engine import Engine  # the workings, loaded with the data

        self.knowledge = knowledge
        self._engine = Engine(
            tuple(knowledge.members),
            tuple(knowledge.organisations),
            tuple(knowledge.speakers),
            dict(knowledge.glossary),
        )

    def check(self, text: str) -> CheckReport:
        return self._engine.check(text)


def apply_suggestions(text: str, findings: Sequence[Finding]) -> str:
    """Replace each finding by its suggestion, from the end of the text backwards so the
    offsets of those still to apply hold. A finding that no longer matches the text it
    claims (the body changed since the check), or that overlaps one already applied, is
    skipped. A suggestion opening a sentence gets a capital letter."""
    out = text
    applied_from = len(text) + 1
    for finding in sorted(findings, key=lambda f: (f.start, f.end), reverse=True):
        if finding.end > applied_from or finding.start < 0 or finding.end > len(text):
            continue
        if text[finding.start : finding.end] != finding.text or finding.start >= finding.end:
            continue
        suggestion = finding.suggestion
        if suggestion[:1].islower() and starts_sentence(text, finding.start):
            suggestion = suggestion[0].upper() + suggestion[1:]
        out = out[: finding.start] + suggestion + out[finding.end :]
        applied_from = finding.start
    return out


def expand_acronyms(text: str, acronyms: Sequence[AcronymUse]) -> str:
    """Replace each known acronym by the glossary's expansion (unknown ones stay)."""
    return expand(text, acronyms)


__all__ = [
    "AcronymUse",
    "CheckReport",
    "Checker",
    "Finding",
    "Knowledge",
    "apply_suggestions",
    "expand_acronyms",
]
