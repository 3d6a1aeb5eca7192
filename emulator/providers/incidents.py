"""Declared Azure incidents: stages over emulated time, feeding every health view and webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator.core import Core, Request, Response, errors, normalize_location
from emulator.providers.locations import display_name

Body = dict[str, Any]
_KEY = "incidents"
STAGES = ("Active", "Resolved", "RCA")


@dataclass(frozen=True)
class Stage:
    """One communication: `stage` (Active | Resolved | RCA) from `at` on, with its summary."""

    at: datetime
    stage: str
    summary: str
    communication_id: str


@dataclass
class Incident:
    """A Service Health incident (event type ServiceIssue) as declared by a test or the demo."""

    tracking_id: str
    title: str
    regions: list[str]
    services: list[str]
    subscriptions: list[str]
    start: datetime
    stages: list[Stage] = field(default_factory=list)
    region_down: bool = False

    def current(self, now: datetime) -> Stage | None:
        """Return the latest stage reached by `now` (None before the incident starts)."""
        reached = [s for s in self.stages if s.at <= now]
        return reached[-1] if reached else None

    def active(self, now: datetime) -> bool:
        """True while the incident's current stage is Active."""
        stage = self.current(now)
        return stage is not None and stage.stage == "Active"

    def mitigated_at(self) -> datetime | None:
        """When the first Resolved stage starts (None while none is planned)."""
        return next((s.at for s in self.stages if s.stage != "Active"), None)


def registry(core: Core) -> dict[str, Incident]:
    """Return the incidents declared on this core, by lower-cased tracking id."""
    found: dict[str, Incident] | None = core.extensions.get(_KEY)
    if found is None:
        found = core.extensions[_KEY] = {}
        core.on_reset(found.clear)
    return found


def declare(core: Core, spec: Body) -> Incident:
    """Store the incident described by `spec` (see docs/emulator-providers.md); raise 400."""
    tracking_id = _text(spec, "trackingId")
    regions = [normalize_location(r) for r in _list(spec, "regions")]
    start = core.clock.now() + timedelta(seconds=float(spec.get("startsIn") or 0))
    subscriptions = [s.lower() for s in spec.get("subscriptions") or _stored_subscriptions(core)]
    incident = Incident(
        tracking_id=tracking_id,
        title=str(spec.get("title") or f"Service issue in {', '.join(regions)}"),
        regions=regions,
        services=_list(spec, "services"),
        subscriptions=subscriptions,
        start=start,
        region_down=bool(spec.get("regionDown", False)),
    )
    for index, item in enumerate(spec.get("stages") or [{"stage": "Active"}]):
        incident.stages.append(_stage(core, incident, item, index))
    registry(core)[tracking_id.lower()] = incident
    sync_regions(core)
    return incident


def _stage(core: Core, incident: Incident, item: Any, index: int) -> Stage:
    where = f"stages[{index}]"
    if not isinstance(item, dict) or item.get("stage") not in STAGES:
        raise errors.invalid_parameter(f"'{where}.stage' must be one of {STAGES}.", where)
    at = incident.start + timedelta(seconds=float(item.get("after") or 0))
    if incident.stages and at < incident.stages[-1].at:
        raise errors.invalid_parameter(f"'{where}.after' must not go back in time.", where)
    summary = str(item.get("summary") or f"{item['stage']}: {incident.title}")
    return Stage(at, str(item["stage"]), summary, core.new_guid())


