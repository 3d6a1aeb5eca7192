"""ARM resource events from Event Grid (Event Grid schema or CloudEvents 1.0) as typed events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.events._fields import (
    Json,
    as_object,
    kind,
    object_at,
    optional_str,
    parse_time,
    path,
    required_str,
    shown,
)
from shared.events.constants import EventSchema, EventType
from shared.text import require_encodable_json


@dataclass(frozen=True)
class ResourceEvent:
    """One ARM resource event (ResourceWriteSuccess, ResourceActionFailure, ...)."""

    event_id: str
    """Event Grid's id for the event; redeliveries of one event share it."""
    event_type: str
    """`eventType` / `type`, e.g. EventType.RESOURCE_WRITE_SUCCESS."""
    subject: ResourceId
    """The resource the operation targeted."""
    operation_name: str
    """`data.operationName`, e.g. Operation.IMAGE_TEMPLATE_RUN (compare caselessly)."""
    time: datetime
    """When the event happened (tz-aware)."""
    status: str | None
    """`data.status`: Succeeded, Failed, Canceled."""
    correlation_id: str | None
    """`data.correlationId`; links the events of one deployment or request."""
    resource_provider: str | None
    """`data.resourceProvider`, e.g. Microsoft.Compute."""
    subscription_id: str | None
    """`data.subscriptionId`."""
    topic: str | None
    """The system topic (`topic` / CloudEvents `source`)."""
    schema: str
    """EventSchema.EVENT_GRID or EventSchema.CLOUD_EVENTS."""

    def is_type(self, event_type: str) -> bool:
        """True when this event's type equals `event_type`, compared caselessly."""
        return self.event_type.lower() == event_type.lower()


@dataclass(frozen=True)
class SubscriptionValidation:
    """Event Grid's webhook handshake; the Functions host answers it, so we only recognise it."""

    event_id: str
    """Event Grid's id for the handshake event."""
    validation_code: str
    """`data.validationCode`, echoed back as `validationResponse`."""
    validation_url: str | None
    """`data.validationUrl`, for manual validation."""


Parsed = ResourceEvent | SubscriptionValidation


@dataclass(frozen=True)
class _Envelope:
    """Where each field sits in one of the two Event Grid schemas."""

    schema: str
    type_key: str
    time_key: str
    topic_key: str


_EVENT_GRID = _Envelope(EventSchema.EVENT_GRID, "eventType", "eventTime", "topic")
_CLOUD_EVENTS = _Envelope(EventSchema.CLOUD_EVENTS, "type", "time", "source")


def parse_resource_events(body: object) -> tuple[Parsed, ...]:
    """Return the events in `body`: one event object, or an array of them (Event Grid's form).

    Raises InvalidInput naming the field (`[1].data.operationName`) of the first bad event.
    """
    if isinstance(body, Mapping):
        return (parse_resource_event(body),)
    if not isinstance(body, list):
        raise InvalidInput("body", f"expected an event object or an array, got {kind(body)}")
    if not body:
        raise InvalidInput("body", "an empty array holds no event")
    return tuple(parse_resource_event(item, path("", i)) for i, item in enumerate(body))


def parse_resource_event(raw: object, base: str = "") -> Parsed:
    """Return one typed event from an Event Grid-schema or CloudEvents 1.0 object.

    `eventTime` may already be a datetime (the Functions binding parses it). Returns a
    SubscriptionValidation for Event Grid's handshake. Raises InvalidInput naming the field.
    """
    event = as_object(raw, base)
    # Every string of the event, read or not: a field passed on to logs or job data (e.g.
    # data.resourceUri) must not carry what cannot be encoded either.
    require_encodable_json(event, base)
    envelope = _envelope(event, base)
    event_id = required_str(event, "id", base)
    event_type = required_str(event, envelope.type_key, base)
    data = object_at(event, "data", base)
    data_base = path(base, "data")
    if event_type.lower() == EventType.SUBSCRIPTION_VALIDATION.lower():
        return SubscriptionValidation(
            event_id,
            required_str(data, "validationCode", data_base),
            optional_str(data, "validationUrl", data_base),
        )
    return ResourceEvent(
        event_id=event_id,
        event_type=_canonical_type(event_type),
        subject=ResourceId.parse(event.get("subject"), path(base, "subject")),
        operation_name=required_str(data, "operationName", data_base),
        time=parse_time(event.get(envelope.time_key), path(base, envelope.time_key)),
        status=optional_str(data, "status", data_base),
        correlation_id=optional_str(data, "correlationId", data_base),
        resource_provider=optional_str(data, "resourceProvider", data_base),
        subscription_id=optional_str(data, "subscriptionId", data_base),
        topic=optional_str(event, envelope.topic_key, base),
        schema=envelope.schema,
    )


def _envelope(event: Json, base: str) -> _Envelope:
    if "specversion" not in event:
        return _EVENT_GRID
    version = event.get("specversion")
    if version != "1.0":
        raise InvalidInput(path(base, "specversion"), f"only CloudEvents 1.0, got {shown(version)}")
    return _CLOUD_EVENTS


_TYPES = {t.lower(): t for t in EventType.ALL_RESOURCE}


def _canonical_type(event_type: str) -> str:
    return _TYPES.get(event_type.lower(), event_type)
