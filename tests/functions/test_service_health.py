"""POST /api/service-health through the real entry point with func.HttpRequest."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.service_health import service_health
from shared import bootstrap
from tests.event_samples import (
    SERVICE_HEALTH_ESSENTIALS,
    alert_samples,
    common_alert,
    http_post,
    load,
)
from tests.support.fakes import (
    InMemoryBackupStore,
    InMemoryLedgerStore,
    InMemoryPlanStore,
    InMemoryRecordStore,
)
from tests.unit.test_events_fuzz import json_values, mutated

SAMPLES = alert_samples()


def _fresh() -> None:
    """Re-read settings; the ledger, plans and records are in-memory and empty (nothing is
    protected, so an incident is recorded and plans nothing)."""
    bootstrap.configure(
        ledger=InMemoryLedgerStore(),
        plans=InMemoryPlanStore(),
        records=InMemoryRecordStore(),
        backups=InMemoryBackupStore(),
    )


@pytest.fixture(autouse=True)
def primary_eastus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Protect eastus (the maintenance sample's region), nothing in Australia or the UK."""
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "eastus")
    _fresh()
    yield
    bootstrap.reset()


def _post(body: Any) -> tuple[int, dict[str, Any]]:
    response: func.HttpResponse = service_health(http_post(body))
    assert response.mimetype == "application/json"
    return response.status_code, json.loads(response.get_body())


EXPECTED = {
    "alert-common-schema_servicehealth_maintenance_alertContext": {
        "source": "ServiceHealth",
        "trackingId": "<GUID>",
        "incidentType": "Maintenance",
        "stage": "Planned",
        "status": "Active",
        "services": ["Azure Synapse Analytics"],
        "regions": ["eastus"],
        "affectsProtectedRegion": True,
        "action": "none",
    },
    "legacy-activitylog-webhook_servicehealth_incident": {
        "source": "ServiceHealth",
        "trackingId": "0NIH-U2O",
        "incidentType": "Incident",
        "stage": "Active",
        "status": "Active",
        "services": ["Virtual Machines"],
        "regions": ["australiaeast"],
        "affectsProtectedRegion": False,
        "action": "none",
    },
    "servicehealth_impactedServices_escaped_example": {
        "source": "ServiceHealth",
        "trackingId": "0NIH-U2O",
        "incidentType": "Incident",
        "stage": "Active",
        "status": "Active",
        "services": ["Alerts & Metrics", "App Service"],
        "regions": ["australiaeast", "australiasoutheast"],
        "affectsProtectedRegion": False,
        "action": "none",
    },
    "activity-log-event_servicehealth_incident": {
        "source": "ServiceHealth",
        "trackingId": "NA0F-BJG",
        "incidentType": "Incident",
        "stage": "Active",
        "status": "Active",
        "services": ["Service Fabric"],
        "regions": ["uksouth"],
        "affectsProtectedRegion": False,
        "action": "none",
    },
}
RESOURCE_HEALTH = {
    "source": "ResourceHealth",
    "trackingId": None,
    "incidentType": None,
    "stage": "Active",
    "status": "Active",
    "services": [],
    "regions": [],
    "affectsProtectedRegion": False,
    "action": "none",
}
for _name in SAMPLES:
    if "resourcehealth" in _name:
        EXPECTED[_name] = RESOURCE_HEALTH


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_answers_200_with_the_decision(name: str) -> None:
    assert _post(SAMPLES[name]) == (200, EXPECTED[name])


def test_global_incident_affects_every_protected_region() -> None:
    ctx = load("alert-common-schema_servicehealth_maintenance_alertContext")["alertContext"]
    ctx["properties"]["impactedServices"] = [
        {"ImpactedRegions": [{"RegionName": "Global"}], "ServiceName": "Microsoft Entra ID"}
    ]

    status, body = _post(common_alert(ctx, SERVICE_HEALTH_ESSENTIALS))

    assert status == 200
    assert body["regions"] == ["global"]
    assert body["affectsProtectedRegion"] is True


