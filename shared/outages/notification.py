"""One Service Health notification, as the alert ledger reads it, whichever channel brought it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shared.errors import InvalidInput
from shared.events.constants import Stage, squash
from shared.events.health_model import HealthAlert

GLOBAL_REGION = "global"


class Channel(StrEnum):
    """How a notification reached Lifeboat. The same notification may arrive on several."""

    WEBHOOK = "webhook"
    RESOURCE_GRAPH = "resource-graph"
    ACTIVITY_LOG = "activity-log"


class RegionStatus(StrEnum):
    """The status of one impacted region (the REST and Resource Graph shapes carry one)."""

    ACTIVE = "Active"
    RESOLVED = "Resolved"


@dataclass(frozen=True, order=True)
class RegionImpact:
    """One (service, region) pair a notification names, with that region's own status."""

    service: str
    region: str
    """Programmatic region name, or "global" for non-regional impact."""
    status: RegionStatus = RegionStatus.ACTIVE


@dataclass(frozen=True)
class Notification:
    """A Service Health notification: one communication about one incident."""

    tracking_id: str
    stage: str
    """A Stage value: Active, Resolved, RCA (maintenance stages pass through)."""
    event_time: datetime
    """When Azure last updated the event (eventTimestamp / LastUpdateTime), tz-aware."""
    impacts: tuple[RegionImpact, ...]
    channel: Channel
    communication_id: str | None = None
    title: str | None = None
    subscription_id: str | None = None

    def __post_init__(self) -> None:
        if not self.tracking_id.strip():
            raise InvalidInput("trackingId", "required, but missing or empty")
        if self.event_time.tzinfo is None:
            raise InvalidInput("eventTimestamp", "must carry a time zone")

    @property
    def content_hash(self) -> str:
        """Hash of trackingId, stage, event time and impacts: one value for one communication.

        Service, region and stage spellings are squashed and the impacts sorted, so a webhook
        and a Resource Graph row describing the same communication hash alike.
        """
        doc = {
            "t": self.tracking_id.strip().upper(),
            "s": squash(self.stage),
            "e": self.event_time.astimezone(UTC).replace(microsecond=0).isoformat(),
            "i": sorted(
                {(squash(i.service), i.region.lower(), i.status.value) for i in self.impacts}
            ),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]

    @property
    def update_key(self) -> str:
        """`<trackingId>/<communicationId>`, or `<trackingId>/#<content hash>` without one."""
        tail = self.communication_id.strip() if self.communication_id else f"#{self.content_hash}"
        return f"{self.tracking_id.strip().upper()}/{tail}"


def _region_status(stage: str) -> RegionStatus:
    return RegionStatus.RESOLVED if stage in Stage.FINISHED else RegionStatus.ACTIVE


def notification_from_alert(
    alert: HealthAlert, channel: Channel, communication_id: str | None = None
) -> Notification:
    """Return the ledger's view of a parsed Service Health alert.

    The webhook shapes carry no per-region status, so every region takes the event's stage.
    Raises InvalidInput (`properties.trackingId`) for an alert that is not Service Health.
    """
    if alert.tracking_id is None:
        raise InvalidInput("properties.trackingId", "only Service Health alerts open incidents")
    status = _region_status(alert.stage)
    impacts = tuple(
        RegionImpact(service.name, region, status)
        for service in alert.impacted
        for region in (service.regions or (GLOBAL_REGION,))
    )
    return Notification(
        tracking_id=alert.tracking_id,
        stage=alert.stage,
        event_time=alert.time,
        impacts=impacts,
        channel=channel,
        communication_id=communication_id or alert.communication_id,
        title=alert.title,
        subscription_id=alert.subscription_id,
    )
