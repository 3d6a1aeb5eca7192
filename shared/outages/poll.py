"""The poll that heals a missed webhook: Resource Graph `ServiceHealthResources` → ingest().

Each `microsoft.resourcehealth/events` row of a ServiceIssue becomes a Notification (per-region
status kept); its content hash equals the webhook's for the same communication, so a row the
webhook already brought is a duplicate and changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.errors import InvalidInput
from shared.events.constants import Stage
from shared.outages.notification import (
    GLOBAL_REGION,
    Channel,
    Notification,
    RegionImpact,
    RegionStatus,
)
from shared.regions import normalize_region

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)

QUERY = (
    "servicehealthresources | where type =~ 'microsoft.resourcehealth/events'"
    " | project id, subscriptionId, properties"
)
_TICKS_AT_EPOCH = 621_355_968_000_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _time(value: object, field: str) -> datetime:
    """Resource Graph keeps these times as .NET ticks (REST: ISO 8601); accept both."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _EPOCH + timedelta(microseconds=(int(value) - _TICKS_AT_EPOCH) // 10)
    if isinstance(value, str) and value.strip():
        if value.strip().isdigit():
            return _time(int(value.strip()), field)
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidInput(field, "expected a time")


def _status(value: object, fallback: str) -> RegionStatus:
    text = str(value or fallback)
    return (
        RegionStatus.RESOLVED
        if text in Stage.FINISHED or text == "Resolved"
        else RegionStatus.ACTIVE
    )


def notification_from_row(row: Mapping[str, Any]) -> Notification | None:
    """Return the Notification of one ServiceHealthResources event row, or None when it is not
    a service issue. Raises InvalidInput naming the bad field."""
    props = row.get("properties") or {}
    if str(props.get("EventType") or "").lower() != "serviceissue":
        return None
    tracking_id = props.get("TrackingId") or str(row.get("id") or "").rsplit("/", 1)[-1]
    stage = str(props.get("Stage") or props.get("Status") or "Active")
    impacts = []
    for index, item in enumerate(props.get("Impact") or []):
        service = str(item.get("impactedService") or item.get("ImpactedService") or "")
        if not service:
            raise InvalidInput(f"properties.Impact[{index}].impactedService", "missing")
        regions = item.get("impactedRegions") or item.get("ImpactedRegions") or []
        for r_index, region in enumerate(regions or [{"impactedRegion": GLOBAL_REGION}]):
            where = f"properties.Impact[{index}].impactedRegions[{r_index}]"
            name = normalize_region(region.get("impactedRegion"), where)
            impacts.append(RegionImpact(service, name, _status(region.get("status"), stage)))
    return Notification(
        tracking_id=str(tracking_id),
        stage=stage,
        event_time=_time(props.get("LastUpdateTime"), "properties.LastUpdateTime"),
        impacts=tuple(impacts),
        channel=Channel.RESOURCE_GRAPH,
        title=props.get("Title"),
        subscription_id=row.get("subscriptionId"),
    )


def poll_service_health(deps: Deps) -> dict[str, Any]:
    """Ingest every service issue Resource Graph lists for a protected region; return counts.

    A bad row is logged and skipped; the rest still heal."""
    from shared.azure.resource_graph import query_resources
    from shared.outages.ingest import ingest
    from shared.outages.service import resume_approved
    from shared.services.service_health import affects_protected_region

    rows = query_resources(deps.clients, QUERY, deps.settings.subscriptions)
    changes: dict[str, int] = {}
    skipped = 0
    for row in rows:
        note = None
        with contextlib.suppress(InvalidInput):
            note = notification_from_row(row)
        if note is None:
            skipped += 1
            continue
        regions = [i.region for i in note.impacts]
        if not affects_protected_region(regions, deps.settings.primary_regions):
            continue
        outcome = ingest(deps, note, source="resource-graph")
        changes[outcome.change.kind.value] = changes.get(outcome.change.kind.value, 0) + 1
    resumed = resume_approved(deps)
    return {"rows": len(rows), "skipped": skipped, "changes": changes, "resumed": resumed}
