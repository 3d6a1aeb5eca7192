"""Telemetry that can be queried: Lifeboat's log `extra` fields as App Insights customDimensions,
and the RPO ledger as metrics.

Nothing here runs at indexing time. `ensure_telemetry()` configures Azure Monitor (through
shared.azure.monitor) on the first call made while APPLICATIONINSIGHTS_CONNECTION_STRING is set,
once per process; without it, it returns False and imports nothing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
# The log `extra` keys that become customDimensions (the OpenTelemetry log handler exports
# every non-standard LogRecord attribute; this filter keeps them exportable: short strings).
DIMENSIONS = ("job_id", "job_kind", "step", "route", "outcome", "resource_id", "plan_id")
MAX_DIMENSION = 1024

_lock = threading.Lock()
_state: dict[str, bool] = {"configured": False}


class DimensionFilter(logging.Filter):
    """Makes each dimension present on a record a plain string (None dropped, long ones cut)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Normalise the record's dimensions; never drops a record."""
        for name in DIMENSIONS:
            if name not in record.__dict__:
                continue
            value = record.__dict__[name]
            if value is None:
                del record.__dict__[name]
            else:
                record.__dict__[name] = str(value)[:MAX_DIMENSION]
        return True


def ensure_telemetry(environ: Mapping[str, str] | None = None) -> bool:
    """Configure the Azure Monitor exporter once if the connection string is set; return
    whether telemetry is on."""
    env = os.environ if environ is None else environ
    connection = env.get(SETTING, "").strip()
    if not connection:
        return False
    with _lock:
        if not _state["configured"]:
            from shared.azure.monitor import configure

            # LIFEBOAT_CREDENTIAL=emulator: local runs, no Entra ID token for ingestion.
            local = env.get("LIFEBOAT_CREDENTIAL", "").strip().lower() == "emulator"
            configure(connection, DimensionFilter(), entra_id=not local)
            _state["configured"] = True
    return True


def ledger_points(items: Iterable[Mapping[str, Any]]) -> list[tuple[float, dict[str, str]]]:
    """The achieved-RPO metric points of ledger items: (seconds, attributes); items without a
    recovery point have none (their state is in the attributes of the breach count)."""
    return [
        (
            float(item["achieved_rpo_seconds"]),
            {
                "kind": str(item["kind"]),
                "resource_id": str(item["id"]),
                "state": str(item["state"]),
            },
        )
        for item in items
        if item.get("achieved_rpo_seconds") is not None
    ]


def record_ledger(items: Iterable[Mapping[str, Any]], by_state: Mapping[str, int]) -> None:
    """Record the achieved RPO per item and the items per state (a no-op while telemetry is off)."""
    if not ensure_telemetry():
        return
    from shared.azure.monitor import record_gauges

    counts = [(float(n), {"state": s}) for s, n in by_state.items()]
    record_gauges({"lifeboat.rpo.achieved_seconds": ledger_points(items),
                   "lifeboat.ledger.items": counts})  # fmt: skip


def record_copies_in_flight(lane: str, in_flight: int) -> None:
    """Record the copies in flight in one copy lane (`<subscription>_<region>`, the VM copy
    ledger's partition key) as lifeboat.copies.in_flight{subscription, region}."""
    if not ensure_telemetry():
        return
    from shared.azure.monitor import record_gauges

    subscription, _, region = lane.partition("_")
    attributes = {"subscription": subscription, "region": region}
    record_gauges({"lifeboat.copies.in_flight": [(float(in_flight), attributes)]})


def record_plan_states(states: Iterable[str]) -> None:
    """Record how many outage plans are in each state as lifeboat.plans{state}."""
    if not ensure_telemetry():
        return
    from collections import Counter

    from shared.azure.monitor import record_gauges

    counts = Counter(states)
    record_gauges({"lifeboat.plans": [(float(n), {"state": s}) for s, n in counts.items()]})


def record_drill_rto(drill_id: str, scope: str, passed: bool, rto_seconds: float | None) -> None:
    """Record a finished drill's measured RTO in the lifeboat.drill.rto_seconds histogram
    (a drill that did not pass has no RTO: nothing recorded)."""
    if rto_seconds is None or not ensure_telemetry():
        return
    from shared.azure.monitor import record_histogram

    attributes = {"drill_id": drill_id, "scope": scope, "outcome": "passed" if passed else "failed"}
    record_histogram("lifeboat.drill.rto_seconds", float(rto_seconds), attributes)
