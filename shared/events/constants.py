"""Names Azure puts in events and alerts: event types, operation names, sources, stages."""

from __future__ import annotations

from typing import Final


class EventType:
    """Event Grid event types of Azure Resource Manager (subscription / group system topics)."""

    RESOURCE_WRITE_SUCCESS: Final = "Microsoft.Resources.ResourceWriteSuccess"
    RESOURCE_WRITE_FAILURE: Final = "Microsoft.Resources.ResourceWriteFailure"
    RESOURCE_WRITE_CANCEL: Final = "Microsoft.Resources.ResourceWriteCancel"
    RESOURCE_DELETE_SUCCESS: Final = "Microsoft.Resources.ResourceDeleteSuccess"
    RESOURCE_DELETE_FAILURE: Final = "Microsoft.Resources.ResourceDeleteFailure"
    RESOURCE_DELETE_CANCEL: Final = "Microsoft.Resources.ResourceDeleteCancel"
    RESOURCE_ACTION_SUCCESS: Final = "Microsoft.Resources.ResourceActionSuccess"
    RESOURCE_ACTION_FAILURE: Final = "Microsoft.Resources.ResourceActionFailure"
    RESOURCE_ACTION_CANCEL: Final = "Microsoft.Resources.ResourceActionCancel"
    SUBSCRIPTION_VALIDATION: Final = "Microsoft.EventGrid.SubscriptionValidationEvent"

    ALL_RESOURCE: Final = (
        RESOURCE_WRITE_SUCCESS,
        RESOURCE_WRITE_FAILURE,
        RESOURCE_WRITE_CANCEL,
        RESOURCE_DELETE_SUCCESS,
        RESOURCE_DELETE_FAILURE,
        RESOURCE_DELETE_CANCEL,
        RESOURCE_ACTION_SUCCESS,
        RESOURCE_ACTION_FAILURE,
        RESOURCE_ACTION_CANCEL,
    )


class Operation:
    """ARM operation names (`data.operationName`) Lifeboat knows. Compare them caselessly."""

    IMAGE_TEMPLATE_RUN: Final = "Microsoft.VirtualMachineImages/imageTemplates/run/action"
    IMAGE_TEMPLATE_WRITE: Final = "Microsoft.VirtualMachineImages/imageTemplates/write"
    IMAGE_TEMPLATE_DELETE: Final = "Microsoft.VirtualMachineImages/imageTemplates/delete"
    GALLERY_IMAGE_VERSION_WRITE: Final = "Microsoft.Compute/galleries/images/versions/write"
    VM_WRITE: Final = "Microsoft.Compute/virtualMachines/write"
    DISK_WRITE: Final = "Microsoft.Compute/disks/write"

    SERVICE_HEALTH_INCIDENT: Final = "Microsoft.ServiceHealth/incident/action"
    SERVICE_HEALTH_MAINTENANCE: Final = "Microsoft.ServiceHealth/maintenance/action"
    RESOURCE_HEALTH_ACTIVATED: Final = "Microsoft.Resourcehealth/healthevent/Activated/action"


class EventSchema:
    """The envelope an Event Grid event arrived in."""

    EVENT_GRID: Final = "EventGridSchema"
    CLOUD_EVENTS: Final = "CloudEventSchemaV1_0"


class AlertSource:
    """Which Azure service raised a health alert (the values our HTTP contract answers)."""

    SERVICE_HEALTH: Final = "ServiceHealth"
    RESOURCE_HEALTH: Final = "ResourceHealth"


class AlertSchema:
    """Payload shape a health alert arrived in."""

    COMMON: Final = "azureMonitorCommonAlertSchema"
    LEGACY_ACTIVITY_LOG: Final = "Microsoft.Insights/activityLogs"
    ACTIVITY_LOG_EVENT: Final = "ActivityLogEvent"


class IncidentType:
    """Service Health `properties.incidentType` values."""

    INCIDENT: Final = "Incident"
    MAINTENANCE: Final = "Maintenance"
    INFORMATIONAL: Final = "Informational"
    ACTION_REQUIRED: Final = "ActionRequired"
    SECURITY: Final = "Security"


class Stage:
    """Service Health `properties.stage` values (and Resource Health event statuses)."""

    ACTIVE: Final = "Active"
    RESOLVED: Final = "Resolved"
    RCA: Final = "RCA"
    PLANNED: Final = "Planned"
    IN_PROGRESS: Final = "InProgress"
    CANCELED: Final = "Canceled"
    RESCHEDULED: Final = "Rescheduled"
    COMPLETE: Final = "Complete"
    UPDATED: Final = "Updated"

    # Stages after which the event no longer affects anything.
    FINISHED: Final = frozenset({RESOLVED, RCA, CANCELED, COMPLETE})


def _canonical_map(*names: str) -> dict[str, str]:
    return {n.lower(): n for n in names}


def squash(text: str) -> str:
    """Return `text` lower-cased without spaces or underscores, for tolerant comparisons."""
    return text.replace(" ", "").replace("_", "").lower()


# Azure spells these with and without spaces ("Resource Health", "Activity Log"); compare squashed.
SOURCE_NAMES: Final = {
    "servicehealth": AlertSource.SERVICE_HEALTH,
    "resourcehealth": AlertSource.RESOURCE_HEALTH,
}
# The published common-schema sample sends enums as numbers; the same sample elsewhere
# sends `eventSource: "ServiceHealth"` for 2. No published sample shows Resource Health's number.
EVENT_SOURCE_NUMBERS: Final = {2: AlertSource.SERVICE_HEALTH}
# Microsoft.Azure.Insights EventLevel ordinal order; the sample's level 3 is "Informational".
LEVEL_NUMBERS: Final = {0: "Critical", 1: "Error", 2: "Warning", 3: "Informational", 4: "Verbose"}
LEVELS: Final = _canonical_map("Critical", "Error", "Warning", "Informational", "Verbose")
INCIDENT_TYPES: Final = {
    **_canonical_map(
        IncidentType.INCIDENT,
        IncidentType.MAINTENANCE,
        IncidentType.INFORMATIONAL,
        IncidentType.ACTION_REQUIRED,
        IncidentType.SECURITY,
    ),
    # The Service Health notifications doc also calls the informational class "Information".
    "information": IncidentType.INFORMATIONAL,
}
STAGES: Final = {
    squash(s): s
    for s in (
        Stage.ACTIVE,
        Stage.RESOLVED,
        Stage.RCA,
        Stage.PLANNED,
        Stage.IN_PROGRESS,
        Stage.CANCELED,
        Stage.RESCHEDULED,
        Stage.COMPLETE,
        Stage.UPDATED,
    )
} | {"cancelled": Stage.CANCELED, "completed": Stage.COMPLETE}
