"""From overlapping candidates to findings: what is safe to keep goes, touching candidates of
one category become one, the longest (then the surest) wins the rest; then stable ids and
suggestions."""

import hashlib
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

from huddle_shared.contracts.notes import Finding, FindingCategory

from huddle_notes.check.candidates import VALIDATED, Candidate

C = FindingCategory

SUGGESTIONS: dict[str, str] = {
    # kinds first, then categories
    "member": "a member",
    "speaker": "a speaker",
    "trust": "a trust in the region",
    "known_organisation": "a trust in the region",
    "hospital": "a hospital in the region",
    "icb": "an integrated care board",
    "gp": "a general practice",
    "hospice": "a hospice",
    "pharmacy": "a community pharmacy",
    "care_home": "a care home",
    "university": "a university",
    "ward": "a ward",
    "unit": "a unit",
    "town": "a town in the region",
    "venue": "a venue",
    "address": "[address removed]",
    "extension": "[phone number removed]",
    C.PERSON: "a colleague",
    C.ORGANISATION: "an organisation",
    C.PLACE: "a place",
    C.EMAIL: "[email removed]",
    C.PHONE: "[phone number removed]",
    C.NHS_NUMBER: "[NHS number removed]",
    C.POSTCODE: "[postcode removed]",
    C.DATE: "[date]",
    C.ROLE_AT_PLACE: "a senior colleague at an organisation",
}
PLACEHOLDERS = frozenset(SUGGESTIONS.values())


def suggestion_for(candidate: Candidate) -> str:
    kind = candidate.kind.removesuffix("_part").removesuffix("_initials")
    if candidate.category in (C.PERSON, C.ORGANISATION, C.PLACE) and kind in SUGGESTIONS:
        return SUGGESTIONS[kind]
    return SUGGESTIONS[candidate.category]


def drop_protected(
    candidates: Iterable[Candidate], protected: Sequence[tuple[int, int]]
) -> list[Candidate]:
    """What a safe phrase (a national body, a programme, the glossary) wholly covers goes,
    unless a validated pattern found it: "NHS England" is safe, an email inside it is not."""
    spans = sorted(protected)
    starts = [s for s, _ in spans]
    kept = []
    for candidate in candidates:
        if candidate.strength < VALIDATED and _covered(candidate, spans, starts):
            continue
        kept.append(candidate)
    return kept


def _covered(candidate: Candidate, spans: list[tuple[int, int]], starts: list[int]) -> bool:
    index = bisect_left(starts, candidate.start + 1)
    # Protected spans overlap one another rarely; look back a few.
    for s, e in spans[max(0, index - 8) : index]:
        if s <= candidate.start and candidate.end <= e:
            return True
    return False


def merge(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One category's touching or overlapping candidates become one ("Dr Dan" + "Dan Smith"
    is "Dr Dan Smith"); across categories the longest wins, then the surest."""
    by_start = sorted(candidates, key=lambda c: (c.category, c.start, -c.end))
    joined: list[Candidate] = []
    for candidate in by_start:
        last = joined[-1] if joined else None
        if last and last.category == candidate.category and candidate.start < last.end:
            stronger = last if last.strength >= candidate.strength else candidate
            joined[-1] = Candidate(
                last.start,
                max(last.end, candidate.end),
                last.category,
                max(last.strength, candidate.strength),
                stronger.kind,
            )
        else:
            joined.append(candidate)
    chosen: list[tuple[int, int]] = []
    kept: list[Candidate] = []
    for candidate in sorted(joined, key=lambda c: (-c.length, -c.strength, c.start)):
        index = bisect_left(chosen, (candidate.start, candidate.end))
        before = chosen[index - 1] if index else None
        after = chosen[index] if index < len(chosen) else None
        if before and before[1] > candidate.start:
            continue
        if after and after[0] < candidate.end:
            continue
        insort(chosen, (candidate.start, candidate.end))
        kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


def normalised(text: str) -> str:
    return " ".join(text.lower().replace("\u2019", "'").split())


def findings(text: str, candidates: Sequence[Candidate]) -> list[Finding]:
    """Ids hash the category, the words found and which of the equal ones this is: editing
    elsewhere in the body keeps every id, so an acceptance still holds."""
    seen: dict[tuple[str, str], int] = {}
    found = []
    for candidate in candidates:
        words = text[candidate.start : candidate.end]
        key = (candidate.category.value, normalised(words))
        ordinal = seen.get(key, 0)
        seen[key] = ordinal + 1
        digest = hashlib.sha256(f"{key[0]}\x1f{key[1]}\x1f{ordinal}".encode()).hexdigest()
        found.append(
            Finding(
                id=f"{candidate.category.value}-{digest[:16]}",
                start=candidate.start,
                end=candidate.end,
                category=candidate.category,
                text=words,
                suggestion=suggestion_for(candidate),
            )
        )
    return found
