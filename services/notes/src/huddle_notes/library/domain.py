"""The library's search, pure: normalised terms, a BM25 score, filters, pages, excerpts.

Terms: words of letters and digits, case-folded, accents folded (NFKD), stop words dropped
(the ``stop-words`` package's English list, less a few words that carry meaning in these
notes), stemmed by Snowball's English stemmer: "Incidents" and "incident" are one term.

``NetworkIndex`` holds one network's published notes compactly (arrays of note numbers and
weights per term, bodies compressed) so that a search over 50,000 notes reads memory, not
the database: FerretDB v1 uses no index but ``_id`` (decision 0039).
"""

import functools
import math
import re
import unicodedata
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import numpy as np
import snowballstemmer
from stop_words import get_stop_words

from huddle_notes.markdown_text import plain_text

# BM25's usual constants, and how much a word in the title counts against one in the body.
K1 = 1.2
B = 0.75
TITLE_BOOST = 3
MAX_WEIGHT = 65_535  # weights are kept as unsigned 16-bit numbers
EXCERPT_CHARS = 240

# The package's list is long (1,300 words) and holds words a member searches these notes
# for; these stay searchable.
KEPT_WORDS = frozenset(
    {"case", "cases", "problem", "problems", "test", "tests", "result", "results", "group",
     "groups", "work", "working", "help", "need", "needs", "high", "new", "use", "used",
     "home", "care", "change", "changes", "open", "order", "orders", "point", "points",
     "room", "rooms", "side", "turn", "information", "system", "systems", "number", "early",
     "large", "small", "place", "part", "general", "member", "members", "area", "areas",
     "state", "face", "line", "lines", "end", "found", "name", "names", "year", "years"}
)  # fmt: skip

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=50_000)
def fold(word: str) -> str:
    """Lower-case, accents taken off: "Café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STOP_WORDS = frozenset(fold(word) for word in get_stop_words("en")) - KEPT_WORDS


@functools.lru_cache(maxsize=200_000)
def term_of(word: str) -> str | None:
    """The indexed term of one word, or None for a stop word."""
    folded = fold(word)
    if not folded or folded in STOP_WORDS:
        return None
    if len(folded) == 1 and not folded.isdigit():
        return None
    return str(_stemmer.stemWord(folded))


def terms_with_offsets(text: str) -> Iterator[tuple[int, int, str]]:
    """Each indexed term of ``text`` with where its word is (code-point offsets)."""
    for match in _WORD.finditer(text):
        term = term_of(match.group())
        if term is not None:
            yield match.start(), match.end(), term


def terms(text: str) -> list[str]:
    return [term for _, _, term in terms_with_offsets(text)]


def query_terms(q: str) -> list[str]:
    """The distinct terms asked for, in the order asked."""
    return list(dict.fromkeys(terms(q)))


def weights(title: str, body: str) -> dict[str, int]:
    """Each term's weight in a note: its count in the body plus ``TITLE_BOOST`` per use in
    the title (BM25's term frequency, with the title counting more)."""
    counts = Counter(terms(body))
    for term in terms(title):
        counts[term] += TITLE_BOOST
    return {term: min(count, MAX_WEIGHT) for term, count in counts.items()}


def pack(body: str) -> bytes:
    return zlib.compress(body.encode(), 1)  # fast: it runs for every note at start


def excerpt(body: str, wanted: Iterable[str] = (), width: int = EXCERPT_CHARS) -> str:
    """The start of the body as a reader sees it (no Markdown marks), or the stretch
    around the first word asked for."""
    wanted = set(wanted)
    start = 0
    if wanted:
        for word_start, _, term in terms_with_offsets(body):
            if term in wanted:
                start = max(0, word_start - width // 4)
                break
    if start:  # begin at a line or a word, not inside one
        line = body.rfind("\n", 0, start)
        space = body.rfind(" ", 0, start)
        start = max(line, space) + 1
    # Markup only shrinks the text, so twice the width of source is enough to read.
    source_end = min(len(body), start + width * 2)
    if source_end < len(body):  # end the source at a word too
        source_end = max(
            body.rfind(" ", start, source_end), body.rfind("\n", start, source_end), start + width
        )
    text = plain_text(body[start:source_end])
    cut = len(text) > width
    if cut:
        space = text.rfind(" ", 0, width)
        text = text[: space if space > 0 else width]
    more = cut or source_end < len(body)
    return ("…" if start else "") + text + ("…" if more else "")


# --- One network's index ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexedNote:
    """What a search needs of a note, kept in memory (no body: excerpts read it by id)."""

    note_id: UUID
    title: str
    themes: tuple[str, ...]  # as the note names them
    labels: frozenset[str]  # its themes and free tags, case-folded: what a filter matches
    held_on: date | None
    published_at: datetime
    length: int  # sum of its weights: BM25's document length
    packed_body: bytes  # zlib: excerpts come from memory, not a read per result

    @property
    def body(self) -> str:
        return zlib.decompress(self.packed_body).decode()

    @property
    def newest_key(self) -> tuple[int, float]:
        day = self.held_on or self.published_at.date()
        return day.toordinal(), self.published_at.timestamp()


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...] = ()
    asked_words: bool = False  # words were asked for (perhaps only stop words)
    theme: str | None = None
    from_date: date | None = None
    to_date: date | None = None
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    note: IndexedNote
    score: float


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int


@dataclass
class NetworkIndex:
    """A network's published notes. Notes get numbers in the order added; a removed note's
    number stays empty (its postings are skipped; the area rebuilds an index with many).
    Per-note figures and postings are arrays, read by numpy without copying, so a search
    scores every note holding a word at once rather than one by one in Python."""

    notes: list[IndexedNote | None] = field(default_factory=list)
    numbers: dict[UUID, int] = field(default_factory=dict)
    postings: dict[str, tuple[array, array]] = field(default_factory=dict)  # number, weight
    by_theme: dict[str, array] = field(default_factory=dict)
    total_length: int = 0
    _live: array = field(default_factory=lambda: array("b"))
    _lengths: array = field(default_factory=lambda: array("f"))
    _held_on: array = field(default_factory=lambda: array("i"))  # ordinal; -1: no date
    _newest: array = field(default_factory=lambda: array("q"))

    @property
    def size(self) -> int:
        return len(self.numbers)

    @property
    def empty_slots(self) -> int:
        return len(self.notes) - len(self.numbers)

    def add(self, note: IndexedNote, note_weights: dict[str, int]) -> None:
        self.remove(note.note_id)
        number = len(self.notes)
        self.notes.append(note)
        self.numbers[note.note_id] = number
        for term, weight in note_weights.items():
            entry = self.postings.get(term)
            if entry is None:
                entry = self.postings[term] = (array("I"), array("H"))
            entry[0].append(number)
            entry[1].append(weight)
        for theme in note.labels:
            self.by_theme.setdefault(theme, array("I")).append(number)
        self.total_length += note.length
        day, at = note.newest_key
        self._live.append(1)
        self._lengths.append(note.length)
        self._held_on.append(note.held_on.toordinal() if note.held_on else -1)
        self._newest.append(day * 10**10 + int(at))

    def remove(self, note_id: UUID) -> bool:
        number = self.numbers.pop(note_id, None)
        if number is None:
            return False
        note = self.notes[number]
        assert note is not None
        self.total_length -= note.length
        self.notes[number] = None
        self._live[number] = 0
        return True

    def _allowed(self, query: Query) -> "np.ndarray[Any, np.dtype[np.bool_]]":
        """Live notes passing the theme and date filters."""
        allowed = np.frombuffer(self._live, dtype=np.int8).astype(bool)
        if query.theme is not None:
            in_theme = np.zeros(len(self.notes), dtype=bool)
            numbers = self.by_theme.get(fold(query.theme))
            if numbers is not None:
                in_theme[np.frombuffer(numbers, dtype=np.uint32)] = True
            allowed &= in_theme
        if query.from_date or query.to_date:
            held_on = np.frombuffer(self._held_on, dtype=np.int32)
            allowed &= held_on >= 0
            if query.from_date:
                allowed &= held_on >= query.from_date.toordinal()
            if query.to_date:
                allowed &= held_on <= query.to_date.toordinal()
        return allowed

    def search(self, query: Query) -> Results:
        if not self.notes or (query.asked_words and not query.terms):
            return Results([], 0)
        allowed = self._allowed(query)
        newest = np.frombuffer(self._newest, dtype=np.int64)
        if query.terms:
            scores = self._scores(query.terms)
            allowed &= scores > 0
        else:
            scores = np.zeros(len(self.notes))
        chosen = np.flatnonzero(allowed)
        wanted = query.page * query.per_page
        if len(chosen) > wanted:  # the best ``wanted`` (and any tied with the last) first
            key = scores[chosen] if query.terms else newest[chosen].astype(np.float64)
            cut = -np.partition(-key, wanted - 1)[wanted - 1]
            chosen = chosen[key >= cut]
        ordered = chosen[np.lexsort((-newest[chosen], -scores[chosen]))]
        page = ordered[wanted - query.per_page : wanted]
        notes = self.notes
        hits = [Hit(notes[n], float(scores[n])) for n in page.tolist()]
        return Results(hits, int(np.count_nonzero(allowed)))

    def _scores(self, wanted: tuple[str, ...]) -> "np.ndarray[Any, np.dtype[np.float64]]":
        """BM25 of every note for the terms (0 where none is used)."""
        live = np.frombuffer(self._live, dtype=np.int8)
        lengths = np.frombuffer(self._lengths, dtype=np.float32)
        count = self.size
        average = self.total_length / count if count else 1.0
        norm = K1 * (1 - B + B * lengths / average)
        scores = np.zeros(len(self.notes))
        for term in wanted:
            entry = self.postings.get(term)
            if entry is None:
                continue
            numbers = np.frombuffer(entry[0], dtype=np.uint32)
            weight = np.frombuffer(entry[1], dtype=np.uint16).astype(np.float64)
            frequency = int(np.count_nonzero(live[numbers]))
            idf = math.log(1 + (count - frequency + 0.5) / (frequency + 0.5))
            scores[numbers] += idf * weight * (K1 + 1) / (weight + norm[numbers])
        return scores
