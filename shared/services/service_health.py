"""Service Health / Resource Health alerts: is a protected region affected, and what Lifeboat
does about it (ledger entry and DR plan, through shared.outages.ingest)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from shared.config import Settings
from shared.events.constants import AlertSource, IncidentType
from shared.events.health_model import HealthAlert
from shared.regions import GLOBAL

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.outages.ingest import IngestResult


class AlertResponse:
    """What Lifeboat does about an alert (`action`)."""

    NONE: Final = "none"
    PLANNED: Final = "planned"
    AWAITING_APPROVAL: Final = "awaiting_approval"
    EXECUTING: Final = "executing"
    DONE: Final = "done"
    RESOLVED: Final = "resolved"


@dataclass(frozen=True)
class AlertAssessment:
    """The decision about one alert, with the ledger entry and plans it produced or updated."""

    alert: HealthAlert
    affects_protected_region: bool
    """True when an impacted region is a protected (primary) region, or the impact is global."""
    action: str
    """An AlertResponse value."""
    outcome: IngestResult | None = None
    """The ledger entry and plans, when the alert is a Service Health incident that matters."""

    def to_json(self) -> dict[str, Any]:
        """Return the /api/service-health response body."""
        alert = self.alert
        body: dict[str, Any] = {
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
        if self.outcome is not None:
            body.update(_outcome_json(self.outcome))
        return body


def _outcome_json(outcome: IngestResult) -> dict[str, Any]:
    import json

    from shared.outages.service import PlanView

    entry, change = outcome.entry, outcome.change
    plans = [PlanView(p).summary() for p in outcome.plans]
    return {
        "ledger": {
            "trackingId": entry.tracking_id,
            "change": change.kind.value,
            "stage": entry.latest.stage,
            "activeRegions": list(entry.latest.active_regions),
            "services": list(entry.latest.services),
            "communications": len(entry.content_hashes),
            "firstReceivedAt": entry.first_received_at.isoformat(),
            "entry": json.loads(entry.to_json()),
        },
        "plan": plans[0] if plans else None,
        "plans": plans,
        "dryRun": outcome.dry_run,
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


def opens_incident(alert: HealthAlert) -> bool:
    """True for a Service Health incident (not maintenance, advisory or a test notification)."""
    return (
        alert.source == AlertSource.SERVICE_HEALTH
        and alert.tracking_id is not None
        and alert.incident_type == IncidentType.INCIDENT
        and not alert.synthetic
    )


def respond_to_alert(
    deps: Deps, alert: HealthAlert, *, dry_run: bool | None = None
) -> AlertAssessment:
    """Assess `alert` and, for a Service Health incident in (or resolving in) a protected
    region, ingest it: ledger entry, then the plan made, re-planned or closed."""
    from shared.outages.ingest import ingest
    from shared.outages.notification import Channel, notification_from_alert

    assessment = assess_alert(alert, deps.settings)
    if not opens_incident(alert) or not assessment.affects_protected_region:
        return assessment
    note = notification_from_alert(alert, Channel.WEBHOOK)
    outcome = ingest(deps, note, source="webhook", dry_run=dry_run)
    return AlertAssessment(alert, assessment.affects_protected_region, outcome.action, outcome)
