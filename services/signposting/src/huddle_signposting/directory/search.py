"""The directory's search, pure: terms, a BM25 score over each entry's words, filters,
ranking and pages, all in memory (FerretDB v1 uses no index but ``_id``, decision 0044).

Terms: words of letters and digits, case- and accent-folded, English stop words dropped
(the ``stop-words`` package), stemmed by Snowball's English stemmer (``snowballstemmer``),
the same libraries and rules the notes library uses: "counsel" finds "counselling",
"bereaved" finds "bereavement", "families" finds "family".

Ranking: a weighted sum of relevance (BM25, scaled to the best match on the page of
results), area match (exact over a wider area over a nearby board) and freshness (checked
lately over long ago): ``RELEVANCE``, ``AREA`` and ``FRESHNESS`` weigh them.

The index keeps one slot per entry in numpy arrays (when it was checked, changed, retired,
its provider, its length) and a boolean mask per area, audience and category, so a search
is a few array operations over all 10,000 entries rather than a Python loop (decision
0044: ``make bench``). A changed entry takes a new slot and its old one is left dead; the
arrays are rebuilt from the entries once dead slots outnumber live ones.
"""

import functools
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import numpy as np
import snowballstemmer
from huddle_shared.contracts.areas import NATIONAL
from huddle_shared.contracts.signposting import AreaMatch, Audience
from stop_words import get_stop_words

from huddle_signposting.directory.domain import (
    FADED_AFTER_DAYS,
    FRESH_DAYS,
    areas_matching,
    best_match,
)

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


Mask = "np.ndarray[Any, np.dtype[np.bool_]]"


def freshness_of(checked: Any, today: date) -> Any:
    """``domain.freshness`` over an array of check dates (proleptic ordinals)."""
    age = today.toordinal() - checked
    faded = 1.0 - (age - FRESH_DAYS) / (FADED_AFTER_DAYS - FRESH_DAYS)
    return np.clip(np.where(age <= FRESH_DAYS, 1.0, faded), 0.0, 1.0)


