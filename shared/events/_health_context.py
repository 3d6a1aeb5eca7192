"""Reads the activity-log event inside every health alert shape into a HealthAlert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.events._fields import (
    Json,
    as_object,
    get_ci,
    json_array_or_string,
    kind,
    optional_object,
    optional_str,
    parse_time,
    path,
    required_str,
    shown,
    value_str,
)
from shared.events.constants import (
    EVENT_SOURCE_NUMBERS,
    INCIDENT_TYPES,
    LEVEL_NUMBERS,
    LEVELS,
    SOURCE_NAMES,
    STAGES,
    AlertSource,
    squash,
)
from shared.events.health_model import HealthAlert, ImpactedService, ResourceHealthState
from shared.regions import normalize_region


@dataclass(frozen=True)
class Envelope:
    """What the outer alert shape knows beyond the activity-log event itself."""

    schema: str
    source: str
    resource_id: ResourceId | None = None
    subscription_id: str | None = None
    monitor_condition: str | None = None
    fired_at: datetime | None = None


def source_from_event(ctx: Json, key: str, base: str) -> str:
    """Return the AlertSource named by `ctx[key]` (a name, an enum number or `{value}`).

    Raises InvalidInput naming the field when it is missing or not a health source.
    """
    where = path(base, key)
    raw = ctx.get(key)
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw in EVENT_SOURCE_NUMBERS:
            return EVENT_SOURCE_NUMBERS[raw]
        raise InvalidInput(where, f"event source number {raw} is not a health source")
    name = value_str(ctx, key, base)
    if name is None:
        raise InvalidInput(where, "required, but missing or empty")
    return source_from_name(name, where)


def source_from_name(name: str, where: str) -> str:
    """Return the AlertSource for a service name ("Resource Health" → ResourceHealth).

    Raises InvalidInput naming `where` when the name is not Service or Resource Health.
    """
    source = SOURCE_NAMES.get(squash(name))
    if source is None:
        raise InvalidInput(where, f"not a Service Health or Resource Health alert: {shown(name)}")
    return source


def read_alert(ctx: Json, base: str, envelope: Envelope) -> HealthAlert:
    """Return the HealthAlert held by the activity-log event `ctx` found at `base`.

    Raises InvalidInput naming the offending field.
    """
    props = optional_object(ctx, "properties", base) or {}
    pbase = path(base, "properties")
    status = _stage(value_str(ctx, "status", base))
    stage = _stage(optional_str(props, "stage", pbase)) or status
    if stage is None:
        raise InvalidInput(path(pbase, "stage"), "missing, and no status to fall back on")
    impacted, regions = _impact(props, pbase)
    is_service = envelope.source == AlertSource.SERVICE_HEALTH
    tracking_id, incident_type = _service_identity(props, pbase) if is_service else (None, None)
    return HealthAlert(
        source=envelope.source,
        schema=envelope.schema,
        time=_time(ctx, base, envelope.fired_at),
        stage=stage,
        status=status,
        level=_level(ctx, base),
        title=optional_str(props, "title", pbase),
        operation_name=value_str(ctx, "operationName", base),
        event_id=optional_str(ctx, "eventDataId", base),
        correlation_id=optional_str(ctx, "correlationId", base),
        tracking_id=tracking_id,
        incident_type=incident_type,
        impacted=impacted,
        regions=regions,
        resource_id=envelope.resource_id,
        subscription_id=envelope.subscription_id,
        monitor_condition=envelope.monitor_condition,
        resource_health=None if is_service else _resource_health(props, pbase),
        synthetic=_flag(props.get("IsSynthetic")),
        communication_id=optional_str(props, "communicationId", pbase) if is_service else None,
    )


def _time(ctx: Json, base: str, fired_at: datetime | None) -> datetime:
    raw = ctx.get("eventTimestamp")
    if raw is None and fired_at is not None:
        return fired_at
    return parse_time(raw, path(base, "eventTimestamp"))


def _stage(value: str | None) -> str | None:
    if value is None:
        return None
    return STAGES.get(squash(value), value)


def _level(ctx: Json, base: str) -> str | None:
    raw = ctx.get("level")
    if isinstance(raw, int) and not isinstance(raw, bool):
        # Unmapped numbers are kept visible rather than rejected: level is informational only.
        return LEVEL_NUMBERS.get(raw, str(raw))
    name = value_str(ctx, "level", base)
    return None if name is None else LEVELS.get(name.lower(), name)


def _service_identity(props: Json, pbase: str) -> tuple[str, str]:
    tracking_id = required_str(props, "trackingId", pbase)
    incident_type = required_str(props, "incidentType", pbase)
    return tracking_id, INCIDENT_TYPES.get(squash(incident_type), incident_type)


def _impact(props: Json, pbase: str) -> tuple[tuple[ImpactedService, ...], tuple[str, ...]]:
    where = path(pbase, "impactedServices")
    items = json_array_or_string(props.get("impactedServices"), where)
    if items is None:
        return _impact_from_summary(props, pbase)
    impacted = tuple(_service(item, path(where, i)) for i, item in enumerate(items))
    regions = tuple(dict.fromkeys(r for s in impacted for r in s.regions))
    return impacted, regions


def _impact_from_summary(
    props: Json, pbase: str
) -> tuple[tuple[ImpactedService, ...], tuple[str, ...]]:
    service = optional_str(props, "service", pbase)
    region = optional_str(props, "region", pbase)
    where = path(pbase, "region")
    parts = region.split(",") if region else []
    regions = tuple(dict.fromkeys(normalize_region(p, where) for p in parts if p.strip()))
    return ((ImpactedService(service, regions),) if service else ()), regions


def _service(item: object, where: str) -> ImpactedService:
    obj = as_object(item, where)
    name = get_ci(obj, "ServiceName")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(path(where, "ServiceName"), f"expected a name, got {kind(name)}")
    raw_regions = get_ci(obj, "ImpactedRegions")
    rwhere = path(where, "ImpactedRegions")
    if raw_regions is None:
        return ImpactedService(name.strip(), ())
    if not isinstance(raw_regions, list):
        raise InvalidInput(rwhere, f"expected an array, got {kind(raw_regions)}")
    regions = (_region(r, path(rwhere, i)) for i, r in enumerate(raw_regions))
    return ImpactedService(name.strip(), tuple(dict.fromkeys(regions)))


def _region(item: object, where: str) -> str:
    if isinstance(item, Mapping):
        return normalize_region(get_ci(item, "RegionName"), path(where, "RegionName"))
    return normalize_region(item, where)


def _resource_health(props: Json, pbase: str) -> ResourceHealthState:
    # Alerts say currentHealthStatus/cause/type; activity-log events say healthStatus/healthEvent*.
    return ResourceHealthState(
        current=optional_str(props, "currentHealthStatus", pbase)
        or optional_str(props, "healthStatus", pbase),
        previous=optional_str(props, "previousHealthStatus", pbase),
        cause=optional_str(props, "cause", pbase) or optional_str(props, "healthEventCause", pbase),
        event_type=optional_str(props, "type", pbase)
        or optional_str(props, "healthEventType", pbase),
    )


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() == "true"