def _text(spec: Body, key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value.strip():
        raise errors.invalid_parameter(f"'{key}' is required.", key)
    return value


def _list(spec: Body, key: str) -> list[str]:
    value = spec.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise errors.invalid_parameter(f"'{key}' must be a non-empty list of names.", key)
    return list(value)


def _stored_subscriptions(core: Core) -> list[str]:
    ids = core.store.ids()
    return sorted({rid.split("/")[2].lower() for rid in ids if rid.startswith("/subscriptions/")})


def sync_regions(core: Core, now: datetime | None = None) -> None:
    """Take `regionDown` incidents' regions down while Active and up again after."""
    moment = now or core.clock.now()
    for incident in registry(core).values():
        if not incident.region_down or incident.current(moment) is None:
            continue
        for region in incident.regions:
            if incident.active(moment):
                core.faults.region_down(region)
            else:
                core.faults.region_up(region)


def affecting(core: Core, region: str, service: str, subscription: str) -> Incident | None:
    """Return an Active incident for `service` in `region` seen by `subscription`, if any."""
    now = core.clock.now()
    for incident in registry(core).values():
        if (
            incident.active(now)
            and normalize_location(region) in incident.regions
            and service.lower() in {s.lower() for s in incident.services}
            and subscription.lower() in incident.subscriptions
        ):
            return incident
    return None


def event_properties(incident: Incident, subscription: str, now: datetime, iso: Any) -> Body:
    """Return the Resource Health `events` properties of `incident` at `now` (REST shape)."""
    stage = incident.current(now)
    status = "Active" if stage is None or stage.stage == "Active" else "Resolved"
    reached = [s for s in incident.stages if s.at <= now]
    updates = [{"summary": s.summary, "updateDateTime": iso(s.at)} for s in reversed(reached)]
    last = iso(reached[-1].at if reached else incident.start)
    regions = [
        {
            "impactedRegion": display_name(region),
            "status": status,
            "impactedSubscriptions": [subscription],
            "impactedTenants": [],
            "lastUpdateTime": last,
            "updates": updates,
        }
        for region in incident.regions
    ]
    props: Body = {
        "eventType": "ServiceIssue",
        "eventSource": "ServiceHealth",
        "status": status,
        "title": incident.title,
        "summary": stage.summary if stage else incident.title,
        "header": "Your service might have been impacted by an Azure service issue",
        "level": "Warning",
        "eventLevel": "Warning",
        "isEventSensitive": False,
        "impactStartTime": iso(incident.start),
        "impact": [
            {"impactedService": service, "impactedRegions": regions}
            for service in incident.services
        ],
        "isHIR": False,
        "priority": 1,
        "lastUpdateTime": last,
    }
    mitigated = incident.mitigated_at()
    if mitigated is not None and mitigated <= now:
        props["impactMitigationTime"] = iso(mitigated)
    return props


def webhook(core: Core, incident: Incident, subscription: str) -> Body:
    """Return the action-group webhook (common alert schema) for the incident's current stage."""
    now = core.clock.now()
    stage = incident.current(now) or incident.stages[0]
    impacted = [
        {
            "ImpactedRegions": [{"RegionName": display_name(r)} for r in incident.regions],
            "ServiceName": service,
        }
        for service in incident.services
    ]
    resolved = stage.stage != "Active"
    mitigated = incident.mitigated_at()
    event_id = core.new_guid()
    return {
        "schemaId": "azureMonitorCommonAlertSchema",
        "data": {
            "essentials": {
                "alertId": f"/subscriptions/{subscription}/providers/Microsoft.AlertsManagement"
                f"/alerts/{core.new_guid()}",
                "alertRule": "lifeboat-service-health",
                "severity": "Sev4",
                "signalType": "Activity Log",
                "monitorCondition": "Fired",
                "monitoringService": "ServiceHealth",
                "alertTargetIDs": [f"/subscriptions/{subscription}"],
                "configurationItems": [],
                "originAlertId": f"{event_id}_{stage.communication_id}",
                "firedDateTime": core.clock.iso(now),
                "description": incident.title,
                "essentialsVersion": "1.0",
                "alertContextVersion": "1.0",
            },
            "alertContext": {
                "authorization": None,
                "channels": 1,
                "claims": None,
                "caller": None,
                "correlationId": core.new_guid(),
                "eventSource": 2,
                "eventTimestamp": core.clock.iso(stage.at),
                "httpRequest": None,
                "eventDataId": event_id,
                "level": 3,
                "operationName": "Microsoft.ServiceHealth/incident/action",
                "operationId": core.new_guid(),
                "properties": {
                    "title": incident.title,
                    "service": incident.services[0],
                    "region": display_name(incident.regions[0]),
                    "communication": stage.summary,
                    "incidentType": "Incident",
                    "trackingId": incident.tracking_id,
                    "impactStartTime": core.clock.iso(incident.start),
                    **(
                        {"impactMitigationTime": core.clock.iso(mitigated)}
                        if resolved and mitigated
                        else {}
                    ),
                    "impactedServices": json.dumps(impacted, separators=(",", ":")),
                    "defaultLanguageTitle": incident.title,
                    "defaultLanguageContent": stage.summary,
                    "stage": stage.stage,
                    "communicationId": stage.communication_id,
                    "isHIR": "false",
                    "version": "0.1.1",
                },
                "status": "Resolved" if resolved else "Active",
                "subStatus": None,
                "submissionTimestamp": core.clock.iso(now),
                "ResourceType": None,
            },
        },
    }


def view(core: Core, incident: Incident) -> Body:
    """Return the control API's view of an incident."""
    stage = incident.current(core.clock.now())
    return {
        "trackingId": incident.tracking_id,
        "title": incident.title,
        "regions": incident.regions,
        "services": incident.services,
        "subscriptions": incident.subscriptions,
        "regionDown": incident.region_down,
        "stage": stage.stage if stage else None,
        "stages": [
            {"stage": s.stage, "at": core.clock.iso(s.at), "summary": s.summary}
            for s in incident.stages
        ],
    }


def _find(core: Core, req: Request) -> Incident:
    found = registry(core).get(req.params["tid"].lower())
    if found is None:
        raise errors.ArmError(404, "NotFound", f"No incident '{req.params['tid']}' is declared.")
    return found


def register(core: Core) -> None:
    """Add the control calls: declare, list, read and render the webhook of incidents."""
    registry(core)
    core.clock.on_advance(lambda now: sync_regions(core, now))
    core.router.add(
        "POST",
        "/_emulator/incidents",
        lambda req: Response.created(view(core, declare(core, req.json_object()))),
    )
    core.router.add(
        "GET",
        "/_emulator/incidents",
        lambda _req: Response.ok({"value": [view(core, i) for i in registry(core).values()]}),
    )
    core.router.add(
        "GET", "/_emulator/incidents/{tid}", lambda req: Response.ok(view(core, _find(core, req)))
    )
    core.router.add(
        "GET",
        "/_emulator/incidents/{tid}/webhook",
        lambda req: Response.ok(_webhook(core, req)),
    )


def _webhook(core: Core, req: Request) -> Body:
    incident = _find(core, req)
    return webhook(core, incident, req.arg("subscription") or incident.subscriptions[0])
