"""Traces, metrics and structured logs.

Traces and metrics are exported over OTLP only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set;
otherwise OpenTelemetry's no-op providers stay in place and instrumentation costs next to
nothing. Logs are always JSON lines carrying the current trace and span ids.
"""

import logging
import os
import sys
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from pythonjsonlogger.json import JsonFormatter

OTLP_ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"

# Set once SDK providers are installed. Instrumentation (Litestar's OpenTelemetry plugin,
# FastStream's telemetry middleware) is added only then: on the no-op providers it still
# builds attributes, contexts and headers for every request and message, about half of the
# gateway's cost per request (docs/decisions/0027).
_tracing = False


class TraceContextFilter(logging.Filter):
    """Adds ``service``, ``trace_id`` and ``span_id`` to every record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        record.service = self.service
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(TraceContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pymongo", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # FastStream gives its own logger a coloured handler and stops propagation at import.
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers.clear()
    faststream_logger.propagate = True


def configure_tracing(
    service: str,
    exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> bool:
    """Install SDK providers when OTLP is configured (or, in tests, an exporter is given).

    Returns whether they were installed; without them OpenTelemetry stays a no-op.
    """
    if exporter is None and not os.environ.get(OTLP_ENDPOINT_ENV):
        return False
    resource = Resource.create({"service.name": f"huddle-{service}", "service.namespace": "huddle"})
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        exporter = OTLPSpanExporter()
        metric_reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    if metric_reader is not None:
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[metric_reader]))
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)
    instrument_pymongo()
    global _tracing
    _tracing = True
    return True


def tracing_enabled() -> bool:
    """Whether traces and metrics go anywhere (``configure_tracing`` installed providers):
    builders add instrumentation only then, so call it after configuring telemetry."""
    return _tracing


def instrument_pymongo() -> None:
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    instrumentor: Any = PymongoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def configure_telemetry(service: str, log_level: str = "INFO") -> None:
    configure_logging(service, log_level)
    configure_tracing(service)


def current_trace_id() -> str | None:
    """The active trace id (hex), used as the correlation id of events a request causes."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
