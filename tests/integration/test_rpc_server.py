"""The raw RPC server (``RpcServer``, decision 0027) keeps FastStream's guarantees: the same
message gets the same reply from both (caller check, validation, deadlines, error mapping),
up to ``max_workers`` run at once per subject, health needs no assertion, and a stop lets
the requests in progress answer."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import NotFound
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.caller_assertions import CallerVerifier
from huddle_shared.messaging.rpc import CallerCheck, RawRoute, RpcServer, rpc_endpoint
from nats.errors import NoRespondersError
from pydantic import BaseModel, Field
from support import TEST_INSTANCE, as_devkit, caller_keys, connect_nats, signed

pytestmark = pytest.mark.integration

FASTSTREAM, RAW = "fsprobe", "rawprobe"


class Probe(BaseModel):
    name: str = Field(min_length=1)
    count: int = 1


async def echo(request: Probe, caller: Caller) -> dict[str, Any]:
    return {"name": request.name, "count": request.count, "address": caller.address}


async def missing(request: Empty, caller: Caller) -> None:
    raise NotFound("There is no such probe.")


async def crash(request: Empty, caller: Caller) -> None:
    raise RuntimeError("a bug")


ROUTES = {"echo": echo, "missing": missing, "crash": crash}


def verifier() -> CallerVerifier:
    return CallerVerifier.from_files([caller_keys().public_key], TEST_INSTANCE)


async def faststream_probe(nats_url: str) -> Any:
    """The FastStream path as services ran it: create_broker's middlewares + the caller check."""
    broker = create_broker(nats_url, service=FASTSTREAM, **as_devkit())
    broker.add_middleware(CallerCheck(verifier(), service=FASTSTREAM))
    for operation, handler in ROUTES.items():
        rpc_endpoint(
            broker,
            f"rpc.{FASTSTREAM}.{operation}",
            service=FASTSTREAM,
            request_model=Probe if handler is echo else Empty,
            handler=handler,  # type: ignore[arg-type]
            description="Probe.",
        )
    await broker.start()
    return broker


def raw_routes(service: str, handlers: dict[str, Any]) -> list[RawRoute]:
    return [
        RawRoute(f"rpc.{service}.{operation}", Probe if handler is echo else Empty, handler)
        for operation, handler in handlers.items()
    ]


@dataclass
class Probes:
    nc: Any
    raw: RpcServer

    async def ask(self, service: str, operation: str, data: bytes | dict[str, Any]) -> Any:
        subject = f"rpc.{service}.{operation}"
        if isinstance(data, dict):
            data = signed(subject, json.loads(json.dumps(data, default=str)))
        return json.loads((await self.nc.request(subject, data, timeout=5)).data)

    async def both(self, operation: str, data: bytes | dict[str, Any]) -> tuple[Any, Any]:
        return await self.ask(FASTSTREAM, operation, data), await self.ask(RAW, operation, data)


@pytest.fixture
async def probes(nats_url: str) -> AsyncIterator[Probes]:
    broker = await faststream_probe(nats_url)
    nc = await connect_nats(nats_url)
    server = RpcServer(
        RAW, raw_routes(RAW, ROUTES), check=CallerCheck(verifier(), service=RAW), max_workers=4
    )
    await server.start(nc)
    try:
        yield Probes(nc, server)
    finally:
        await server.stop()
        await nc.close()
        await broker.stop()


def caller() -> dict[str, Any]:
    return {"member_id": None, "address": "198.51.100.7"}


async def test_a_valid_request_gets_the_same_answer(probes: Probes) -> None:
    fast, raw = await probes.both("echo", {"caller": caller(), "body": {"name": "x"}})
    assert raw == fast
    assert raw["ok"] and raw["data"] == {"name": "x", "count": 1, "address": "198.51.100.7"}


async def test_an_invalid_request_gets_the_same_invalid_reply(probes: Probes) -> None:
    body = {"name": "", "count": "many"}
    fast, raw = await probes.both("echo", {"caller": caller(), "body": body})
    assert raw == fast
    assert raw["error"]["code"] == "invalid"
    assert {e["field"] for e in raw["error"]["errors"]} == {"name", "count"}


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(json.dumps({"caller": caller(), "body": {"name": "x"}}).encode(), id="none"),
        pytest.param(
            signed("rpc.other.echo", {"caller": caller(), "body": {"name": "x"}}),
            id="for-another-subject",
        ),
    ],
)
async def test_a_request_without_a_valid_assertion_is_refused_alike(
    probes: Probes, message: bytes
) -> None:
    fast, raw = await probes.both("echo", message)
    assert raw == fast
    assert raw["error"]["code"] == "unauthenticated"


async def test_a_message_that_is_not_json_is_refused(probes: Probes) -> None:
    fast, raw = await probes.both("echo", b"not json")
    assert raw["error"]["code"] == fast["error"]["code"] == "unauthenticated"


async def test_errors_map_to_the_same_replies(probes: Probes) -> None:
    for operation, code, title in [
        ("missing", "not_found", "Not found"),
        ("crash", "unavailable", "Service error"),
    ]:
        fast, raw = await probes.both(operation, {"caller": caller(), "body": {}})
        assert raw == fast
        assert (raw["error"]["code"], raw["error"]["title"]) == (code, title)


