"""Service Health / Resource Health alerts: decide whether a protected region is affected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from shared.config import Settings
from shared.events.health_model import HealthAlert
from shared.regions import GLOBAL


class AlertResponse:
    """What Lifeboat does about an alert. Only NONE until DR plans exist."""

    NONE: Final = "none"


@dataclass(frozen=True)
class AlertAssessment:
    """The decision about one alert."""

    alert: HealthAlert
    affects_protected_region: bool
    """True when an impacted region is a protected (primary) region, or the impact is global."""
    action: str
    """An AlertResponse value; always AlertResponse.NONE for now (no DR plan is made yet)."""

    def to_json(self) -> dict[str, Any]:
        """Return the /api/service-health response body."""
        alert = self.alert
        return {
            "source": alert.source,
            "trackingId": alert.tracking_id,
            "incidentType": alert.incident_type,
            "stage": alert.stage,
            "status": alert.status,
            "services": list(alert.services),
            "regions": list(alert.regions),
            "affectsProtectedRegion": self.affects_protected_region,
            "action": self.action,
        }


def affects_protected_region(regions: Iterable[str], protected: Iterable[str]) -> bool:
    """Return True when `regions` meets `protected`; "global" meets every protected region.

    Both sides are programmatic names. With nothing protected nothing is affected.
    """
    protected_set = set(protected)
    if not protected_set:
        return False
    impacted = set(regions)
    return GLOBAL in impacted or bool(impacted & protected_set)


def assess_alert(alert: HealthAlert, settings: Settings) -> AlertAssessment:
    """Return the assessment of `alert` against the protected regions. Never acts.

    A Resource Health alert counts only through a region its payload
    names; Azure's published Resource Health payloads name none, so they answer False.
    """
    primary_regions = settings.primary_regions
    return AlertAssessment(
        alert=alert,
        affects_protected_region=affects_protected_region(alert.regions, primary_regions),
        action=AlertResponse.NONE,
    )
