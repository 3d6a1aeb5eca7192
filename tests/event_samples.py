"""The real alert and Event Grid samples, ready to send through the app's real entry points.

Shared by the event tests and the demo. Samples come from tests/fixtures/payloads (see
SOURCES.md there); the two published alertContext-only fragments are wrapped in the common
schema envelope with the essentials Azure's own test-action payloads carry.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter

PAYLOADS = Path(__file__).resolve().parent / "fixtures" / "payloads"

# Essentials as in Azure's published test-action payloads (azure-facts §1.1).
SERVICE_HEALTH_ESSENTIALS: dict[str, Any] = {
    "alertId": "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/providers/"
    "Microsoft.AlertsManagement/alerts/eeeeeeee-4444-5555-6666-ffffffffffff",
    "alertRule": "test-ServiceHealthAlertRule",
    "severity": "Sev4",
    "signalType": "ActivityLog",
    "monitorCondition": "Fired",
    "monitoringService": "ServiceHealth",
    "alertTargetIDs": ["/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"],
    "firedDateTime": "2019-06-24T11:31:31.7147357Z",
    "essentialsVersion": "1.0",
    "alertContextVersion": "1.0",
}
RESOURCE_HEALTH_ESSENTIALS: dict[str, Any] = {
    **SERVICE_HEALTH_ESSENTIALS,
    "alertRule": "test-ResourceHealthAlertRule",
    "signalType": "Activity Log",
    "monitoringService": "Resource Health",
    "alertTargetIDs": [
        "/subscriptions/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/resourcegroups/test-RG/"
        "providers/microsoft.compute/virtualmachines/test-VM"
    ],
    "configurationItems": ["test-VM"],
}

EVENT_GRID_SAMPLES = (
    "eventgrid_resources_ResourceActionSuccess_eventgridschema",
    "eventgrid_resources_ResourceDeleteSuccess_eventgridschema",
    "eventgrid_resources_ResourceWriteSuccess_eventgridschema",
)
CLOUD_EVENT_SAMPLES = (
    "eventgrid_resources_ResourceActionSuccess_cloudeventschema",
    "eventgrid_resources_ResourceDeleteSuccess_cloudeventschema",
    "eventgrid_resources_ResourceWriteSuccess_cloudeventschema",
)


def load(name: str) -> Any:
    """Return the parsed JSON of tests/fixtures/payloads/<name>.json."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def common_alert(alert_context: dict[str, Any], essentials: dict[str, Any] | None) -> Any:
    """Return a common-schema alert around `alert_context` (no essentials when None)."""
    data: dict[str, Any] = {"alertContext": copy.deepcopy(alert_context)}
    if essentials is not None:
        data["essentials"] = copy.deepcopy(essentials)
    return {"schemaId": "azureMonitorCommonAlertSchema", "data": data}


def alert_samples() -> dict[str, Any]:
    """Return every alert sample that is a whole payload, by name (fragments wrapped)."""
    maintenance = load("alert-common-schema_servicehealth_maintenance_alertContext")
    resource_health = load("alert-common-schema_resourcehealth_alertContext")
    legacy_two_services = load("legacy-activitylog-webhook_servicehealth_incident")
    legacy_two_services["data"]["context"]["activityLog"]["properties"]["impactedServices"] = load(
        "servicehealth_impactedServices_escaped_example"
    )["data.context.activityLog.properties.impactedServices"]
    return {
        "alert-common-schema_servicehealth_maintenance_alertContext": common_alert(
            maintenance["alertContext"], SERVICE_HEALTH_ESSENTIALS
        ),
        "alert-common-schema_resourcehealth_alertContext": common_alert(
            resource_health["alertContext"], RESOURCE_HEALTH_ESSENTIALS
        ),
        "alert-common-schema_test-action_resourcehealth": load(
            "alert-common-schema_test-action_resourcehealth"
        ),
        "legacy-activitylog-webhook_servicehealth_incident": load(
            "legacy-activitylog-webhook_servicehealth_incident"
        ),
        "servicehealth_impactedServices_escaped_example": legacy_two_services,
        "activity-log-event_servicehealth_incident": load(
            "activity-log-event_servicehealth_incident"
        ),
        "activity-log-event_resourcehealth": load("activity-log-event_resourcehealth"),
    }


def http_post(body: bytes | Any, route: str = "service-health") -> func.HttpRequest:
    """Return the POST request the Functions host would hand the HTTP trigger."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return func.HttpRequest(
        method="POST",
        url=f"http://localhost:7071/api/{route}",
        headers={"content-type": "application/json"},
        params={},
        route_params={},
        body=raw,
    )


def event_grid_event(raw: dict[str, Any]) -> func.EventGridEvent:
    """Return the EventGridEvent the host builds for one delivered event (its own converter)."""
    event = EventGridEventInConverter.decode(
        meta.Datum(json.dumps(raw), "json"), trigger_metadata={}
    )
    assert isinstance(event, func.EventGridEvent)
    return event
