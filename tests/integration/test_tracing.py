"""Telemetry: one trace from the gateway's HTTP request through NATS to the service and its
MongoDB calls; metrics for handled messages and request latency."""

from collections.abc import Iterator
from typing import Any

import httpx
import huddle_shared.telemetry as huddle_telemetry
import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.telemetry import configure_tracing
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support import eventually, gateway_server, services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def telemetry() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
    if not configure_tracing("tests", exporter=exporter, metric_reader=reader):
        pytest.fail("tracing was not configured")
    yield exporter, reader
    # Tests after these build what a process without an exporter builds (the raw RPC
    # paths); OpenTelemetry's global providers cannot be unset, only left unused.
    huddle_telemetry._tracing = False


@pytest.fixture
def spans(telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader]) -> InMemorySpanExporter:
    return telemetry[0]


async def test_a_request_is_one_trace_across_gateway_nats_service_and_database(
    spans: InMemorySpanExporter, settings_for: Any, nats_url: str
) -> None:
    async with (
        services(settings_for, "membership"),
        gateway_server(NATS_URL=nats_url) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        spans.clear()
        response = await client.post(
            "/api/v1/organisations",
            json={"name": "NHS Kent and Medway", "kind": "integrated_care_board"},
        )
        assert response.status_code == 201, response.text
        provider: Any = trace.get_tracer_provider()

        async def event_published() -> bool:  # just after the reply, not before it
            provider.force_flush()
            return any("registered.v1" in s.name for s in spans.get_finished_spans())

        await eventually(event_published, timeout=5)

    finished = spans.get_finished_spans()
    http = [
        s for s in finished if s.kind == trace.SpanKind.SERVER and "/api/v1/organisations" in s.name
    ]
    assert http, [s.name for s in finished]
    trace_id = http[0].context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    names = " | ".join(sorted(s.name for s in in_trace))

    assert any(
        s.kind == trace.SpanKind.CONSUMER and "rpc.membership.organisations.register" in s.name
        for s in in_trace
    ), names
    assert any(s.attributes and s.attributes.get("db.system") == "mongodb" for s in in_trace), names
    # The event published from the outbox belongs to the same trace.
    assert any("events.membership.organisation.registered.v1" in s.name for s in in_trace), names


async def test_handled_messages_and_request_latency_are_measured(
    telemetry: tuple[InMemorySpanExporter, InMemoryMetricReader], settings_for: Any, nats_url: str
) -> None:
    _, reader = telemetry
    async with (
        services(settings_for, "membership"),
        gateway_server(NATS_URL=nats_url) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post(
            "/api/v1/organisations", json={"name": "A charity", "kind": "charity"}
        )
        assert response.status_code == 201
    data = reader.get_metrics_data()
    assert data is not None
    names = {
        metric.name
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert any(name.startswith("http.server") and "duration" in name for name in names), names
    assert any(name.startswith("messaging.process") for name in names), names


async def test_with_tracing_faststream_serves_with_the_same_caller_check(
    spans: InMemorySpanExporter, settings_for: Any, nats_url: str
) -> None:
    """With an exporter the FastStream subscribers serve (their middleware carries the
    trace), not the raw server (decision 0027); the caller check still runs first."""
    import json

    from support import connect_nats, signed

    async with services(settings_for, "membership") as runtimes:
        runtime = runtimes["membership"]
        assert runtime.rpc_server is None
        assert runtime.rpc_router in runtime.broker.routers
        nc = await connect_nats(nats_url)
        try:
            subject = contract.SEARCH_ORGANISATIONS
            unsigned = json.dumps({"caller": {}, "body": {}}).encode()
            refused = json.loads((await nc.request(subject, unsigned, timeout=5)).data)
            assert refused["error"]["code"] == "unauthenticated"
            answered = json.loads(
                (await nc.request(subject, signed(subject, {"caller": {}}), timeout=5)).data
            )
            assert answered["ok"], answered
            health = await nc.request("rpc.membership.health", b"", timeout=5)
            assert json.loads(health.data)["status"] == "ok"
        finally:
            await nc.close()
