"""Resource Health, Service Health events, ServiceHealthResources and declared incidents."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.mgmt.resourcegraph.models import QueryRequest
from azure.mgmt.resourcehealth import ResourceHealthMgmtClient
from azure.mgmt.resourcehealth.models import AvailabilityStatus, Event

from emulator.providers import incidents
from shared.events.health import parse_alert
from tests.plugins.arm import AUTH, LifeboatEnv, arm_id, vm_resource

pytestmark = pytest.mark.emulator

VM = arm_id("virtualMachines", "web")
INCIDENT: dict[str, Any] = {
    "trackingId": "LB1-XYZ",
    "title": "Virtual Machines - East US",
    "regions": ["East US"],
    "services": ["Virtual Machines"],
    "stages": [
        {"stage": "Active", "summary": "We are investigating."},
        {"after": 600, "stage": "Active", "summary": "Update 1: mitigation in progress."},
        {"after": 3600, "stage": "Resolved", "summary": "Mitigated."},
        {"after": 7200, "stage": "RCA", "summary": "Root cause: storage scale unit."},
    ],
}


@pytest.fixture
def health(lifeboat_env: LifeboatEnv) -> ResourceHealthMgmtClient:
    env = lifeboat_env
    env.arm.seed({"resources": [vm_resource("web"), vm_resource("dr", location="westus")]})
    return ResourceHealthMgmtClient(
        env.clients.credential,
        env.subscription,
        base_url=env.arm.endpoint,
        credential_scopes=[env.arm.endpoint + "/.default"],
        connection_verify=env.arm.ca_file,
    )


def _declare(env: LifeboatEnv, spec: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(
        f"{env.arm.endpoint}/_emulator/incidents", json=spec, verify=env.arm.ca_file, timeout=10
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _status(health: ResourceHealthMgmtClient, vm: str = VM) -> AvailabilityStatus:
    return health.availability_statuses.get_by_resource(vm.lstrip("/"))


def test_a_running_vm_is_available(health: ResourceHealthMgmtClient) -> None:
    status = _status(health)
    assert isinstance(status, AvailabilityStatus)
    assert status.name == "current" and status.properties is not None
    assert status.properties.availability_state == "Available"


def test_a_vm_in_a_down_region_is_unavailable_platform_initiated_and_health_keeps_serving(
    lifeboat_env: LifeboatEnv, health: ResourceHealthMgmtClient
) -> None:
    lifeboat_env.arm.faults.region_down("eastus")
    props = _status(health).properties
    assert props is not None and props.availability_state == "Unavailable"
    assert props.context == "Platform Initiated" and props.reason_type == "Unplanned"
    dr = _status(health, arm_id("virtualMachines", "dr")).properties
    assert dr is not None and dr.availability_state == "Available"


def test_a_vm_the_customer_deallocates_is_annotated_customer_initiated(
    lifeboat_env: LifeboatEnv, health: ResourceHealthMgmtClient
) -> None:
    lifeboat_env.clients.compute(lifeboat_env.subscription).virtual_machines.begin_deallocate(
        "rg", "web"
    ).result()
    props = _status(health).properties
    assert props is not None and props.availability_state == "Unavailable"
    assert props.context == "Customer Initiated"


def test_one_declared_incident_drives_events_vm_health_and_service_health_resources(
    lifeboat_env: LifeboatEnv, health: ResourceHealthMgmtClient
) -> None:
    env = lifeboat_env
    assert _declare(env, INCIDENT)["stage"] == "Active"
    events = list(health.events.list_by_subscription_id())
    assert [e.name for e in events] == ["LB1-XYZ"]
    assert isinstance(events[0], Event) and events[0].properties is not None
    assert events[0].properties.status == "Active"
    region = events[0].properties.impact[0].impacted_regions[0]  # type: ignore[index]
    assert region.impacted_region == "East US"
    assert _status(health).properties.context == "Platform Initiated"  # type: ignore[union-attr]
    graph = env.clients.resource_graph()
    sample = (
        "ServiceHealthResources | where type =~ 'Microsoft.ResourceHealth/events' "
        "| extend eventType = tostring(properties.EventType), status = properties.Status, "
        "description = properties.Title, trackingId = properties.TrackingId, "
        "summary = properties.Summary, priority = properties.Priority, "
        "impactStartTime = properties.ImpactStartTime, "
        "impactMitigationTime = properties.ImpactMitigationTime "
        "| where eventType == 'ServiceIssue' and status == 'Active' "
        "| summarize count(subscriptionId) by name"
    )
    rows = graph.resources(QueryRequest(subscriptions=[env.subscription], query=sample)).data
    assert rows == [{"name": "LB1-XYZ", "count_subscriptionId": 1}]
    impacted = (
        "servicehealthresources | where type =~ 'microsoft.resourcehealth/events/impactedresources'"
        ' | extend TrackingId = split(split(id, "/events/", 1)[0], "/impactedResources", 0)[0],'
        " p = parse_json(properties) | project subscriptionId, TrackingId,"
        " targetResourceId = tostring(p.targetResourceId), targetRegion = tostring(p.targetRegion)"
    )
    rows = graph.resources(QueryRequest(subscriptions=[env.subscription], query=impacted)).data
    assert [(r["TrackingId"], r["targetResourceId"]) for r in rows] == [("LB1-XYZ", VM)]
    env.arm.clock.advance(3600)
    resolved = health.event.get_by_subscription_id_and_tracking_id("LB1-XYZ")
    assert resolved.properties is not None and resolved.properties.status == "Resolved"
    assert _status(health).properties.availability_state == "Available"  # type: ignore[union-attr]
    rows = graph.resources(QueryRequest(subscriptions=[env.subscription], query=sample)).data
    assert rows == []


def test_published_samples_with_datetimes_run(lifeboat_env: LifeboatEnv) -> None:
    env = lifeboat_env
    env.arm.seed({"resources": [vm_resource("web")]})
    _declare(env, INCIDENT)
    env.arm.clock.advance(3700)
    query = (
        "ServiceHealthResources | where type =~ 'Microsoft.ResourceHealth/events' "
        "| extend eventType = properties.EventType, status = properties.Status, "
        "impactMitigationTime = todatetime(tolong(properties.ImpactMitigationTime)) "
        "| where eventType == 'ServiceIssue' and impactMitigationTime < now() "
        "| project trackingId = properties.TrackingId, impactMitigationTime"
    )
    rows = env.clients.resource_graph().resources(QueryRequest(query=query)).data
    assert [r["trackingId"] for r in rows] == ["LB1-XYZ"]
    mitigated = datetime.fromisoformat(rows[0]["impactMitigationTime"].replace("Z", "+00:00"))
    assert mitigated == env.arm.clock.now() - timedelta(seconds=100)


def test_events_page_with_next_link(
    lifeboat_env: LifeboatEnv, health: ResourceHealthMgmtClient
) -> None:
    lifeboat_env.arm.page_size = 2
    for n in range(5):
        _declare(lifeboat_env, {**INCIDENT, "trackingId": f"T{n}"})
    assert sorted(e.name for e in health.events.list_by_subscription_id()) == [
        f"T{n}" for n in range(5)
    ]
    assert lifeboat_env.arm.log.count(path_contains="/events") == 3


def test_the_webhook_of_each_stage_parses_as_a_service_health_alert(
    lifeboat_env: LifeboatEnv,
) -> None:
    env = lifeboat_env
    env.arm.seed({"resources": [vm_resource("web")]})
    _declare(env, INCIDENT)
    seen = []
    communications: set[str] = set()
    for advance in (0, 600, 3000, 3600):
        env.arm.clock.advance(advance)
        payload = requests.get(
            f"{env.arm.endpoint}/_emulator/incidents/LB1-XYZ/webhook",
            verify=env.arm.ca_file,
            timeout=10,
        ).json()
        alert = parse_alert(payload)
        seen.append(alert.stage)
        assert alert.tracking_id == "LB1-XYZ" and alert.regions == ("eastus",)
        assert alert.services == ("Virtual Machines",)
        communications.add(payload["data"]["alertContext"]["properties"]["communicationId"])
    assert seen == ["Active", "Active", "Resolved", "RCA"]
    assert len(communications) == 4


def test_a_region_down_incident_takes_the_region_down_while_active(
    lifeboat_env: LifeboatEnv,
) -> None:
    env = lifeboat_env
    _declare(env, {**INCIDENT, "regionDown": True})
    assert env.arm.faults.is_region_down("eastus")
    env.arm.clock.advance(3600)
    assert not env.arm.faults.is_region_down("eastus")


def test_a_bad_incident_is_refused_and_nothing_is_declared(lifeboat_env: LifeboatEnv) -> None:
    answer = requests.post(
        f"{lifeboat_env.arm.endpoint}/_emulator/incidents",
        json={**INCIDENT, "regions": []},
        verify=lifeboat_env.arm.ca_file,
        timeout=10,
    )
    assert answer.status_code == 400 and "regions" in answer.text
    assert incidents.registry(lifeboat_env.arm.core) == {}


def _published(name: str) -> dict[str, Any]:
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"
    body: dict[str, Any] = json.loads((folder / name).read_text())["responses"]["200"]["body"]
    return body


def _raw(env: LifeboatEnv, path: str) -> dict[str, Any]:
    answer = requests.get(
        f"{env.arm.endpoint}{path}?api-version=2025-05-01",
        headers=AUTH,
        verify=env.arm.ca_file,
        timeout=10,
    )
    body: dict[str, Any] = answer.json()
    return body


def test_answers_use_only_keys_of_the_published_examples(
    lifeboat_env: LifeboatEnv, health: ResourceHealthMgmtClient
) -> None:
    env = lifeboat_env
    _declare(env, INCIDENT)
    env.arm.clock.advance(3600)
    event = _raw(
        env, f"/subscriptions/{env.subscription}/providers/Microsoft.ResourceHealth/events"
    )
    example = _published("resourcehealth_rest_example_Events_ListBySubscriptionId_2025-05-01.json")
    ours, theirs = event["value"][0], example["value"][0]
    assert set(ours) == set(theirs)
    assert set(ours["properties"]) <= set(theirs["properties"])
    impact, their_impact = ours["properties"]["impact"][0], theirs["properties"]["impact"][0]
    assert set(impact["impactedRegions"][0]) <= set(their_impact["impactedRegions"][0])
    env.arm.faults.region_down("eastus")
    status = _raw(env, VM + "/providers/Microsoft.ResourceHealth/availabilityStatuses/current")
    sample = _published(
        "resourcehealth_rest_example_AvailabilityStatuses_ListBySubscriptionId_2025-05-01.json"
    )
    assert set(status) == set(sample["value"][0])
    known = set(sample["value"][0]["properties"]) | set(sample["value"][1]["properties"])
    assert set(status["properties"]) <= known
