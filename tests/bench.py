"""``make bench``: Huddle's paths against raw NATS baselines measured in the same run.

Reports medians and ratios (Huddle / baseline), not pass/fail: the issue targets (for example,
every projection caught up within a second of a registration) are read from these numbers.
"""

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from huddle_devkit.servers import ferretdb_server, nats_server, running
from huddle_shared.config import ServiceSettings
from huddle_shared.services import service_names
from pymongo import AsyncMongoClient
from support import (
    CREDENTIALS_ENV,
    JWT_SECRET,
    TEST_INSTANCE,
    caller_keys,
    connect_nats,
    gateway_server,
    seed_file,
    services,
)

ROUNDS = 30
CONCURRENT = 32  # requests in flight at once, for the load figures


async def raw_request_reply(nc: Any) -> list[float]:
    async def echo(msg: Any) -> None:
        await msg.respond(msg.data)

    await nc.subscribe("bench.echo", cb=echo)
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await nc.request("bench.echo", b'{"id": "x"}', timeout=5)
        timings.append(time.perf_counter() - start)
    return timings


async def raw_concurrent_request_reply(nc: Any) -> list[float]:
    """``CONCURRENT`` requests at once to the echo responder (subscribed above)."""
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await asyncio.gather(
            *(nc.request("bench.echo", b'{"id": "x"}', timeout=5) for _ in range(CONCURRENT))
        )
        timings.append(time.perf_counter() - start)
    return timings


async def raw_jetstream_delivery(nc: Any) -> list[float]:
    js = nc.jetstream()
    await js.add_stream(name="BENCH", subjects=["bench.events"])
    subscription = await js.pull_subscribe("bench.events", durable="bench")
    timings = []
    for index in range(ROUNDS):
        start = time.perf_counter()
        await js.publish("bench.events", b"{}", headers={"Nats-Msg-Id": f"b{index}"})
        (message,) = await subscription.fetch(1, timeout=5)
        await message.ack()
        timings.append(time.perf_counter() - start)
    return timings


def caller_assertion_cost() -> list[float]:
    """Signing (gateway) plus verifying (service) one RPC's caller assertion, as sent."""
    from datetime import UTC, datetime, timedelta

    from huddle_shared.contracts.rpc import Caller, RpcRequest
    from huddle_shared.messaging.caller_assertions import CallerSigner, CallerVerifier

    keys = caller_keys()
    signer = CallerSigner.from_file(keys.private_key, TEST_INSTANCE)
    verifier = CallerVerifier.from_files([keys.public_key], TEST_INSTANCE)
    subject = "rpc.membership.me.update"
    message = RpcRequest(
        caller=Caller(member_id=uuid.uuid4(), address="127.0.0.1"),
        body={"display_name": "Bench Member", "job_title": "Patient safety lead"},
        deadline=datetime.now(UTC) + timedelta(seconds=5),
        idempotency_key=str(uuid.uuid4()),
    ).model_dump(mode="json", exclude={"caller_assertion"})
    timings = []
    for _ in range(ROUNDS * 10):
        start = time.perf_counter()
        sent = json.loads(json.dumps(signer.signed(subject, message, lifetime_seconds=5)))
        verifier.verify(subject, sent)
        timings.append(time.perf_counter() - start)
    return timings


async def huddle_paths(
    nats_url: str, mongodb_url: str
) -> tuple[list[float], list[float], list[float], list[float], list[float]]:
    prefix = f"bench{uuid.uuid4().hex[:6]}"

    def settings_for(service: str) -> ServiceSettings:
        return ServiceSettings(
            NATS_URL=nats_url,
            MONGODB_URL=mongodb_url,
            MONGODB_DATABASE=f"{prefix}_{service}",
            HUDDLE_INSTANCE_ID=TEST_INSTANCE,
            HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
            NATS_NKEY_SEED_FILE=seed_file(service),
        )

    names = service_names()
    async with (
        services(settings_for, *names),
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=JWT_SECRET) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        organisation = (
            await client.post("/api/v1/organisations", json={"name": "Bench", "kind": "other"})
        ).json()
        reads, catch_up = [], []
        for index in range(ROUNDS):
            created = (
                await client.post(
                    "/api/v1/accounts",
                    json={
                        "email": f"bench{index}@example.org",
                        "password": "a long enough password",
                        "display_name": f"Bench Member{index}",
                        "organisation_id": organisation["id"],
                        "member_type": "staff",
                    },
                )
            ).json()
            start = time.perf_counter()
            collections = [
                mongo[f"{prefix}_notes"]["redaction_names"],
                mongo[f"{prefix}_insights"]["member_profiles"],
                mongo[f"{prefix}_scheduling"]["attendees"],
            ]
            while not all([await c.find_one({"_id": created["id"]}) for c in collections]):  # noqa: ASYNC110 - polling the databases is the measurement
                await asyncio.sleep(0.002)
            catch_up.append(time.perf_counter() - start)

            if index == 0:
                signed_in = await client.post(
                    "/api/v1/auth/token",
                    json={"email": "bench0@example.org", "password": "a long enough password"},
                )
                headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            start = time.perf_counter()
            response = await client.get("/api/v1/me", headers=headers)
            reads.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
        concurrent_reads = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            responses = await asyncio.gather(
                *(client.get("/api/v1/me", headers=headers) for _ in range(CONCURRENT))
            )
            concurrent_reads.append(time.perf_counter() - start)
            assert all(r.status_code == 200 for r in responses)
        sign_ins, attacked_sign_ins = await sign_ins_while_guessed(client)
        await mongo.close()
        return reads, catch_up, concurrent_reads, sign_ins, attacked_sign_ins


