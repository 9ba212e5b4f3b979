"""JSON logs correlated with traces; telemetry off unless configured."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared.logging import configure_logging
from shared.telemetry import configure_telemetry


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_root_logger")
def test_log_lines_are_json_with_service_and_trace_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("catalog", "info")
    configure_logging("catalog", "info")  # idempotent: still one line per record
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("rpc") as span:
        logging.getLogger("shared.test").info("hello", extra={"method": "/x.Y/Z"})
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    context = span.get_span_context()
    assert record["message"] == "hello" and record["level"] == "INFO"
    assert record["service"] == "catalog" and record["logger"] == "shared.test"
    assert record["method"] == "/x.Y/Z" and "time" in record
    assert record["trace_id"] == format(context.trace_id, "032x")
    assert record["span_id"] == format(context.span_id, "016x")


def test_telemetry_is_a_no_op_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    shutdown = configure_telemetry("catalog")
    shutdown()
