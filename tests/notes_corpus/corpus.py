"""Loads the labelled notes: strips the inline markup and gives each note's plain text, the
network's knowledge the check is told (from the front matter) and the gold spans, with
Unicode code-point offsets into the plain text (Python ``str`` indices, end exclusive).

Markup, inline in the Markdown body:
- ``{{category|text}}``: a gold span, something the check must find (``category`` is a
  ``FindingCategory`` value: person, organisation, place, email, phone, nhs_number,
  postcode, date, role_at_place);
- ``{{not:kind|text}}``: a hard negative, something the check must leave alone (``kind`` is
  one of ``NEGATIVE_KINDS``). Not scored as gold; the scorer reports which were flagged.

The span is the identifying text only: a leading "the" stays outside it, and so does a
person's possessive "'s" ("{{person|Dan}}'s"); titles belong to the name ("{{person|Dr Patel}}").

Anything malformed (an unknown category or kind, ``{{`` without ``}}`` or the reverse, a span
inside a span, no ``|``, empty text or text with spaces at its edges, a bad front matter) is
a ``CorpusError`` naming the note and the position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml
from huddle_notes.check import Knowledge
from huddle_shared.contracts.notes import FindingCategory

NOTES_DIR = Path(__file__).parent / "notes"
CATEGORIES = frozenset(category.value for category in FindingCategory)
NEGATIVE_PREFIX = "not:"
# What a hard negative is, so the report can say which kinds of safe text the check flags.
NEGATIVE_KINDS = frozenset(
    {
        "national_body",  # NHS England, HSSIB, the CQC, NICE, a royal college, the MHRA
        "programme",  # PSIRF, LFPSE, NatSSIPs, PSII, Martha's Rule
        "nhs_word",  # the NHS in "NHS number", "NHS app": not an organisation
        "generic_role",  # "a ward manager", "our chief nurse": a role with no place
        "generic_unit",  # "ITU", "the ward", "A&E": a kind of unit, not a named one
        "name_word",  # "we live in hope", "a grace period", "Mark your diaries", "Will share"
        "place_word",  # "reading the report", "a big deal": town names used as words
        "time",  # "10:30", "2pm"
        "duration",  # "45 minutes", "six weeks"
        "count",  # "37 incidents", "band 7", "100 people"
        "month_year",  # "in March", "2025", "March 2025": a month or a year alone
        "weekday",  # "on Tuesday", "next Friday": no date
        "emergency_number",  # 111, 999
        "invalid_nhs_number",  # ten digits failing the Modulus 11 check
        "glossary",  # an acronym in the network's glossary
        "grade",  # FY1, ST3, CT2: training grades that look like postcode districts
        "clinical",  # "an NG tube", "an MRI scan", "NEWS2 of 7": clinical terms
        "product",  # Datix, Teams, Slido: tools used as common words
        "reference",  # a guideline or form number ("NG51"), a national web address
        "country",  # "in Poland", "the North West": a country, nation or NHS region
    }
)
FRONT_MATTER_KEYS = frozenset({"session", "members", "organisations", "speakers", "glossary"})
OPEN, CLOSE, SEPARATOR = "{{", "}}", "|"


class CorpusError(ValueError):
    """The corpus's markup or front matter is malformed."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str  # the category for gold spans, the kind for hard negatives
    text: str


@dataclass(frozen=True)
class Note:
    name: str
    text: str
    knowledge: Knowledge
    gold: tuple[Span, ...]
    negatives: tuple[Span, ...]
    session: str = ""


def parse_note(source: str, name: str = "<note>") -> Note:
    """One note file's content: front matter between ``---`` lines, then the marked body."""
    meta, body = _split_front_matter(source, name)
    text, gold, negatives = parse_markup(body, name)
    return Note(
        name=name,
        text=text,
        knowledge=_knowledge(meta, name),
        gold=gold,
        negatives=negatives,
        session=str(meta.get("session", "")),
    )


