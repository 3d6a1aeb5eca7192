"""The typed, frozen form of a Service Health or Resource Health alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.arm_id import ResourceId
from shared.events.constants import Stage


@dataclass(frozen=True)
class ImpactedService:
    """One entry of Service Health's `impactedServices`."""

    name: str
    """The Azure service, e.g. "Virtual Machines"."""
    regions: tuple[str, ...]
    """Programmatic region names ("eastus"); "global" for non-regional impact."""


@dataclass(frozen=True)
class ResourceHealthState:
    """The Resource Health specifics of an alert."""

    current: str | None
    """Available, Unavailable, Degraded or Unknown."""
    previous: str | None
    """The status before this event, when the payload says."""
    cause: str | None
    """UserInitiated or PlatformInitiated."""
    event_type: str | None
    """e.g. Downtime."""


@dataclass(frozen=True)
class HealthAlert:
    """A Service Health or Resource Health alert, whichever shape it arrived in."""

    source: str
    """AlertSource.SERVICE_HEALTH or AlertSource.RESOURCE_HEALTH."""
    schema: str
    """AlertSchema value of the shape it arrived in."""
    time: datetime
    """When the activity-log event happened (tz-aware)."""
    stage: str
    """properties.stage (Stage value), else the event status when the payload has no stage."""
    status: str | None
    """The activity-log event status: Active, Resolved, InProgress, Updated."""
    level: str | None
    """Critical, Error, Warning, Informational or Verbose (numbers are mapped)."""
    title: str | None
    """Human-readable title."""
    operation_name: str | None
    """e.g. Operation.SERVICE_HEALTH_INCIDENT."""
    event_id: str | None
    """eventDataId of the activity-log event."""
    correlation_id: str | None
    """correlationId of the activity-log event."""
    tracking_id: str | None
    """Service Health tracking id (the incident's public id); None for Resource Health."""
    incident_type: str | None
    """IncidentType value for Service Health; None for Resource Health."""
    impacted: tuple[ImpactedService, ...]
    """Impacted services with their regions (Service Health)."""
    regions: tuple[str, ...]
    """Every impacted region, programmatic names, in payload order, without repeats."""
    resource_id: ResourceId | None
    """The resource a Resource Health alert is about, when the payload says."""
    subscription_id: str | None
    """The subscription the alert was raised for, when the payload says."""
    monitor_condition: str | None
    """Alert-level state (Fired / Activated). Informational: it stays Fired when resolved."""
    resource_health: ResourceHealthState | None
    """Resource Health specifics; None for Service Health."""
    synthetic: bool
    """True for action-group test notifications (`IsSynthetic: "True"`)."""
    communication_id: str | None = None
    """Service Health `properties.communicationId`: one id per communication (update) of an
    incident; None for Resource Health and payloads without one."""

    @property
    def services(self) -> tuple[str, ...]:
        """Names of the impacted services, in payload order."""
        return tuple(dict.fromkeys(s.name for s in self.impacted))

    @property
    def resolved(self) -> bool:
        """True when the stage or status says the event is over (resolved, RCA, done)."""
        return self.stage in Stage.FINISHED or self.status == Stage.RESOLVED
