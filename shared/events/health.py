"""Azure Monitor health alerts (common schema, legacy activity-log webhook, activity-log event)."""

from __future__ import annotations

from datetime import datetime

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.events._fields import (
    Json,
    as_object,
    kind,
    object_at,
    optional_object,
    optional_str,
    parse_time,
    path,
    shown,
    value_str,
)
from shared.events._health_context import (
    Envelope,
    read_alert,
    source_from_event,
    source_from_name,
)
from shared.events.constants import AlertSchema, AlertSource, squash
from shared.events.health_model import HealthAlert

_SCHEMAS = {squash(AlertSchema.COMMON), squash(AlertSchema.LEGACY_ACTIVITY_LOG)}


def parse_alert(body: object) -> HealthAlert:
    """Return the typed alert in `body`, in any of the three accepted shapes.

    Raises InvalidInput naming the offending field (`data.essentials.monitoringService`)
    for anything that is not a well-formed Service Health or Resource Health alert.
    """
    obj = as_object(body, "body")
    schema_id = obj.get("schemaId")
    if schema_id is None and "category" in obj:
        return _activity_log_event(obj)
    if not isinstance(schema_id, str) or squash(schema_id) not in _SCHEMAS:
        raise InvalidInput(
            "schemaId",
            f"expected {AlertSchema.COMMON} or {AlertSchema.LEGACY_ACTIVITY_LOG}, "
            f"got {shown(schema_id)}",
        )
    if squash(schema_id) == squash(AlertSchema.COMMON):
        return _common(obj)
    return _legacy(obj)


def _common(obj: Json) -> HealthAlert:
    data = object_at(obj, "data", "")
    essentials = optional_object(data, "essentials", "data") or {}
    ctx = object_at(data, "alertContext", "data")
    service = optional_str(essentials, "monitoringService", "data.essentials")
    if service is not None:
        source = source_from_name(service, "data.essentials.monitoringService")
    else:
        source = source_from_event(ctx, "eventSource", "data.alertContext")
    target = _first_target(essentials)
    envelope = Envelope(
        schema=AlertSchema.COMMON,
        source=source,
        resource_id=_resource_only(target, source),
        subscription_id=target.subscription if target else None,
        monitor_condition=optional_str(essentials, "monitorCondition", "data.essentials"),
        fired_at=_optional_time(essentials, "firedDateTime", "data.essentials"),
    )
    return read_alert(ctx, "data.alertContext", envelope)


def _legacy(obj: Json) -> HealthAlert:
    data = object_at(obj, "data", "")
    base = "data.context.activityLog"
    log = object_at(object_at(data, "context", "data"), "activityLog", "data.context")
    source = source_from_event(log, "eventSource", base)
    envelope = Envelope(
        schema=AlertSchema.LEGACY_ACTIVITY_LOG,
        source=source,
        resource_id=_resource_id(log, "resourceId", base, source),
        subscription_id=optional_str(log, "subscriptionId", base),
        monitor_condition=optional_str(data, "status", "data"),
    )
    return read_alert(log, base, envelope)


def _activity_log_event(obj: Json) -> HealthAlert:
    category = value_str(obj, "category", "")
    if category is None:
        raise InvalidInput("category.value", "required, but missing or empty")
    source = source_from_name(category, "category.value")
    envelope = Envelope(
        schema=AlertSchema.ACTIVITY_LOG_EVENT,
        source=source,
        resource_id=_resource_id(obj, "resourceId", "", source),
        subscription_id=optional_str(obj, "subscriptionId", ""),
    )
    return read_alert(obj, "", envelope)


def _first_target(essentials: Json) -> ResourceId | None:
    where = "data.essentials.alertTargetIDs"
    targets = essentials.get("alertTargetIDs")
    if targets is None or targets == []:
        return None
    if not isinstance(targets, list):
        raise InvalidInput(where, f"expected an array of resource ids, got {kind(targets)}")
    return ResourceId.parse(targets[0], path(where, 0))


def _resource_only(target: ResourceId | None, source: str) -> ResourceId | None:
    # Service Health targets the subscription; only Resource Health names a resource.
    return target if source == AlertSource.RESOURCE_HEALTH else None


def _resource_id(obj: Json, key: str, base: str, source: str) -> ResourceId | None:
    if source != AlertSource.RESOURCE_HEALTH or obj.get(key) is None:
        return None
    return ResourceId.parse(obj.get(key), path(base, key))


def _optional_time(obj: Json, key: str, base: str) -> datetime | None:
    if obj.get(key) is None:
        return None
    return parse_time(obj.get(key), path(base, key))
