"""Scores an identifier check on the corpus.

- Recall, per gold category: the share of gold spans that some finding overlaps (any
  finding, whatever its category: what matters is that the text is caught). "Typed" recall,
  for information, counts only findings of the gold span's own category.
- Precision: the share of findings that overlap some gold span; overall and per finding
  category. A finding whose ``text`` is not the body's text at its offsets is "misplaced":
  it counts as a false positive, whatever it overlaps, and is listed on its own.
- Every miss (note, category, text) and every false positive are listed, and the hard
  negatives a finding overlapped are counted per kind.

The check is any function ``(text, knowledge) -> findings``, so the scorer runs with
whatever engine is present.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from huddle_notes.check import Checker, Knowledge
from huddle_shared.contracts.notes import Finding, FindingCategory

from notes_corpus.corpus import NEGATIVE_KINDS, Note, Span

CheckFunction = Callable[[str, Knowledge], Sequence[Finding]]
CATEGORY_ORDER = tuple(category.value for category in FindingCategory)
# Issue 12's targets on this corpus: recall per category, and precision overall.
RECALL_TARGETS = {
    "email": 0.99,
    "phone": 0.99,
    "nhs_number": 0.99,
    "postcode": 0.99,
    "person": 0.97,
    "organisation": 0.97,
    "place": 0.97,
    "date": 0.97,
}
PRECISION_TARGET = 0.90


def engine_check(text: str, knowledge: Knowledge) -> list[Finding]:
    """The real engine (``huddle_notes.check``), compiled for the note's knowledge."""
    return list(Checker(knowledge).check(text).findings)


@dataclass(frozen=True)
class Miss:
    note: str
    category: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class FalsePositive:
    note: str
    category: str
    text: str
    start: int
    end: int
    negative_kind: str | None = None  # the hard negative it overlapped, if any
    misplaced: bool = False  # its text is not the body's text at its offsets


@dataclass
class Tally:
    gold: int = 0
    found: int = 0  # gold spans some finding overlaps
    found_typed: int = 0  # gold spans a finding of the same category overlaps
    findings: int = 0  # findings of this category
    true_findings: int = 0  # of those, the ones overlapping a gold span

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def typed_recall(self) -> float | None:
        return self.found_typed / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        return self.true_findings / self.findings if self.findings else None


@dataclass
class Score:
    categories: dict[str, Tally] = field(
        default_factory=lambda: {c: Tally() for c in CATEGORY_ORDER}
    )
    overall: Tally = field(default_factory=Tally)
    misses: list[Miss] = field(default_factory=list)
    false_positives: list[FalsePositive] = field(default_factory=list)
    negatives: Counter[str] = field(default_factory=Counter)  # hard negatives per kind
    negatives_flagged: Counter[str] = field(default_factory=Counter)

    def recall(self, category: str) -> float | None:
        return self.categories[category].recall

    @property
    def misplaced(self) -> list[FalsePositive]:
        return [fp for fp in self.false_positives if fp.misplaced]


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Half-open ranges share at least one code point."""
    return start < other_end and other_start < end


def score(notes: Iterable[Note], check: CheckFunction) -> Score:
    result = Score()
    for note in notes:
        _score_note(note, list(check(note.text, note.knowledge)), result)
    return result


def _score_note(note: Note, findings: list[Finding], result: Score) -> None:
    placed = [f for f in findings if note.text[f.start : f.end] == f.text and f.start < f.end]
    for span in note.gold:
        tally = result.categories.setdefault(span.label, Tally())
        hits = [f for f in placed if overlaps(span.start, span.end, f.start, f.end)]
        for t in (tally, result.overall):
            t.gold += 1
            t.found += bool(hits)
            t.found_typed += any(f.category == span.label for f in hits)
        if not hits:
            result.misses.append(Miss(note.name, span.label, span.text, span.start, span.end))
    for span in note.negatives:
        result.negatives[span.label] += 1
        result.negatives_flagged[span.label] += any(
            overlaps(span.start, span.end, f.start, f.end) for f in placed
        )
    for finding in findings:
        category = str(finding.category)
        tally = result.categories.setdefault(category, Tally())
        is_placed = finding in placed
        true = is_placed and any(
            overlaps(s.start, s.end, finding.start, finding.end) for s in note.gold
        )
        for t in (tally, result.overall):
            t.findings += 1
            t.true_findings += true
        if not true:
            result.false_positives.append(
                FalsePositive(
                    note.name,
                    category,
                    finding.text,
                    finding.start,
                    finding.end,
                    negative_kind=_negative_under(note.negatives, finding) if is_placed else None,
                    misplaced=not is_placed,
                )
            )


def _negative_under(negatives: Sequence[Span], finding: Finding) -> str | None:
    for span in negatives:
        if overlaps(span.start, span.end, finding.start, finding.end):
            return span.label
    return None


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _target(name: str, tally: Tally) -> str:
    if name == "overall":
        goal, value, what = PRECISION_TARGET, tally.precision, "precision"
    elif name in RECALL_TARGETS:
        goal, value, what = RECALL_TARGETS[name], tally.recall, "recall"
    else:
        return ""
    met = "met" if value is not None and value >= goal else "NOT met"
    return f"{what} >= {100 * goal:.0f}%: {met}"


def format_table(result: Score) -> str:
    """Per-category recall and precision, then the hard negatives flagged per kind."""
    rows = [
        f"{'category':<15}{'gold':>6}{'found':>7}{'recall':>9}{'typed':>9}"
        f"{'findings':>10}{'precision':>11}  target"
    ]
    for name, t in [*result.categories.items(), ("overall", result.overall)]:
        rows.append(
            f"{name:<15}{t.gold:>6}{t.found:>7}{_percent(t.recall):>9}"
            f"{_percent(t.typed_recall):>9}{t.findings:>10}{_percent(t.precision):>11}"
            f"  {_target(name, t)}"
        )
    rows.append("")
    rows.append(f"{'hard negative':<20}{'count':>6}{'flagged':>9}")
    for kind in sorted(NEGATIVE_KINDS):
        if result.negatives[kind]:
            rows.append(f"{kind:<20}{result.negatives[kind]:>6}{result.negatives_flagged[kind]:>9}")
    total = sum(result.negatives.values())
    rows.append(f"{'all':<20}{total:>6}{sum(result.negatives_flagged.values()):>9}")
    return "\n".join(rows)


def format_errors(result: Score) -> str:
    """Every miss and every false positive, one a line."""
    lines = [f"misses ({len(result.misses)}):"]
    lines += [f"  {m.note}: {m.category}: {m.text!r}" for m in result.misses]
    lines.append(f"false positives ({len(result.false_positives)}):")
    for fp in result.false_positives:
        why = " (misplaced: text does not match its offsets)" if fp.misplaced else ""
        why += f" (hard negative: {fp.negative_kind})" if fp.negative_kind else ""
        lines.append(f"  {fp.note}: {fp.category}: {fp.text!r} at {fp.start}{why}")
    return "\n".join(lines)
