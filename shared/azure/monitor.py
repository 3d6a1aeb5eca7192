"""Azure Monitor (App Insights) through OpenTelemetry: the only module importing its SDK."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

_gauges: dict[str, Any] = {}


def configure(connection_string: str, dimension_filter: logging.Filter) -> None:
    """Send logs (with their `extra` fields as customDimensions), traces and metrics to App
    Insights; `dimension_filter` runs on every exported record."""
    from azure.monitor.opentelemetry import configure_azure_monitor

    configure_azure_monitor(connection_string=connection_string, logger_name="")
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
