"""The directory's search, pure: terms, a BM25 score over each entry's words, filters,
ranking and pages, all in memory (FerretDB v1 uses no index but ``_id``, decision 0044).

Terms: words of letters and digits, case- and accent-folded, English stop words dropped
(the ``stop-words`` package), stemmed by Snowball's English stemmer (``snowballstemmer``),
the same libraries and rules the notes library uses: "counsel" finds "counselling",
"bereaved" finds "bereavement", "families" finds "family".

Ranking: a weighted sum of relevance (BM25, scaled to the best match on the page of
results), area match (exact over a wider area over a nearby board) and freshness (checked
lately over long ago): ``RELEVANCE``, ``AREA`` and ``FRESHNESS`` weigh them.
"""

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

import snowballstemmer
from huddle_shared.contracts.areas import NATIONAL
from huddle_shared.contracts.signposting import AreaMatch, Audience
from stop_words import get_stop_words

from huddle_signposting.directory.domain import area_rank, areas_matching, freshness

K1 = 1.2
B = 0.75
NAME_BOOST = 3  # a word in the name counts as three in the description
RELEVANCE = 0.6
AREA = 0.25
FRESHNESS = 0.15
# How much each kind of area match is worth: the area itself 1, its region 0.8, England
# 0.7 (wider still), one of a region's boards from the region's search 0.6.
AREA_WORTH = {
    AreaMatch.EXACT: 1.0,
    AreaMatch.WITHIN: 0.8,
    AreaMatch.NEARBY: 0.6,
    AreaMatch.ANY: 1.0,
}
NATIONAL_WORTH = 0.7
# Words that matter in a directory of support, although the stop-word list holds them.
KEPT_WORDS = frozenset({"help", "need", "needs", "care", "home", "work", "open", "new", "young"})

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=50_000)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STOP_WORDS = frozenset(_fold(w) for w in get_stop_words("en")) - KEPT_WORDS


@functools.lru_cache(maxsize=100_000)
def _term(word: str) -> str | None:
    folded = _fold(word)
    if not folded or folded in STOP_WORDS or (len(folded) == 1 and not folded.isdigit()):
        return None
    return str(_stemmer.stemWord(folded))


def terms(text: str) -> list[str]:
    return [t for m in _WORD.finditer(text) if (t := _term(m.group())) is not None]


def query_terms(text: str) -> list[str]:
    return list(dict.fromkeys(terms(text)))


def _worth(covered: str, match: AreaMatch) -> float:
    if covered == NATIONAL and match is AreaMatch.WITHIN:
        return NATIONAL_WORTH
    return AREA_WORTH[match]


@dataclass(frozen=True, slots=True)
class Indexed:
    """What the search holds of one entry."""

    service_id: UUID
    name: str
    organization_id: UUID
    areas: tuple[str, ...]
    audiences: frozenset[Audience]
    term_ids: frozenset[UUID]
    last_checked_on: date
    last_modified: datetime
    retired: bool
    weights: dict[str, int]  # term -> weight (name words count NAME_BOOST times)

    @property
    def length(self) -> int:
        return sum(self.weights.values())


def weights_of(name: str, text: str) -> dict[str, int]:
    counts = Counter(terms(text))
    for term in terms(name):
        counts[term] += NAME_BOOST
    return dict(counts)


@dataclass(frozen=True)
class Query:
    terms: tuple[str, ...] = ()
    term_ids: frozenset[UUID] | None = None  # a category and its descendants
    area: str | None = None
    audience: Audience | None = None
    organization_id: UUID | None = None
    modified_after: datetime | None = None
    include_retired: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    entry: Indexed
    score: float
    area_match: AreaMatch


@dataclass(frozen=True)
class Results:
    hits: list[Hit]
    total: int