GUESSERS = 16  # clients sending wrong passwords for the member, each from its own address


async def sign_ins_while_guessed(client: httpx.AsyncClient) -> tuple[list[float], list[float]]:
    """A real member's sign-in, alone and while ``GUESSERS`` clients (on other loopback
    addresses, as the gateway sees them) send wrong passwords for the same account."""
    body = {"email": "bench1@example.org", "password": "a long enough password"}

    async def timed() -> float:
        start = time.perf_counter()
        response = await client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 200, response.text
        return time.perf_counter() - start

    alone = [await timed() for _ in range(ROUNDS)]
    stop = asyncio.Event()

    async def guess(address: str) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=client.base_url, transport=transport) as guesser:
            while not stop.is_set():
                await guesser.post("/api/v1/auth/token", json={**body, "password": "wrong guess"})

    guessers = [asyncio.create_task(guess(f"127.0.9.{n}")) for n in range(1, GUESSERS + 1)]
    await asyncio.sleep(1)
    attacked = [await timed() for _ in range(ROUNDS)]
    stop.set()
    await asyncio.gather(*guessers)
    return alone, attacked


def report(name: str, huddle: list[float], baseline: list[float]) -> dict[str, float]:
    h, b = statistics.median(huddle) * 1000, statistics.median(baseline) * 1000
    print(f"{name:<46} huddle {h:8.2f} ms   baseline {b:7.2f} ms   ratio {h / b:6.1f}x")
    return {"huddle_ms": h, "baseline_ms": b, "ratio": h / b}


async def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        running(ferretdb_server(Path(tmp) / "ferretdb")) as db,
        running(nats_server(Path(tmp) / "nats")) as bus,
    ):
        os.environ[CREDENTIALS_ENV] = str(bus.credentials.directory)  # type: ignore[attr-defined]
        nc = await connect_nats(bus.url)  # type: ignore[attr-defined]
        rpc_baseline = await raw_request_reply(nc)
        concurrent_baseline = await raw_concurrent_request_reply(nc)
        delivery_baseline = await raw_jetstream_delivery(nc)
        await nc.close()
        reads, catch_up, concurrent_reads, sign_ins, attacked = await huddle_paths(bus.url, db.url)  # type: ignore[attr-defined]
    assertions = caller_assertion_cost()
    print(f"\nmedians over {ROUNDS} rounds (baselines: raw NATS on the same server, same run)")
    results = {
        "signed_in_read_via_gateway_vs_raw_request_reply": report(
            "signed-in read: HTTP→token→NATS→service→DB", reads, rpc_baseline
        ),
        "concurrent_reads_vs_raw_concurrent_request_reply": report(
            f"{CONCURRENT} signed-in reads at once (all answered)",
            concurrent_reads,
            concurrent_baseline,
        ),
        "projection_catch_up_vs_raw_jetstream_delivery": report(
            "registration→all projections (poll, 3 DBs)", catch_up, delivery_baseline
        ),
        # Included (as part of the whole) in the signed-in read above.
        "caller_assertion_sign_verify_vs_raw_request_reply": report(
            "caller assertion: sign + verify, per RPC", assertions, rpc_baseline
        ),
        "sign_in_with_16_guessers_vs_sign_in_alone": report(
            f"sign-in while {GUESSERS} clients guess its password", attacked, sign_ins
        ),
    }
    worst = max(catch_up) * 1000
    print(f"{'slowest projection catch-up':<46} {worst:8.2f} ms   (target: under 1000 ms)")
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
