"""The telemetry metrics are recorded where the work happens: copy admission (VM protection),
the status route's outages section, and a drill's evidence step — on the emulator and Azurite.

Export is swapped for an in-memory OpenTelemetry reader (the wire format to App Insights is
covered in tests/unit/test_telemetry.py against a loopback ingestion endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from functions.status import status
from shared import telemetry
from shared.azure import monitor
from shared.bootstrap import get_deps
from shared.drills.evidence import record_name
from shared.drills.service import submit_followup
from tests.functional.test_outages import INCIDENT, _alert, _declare, _protected_estate, _webhook
from tests.support.drills import DRILL, followup, seed_drill
from tests.support.images import driver
from tests.support.vms import SUB, tagged_vm, vm_id
from tests.support.vms import post as protect

pytestmark = [pytest.mark.azurite, pytest.mark.emulator]


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryMetricReader]:
    """Telemetry on (the setting set, export configured) with metrics read in memory."""
    memory = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[memory])
    monkeypatch.setenv(telemetry.SETTING, "InstrumentationKey=00000000-0000-0000-0000-000000000001")
    monkeypatch.setitem(telemetry._state, "configured", True)
    monkeypatch.setattr(monitor, "_gauges", {})
    monkeypatch.setattr(monitor, "_histograms", {})
    monkeypatch.setattr(metrics, "get_meter", provider.get_meter)
    yield memory
    provider.shutdown()


def _points(memory: InMemoryMetricReader, name: str) -> list[Any]:
    data = memory.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def test_copy_admission_records_copies_in_flight_per_subscription_and_region(
    lifeboat_env: Any, reader: InMemoryMetricReader
) -> None:
    arm = lifeboat_env.arm
    arm.seed({"resources": [tagged_vm("web1", data_disks=2)]})
    assert protect({"vmId": vm_id("web1")})[0] == 202
    with driver(arm) as d:
        assert d.run() is True
    (point,) = _points(reader, "lifeboat.copies.in_flight")
    assert dict(point.attributes) == {"subscription": SUB.lower(), "region": "westus"}
    assert point.value == 0  # every copy of the set ended: the lane is empty again


def test_the_status_route_records_plans_per_state(
    lifeboat_env: Any, reader: InMemoryMetricReader
) -> None:
    _protected_estate(lifeboat_env, "web1")
    lifeboat_env.arm.faults.region_down("eastus")
    _declare(lifeboat_env, INCIDENT)
    assert _alert(_webhook(lifeboat_env))[1]["action"] == "awaiting_approval"
    response = status(func.HttpRequest("GET", "http://localhost/api/status", body=b""))
    assert response.status_code == 200
    assert json.loads(response.get_body())["outages"]["pending_approvals"]
    points = _points(reader, "lifeboat.plans")
    assert {p.attributes["state"]: p.value for p in points} == {"awaiting_approval": 1}


def test_a_drill_records_its_rto_when_its_evidence_is_kept(
    lifeboat_env: Any, reader: InMemoryMetricReader
) -> None:
    arm = lifeboat_env.arm
    seed_drill(arm, ("web1",))
    with driver(arm) as d:
        submit_followup(get_deps(), followup(arm, ("web1",), window=timedelta(minutes=5)))
        assert d.run() is True
    doc = get_deps().records.get(record_name(DRILL))
    assert doc is not None and doc["passed"] is True
    (point,) = _points(reader, "lifeboat.drill.rto_seconds")
    assert point.attributes["drill_id"] == DRILL
    assert point.attributes["outcome"] == "passed"
    assert (point.count, point.sum) == (1, doc["rtoSeconds"])
