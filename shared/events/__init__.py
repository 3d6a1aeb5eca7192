"""Raw payloads become frozen, typed events here; anything malformed raises InvalidInput."""

from __future__ import annotations

from shared.events.constants import (
    AlertSchema,
    AlertSource,
    EventSchema,
    EventType,
    IncidentType,
    Operation,
    Stage,
)
from shared.events.health import parse_alert
from shared.events.health_model import HealthAlert, ImpactedService, ResourceHealthState
from shared.events.resource import (
    ResourceEvent,
    SubscriptionValidation,
    parse_resource_event,
    parse_resource_events,
)

__all__ = [
    "AlertSchema",
    "AlertSource",
    "EventSchema",
    "EventType",
    "HealthAlert",
    "ImpactedService",
    "IncidentType",
    "Operation",
    "ResourceEvent",
    "ResourceHealthState",
    "Stage",
    "SubscriptionValidation",
    "parse_alert",
    "parse_resource_event",
    "parse_resource_events",
]
