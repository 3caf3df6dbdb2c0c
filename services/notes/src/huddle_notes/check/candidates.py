"""What every rule produces: a candidate span, before overlaps are resolved."""

from dataclasses import dataclass

from huddle_shared.contracts.notes import FindingCategory


@dataclass(frozen=True, slots=True)
class Candidate:
    start: int
    end: int  # exclusive
    category: FindingCategory
    # How sure and how specific the rule is: a validated pattern beats a gazetteer guess
    # when two candidates of different categories cover the same words.
    strength: int
    # Which kind of thing (a ward, a town, a trust...): picks the suggestion.
    kind: str = ""

    @property
    def length(self) -> int:
        return self.end - self.start


# Strengths, highest first.
VALIDATED = 90  # emails, NHS numbers, phones, postcodes: checked patterns
KNOWN = 80  # the network's own members, speakers, organisations
ROLE = 75  # a role tied to a place: swallows the place it names
CONTEXT = 60  # titles, "X said", "Ward 36", "... NHS Foundation Trust"
GAZETTEER = 50  # public lists of names and organisations
WEAK = 30  # a guess from capitalisation alone
