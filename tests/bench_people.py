"""``make bench``: finding people who know (issue 13) among 3,000 members, of whom a few
dozen are listed, on FerretDB, against reading every member's document for the same answer
in the same run (the design the listing replaced: FerretDB filters by no index but ``_id``,
so ``{"listed_as_expert": true}`` reads every member).

It starts its own FerretDB, writes the members' documents as signposting's projection holds
them (``people``) and the listing's copies of those listed (``expert_listing``), then times
the experts area's own read (``People.listed_experts`` and the topic and region rule), a
filtered read of every member, and a bare ``find_one`` by ``_id`` for scale.
Run alone: ``cd tests && ../.venv/bin/python bench_people.py [members] [experts]``.
"""

import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from huddle_devkit.servers import ferretdb_server, running
from huddle_shared.contracts.membership import MemberType, Region
from huddle_signposting.members.domain import Person
from huddle_signposting.members.repository import EXPERT_LISTING, PEOPLE, People, person_of
from huddle_signposting.requests.domain import knows_about
from pymongo import AsyncMongoClient

MEMBERS = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
EXPERTS = int(sys.argv[2]) if len(sys.argv) > 2 else 40
ROUNDS = 100
TOPICS = [
    "Psychological support after harm", "Bereaved families", "Inquests", "Complaints",
    "Advocacy", "Legal advice", "Staff wellbeing", "Peer support", "Patient Safety Partners",
    "Learning from deaths", "Maternity", "Medication safety",
]  # fmt: skip
NEEDS = [
    ("Counselling and psychological support", Region.NORTH_WEST),
    ("Bereavement", Region.LONDON),
    ("Legal advice", None),
    ("Staff wellbeing", Region.MIDLANDS),
]


def members(count: int, experts: int, rng: random.Random) -> list[dict[str, Any]]:
    listed = set(rng.sample(range(count), experts))
    regions = list(Region)
    return [
        {
            "_id": str(uuid.uuid4()),
            "display_name": f"Member {n}",
            "member_type": MemberType.STAFF.value,
            "organisation_id": str(uuid.uuid4()),
            "region": rng.choice(regions).value,
            "topics": rng.sample(TOPICS, 2),
            "listed_as_expert": n in listed,
            "status": "active",
        }
        for n in range(count)
    ]


def matching(people: list[Person], category: str, region: Region | None) -> list[Person]:
    return [
        person
        for person in people
        if (region is None or person.region == region) and knows_about(person.topics, category)
    ]


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def timed(call: Callable[[], Awaitable[Any]]) -> list[float]:
    took = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await call()
        took.append((time.perf_counter() - started) * 1000)
    return took


def report(name: str, took: list[float], reference: float | None = None) -> float:
    median = statistics.median(took)
    ratio = f"  {median / reference:7.1f}x the listing" if reference else ""
    print(f"  {name:<46} p50 {median:8.2f} ms  p99 {p(took, 99):8.2f} ms{ratio}")
    return median


async def measure(database: Any) -> None:
    print(f"people who know among {MEMBERS:,} members, {EXPERTS} listed (FerretDB, in-process)")
    rng = random.Random(13)
    documents = members(MEMBERS, EXPERTS, rng)
    await database[PEOPLE].insert_many(documents)
    await database[EXPERT_LISTING].insert_many([d for d in documents if d["listed_as_expert"]])
    people = People(database)
    collection = database[PEOPLE]
    needs = iter(NEEDS * ROUNDS)

    async def listing() -> list[Person]:
        category, region = next(needs)
        return matching(await people.listed_experts(), category, region)

    async def every_member() -> list[Person]:
        category, region = next(needs)
        cursor = collection.find({"listed_as_expert": True, "status": "active"})
        found = [person_of(document) async for document in cursor]
        return matching([person for person in found if person.topics], category, region)

    async def bare_read() -> None:
        await collection.find_one({"_id": rng.choice(documents)["_id"]}, {"display_name": 1})

    # Both designs give the same people for the same need.
    for category, region in NEEDS:
        needs = iter([(category, region)] * 2)
        same = {m.member_id for m in await listing()} == {m.member_id for m in await every_member()}
        assert same, f"the designs disagree for {category}"
    needs = iter(NEEDS * ROUNDS * 3)
    reference = report("the listing (what the service reads)", await timed(listing))
    report("a filtered read of every member", await timed(every_member), reference)
    report("a bare find_one by _id (for scale)", await timed(bare_read), reference)


async def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="bench-people-") as state,
        running(ferretdb_server(Path(state))) as server,
    ):
        client: AsyncMongoClient[Any] = AsyncMongoClient(server.url, tz_aware=True)  # type: ignore[attr-defined]
        try:
            await measure(client["bench_people"])
        finally:
            await client.close()


if __name__ == "__main__":
    asyncio.run(main())
