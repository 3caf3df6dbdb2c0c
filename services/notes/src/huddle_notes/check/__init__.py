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


@dataclass(frozen=True)
class Knowledge:
    members: tuple[str, ...] = ()  # display names, current and former
    organisations: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()
    glossary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


class Checker:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def check(self, text: str) -> CheckReport:
        raise NotImplementedError("the engine lands on wt-check")


def apply_suggestions(text: str, findings: Sequence[Finding]) -> str:
    raise NotImplementedError("the engine lands on wt-check")


def expand_acronyms(text: str, acronyms: Sequence[AcronymUse]) -> str:
    raise NotImplementedError("the engine lands on wt-check")