async def test_a_request_past_its_deadline_is_dropped_alike(probes: Probes) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    message = {"caller": caller(), "body": {"name": "x"}, "deadline": past}
    fast, raw = await probes.both("echo", message)
    assert raw == fast
    assert raw["error"]["title"] == "Deadline passed"


async def test_an_unknown_operation_is_answered_unavailable(probes: Probes) -> None:
    with pytest.raises(NoRespondersError):  # FastStream: nobody subscribes to it
        await probes.ask(FASTSTREAM, "nothing", {"caller": caller(), "body": {}})
    raw = await probes.ask(RAW, "nothing", {"caller": caller(), "body": {}})
    assert raw["error"]["code"] == "unavailable"  # the same 503 at the gateway


async def test_health_needs_no_assertion_but_the_rest_does(probes: Probes) -> None:
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    probes.raw.health = health
    assert await probes.ask(RAW, "health", b"") == {"status": "ok"}
    refused = await probes.ask(RAW, "echo", b"")
    assert refused["error"]["code"] == "unauthenticated"


async def slow_server(nc: Any, *, max_workers: int, runs: list[str]) -> RpcServer:
    async def slow(request: Empty, caller: Caller) -> dict[str, str]:
        runs.append(str(caller.address))
        await asyncio.sleep(1.0)
        return {"done": str(caller.address)}

    server = RpcServer(
        RAW,
        [RawRoute(f"rpc.{RAW}.slow", Empty, slow), *raw_routes(RAW, {"echo": echo})],
        check=CallerCheck(verifier(), service=RAW),
        max_workers=max_workers,
    )
    await server.start(nc)
    return server


async def ask_slow(nc: Any, address: str, **message: Any) -> Any:
    subject = f"rpc.{RAW}.slow"
    data = signed(subject, json.loads(json.dumps({"caller": {"address": address}, **message})))
    return json.loads((await nc.request(subject, data, timeout=5)).data)


async def test_at_most_max_workers_of_one_subject_run_at_once(nats_url: str) -> None:
    nc = await connect_nats(nats_url)
    runs: list[str] = []
    server = await slow_server(nc, max_workers=2, runs=runs)
    try:
        started = time.monotonic()
        replies = await asyncio.gather(*(ask_slow(nc, f"c{i}") for i in range(4)))
        elapsed = time.monotonic() - started
        assert all(reply["ok"] for reply in replies)
        assert 1.9 < elapsed < 3.0, elapsed  # two at a time: two rounds of 1 s
        # Another subject is not held up behind the busy one.
        busy = [asyncio.create_task(ask_slow(nc, f"b{i}")) for i in range(2)]
        await asyncio.sleep(0.2)
        started = time.monotonic()
        probe = Probes(nc, server)
        assert (await probe.ask(RAW, "echo", {"caller": caller(), "body": {"name": "x"}}))["ok"]
        assert time.monotonic() - started < 0.5
        await asyncio.gather(*busy)
    finally:
        await server.stop()
        await nc.close()


async def test_a_stop_lets_requests_in_progress_answer_and_takes_no_more(nats_url: str) -> None:
    nc = await connect_nats(nats_url)
    runs: list[str] = []
    server = await slow_server(nc, max_workers=4, runs=runs)
    try:
        in_progress = asyncio.create_task(ask_slow(nc, "first"))
        await asyncio.sleep(0.3)
        stopping = time.monotonic()
        await server.stop()
        assert time.monotonic() - stopping > 0.5  # it waited for the handler
        assert (await asyncio.wait_for(in_progress, 2))["ok"]
        with pytest.raises(NoRespondersError):
            await ask_slow(nc, "after")
        assert runs == ["first"]
    finally:
        await nc.close()


async def test_a_service_serves_its_routes_through_the_raw_server(settings_for: Any) -> None:
    from huddle_shared.telemetry import tracing_enabled
    from support import services

    # test_tracing switches tracing off again when it is done: were it left on, every
    # later test would build the FastStream path and this one would test nothing.
    assert not tracing_enabled(), "an earlier test left tracing on"
    async with services(settings_for, "membership") as runtimes:
        runtime = runtimes["membership"]
        assert runtime.rpc_server is not None
        assert runtime.rpc_router not in runtime.broker.routers  # not subscribed twice
        served = runtime.rpc_server.subject
        assert served == "rpc.membership.>"
        assert not [s for s in runtime.broker.subscribers if "rpc." in str(s.subject)]


async def test_a_request_whose_deadline_passed_while_it_waited_is_not_run(nats_url: str) -> None:
    nc = await connect_nats(nats_url)
    runs: list[str] = []
    server = await slow_server(nc, max_workers=1, runs=runs)
    now = datetime.now(UTC)
    try:
        first, late = await asyncio.gather(
            ask_slow(nc, "first", deadline=(now + timedelta(seconds=5)).isoformat()),
            ask_slow(nc, "late", deadline=(now + timedelta(seconds=0.3)).isoformat()),
        )
        assert first["ok"]
        assert late["ok"] is False and late["error"]["title"] == "Deadline passed"
        assert runs == ["first"]
    finally:
        await server.stop()
        await nc.close()
