"""Without an exporter nothing is instrumented: on OpenTelemetry's no-op providers the
Litestar plugin and FastStream's middleware still cost about half the gateway's rate."""

import pytest
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from huddle_gateway.app import create_app
from huddle_gateway.settings import GatewaySettings
from huddle_shared import telemetry
from huddle_shared.messaging.broker import create_broker
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from support import TEST_INSTANCE, caller_keys


def gateway_settings() -> GatewaySettings:
    return GatewaySettings(
        HUDDLE_INSTANCE_ID=TEST_INSTANCE, HUDDLE_CALLER_SIGNING_KEY_FILE=caller_keys().private_key
    )


def instrumented(*, tracing: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    """Whether the gateway has its OpenTelemetry plugin and a service broker its middleware."""
    monkeypatch.setattr(telemetry, "_tracing", tracing)  # as configure_tracing leaves it
    app = create_app(gateway_settings())
    broker = create_broker("nats://127.0.0.1:1", service="membership")
    return (
        any(isinstance(plugin, OpenTelemetryPlugin) for plugin in app.plugins),
        any(isinstance(m, NatsTelemetryMiddleware) for m in broker.middlewares),
    )


def test_no_instrumentation_without_an_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    assert instrumented(tracing=False, monkeypatch=monkeypatch) == (False, False)


def test_instrumented_when_traces_go_somewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    assert instrumented(tracing=True, monkeypatch=monkeypatch) == (True, True)
