"""Health alerts: every published shape and variation becomes one typed HealthAlert."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.errors import InvalidInput
from shared.events import AlertSchema, AlertSource, HealthAlert, IncidentType, Stage, parse_alert
from shared.services.service_health import affects_protected_region
from tests.event_samples import (
    RESOURCE_HEALTH_ESSENTIALS,
    SERVICE_HEALTH_ESSENTIALS,
    alert_samples,
    common_alert,
    load,
)

SAMPLES = alert_samples()


def _maintenance_context() -> dict[str, Any]:
    ctx: dict[str, Any] = load("alert-common-schema_servicehealth_maintenance_alertContext")[
        "alertContext"
    ]
    return ctx


def _legacy() -> dict[str, Any]:
    body: dict[str, Any] = load("legacy-activitylog-webhook_servicehealth_incident")
    return body


def _legacy_props(body: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = body["data"]["context"]["activityLog"]["properties"]
    return props


# ---- every sample, with its field values -------------------------------------------------


def test_common_schema_service_health_maintenance_with_numeric_enums() -> None:
    alert = parse_alert(SAMPLES["alert-common-schema_servicehealth_maintenance_alertContext"])

    assert alert.source == AlertSource.SERVICE_HEALTH
    assert alert.schema == AlertSchema.COMMON
    assert alert.incident_type == IncidentType.MAINTENANCE
    assert alert.stage == Stage.PLANNED
    assert alert.status == "Active"
    assert alert.level == "Informational"  # sent as the number 3
    assert alert.tracking_id == "<GUID>"
    assert alert.services == ("Azure Synapse Analytics",)
    assert alert.regions == ("eastus",)
    assert alert.operation_name == "Microsoft.ServiceHealth/maintenance/action"
    assert alert.correlation_id == "bbbb1111-cc22-3333-44dd-555555eeeeee"
    assert alert.time == datetime(2019, 6, 24, 11, 31, 19, 31269, tzinfo=UTC)
    assert alert.subscription_id == "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
    assert alert.resource_id is None
    assert alert.resource_health is None
    assert alert.monitor_condition == "Fired"
    assert not alert.resolved


def test_common_schema_resource_health_fragment_names_the_vm() -> None:
    alert = parse_alert(SAMPLES["alert-common-schema_resourcehealth_alertContext"])

    assert alert.source == AlertSource.RESOURCE_HEALTH
    assert alert.stage == Stage.ACTIVE  # no properties.stage: the status stands in
    assert alert.tracking_id is None
    assert alert.incident_type is None
    assert alert.regions == ()
    assert alert.title is not None
    assert alert.title.startswith("This virtual machine is stopping")
    assert alert.resource_health is not None
    assert alert.resource_health.current == "Unavailable"
    assert alert.resource_health.previous == "Available"
    assert alert.resource_health.cause == "UserInitiated"
    assert alert.resource_health.event_type == "Downtime"
    assert alert.resource_id is not None
    assert alert.resource_id.name == "test-VM"
    assert alert.time == datetime(2019, 6, 24, 15, 42, 54, 74000, tzinfo=UTC)


def test_common_schema_resource_health_test_action_with_spaced_monitoring_service() -> None:
    alert = parse_alert(SAMPLES["alert-common-schema_test-action_resourcehealth"])

    assert alert.source == AlertSource.RESOURCE_HEALTH  # "Resource Health", with a space
    assert alert.schema == AlertSchema.COMMON
    assert alert.stage == Stage.ACTIVE
    assert alert.level == "Informational"
    assert alert.title == "Rebooted by user"
    assert alert.event_id == "dddd3333-ee44-5555-66ff-777777aaaaaa"
    assert alert.resource_id is not None
    assert alert.resource_id.is_type("Microsoft.Compute/virtualMachines")
    assert alert.resource_id.resource_group == "test-RG"
    assert alert.subscription_id == "aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e"
    assert alert.time == datetime(2025, 4, 15, 18, 19, 45, 304000, tzinfo=UTC)


def test_legacy_webhook_service_health_incident() -> None:
    alert = parse_alert(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    assert alert.source == AlertSource.SERVICE_HEALTH
    assert alert.schema == AlertSchema.LEGACY_ACTIVITY_LOG
    assert alert.tracking_id == "0NIH-U2O"
    assert alert.incident_type == IncidentType.INCIDENT
    assert alert.stage == Stage.ACTIVE
    assert alert.services == ("Virtual Machines",)
    assert alert.regions == ("australiaeast",)
    assert alert.subscription_id == "cccc2c2c-dd3d-ee4e-ff5f-aaaaaa6a6a6a"
    assert alert.monitor_condition == "Activated"
    assert alert.event_id == "6fa98c0f-334a-b066-1934-1a4b3d929856"
    assert alert.time == datetime(2017, 10, 18, 23, 49, 25, 373608, tzinfo=UTC)


def test_escaped_impacted_services_with_two_services_and_regions() -> None:
    alert = parse_alert(SAMPLES["servicehealth_impactedServices_escaped_example"])

    assert alert.services == ("Alerts & Metrics", "App Service")
    assert [s.regions for s in alert.impacted] == [
        ("australiaeast", "australiasoutheast"),
        ("australiasoutheast",),
    ]
    assert alert.regions == ("australiaeast", "australiasoutheast")


def test_activity_log_event_service_health_with_value_objects() -> None:
    alert = parse_alert(SAMPLES["activity-log-event_servicehealth_incident"])

    assert alert.source == AlertSource.SERVICE_HEALTH
    assert alert.schema == AlertSchema.ACTIVITY_LOG_EVENT
    assert alert.operation_name == "Microsoft.ServiceHealth/incident/action"
    assert alert.status == "Active"
    assert alert.level == "Warning"
    assert alert.tracking_id == "NA0F-BJG"
    assert alert.services == ("Service Fabric",)
    assert alert.regions == ("uksouth",)


def test_activity_log_event_resource_health_reads_health_event_names() -> None:
    alert = parse_alert(SAMPLES["activity-log-event_resourcehealth"])

    assert alert.source == AlertSource.RESOURCE_HEALTH
    assert alert.level == "Critical"
    assert alert.resource_health is not None
    assert alert.resource_health.current == "Unavailable"
    assert alert.resource_health.cause == "PlatformInitiated"
    assert alert.resource_health.event_type == "Downtime"
    assert alert.resource_id is not None
    assert alert.resource_id.is_type("Microsoft.Compute/virtualMachines")


def test_metric_alert_is_not_a_health_alert() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_alert(load("alert-common-schema_full_metric_resolved"))

    assert info.value.field == "data.essentials.monitoringService"
    assert "Platform" in info.value.message


# ---- variations (azure-facts §1) ----------------------------------------------------------


def test_numeric_and_string_enums_give_the_same_alert() -> None:
    ctx = _maintenance_context()
    named = {**ctx, "eventSource": "ServiceHealth", "level": "Informational", "channels": "Admin"}

    numeric = parse_alert(common_alert(ctx, None))
    strings = parse_alert(common_alert(named, None))

    assert numeric == strings
    assert numeric.source == AlertSource.SERVICE_HEALTH  # eventSource 2, no essentials


def test_impacted_services_as_array_equals_the_escaped_string() -> None:
    escaped = _legacy()
    as_array = _legacy()
    props = _legacy_props(as_array)
    props["impactedServices"] = json.loads(props["impactedServices"])

    assert parse_alert(as_array) == parse_alert(escaped)


def test_test_action_shape_resolved_by_stage_while_monitor_condition_stays_fired() -> None:
    ctx = _maintenance_context()
    ctx["properties"].update(
        incidentType="Incident",
        stage="Resolved",
        region="Global",
        IsSynthetic="True",
        impactType="SubscriptionList",
        impactedServices=[
            {"ImpactedRegions": [{"RegionName": "Global"}], "ServiceName": "Azure Service Name"}
        ],
    )
    ctx["status"] = "Resolved"

    alert = parse_alert(common_alert(ctx, SERVICE_HEALTH_ESSENTIALS))

    assert alert.monitor_condition == "Fired"
    assert alert.stage == Stage.RESOLVED
    assert alert.resolved
    assert alert.regions == ("global",)
    assert alert.synthetic


def test_region_display_names_become_programmatic_names() -> None:
    body = _legacy()
    _legacy_props(body)["impactedServices"] = [
        {
            "ServiceName": "Virtual Machines",
            "ImpactedRegions": [
                {"RegionName": "West US 2"},
                {"RegionName": "(Europe) North Europe"},
                {"RegionName": "eastus"},
                {"RegionName": "East US"},
            ],
        }
    ]

    assert parse_alert(body).regions == ("westus2", "northeurope", "eastus")


@pytest.mark.parametrize(
    ("incident_type", "stages"),
    [
        ("Incident", ["Active", "Resolved", "RCA"]),
        ("Security", ["Active", "Resolved", "RCA"]),
        ("ActionRequired", ["Active"]),
        ("Informational", ["Active"]),
        (
            "Maintenance",
            ["Active", "Planned", "InProgress", "Canceled", "Rescheduled", "Resolved", "Complete"],
        ),
    ],
)
def test_every_incident_type_and_stage_is_read(incident_type: str, stages: list[str]) -> None:
    finished = {"Resolved", "RCA", "Canceled", "Complete"}
    for stage in stages:
        body = _legacy()
        _legacy_props(body).update(incidentType=incident_type.lower(), stage=stage.upper())

        alert = parse_alert(body)

        assert (alert.incident_type, alert.stage) == (incident_type, stage)
        assert alert.resolved == (stage in finished)


def test_information_is_read_as_informational() -> None:
    body = _legacy()
    _legacy_props(body)["incidentType"] = "Information"

    assert parse_alert(body).incident_type == IncidentType.INFORMATIONAL


def test_unknown_stage_is_kept_as_sent() -> None:
    body = _legacy()
    _legacy_props(body)["stage"] = "Mitigated"

    alert = parse_alert(body)

    assert alert.stage == "Mitigated"
    assert not alert.resolved


@pytest.mark.parametrize("service", ["Resource Health", "ResourceHealth", "resourcehealth"])
@pytest.mark.parametrize("signal", ["Activity Log", "ActivityLog", None])
def test_monitoring_service_and_signal_type_spellings(service: str, signal: str | None) -> None:
    body = copy.deepcopy(SAMPLES["alert-common-schema_test-action_resourcehealth"])
    body["data"]["essentials"].update(monitoringService=service, signalType=signal)

    assert parse_alert(body).source == AlertSource.RESOURCE_HEALTH


def test_resource_health_event_source_is_used_when_essentials_are_missing() -> None:
    ctx = load("alert-common-schema_resourcehealth_alertContext")["alertContext"]

    alert = parse_alert(common_alert(ctx, None))

    assert alert.source == AlertSource.RESOURCE_HEALTH
    assert alert.resource_id is None


def test_missing_stage_falls_back_to_status() -> None:
    body = _legacy()
    del _legacy_props(body)["stage"]

    assert parse_alert(body).stage == Stage.ACTIVE


def test_missing_impacted_services_falls_back_to_service_and_region() -> None:
    body = _legacy()
    _legacy_props(body)["impactedServices"] = None

    alert = parse_alert(body)

    assert alert.services == ("Virtual Machines",)
    assert alert.regions == ("australiaeast",)


def test_no_impact_fields_at_all_gives_no_regions() -> None:
    body = _legacy()
    for key in ("impactedServices", "service", "region"):
        del _legacy_props(body)[key]

    alert = parse_alert(body)

    assert (alert.services, alert.regions) == ((), ())


def test_null_optional_fields_are_none() -> None:
    ctx = _maintenance_context()
    ctx.update(level=None, correlationId=None, eventDataId=None, operationName=None)
    ctx["properties"]["title"] = None

    alert = parse_alert(common_alert(ctx, SERVICE_HEALTH_ESSENTIALS))

    assert (alert.level, alert.correlation_id, alert.event_id, alert.operation_name) == (
        None,
        None,
        None,
        None,
    )
    assert alert.title is None


def test_missing_event_timestamp_falls_back_to_fired_time() -> None:
    ctx = _maintenance_context()
    del ctx["eventTimestamp"]

    alert = parse_alert(common_alert(ctx, SERVICE_HEALTH_ESSENTIALS))

    assert alert.time == datetime(2019, 6, 24, 11, 31, 31, 714735, tzinfo=UTC)


def test_alert_is_frozen_and_hashable() -> None:
    alert = parse_alert(SAMPLES["legacy-activitylog-webhook_servicehealth_incident"])

    assert isinstance(alert, HealthAlert)
    assert hash(alert) == hash(parse_alert(_legacy()))


# ---- malformed alerts name the field -----------------------------------------------------


def _common(mutate: Any, essentials: dict[str, Any] | None = SERVICE_HEALTH_ESSENTIALS) -> Any:
    body = common_alert(_maintenance_context(), essentials)
    mutate(body)
    return body


def _legacy_mutated(mutate: Any) -> Any:
    body = _legacy()
    mutate(body)
    return body


CTX = "data.alertContext"
LOG = "data.context.activityLog"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([1, 2], "body"),
        ({"hello": "world"}, "schemaId"),
        ({"schemaId": "somethingElse", "data": {}}, "schemaId"),
        ({"schemaId": "azureMonitorCommonAlertSchema"}, "data"),
        ({"schemaId": "azureMonitorCommonAlertSchema", "data": {}}, "data.alertContext"),
        (_common(lambda b: b["data"].update(essentials=[])), "data.essentials"),
        (
            _common(lambda b: b["data"]["essentials"].update(monitoringService=5)),
            "data.essentials.monitoringService",
        ),
        (
            _common(lambda b: b["data"]["alertContext"].update(eventSource=9), None),
            f"{CTX}.eventSource",
        ),
        (
            _common(lambda b: b["data"]["alertContext"].pop("eventSource"), None),
            f"{CTX}.eventSource",
        ),
        (
            _common(lambda b: b["data"]["essentials"].update(alertTargetIDs="x")),
            "data.essentials.alertTargetIDs",
        ),
        (
            _common(lambda b: b["data"]["essentials"].update(alertTargetIDs=["nope"])),
            "data.essentials.alertTargetIDs[0]",
        ),
        (
            _common(lambda b: b["data"]["alertContext"]["properties"].pop("trackingId")),
            f"{CTX}.properties.trackingId",
        ),
        (
            _common(lambda b: b["data"]["alertContext"]["properties"].update(incidentType=1)),
            f"{CTX}.properties.incidentType",
        ),
        (
            _common(
                lambda b: b["data"]["alertContext"]["properties"].update(impactedServices="[{")
            ),
            f"{CTX}.properties.impactedServices",
        ),
        (
            _common(
                lambda b: b["data"]["alertContext"]["properties"].update(impactedServices="{}")
            ),
            f"{CTX}.properties.impactedServices",
        ),
        (
            _common(
                lambda b: b["data"]["alertContext"]["properties"].update(
                    impactedServices=[
                        {"ServiceName": "VMs", "ImpactedRegions": [{"RegionName": 5}]}
                    ]
                )
            ),
            f"{CTX}.properties.impactedServices[0].ImpactedRegions[0].RegionName",
        ),
        (
            _common(
                lambda b: b["data"]["alertContext"]["properties"].update(
                    impactedServices=[{"ServiceName": None}]
                )
            ),
            f"{CTX}.properties.impactedServices[0].ServiceName",
        ),
        (
            _common(lambda b: b["data"]["alertContext"].update(eventTimestamp="soon")),
            f"{CTX}.eventTimestamp",
        ),
        (
            _common(lambda b: b["data"]["alertContext"].update(properties="x")),
            f"{CTX}.properties",
        ),
        (
            _common(
                lambda b: (
                    b["data"]["alertContext"].pop("status"),
                    b["data"]["alertContext"]["properties"].pop("stage"),
                )
            ),
            f"{CTX}.properties.stage",
        ),
        (
            _legacy_mutated(
                lambda b: b["data"]["context"]["activityLog"].update(eventSource="Administrative")
            ),
            f"{LOG}.eventSource",
        ),
        (_legacy_mutated(lambda b: b["data"]["context"].pop("activityLog")), f"{LOG}"),
        (
            _legacy_mutated(
                lambda b: b["data"]["context"]["activityLog"]["properties"].update(
                    region=3, impactedServices=None
                )
            ),
            f"{LOG}.properties.region",
        ),
        ({"category": {"value": "Administrative"}}, "category.value"),
        ({"category": {"value": None}}, "category.value"),
    ],
)
def test_malformed_alert_names_the_field(body: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_alert(body)

    assert info.value.field == field


def test_region_fallback_error_names_the_region_field_only_when_used() -> None:
    body = _legacy()
    _legacy_props(body)["impactedServices"] = None
    _legacy_props(body)["region"] = "East US; drop table"

    with pytest.raises(InvalidInput) as info:
        parse_alert(body)

    assert info.value.field == f"{LOG}.properties.region"


def test_resource_health_essentials_fixture_matches_published_test_action() -> None:
    published = load("alert-common-schema_test-action_resourcehealth")["data"]["essentials"]

    for key in ("monitoringService", "signalType", "alertTargetIDs", "severity"):
        assert RESOURCE_HEALTH_ESSENTIALS[key] == published[key]


# ---- the protected-region decision -------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "protected", "affected"),
    [
        (("eastus",), ("eastus",), True),
        (("australiaeast", "eastus"), ("westeurope", "eastus"), True),
        (("australiaeast",), ("eastus",), False),
        (("global",), ("eastus",), True),
        (("global",), (), False),
        ((), ("eastus",), False),
    ],
)
def test_region_overlap_decides_whether_a_protected_region_is_affected(
    regions: tuple[str, ...], protected: tuple[str, ...], affected: bool
) -> None:
    assert affects_protected_region(regions, protected) is affected
