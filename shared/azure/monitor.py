"""Azure Monitor (App Insights) through OpenTelemetry: the only module importing its SDK."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

_gauges: dict[str, Any] = {}
_histograms: dict[str, Any] = {}


def configure(
    connection_string: str, dimension_filter: logging.Filter, *, entra_id: bool = True
) -> None:
    """Send logs (with their `extra` fields as customDimensions), traces and metrics to App
    Insights; `dimension_filter` runs on every exported record.

    `entra_id`: authenticate ingestion with the app's managed identity (the component has local
    auth off, infra/modules/monitoring.bicep); False only for a local receiver."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    options: dict[str, Any] = {}
    if entra_id:
        from azure.identity import DefaultAzureCredential

        options["credential"] = DefaultAzureCredential()
    configure_azure_monitor(connection_string=connection_string, logger_name="", **options)
    for handler in logging.getLogger().handlers:
        if type(handler).__name__ == "LoggingHandler":
            handler.addFilter(dimension_filter)


def record_gauges(points: Mapping[str, Sequence[tuple[float, Mapping[str, str]]]]) -> None:
    """Set each named gauge to each (value, attributes) point."""
    from opentelemetry import metrics

    meter = metrics.get_meter("lifeboat")
    for name, values in points.items():
        gauge = _gauges.get(name)
        if gauge is None:
            gauge = _gauges[name] = meter.create_gauge(name)
        for value, attributes in values:
            gauge.set(value, dict(attributes))


def record_histogram(name: str, value: float, attributes: Mapping[str, str]) -> None:
    """Record one value in the named histogram."""
    from opentelemetry import metrics

    histogram = _histograms.get(name)
    if histogram is None:
        meter = metrics.get_meter("lifeboat")
        histogram = _histograms[name] = meter.create_histogram(name, unit="s")
    histogram.record(value, dict(attributes))