class DirectoryIndex:
    """Every entry, by id (``entries``), and the arrays a search reads."""

    def __init__(self, capacity: int = 1024) -> None:
        self.entries: dict[UUID, Indexed] = {}
        self._slot_of: dict[UUID, int] = {}
        self._ids: list[Indexed | None] = []
        self._capacity = capacity
        self._present = np.zeros(capacity, dtype=bool)
        self._retired = np.zeros(capacity, dtype=bool)
        self._checked = np.zeros(capacity, dtype=np.int64)
        self._modified = np.zeros(capacity, dtype=np.float64)
        self._provider = np.zeros(capacity, dtype=np.int64)
        self._length = np.zeros(capacity, dtype=np.float64)
        self._masks: dict[Any, Any] = {}  # ("area", code) / ("audience", a) / ("term", id)
        self._providers: dict[UUID, int] = {}
        self._postings: dict[str, tuple[list[int], list[int]]] = {}
        self._packed: dict[str, tuple[Any, Any]] = {}  # postings as arrays, built on demand
        self._name_rank: Any = None  # each slot's place in name order, built on demand
        self._fresh: tuple[date, Any] | None = None  # freshness of every slot, for a day
        self._total_length = 0

    def __len__(self) -> int:
        return len(self.entries)

    def _grow(self) -> None:
        self._capacity *= 2
        for name in ("_present", "_retired", "_checked", "_modified", "_provider", "_length"):
            old = getattr(self, name)
            new = np.zeros(self._capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        for key, old in self._masks.items():
            new = np.zeros(self._capacity, dtype=bool)
            new[: len(old)] = old
            self._masks[key] = new

    def _mask(self, key: Any) -> Any:
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = np.zeros(self._capacity, dtype=bool)
        return mask

    def add(self, entry: Indexed) -> None:
        self.remove(entry.service_id)
        slot = len(self._ids)
        if slot >= self._capacity:
            self._grow()
        self._ids.append(entry)
        self._slot_of[entry.service_id] = slot
        self.entries[entry.service_id] = entry
        self._present[slot] = True
        self._retired[slot] = entry.retired
        self._checked[slot] = entry.last_checked_on.toordinal()
        self._modified[slot] = entry.last_modified.timestamp()
        self._provider[slot] = self._providers.setdefault(
            entry.organization_id, len(self._providers) + 1
        )
        self._length[slot] = entry.length
        self._total_length += entry.length
        for area in entry.areas:
            self._mask(("area", area))[slot] = True
        for audience in entry.audiences:
            self._mask(("audience", audience))[slot] = True
        for term_id in entry.term_ids:
            self._mask(("term", term_id))[slot] = True
        for term, weight in entry.weights.items():
            slots, weights = self._postings.setdefault(term, ([], []))
            slots.append(slot)
            weights.append(weight)
            self._packed.pop(term, None)
        self._name_rank = None
        self._fresh = None

    def remove(self, service_id: UUID) -> None:
        slot = self._slot_of.pop(service_id, None)
        if slot is None:
            return
        entry = self.entries.pop(service_id)
        self._ids[slot] = None
        self._present[slot] = False
        self._total_length -= entry.length
        if len(self._ids) - len(self.entries) > max(1_000, len(self.entries)):
            self._rebuild()

    def _rebuild(self) -> None:
        """Compact: every live entry into a fresh set of arrays (dead slots dropped)."""
        live = list(self.entries.values())
        self.__init__(max(1024, 2 * len(live)))  # type: ignore[misc]
        for entry in live:
            self.add(entry)

    def _posting(self, term: str) -> tuple[Any, Any] | None:
        packed = self._packed.get(term)
        if packed is None:
            found = self._postings.get(term)
            if found is None:
                return None
            packed = self._packed[term] = (
                np.asarray(found[0], dtype=np.int64),
                np.asarray(found[1], dtype=np.float64),
            )
        return packed

    def _names(self) -> Any:
        if self._name_rank is None:
            keys = [(e.name.casefold(), str(e.service_id)) if e else ("", "") for e in self._ids]
            order = sorted(range(len(keys)), key=keys.__getitem__)
            rank = np.zeros(self._capacity, dtype=np.int64)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
            self._name_rank = rank
        return self._name_rank

    def _freshness(self, today: date) -> Any:
        if self._fresh is None or self._fresh[0] != today:
            self._fresh = (today, freshness_of(self._checked, today))
        return self._fresh[1]

    def _any_of(self, keys: list[Any]) -> Any:
        mask = np.zeros(self._capacity, dtype=bool)
        for key in keys:
            if key in self._masks:
                mask |= self._masks[key]
        return mask

    def search(self, query: Query, today: date) -> Results:
        mask = self._present.copy()
        if not query.include_retired:
            mask &= ~self._retired
        worth: Any = 1.0
        if query.area is not None:
            matching = areas_matching(query.area)
            worth = np.zeros(self._capacity)
            for code, match in matching.items():
                if ("area", code) in self._masks:
                    value = (
                        NATIONAL_WORTH
                        if code == NATIONAL and match is AreaMatch.WITHIN
                        else AREA_WORTH[match]
                    )
                    worth = np.maximum(worth, self._masks[("area", code)] * value)
            mask &= worth > 0
        if query.audience is not None:
            mask &= self._any_of([("audience", query.audience)])
        if query.term_ids is not None:
            mask &= self._any_of([("term", t) for t in query.term_ids])
        if query.organization_id is not None:
            provider = self._providers.get(query.organization_id, -1)
            mask &= self._provider == provider
        if query.modified_after is not None:
            mask &= self._modified >= query.modified_after.timestamp()
        relevance: Any = 1.0
        if query.terms:
            scores = self._relevance(query.terms)
            mask &= scores > 0
            best = scores[mask].max() if mask.any() else 0.0
            relevance = scores / best if best else scores
        chosen = np.flatnonzero(mask)
        score = RELEVANCE * relevance + AREA * worth + FRESHNESS * self._freshness(today)
        picked = score[chosen]
        order = chosen[np.lexsort((self._names()[chosen], -picked))]
        start = (query.page - 1) * query.per_page
        hits = []
        for slot in order[start : start + query.per_page].tolist():
            entry = self._ids[slot]
            assert entry is not None
            match = best_match(entry.areas, query.area) or AreaMatch.ANY
            hits.append(Hit(entry, float(score[slot]), match))
        return Results(hits, len(chosen))

    def _relevance(self, wanted: tuple[str, ...]) -> Any:
        """BM25 of every slot for the words asked for (0 where none is held)."""
        count = len(self.entries) or 1
        average = (self._total_length / count) or 1.0
        scores = np.zeros(self._capacity)
        for term in wanted:
            posting = self._posting(term)
            if posting is None:
                continue
            slots, weights = posting
            alive = self._present[slots]
            slots, weights = slots[alive], weights[alive]
            if not len(slots):
                continue
            idf = math.log(1 + (count - len(slots) + 0.5) / (len(slots) + 0.5))
            norm = K1 * (1 - B + B * self._length[slots] / average)
            scores[slots] += idf * weights * (K1 + 1) / (weights + norm)
        return scores
