"""``make bench``: the library's search over 50,000 published notes, against a bare
``find_one`` by ``_id`` on the same database in the same run (decision 0039).

It starts its own FerretDB, loads 50,000 generated notes into one network's library (one
``insert_many`` of the index documents), loads the index as the service does at start, and
times the search (in-process: no gateway, no NATS hop) for one word, two words, a rare and a
common word, theme with dates, and newest first without words. It also times the two
database-only designs the decision weighed: a multikey ``terms`` array (on the 50,000) and
one posting document per (term, note) (on a sample, as loading millions takes too long).
Run alone: ``cd tests && ../.venv/bin/python bench_library.py [notes]``.
"""

import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from huddle_devkit.servers import ferretdb_server, running
from huddle_notes.library import domain
from huddle_notes.library.handlers import LibraryIndex
from huddle_notes.library.repository import LibraryNotes
from huddle_notes.ports import PublishedNote
from huddle_shared.contracts.notes import SearchNotes
from huddle_shared.contracts.rpc import Caller
from pymongo import AsyncMongoClient

NOTES = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
SAMPLE = 1_000  # notes whose postings are stored one document per (term, note)
ROUNDS = 200
DB_ROUNDS = 3
SLUG = "national"
THEMES = [
    "deterioration", "handover", "medication", "falls", "sepsis", "maternity", "discharge",
    "staffing", "learning from deaths", "human factors", "culture", "digital",
]  # fmt: skip
DOMAIN_WORDS = [
    "incident",
    "patient",
    "safety",
    "learning",
    "report",
    "review",
    "handover",
    "medication",
    "error",
    "falls",
    "sepsis",
    "escalation",
    "deterioration",
    "investigation",
    "family",
    "carer",
    "nurse",
    "doctor",
    "pharmacist",
    "theatre",
    "discharge",
    "referral",
    "community",
    "maternity",
    "midwife",
    "culture",
    "psychological",
    "just",
    "improvement",
    "audit",
    "checklist",
    "observation",
    "frailty",
    "delirium",
    "pressure",
    "ulcer",
    "infection",
    "transfer",
    "oxygen",
    "dose",
    "prescribing",
    "allergy",
    "sedation",
    "capacity",
    "consent",
    "triage",
]
RARE_WORD = "zygomatic"  # put in a handful of notes
CALLER = Caller(member_id=uuid.uuid4())


class Everyone:
    """Readers for a bench: authorisation is not what it measures."""

    async def may_read(self, slug: str, caller: Caller) -> bool:
        return True

    async def readable_networks(self, caller: Caller) -> set[str]:
        return {SLUG}

    async def require_reader(self, slug: str, caller: Caller) -> None:
        return None


def vocabulary(rng: random.Random, size: int = 4_000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ra", "te", "su", "vin", "dor", "pel", "quo", "ist", "an"]
    made = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    return DOMAIN_WORDS + sorted(made)[:size]


def generate(count: int) -> list[PublishedNote]:
    rng = random.Random(12)
    words = vocabulary(rng)
    # Zipf-like: the first words (the domain's) are common, the made-up tail rare.
    ranks = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(words))))
    start = date(2021, 1, 1)
    notes = []
    for n in range(count):
        body_words = rng.choices(words, cum_weights=ranks, k=rng.randint(60, 140))
        if n % 10_000 == 7:
            body_words.insert(rng.randint(0, len(body_words)), RARE_WORD)
        notes.append(
            PublishedNote(
                note_id=uuid.UUID(int=rng.getrandbits(128)),
                slug=SLUG,
                title=" ".join(rng.choices(words[:200], k=5)).capitalize(),
                body=" ".join(body_words) + ".",
                themes=tuple(rng.sample(THEMES, rng.randint(1, 3))),
                tags=(),
                held_on=start + timedelta(days=rng.randrange(5 * 365)),
                published_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
            )
        )
    return notes


async def timings(call: Callable[[], Awaitable[Any]], rounds: int = ROUNDS) -> list[float]:
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)


def p99(took: list[float]) -> float:
    return took[max(0, int(len(took) * 0.99) - 1)]


def row(name: str, took: list[float], baseline: float, extra: str = "") -> None:
    median = statistics.median(took)
    print(
        f"  {name:<38} median {median:8.2f} ms  p99 {p99(took):8.2f} ms  "
        f"x{median / baseline:7.1f} baseline {extra}"
    )