def parse_markup(body: str, name: str = "<note>") -> tuple[str, tuple[Span, ...], tuple[Span, ...]]:
    """The body without markup, its gold spans and its hard negatives."""
    plain: list[str] = []
    length = 0  # code points written to ``plain`` so far
    gold: list[Span] = []
    negatives: list[Span] = []
    position = 0
    while position < len(body):
        opening = body.find(OPEN, position)
        closing = body.find(CLOSE, position)
        if closing != -1 and (opening == -1 or closing < opening):
            raise CorpusError(f"{name}: '}}}}' with no '{{{{' before it at {_where(body, closing)}")
        if opening == -1:
            plain.append(body[position:])
            break
        plain.append(body[position:opening])
        length += opening - position
        closing = body.find(CLOSE, opening + len(OPEN))
        if closing == -1:
            raise CorpusError(f"{name}: '{{{{' never closed at {_where(body, opening)}")
        inner = body[opening + len(OPEN) : closing]
        if OPEN in inner:
            raise CorpusError(f"{name}: a span inside a span at {_where(body, opening)}")
        label, separator, text = inner.partition(SEPARATOR)
        if not separator:
            raise CorpusError(f"{name}: no '|' in '{{{{{inner}}}}}' at {_where(body, opening)}")
        if not text or text != text.strip():
            raise CorpusError(
                f"{name}: empty text or spaces at its edges in {inner!r} at {_where(body, opening)}"
            )
        label = label.strip()
        if not label.startswith(NEGATIVE_PREFIX):
            _check_boundaries(label, text, name, _where(body, opening))
        span = Span(length, length + len(text), label.removeprefix(NEGATIVE_PREFIX), text)
        if label.startswith(NEGATIVE_PREFIX):
            if span.label not in NEGATIVE_KINDS:
                raise CorpusError(f"{name}: unknown hard-negative kind {span.label!r}")
            negatives.append(span)
        elif label in CATEGORIES:
            gold.append(span)
        else:
            raise CorpusError(f"{name}: unknown category {label!r} at {_where(body, opening)}")
        plain.append(text)
        length += len(text)
        position = closing + len(CLOSE)
    return "".join(plain), tuple(gold), tuple(negatives)


def _check_boundaries(category: str, text: str, name: str, where: str) -> None:
    """The span is the identifying text only, the same way everywhere: "the" stays outside
    ("the {{organisation|Royal Free}}"), and so does a person's possessive ("{{person|Dan}}'s")."""
    if text.lower().startswith("the "):
        raise CorpusError(
            f"{name}: {text!r} starts with 'the', keep it outside the span at {where}"
        )
    if category == "person" and text.endswith(("'s", "\u2019s")):
        raise CorpusError(f"{name}: possessive inside the person span {text!r} at {where}")


def load_note(path: Path) -> Note:
    return parse_note(path.read_text(encoding="utf-8"), path.stem)


def load_corpus(directory: Path = NOTES_DIR) -> list[Note]:
    notes = [load_note(path) for path in sorted(directory.glob("*.md"))]
    if not notes:
        raise CorpusError(f"no notes in {directory}")
    return notes


def merged_knowledge(notes: Iterable[Note]) -> Knowledge:
    """Every note's knowledge at once: for a long note built from many."""
    members: dict[str, None] = {}
    organisations: dict[str, None] = {}
    speakers: dict[str, None] = {}
    glossary: dict[str, str] = {}
    for note in notes:
        members.update(dict.fromkeys(note.knowledge.members))
        organisations.update(dict.fromkeys(note.knowledge.organisations))
        speakers.update(dict.fromkeys(note.knowledge.speakers))
        glossary.update(note.knowledge.glossary)
    return Knowledge(
        members=tuple(members),
        organisations=tuple(organisations),
        speakers=tuple(speakers),
        glossary=MappingProxyType(glossary),
    )


def nhs_number_is_valid(candidate: str) -> bool:
    """The NHS number's Modulus 11 check, over its ten digits in any grouping: weights 10 to 2
    on the first nine, check digit 11 minus the remainder (11 is 0; 10 is never valid)."""
    digits = [int(c) for c in candidate if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


def _split_front_matter(source: str, name: str) -> tuple[Mapping[str, object], str]:
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CorpusError(f"{name}: no front matter (the file must start with '---')")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                meta = yaml.safe_load("".join(lines[1:index])) or {}
            except yaml.YAMLError as error:
                raise CorpusError(f"{name}: front matter is not YAML: {error}") from error
            if not isinstance(meta, dict):
                raise CorpusError(f"{name}: front matter must be a mapping")
            unknown = set(meta) - FRONT_MATTER_KEYS
            if unknown:
                raise CorpusError(f"{name}: unknown front matter keys {sorted(unknown)}")
            return meta, "".join(lines[index + 1 :])
    raise CorpusError(f"{name}: front matter never closed (no second '---')")


def _knowledge(meta: Mapping[str, object], name: str) -> Knowledge:
    def names(key: str) -> tuple[str, ...]:
        value = meta.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise CorpusError(f"{name}: {key} must be a list of names")
        return tuple(value)

    glossary = meta.get("glossary") or {}
    if not isinstance(glossary, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in glossary.items()
    ):
        raise CorpusError(f"{name}: glossary must map acronyms to expansions")
    return Knowledge(
        members=names("members"),
        organisations=names("organisations"),
        speakers=names("speakers"),
        glossary=MappingProxyType(dict(glossary)),
    )


def _where(body: str, index: int) -> str:
    line = body.count("\n", 0, index) + 1
    column = index - (body.rfind("\n", 0, index) + 1) + 1
    return f"body line {line}, column {column}"