@dataclass
class DirectoryIndex:
    """Every entry, with postings per term, per area, per audience and per category so a
    search reads only the entries its filters leave."""

    entries: dict[UUID, Indexed] = field(default_factory=dict)
    _postings: dict[str, set[UUID]] = field(default_factory=dict)
    _by_area: dict[str, set[UUID]] = field(default_factory=dict)
    _by_audience: dict[Audience, set[UUID]] = field(default_factory=dict)
    _by_term: dict[UUID, set[UUID]] = field(default_factory=dict)
    _total_length: int = 0

    def add(self, entry: Indexed) -> None:
        self.remove(entry.service_id)
        self.entries[entry.service_id] = entry
        self._total_length += entry.length
        for term in entry.weights:
            self._postings.setdefault(term, set()).add(entry.service_id)
        for area in entry.areas:
            self._by_area.setdefault(area, set()).add(entry.service_id)
        for audience in entry.audiences:
            self._by_audience.setdefault(audience, set()).add(entry.service_id)
        for term_id in entry.term_ids:
            self._by_term.setdefault(term_id, set()).add(entry.service_id)

    def remove(self, service_id: UUID) -> None:
        entry = self.entries.pop(service_id, None)
        if entry is None:
            return
        self._total_length -= entry.length
        for index, keys in (
            (self._postings, entry.weights),
            (self._by_area, entry.areas),
            (self._by_audience, entry.audiences),
            (self._by_term, entry.term_ids),
        ):
            for key in keys:
                index[key].discard(service_id)  # type: ignore[index]

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: Query, today: date) -> Results:
        candidates = self._filtered(query)
        scores = self._relevance(query.terms, candidates) if query.terms else None
        if scores is not None:
            candidates = set(scores)
        best = max(scores.values(), default=0.0) if scores else 0.0
        area_of = areas_matching(query.area) if query.area is not None else None
        hits: list[Hit] = []
        for service_id in candidates:
            entry = self.entries[service_id]
            match, worth = AreaMatch.ANY, 1.0
            if area_of is not None:
                match, worth = max(
                    ((area_of[a], _worth(a, area_of[a])) for a in entry.areas if a in area_of),
                    key=lambda found: (area_rank(found[0]), found[1]),
                )
            relevance = scores[service_id] / best if scores and best else 1.0
            score = (
                RELEVANCE * relevance
                + AREA * worth
                + FRESHNESS * freshness(entry.last_checked_on, today)
            )
            hits.append(Hit(entry, score, match))
        hits.sort(key=lambda h: (-h.score, h.entry.name.casefold(), str(h.entry.service_id)))
        start = (query.page - 1) * query.per_page
        return Results(hits[start : start + query.per_page], len(hits))

    def _filtered(self, query: Query) -> set[UUID]:
        chosen: set[UUID] | None = None

        def narrow(allowed: Iterable[UUID]) -> None:
            nonlocal chosen
            allowed = allowed if isinstance(allowed, set) else set(allowed)
            chosen = set(allowed) if chosen is None else chosen & allowed

        if query.area is not None:
            narrow(set().union(*(self._by_area.get(a, set()) for a in areas_matching(query.area))))
        if query.audience is not None:
            narrow(self._by_audience.get(query.audience, set()))
        if query.term_ids is not None:
            narrow(set().union(*(self._by_term.get(t, set()) for t in query.term_ids)))
        if query.terms:
            narrow(set().union(*(self._postings.get(t, set()) for t in query.terms)))
        result = set(self.entries) if chosen is None else chosen
        return {
            s
            for s in result
            if (query.include_retired or not self.entries[s].retired)
            and (
                query.organization_id is None
                or self.entries[s].organization_id == query.organization_id
            )
            and (
                query.modified_after is None
                or self.entries[s].last_modified >= query.modified_after
            )
        }

    def _relevance(self, wanted: tuple[str, ...], candidates: set[UUID]) -> dict[UUID, float]:
        """BM25 of each candidate holding at least one term asked for."""
        count = len(self.entries) or 1
        average = (self._total_length / count) or 1.0
        scores: dict[UUID, float] = {}
        for term in wanted:
            holders = self._postings.get(term, set())
            if not holders:
                continue
            idf = math.log(1 + (count - len(holders) + 0.5) / (len(holders) + 0.5))
            for service_id in holders & candidates:
                entry = self.entries[service_id]
                weight = entry.weights[term]
                norm = K1 * (1 - B + B * entry.length / average)
                scores[service_id] = scores.get(service_id, 0.0) + idf * weight * (K1 + 1) / (
                    weight + norm
                )
        return scores