def test_nothing_is_affected_when_no_region_is_protected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIFEBOAT_PRIMARY_REGIONS")
    _fresh()

    status, body = _post(SAMPLES["alert-common-schema_servicehealth_maintenance_alertContext"])

    assert (status, body["affectsProtectedRegion"]) == (200, False)


def test_display_name_in_settings_matches_programmatic_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "Australia East, westeurope")
    monkeypatch.setenv("LIFEBOAT_DR_RESOURCE_GROUP", "lifeboat-dr-{region}")  # two DR regions
    _fresh()

    _, body = _post(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    assert body["affectsProtectedRegion"] is True


def test_resolved_incident_reports_resolved_stage_not_monitor_condition() -> None:
    body = copy.deepcopy(SAMPLES["alert-common-schema_servicehealth_maintenance_alertContext"])
    body["data"]["alertContext"]["properties"]["stage"] = "Resolved"
    body["data"]["alertContext"]["status"] = "Resolved"

    status, answer = _post(body)

    assert body["data"]["essentials"]["monitorCondition"] == "Fired"
    assert (status, answer["stage"], answer["status"]) == (200, "Resolved", "Resolved")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"{not json", "body"),
        (b"\xff\xfe\xfa", "body"),
        (b"[" * 100_000 + b"]" * 100_000, "body"),
        (b"42", "body"),
        (b'{"hello": "world"}', "schemaId"),
        (json.dumps(load("alert-common-schema_full_metric_resolved")).encode(), "data.essentials"),
    ],
)
def test_bad_body_answers_400_naming_the_field(raw: bytes, field: str) -> None:
    status, body = _post(raw)

    assert status == 400
    assert body["error"].startswith(field)


def test_malformed_alert_answers_400_naming_the_nested_field() -> None:
    body = copy.deepcopy(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])
    body["data"]["context"]["activityLog"]["properties"]["impactedServices"] = "[{oops"

    status, answer = _post(body)

    assert status == 400
    assert answer == {
        "error": "data.context.activityLog.properties.impactedServices: "
        "a string, but not valid escaped JSON"
    }


def test_bad_input_is_400_even_when_settings_are_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "not a region!")
    _fresh()

    assert _post(b"{}")[0] == 400


def test_settings_error_is_500_with_the_setting_in_the_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("LIFEBOAT_PRIMARY_REGIONS", "not a region!")
    _fresh()

    with caplog.at_level(logging.ERROR, logger="functions.http"):
        status, body = _post(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    assert status == 500
    assert "misconfigured" in body["error"]
    assert "LIFEBOAT_PRIMARY_REGIONS" in caplog.text


def test_log_line_names_the_decision_but_not_the_payload(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="functions.service_health"):
        _post(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    assert "0NIH-U2O" in caplog.text
    assert "Dv2 Promo" not in caplog.text  # the communication text stays out of logs


HTTP_FUZZ = settings(
    derandomize=True,
    max_examples=100,
    deadline=None,
    database=None,
    # The autouse env fixture is the same for every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HTTP_FUZZ
@given(mutated(list(SAMPLES.values())))
def test_mutated_alert_never_answers_5xx(body: Any) -> None:
    status, answer = _post(body)

    assert status in (200, 400)
    assert ("error" in answer) == (status == 400)


@HTTP_FUZZ
@given(st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()))
def test_random_bytes_and_json_never_answer_5xx(raw: bytes) -> None:
    assert _post(raw)[0] in (200, 400)


def test_log_line_uses_the_response_field_name_the_docs_tell_users_to_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="functions.service_health"):
        _, body = _post(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    flag = str(body["affectsProtectedRegion"]).lower()
    assert f"affectsProtectedRegion={flag}" in caplog.text
    assert "affects_protected=" not in caplog.text
