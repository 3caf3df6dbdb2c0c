import io
import json
import logging

import pytest
from huddle_shared.telemetry import configure_logging
from opentelemetry.sdk.trace import TracerProvider

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_root_logging():  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_logs_are_json_lines_with_the_trace_id() -> None:
    configure_logging("notes", "INFO")
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("huddle.test").info("projection updated", extra={"member": "m1"})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "projection updated"
    assert line["level"] == "INFO"
    assert line["service"] == "notes"
    assert line["member"] == "m1"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
