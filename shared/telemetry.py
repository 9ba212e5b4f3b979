"""OpenTelemetry traces and metrics over OTLP/gRPC, off unless the standard OTEL_* variables ask."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource

__all__ = ["configure_telemetry", "meter", "tracer"]

log = logging.getLogger(__name__)

_configured = False


def _enabled(signal: str) -> bool:
    """Whether `signal` ("traces" or "metrics") has an OTLP endpoint and is not switched off."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
    )


def _resource(service: str) -> Resource:
    # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES win over the name the code passes.
    if OTELResourceDetector().detect().attributes.get(SERVICE_NAME):
        return Resource.create()
    return Resource.create({SERVICE_NAME: service})


def configure_telemetry(service: str) -> Callable[[], None]:
    """Install tracer/meter providers and gRPC instrumentation as configured; returns shutdown."""
    global _configured
    traces, metrics_on = _enabled("traces"), _enabled("metrics")
    if _configured or not (traces or metrics_on):
        return lambda: None
    _configured = True
    resource = _resource(service)
    shutdowns: list[Callable[[], object]] = []

    if traces:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.grpc import (
            GrpcAioInstrumentorClient,
            GrpcAioInstrumentorServer,
        )
        from opentelemetry.instrumentation.grpc.filters import (
            any_of,
            health_check,
            negate,
            service_prefix,
        )
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(tracer_provider)
        shutdowns.append(tracer_provider.shutdown)
        # Probes and reflection would flood the trace store with one-span traces.
        quiet = negate(any_of(health_check(), service_prefix("grpc.reflection.")))
        GrpcAioInstrumentorServer(filter_=quiet).instrument()
        GrpcAioInstrumentorClient(filter_=quiet).instrument()

    if metrics_on:
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        meter_provider = MeterProvider(
            resource=resource,
            metric_readers=[PeriodicExportingMetricReader(OTLPMetricExporter())],
        )
        metrics.set_meter_provider(meter_provider)
        shutdowns.append(meter_provider.shutdown)

    log.info("telemetry enabled", extra={"traces": traces, "metrics": metrics_on})

    def shutdown() -> None:
        for close in shutdowns:
            try:
                close()
            except Exception:  # a collector outage must not block process exit
                log.warning("telemetry shutdown failed", exc_info=True)

    return shutdown


def tracer(name: str) -> trace.Tracer:
    """The global tracer for an instrumentation scope."""
    return trace.get_tracer(name)


def meter(name: str) -> metrics.Meter:
    """The global meter for an instrumentation scope."""
    return metrics.get_meter(name)
