"""Membership's reads with and without the read models, in one run (decision 0025).

Not collected by default; run it alone:
``.venv/bin/pytest -q -s -p no:cacheprovider tests/integration/bench_read_models.py``.
It stores the 10x data set's shape (3,000 members, one network of 1,500) straight in the
database, then calls each read handler in-process (no gateway, no NATS hop) with cold read
models (a TTL of ~0: every read asks the database, as before) and hot ones, and prints
calls/s and p50/p99. The old statistics (a scan of members per request) are timed beside
the projection's read. Memory: what the warmed read models hold (tracemalloc).
"""

import asyncio
import os
import statistics as stats_module
import time
import tracemalloc
import uuid
from typing import Any

import pytest
from huddle_membership import read_models
from huddle_membership.bootstrap import bootstrap
from huddle_membership.members.repository import MemberRepository, OrganisationRepository
from huddle_shared.contracts import membership as mc
from huddle_shared.contracts import networks as nc
from huddle_shared.contracts.rpc import Caller
from support import set_fields, started

pytestmark = pytest.mark.integration

MEMBERS = 3_000
ROSTER = 1_500
CALLS = 100


async def timed(call: Any, n: int = CALLS) -> tuple[float, float, float]:
    took = []
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        await call()
        took.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    took.sort()
    return n / total, stats_module.median(took) * 1000, took[int(len(took) * 0.99) - 1] * 1000


@pytest.mark.timeout(1200)
async def test_bench(settings_for: Any) -> None:
    settings = settings_for("membership")
    async with started(bootstrap(settings)) as runtime:
        await measure(settings, runtime)


async def measure(settings: Any, runtime: Any) -> None:
    routes = {route.subject: route for route in runtime.routes}

    async def call(subject: str, body: dict[str, Any], member: str | None = None) -> Any:
        route = routes[subject]
        caller = Caller(member_id=uuid.UUID(member)) if member else Caller()
        return await route.handler(route.request_model(**body), caller)

    organisation = await call(
        mc.REGISTER_ORGANISATION, {"name": "Leeds Teaching", "kind": "nhs_trust"}
    )
    account = await call(
        mc.REGISTER_ACCOUNT,
        {
            "email": "chair@example.org",
            "password": "a long enough password",
            "display_name": "Chair Person",
            "organisation_id": str(organisation.id),
            "member_type": "staff",
        },
    )
    me = str(account.id)
    db = runtime.database
    await set_fields(db["members"], me, {"is_instance_admin": True, "listed_in_directory": True})
    await call(nc.CREATE_NETWORK, {"slug": "big", "name": "Big network"}, me)
    template = await db["members"].find_one({"_id": me})
    membership = await db["network_memberships"].find_one({"member_id": me})
    assert template and membership
    members, memberships = [], []
    for n in range(MEMBERS):
        member_id = str(uuid.uuid4())
        members.append(
            {
                **template,
                "_id": member_id,
                "email": f"m{n}@example.org",
                "email_normalised": f"m{n}@example.org",
                "display_name": f"Member {n:04d}",
                "is_instance_admin": False,
            }
        )
        if n < ROSTER:
            memberships.append(
                {**membership, "_id": f"big:{member_id}", "member_id": member_id, "role": "member"}
            )
    await db["members"].insert_many(members)
    await db["network_memberships"].insert_many(memberships)
    other = members[0]["_id"]

    reads = {
        "me.get": (mc.GET_ME, {}),
        "members.get": (mc.GET_MEMBER, {"id": other}),
        "networks.list": (nc.LIST_NETWORKS, {}),
        "networks.get": (nc.GET_NETWORK, {"slug": "big"}),
        "networks.members (1,500)": (nc.LIST_NETWORK_MEMBERS, {"slug": "big"}),
    }
    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    phases = [("cold", 1e-9), ("hot", read_models.TTL_SECONDS)]
    if os.environ.get("BENCH_HOT_ONLY"):  # a quick look at the read models alone
        phases = phases[1:]
    for label, ttl in phases:
        saved = read_models.TTL_SECONDS
        read_models.TTL_SECONDS = ttl
        try:
            models = read_models.MembershipReadModels()
        finally:
            read_models.TTL_SECONDS = saved
        measured = bootstrap(settings, models=models)
        measured_routes = {route.subject: route for route in measured.routes}

        async def read(subject: str, body: dict[str, Any]) -> Any:
            route = measured_routes[subject]  # noqa: B023 - used within its iteration
            return await route.handler(route.request_model(**body), Caller(member_id=uuid.UUID(me)))

        for name, (subject, body) in reads.items():
            n = 20 if "1,500" in name and label == "cold" else CALLS
            await read(subject, body)  # loads what it reads, when hot
            results.setdefault(name, {})[label] = await timed(
                lambda s=subject, b=body: read(s, b), n
            )
            print(label, name, results[name][label], flush=True)
        await measured.client.close()

    # Statistics: the old per-request scan against the projection's read.
    old_members = MemberRepository(db, runtime.relay, "bench")
    old_orgs = OrganisationRepository(db, runtime.relay, "bench")

    async def scan() -> None:
        by_organisation = await old_members.active_by_organisation()
        await asyncio.gather(
            old_orgs.facts(list(by_organisation)),
            old_orgs.count(),
            db["networks"].count_documents({}),
        )

    stats_route = routes[mc.STATS]
    results["stats"] = {
        "cold": await timed(scan, 1 if os.environ.get("BENCH_HOT_ONLY") else 20),
        "hot": await timed(lambda: stats_route.handler(stats_route.request_model(), Caller())),
    }

    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    warm_models = read_models.MembershipReadModels()
    warmed = bootstrap(settings, models=warm_models)
    warmers = next(h for h in warmed.start_hooks if getattr(h, "func", None) is read_models.start)
    for load in warmers.keywords["warm"]:
        await load()
    after = tracemalloc.take_snapshot()
    held = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    tracemalloc.stop()
    await warmed.client.close()

    print(
        f"\n{'read':28} {'cold/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'hot/s':>9} {'p50':>7} {'p99':>7}"
    )
    for name, row in results.items():
        c, h = row.get("cold", (0.0, 0.0, 0.0)), row["hot"]
        print(f"{name:28} {c[0]:9.0f} {c[1]:8.2f} {c[2]:8.2f} {h[0]:9.0f} {h[1]:7.3f} {h[2]:7.3f}")
    print(f"warmed read models: {warm_models.size()}, {held / 1e6:.1f} MB allocated")
