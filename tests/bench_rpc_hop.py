"""The RPC hop: FastStream's request-reply against raw nats-py, in the same run.

``python tests/bench_rpc_hop.py`` (from the repository root). One NATS server; the gateway
side and the service side in this one process and event loop, so each figure is the whole
hop's CPU cost on one core: signing, sending, the service's caller check and validation, the
handler (a dict, no database), the reply, its decoding. Four combinations of FastStream
(``broker.request`` / ``rpc_endpoint`` with the service middlewares) and raw nats-py
(``nc.request`` / ``subscribe`` doing the same checks by hand), plus a bare echo, and the
caller assertion's sign + verify on its own; and ``RpcServer``, the raw service side the
services now run (the same checks as the FastStream side, decision 0027). See
docs/decisions/0027.
"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from faststream.nats import NatsBroker
from huddle_devkit.caller_keys import ensure_caller_keys
from huddle_devkit.servers import nats_server, running
from huddle_shared.contracts.common import GetById
from huddle_shared.contracts.rpc import Caller, Reply, RpcRequest
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.caller_assertions import CallerSigner, CallerVerifier
from huddle_shared.messaging.rpc import (
    CallerCheck,
    RawRoute,
    RpcServer,
    answer,
    call_model,
    rpc_endpoint,
)

SUBJECT = "rpc.bench.members.get"
RAW_SUBJECT = "rpc.benchraw.members.get"
# Served by huddle_shared.messaging.rpc.RpcServer, as services now do without tracing.
SERVER_SUBJECT = "rpc.benchserver.members.get"
ECHO_SUBJECT = "bench.echo"
INSTANCE = "bench"
REQUESTS = 3000
IN_FLIGHT = 32
ROUNDS = 3


async def handler(request: GetById, caller: Caller) -> dict[str, Any]:
    return {"id": str(request.id), "display_name": "Bench Member", "job_title": "Lead"}


def message(signer: CallerSigner, subject: str) -> dict[str, Any]:
    unsigned = RpcRequest(
        caller=Caller(member_id=uuid.uuid4(), address="127.0.0.1"),
        body={"id": str(uuid.uuid4())},
        deadline=datetime.now(UTC) + timedelta(seconds=5),
    ).model_dump(mode="json", exclude={"caller_assertion"})
    return signer.signed(subject, unsigned, lifetime_seconds=5)


async def rate(call: Callable[[], Awaitable[Any]]) -> float:
    """Round trips per second with ``IN_FLIGHT`` at once (after a short warm-up)."""
    for _ in range(50):
        await call()
    remaining = REQUESTS

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return REQUESTS / (time.perf_counter() - start)


def assertion_microseconds(signer: CallerSigner, verifier: CallerVerifier) -> float:
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        sent = json.loads(json.dumps(message(signer, SUBJECT)))
        verifier.verify(SUBJECT, sent)
    return (time.perf_counter() - start) / rounds * 1e6


async def main() -> dict[str, float]:
    keys = ensure_caller_keys(Path(tempfile.mkdtemp(prefix="huddle-bench-keys-")))
    signer = CallerSigner.from_file(keys.private_key, INSTANCE)
    verifier = CallerVerifier.from_files([keys.public_key], INSTANCE)
    with running(
        nats_server(Path(tempfile.mkdtemp(prefix="huddle-bench-nats-")), auth=False)
    ) as server:
        url = server.url  # type: ignore[attr-defined]
        # The service side as services run it: create_broker's middlewares + the caller check.
        service = create_broker(url, service="bench")
        service.add_middleware(CallerCheck(verifier, service="bench"))
        rpc_endpoint(
            service,
            SUBJECT,
            service="bench",
            request_model=GetById,
            handler=handler,
            description="bench",
        )
        await service.start()
        # The same work by hand on raw nats-py: check, validate, answer, reply.
        raw_service = await nats.connect(url)
        model = call_model(GetById)

        async def raw_endpoint(msg: Any) -> None:
            decoded = json.loads(msg.data)
            verifier.verify(msg.subject, decoded)
            request = model.model_validate(decoded)
            reply: Reply = await answer(handler, request.body, request.caller)  # type: ignore[arg-type]
            await msg.respond(reply.model_dump_json().encode())

        await raw_service.subscribe(RAW_SUBJECT, queue="benchraw-rpc", cb=raw_endpoint)

        rpc_server = RpcServer(
            "benchserver",
            [RawRoute(SERVER_SUBJECT, GetById, handler)],
            check=CallerCheck(verifier, service="benchserver"),
        )
        await rpc_server.start(raw_service)

        async def echo(msg: Any) -> None:
            await msg.respond(msg.data)

        await raw_service.subscribe(ECHO_SUBJECT, cb=echo)
        await raw_service.flush()

        gateway = NatsBroker(url)
        await gateway.connect()
        raw_gateway = await nats.connect(url)

        def via_faststream(subject: str) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                reply = await gateway.request(message(signer, subject), subject, timeout=5)
                data = await reply.decode()
                assert isinstance(data, dict) and data["ok"], data
                return data

            return call

        def via_raw(subject: str) -> Callable[[], Awaitable[Any]]:
            async def call() -> Any:
                body = json.dumps(message(signer, subject)).encode()
                data = json.loads((await raw_gateway.request(subject, body, timeout=5)).data)
                assert data["ok"], data
                return data

            return call

        async def bare_echo() -> Any:
            return await raw_gateway.request(ECHO_SUBJECT, b'{"id": "x"}', timeout=5)

        variants: dict[str, Callable[[], Awaitable[Any]]] = {
            "raw echo (floor)": bare_echo,
            "faststream -> faststream (before 0027)": via_faststream(SUBJECT),
            "raw -> faststream (0027's gateway)": via_raw(SUBJECT),
            "faststream -> raw": via_faststream(RAW_SUBJECT),
            "raw -> raw (by hand)": via_raw(RAW_SUBJECT),
            "faststream -> RpcServer (traced gateway)": via_faststream(SERVER_SUBJECT),
            "raw -> RpcServer (now)": via_raw(SERVER_SUBJECT),
        }
        # Interleaved rounds, the median of each: other load on the machine comes and goes.
        rounds: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(ROUNDS):
            for name, call in variants.items():
                rounds[name].append(await rate(call))
        figures = {name: statistics.median(values) for name, values in rounds.items()}
        figures["caller assertion sign+verify (us)"] = assertion_microseconds(signer, verifier)
        await gateway.stop()
        await service.stop()
        await rpc_server.stop()
        await raw_gateway.close()
        await raw_service.close()
    return figures


if __name__ == "__main__":
    results = asyncio.run(main())
    for name, value in results.items():
        unit = "" if "(us)" in name else " round trips/s"
        print(f"{name:40s} {value:10.0f}{unit}")
    if "--json" in sys.argv:
        json.dump(results, sys.stdout)