async def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-library-") as state,
        running(ferretdb_server(Path(state))) as server,
    ):
        url = server.url  # type: ignore[attr-defined]
        client: AsyncMongoClient[Any] = AsyncMongoClient(url, tz_aware=True)
        try:
            await measure(client["bench_library"])
        finally:
            await client.close()


async def measure(database: Any) -> None:
    print(f"library search over {NOTES:,} notes in one network (FerretDB, in-process)")
    started = time.perf_counter()
    notes = generate(NOTES)
    print(f"  generated in {time.perf_counter() - started:.1f}s")

    store = LibraryNotes(database)
    library = LibraryIndex(store, Everyone())
    await library.load()  # nothing stored yet
    started = time.perf_counter()
    for at in range(0, NOTES, 5_000):
        await library.add_many(notes[at : at + 5_000])
    print(f"  indexed and stored (insert_many) in {time.perf_counter() - started:.1f}s")

    reloaded = LibraryIndex(store, Everyone())
    started = time.perf_counter()
    await reloaded.load()
    print(
        f"  index loaded from the database (service start) in {time.perf_counter() - started:.1f}s"
    )

    rng = random.Random(3)
    ids = [str(note.note_id) for note in rng.sample(notes, 500)]
    collection = database["library_notes"]

    async def bare_read() -> None:
        await collection.find_one({"_id": rng.choice(ids)}, {"title": 1})

    baseline_took = await timings(bare_read)
    baseline = statistics.median(baseline_took)
    print(f"  baseline find_one by _id: median {baseline:.2f} ms, p99 {p99(baseline_took):.2f} ms")

    def search(**fields: Any) -> Callable[[], Awaitable[Any]]:
        request = SearchNotes(slug=SLUG, **fields)

        async def call() -> Any:
            return await reloaded.search(request, CALLER)

        return call

    common = domain.term_of("patient")
    index = reloaded._networks[SLUG]

    def frequency(word: str) -> int:
        term = domain.term_of(word)
        return len(index.postings.get(term or "", ([], []))[0])

    cases = {
        "newest first, no words": ({}, ""),
        "one word (handover)": ({"q": "handover"}, f"df {frequency('handover'):,}"),
        "two words (medication errors)": ({"q": "medication errors"}, ""),
        "common word (patients)": ({"q": "patients"}, f"df {frequency('patient'):,}"),
        "rare word": ({"q": RARE_WORD}, f"df {frequency(RARE_WORD):,}"),
        "theme + dates": (
            {"theme": "sepsis", "from_date": date(2022, 1, 1), "to_date": date(2023, 6, 30)},
            "",
        ),
        "word + theme + dates": (
            {"q": "escalation", "theme": "sepsis", "from_date": date(2022, 1, 1)},
            "",
        ),
        "page 50 of a common word": ({"q": "safety", "page": 50}, ""),
    }
    worst = 0.0
    for name, (fields, extra) in cases.items():
        took = await timings(search(**fields))
        worst = max(worst, p99(took))
        row(name, took, baseline, extra)
    print(f"  worst search p99 {worst:.1f} ms (target: under 100 ms)")

    print(f"database-only designs, on {SAMPLE:,} notes (each query scans: decision 0039)")
    assert common
    sample = notes[:SAMPLE]
    postings, multikey = database["library_postings"], database["library_multikey"]
    posting_documents, note_documents = [], []
    for note in sample:
        note_weights = domain.weights(note.title, note.body)
        note_documents.append(
            {"_id": str(note.note_id), "slug": SLUG, "title": note.title, "body": note.body,
             "terms": sorted(note_weights)}
        )  # fmt: skip
        posting_documents.extend(
            {"_id": f"{term} {note.note_id}", "term": term, "slug": SLUG, "weight": weight}
            for term, weight in note_weights.items()
        )
    started = time.perf_counter()
    await postings.insert_many(posting_documents, ordered=False)
    await postings.create_index([("term", 1), ("slug", 1)])
    print(f"  {len(posting_documents):,} posting documents stored in "
          f"{time.perf_counter() - started:.1f}s")  # fmt: skip
    await multikey.insert_many(note_documents, ordered=False)
    await multikey.create_index([("slug", 1), ("terms", 1)])
    took = await timings(
        lambda: postings.count_documents({"term": common, "slug": SLUG}), DB_ROUNDS
    )
    row("a posting per (term, note): one word", took, baseline)
    took = await timings(
        lambda: multikey.count_documents({"slug": SLUG, "terms": common}), DB_ROUNDS
    )
    row("a note with a multikey terms array: one word", took, baseline)


if __name__ == "__main__":
    asyncio.run(main())
