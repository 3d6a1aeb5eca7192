"""The activity log as Log Analytics' AzureActivity table: injected records and declared incidents.

Records reach a workspace only through a subscription-level diagnostic setting
(`Microsoft.Insights/diagnosticSettings` with `workspaceId` and the enabled categories), as in
Azure: a subscription whose activity log is not exported leaves the workspace empty.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from emulator.core import Core, Request, Response, errors, name_of
from emulator.providers import incidents
from emulator.providers.kql import todatetime, tolong

Row = dict[str, Any]
Body = dict[str, Any]
SETTINGS = "Microsoft.Insights/diagnosticSettings"
SERVICE_HEALTH = "ServiceHealth"
CATEGORIES = (
    "Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy",
    "Autoscale", "ResourceHealth",
)  # fmt: skip
# The AzureActivity columns the emulator fills, with their Log Analytics types.
AZURE_ACTIVITY: dict[str, str] = {
    "TenantId": "string", "SourceSystem": "string", "CallerIpAddress": "string",
    "CategoryValue": "string", "CorrelationId": "string", "Authorization": "string",
    "Authorization_d": "dynamic", "Claims": "string", "Claims_d": "dynamic", "Level": "string",
    "OperationNameValue": "string", "Properties": "string", "Properties_d": "dynamic",
    "Caller": "string", "EventDataId": "string", "EventSubmissionTimestamp": "datetime",
    "HTTPRequest": "string", "OperationId": "string", "ResourceGroup": "string",
    "ResourceProviderValue": "string", "ActivityStatusValue": "string",
    "ActivitySubstatusValue": "string", "Hierarchy": "string", "TimeGenerated": "datetime",
    "SubscriptionId": "string", "OperationName": "string", "ActivityStatus": "string",
    "ActivitySubstatus": "string", "Category": "string", "ResourceId": "string",
    "ResourceProvider": "string", "Resource": "string", "_ResourceId": "string",
    "Type": "string",
}  # fmt: skip
_KEY = "activity_log"
_IDS = uuid.UUID("6f1c3c3e-2b1e-4d59-9a55-6c1f0e7a1b01")


def _value(event: Body, key: str) -> tuple[str, str]:
    """(value, localizedValue) of a field that is either text or {value, localizedValue}."""
    field = event.get(key)
    if isinstance(field, dict):
        value = field.get("value") or ""
        return str(value), str(field.get("localizedValue") or value)
    return (str(field), str(field)) if field is not None else ("", "")


def _dynamic(event: Body, key: str) -> tuple[str, Any]:
    value = event.get(key)
    return (json.dumps(value, separators=(",", ":")) if value else ""), (value or None)


def to_row(event: Body, default_time: Any) -> Row:
    """Return the AzureActivity row of an activity-log event (REST shape); 400 naming the field."""
    subscription = event.get("subscriptionId")
    if not isinstance(subscription, str) or not subscription:
        raise errors.invalid_parameter("'subscriptionId' is required.", "subscriptionId")
    category, category_text = _value(event, "category")
    if category not in CATEGORIES:
        raise errors.invalid_parameter(f"'category.value' must be one of {CATEGORIES}.", "category")
    stamp = event.get("eventTimestamp")
    time = default_time if stamp is None else todatetime(stamp)
    if time is None:
        raise errors.invalid_parameter("'eventTimestamp' is not a date-time.", "eventTimestamp")
    operation, operation_text = _value(event, "operationName")
    status, status_text = _value(event, "status")
    substatus, substatus_text = _value(event, "subStatus")
    provider, provider_text = _value(event, "resourceProviderName")
    resource_id = str(event.get("resourceId") or f"/subscriptions/{subscription}")
    authorization, authorization_d = _dynamic(event, "authorization")
    claims, claims_d = _dynamic(event, "claims")
    properties = event.get("properties") or {}
    request = event.get("httpRequest") or {}
    return {
        "TenantId": "",
        "SourceSystem": "Azure",
        "CallerIpAddress": str(request.get("clientIpAddress") or ""),
        "CategoryValue": category,
        "CorrelationId": str(event.get("correlationId") or ""),
        "Authorization": authorization,
        "Authorization_d": authorization_d,
        "Claims": claims,
        "Claims_d": claims_d,
        "Level": str(event.get("level") or "Informational"),
        "OperationNameValue": operation,
        "Properties": json.dumps(properties, separators=(",", ":")),
        "Properties_d": properties,
        "Caller": str(event.get("caller") or ""),
        "EventDataId": str(event.get("eventDataId") or uuid.uuid5(_IDS, json.dumps(event))),
        "EventSubmissionTimestamp": todatetime(event.get("submissionTimestamp")) or time,
        "HTTPRequest": json.dumps(request, separators=(",", ":")) if request else "",
        "OperationId": str(event.get("operationId") or ""),
        "ResourceGroup": str(event.get("resourceGroupName") or ""),
        "ResourceProviderValue": provider,
        "ActivityStatusValue": status,
        "ActivitySubstatusValue": substatus,
        "Hierarchy": "",
        "TimeGenerated": time,
        "SubscriptionId": subscription.lower(),
        "OperationName": operation_text,
        "ActivityStatus": status_text,
        "ActivitySubstatus": substatus_text,
        "Category": category_text,
        "ResourceId": resource_id,
        "ResourceProvider": provider_text,
        "Resource": name_of(resource_id) if "/providers/" in resource_id.lower() else "",
        "_ResourceId": resource_id.lower(),
        "Type": "AzureActivity",
    }


def incident_event(
    core: Core, incident: incidents.Incident, stage: incidents.Stage, subscription: str
) -> Body:
    """Return the ServiceHealth activity-log event of one incident stage for one subscription.

    Ids derive from tracking id, communication and subscription, so every query sees the same
    record (Azure writes each communication once per impacted subscription).
    """
    key = f"{incident.tracking_id}/{stage.communication_id}/{subscription}"
    event_id = str(uuid.uuid5(_IDS, key))
    status = "Active" if stage.stage == "Active" else "Resolved"
    operation = "Microsoft.ServiceHealth/incident/action"
    return {
        "channels": "Admin",
        "correlationId": str(uuid.uuid5(_IDS, f"correlation/{key}")),
        "description": f"{stage.stage}: {incident.title}",
        "eventDataId": event_id,
        "eventName": {"value": None},
        "category": {"value": SERVICE_HEALTH, "localizedValue": "Service Health"},
        "eventTimestamp": core.clock.iso(stage.at),
        "id": f"/subscriptions/{subscription}/events/{event_id}/ticks/{tolong(stage.at)}",
        "level": "Warning" if status == "Active" else "Informational",
        "operationName": {"value": operation, "localizedValue": operation},
        "resourceProviderName": {"value": None},
        "resourceType": {"value": None, "localizedValue": ""},
        "resourceId": f"/subscriptions/{subscription}",
        "status": {"value": status, "localizedValue": status},
        "subStatus": {"value": None},
        "submissionTimestamp": core.clock.iso(stage.at),
        "subscriptionId": subscription,
        "properties": incidents.communication(core, incident, stage),
    }


class ActivityLog:
    """Injected activity-log records plus declared incidents' stages, routed to workspaces."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._rows: list[Row] = []

    def add(self, *events: Body) -> list[Row]:
        """Record activity-log events (REST shape, as Microsoft's samples); return their rows.

        Every event is checked first: one invalid event (400 naming the field) adds none.
        """
        rows = [to_row(event, self.core.clock.now()) for event in events]
        self._rows.extend(rows)
        return rows

    def clear(self) -> None:
        """Forget every injected record."""
        self._rows.clear()

    def rows(self, subscription: str | None = None) -> list[Row]:
        """Return every record so far (injected, then incident stages), of one subscription."""
        now = self.core.clock.now()
        found = list(self._rows)
        for incident in incidents.registry(self.core).values():
            for stage in (s for s in incident.stages if s.at <= now):
                found += [
                    to_row(incident_event(self.core, incident, stage, sub), now)
                    for sub in incident.subscriptions
                ]
        if subscription is not None:
            found = [r for r in found if r["SubscriptionId"] == subscription.lower()]
        return [dict(r) for r in found if r["TimeGenerated"] <= now]

    def exported_to(self, workspace_id: str) -> list[Row]:
        """Return the records the diagnostic settings send to the workspace (ARM id)."""
        routes = self._routes(workspace_id)
        return [
            r for r in self.rows() if r["CategoryValue"] in routes.get(r["SubscriptionId"], set())
        ]

    def _routes(self, workspace_id: str) -> dict[str, set[str]]:
        routes: dict[str, set[str]] = {}
        for setting in self.core.store.list(SETTINGS):
            parts = [p for p in setting["id"].split("/") if p]
            props = setting.get("properties") or {}
            target = str(props.get("workspaceId") or "")
            if len(parts) != 6 or target.lower() != workspace_id.lower():
                continue  # resource-level settings export resource logs, not the activity log
            routes.setdefault(parts[1].lower(), set()).update(_enabled(props.get("logs")))
        return routes


def _enabled(logs: Any) -> set[str]:
    enabled: set[str] = set()
    for entry in logs if isinstance(logs, list) else []:
        if not isinstance(entry, dict) or not entry.get("enabled"):
            continue
        if str(entry.get("categoryGroup") or "").lower() == "alllogs":
            enabled.update(CATEGORIES)
        elif entry.get("category") in CATEGORIES:
            enabled.add(str(entry["category"]))
    return enabled


def state(core: Core) -> ActivityLog:
    """Return the activity log registered on `core`."""
    found: ActivityLog = core.extensions[_KEY]
    return found


def _inject(core: Core, req: Request) -> Response:
    body = req.body
    records = body.get("records") if isinstance(body, dict) and "records" in body else [body]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        message = "'records' must be a list of activity-log events."
        raise errors.invalid_parameter(message, "records")
    rows = state(core).add(*records)
    return Response.created({"value": [r["EventDataId"] for r in rows]})


def _list(core: Core, req: Request) -> Response:
    rows = state(core).rows(req.arg("subscription"))
    return Response.ok({"value": [{k: json_cell(v) for k, v in r.items()} for r in rows]})


def json_cell(value: Any) -> Any:
    """Return a row value ready for JSON: datetimes as ISO 8601 UTC with a Z."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def _seed(log: ActivityLog, records: Any) -> None:
    if not isinstance(records, list):
        raise errors.invalid_parameter("'activityLog' must be a list of events.", "activityLog")
    log.add(*records)


def register(core: Core) -> None:
    """Keep the activity log; control calls inject and list records; estates may seed them."""
    log = ActivityLog(core)
    core.extensions[_KEY] = log
    core.on_reset(log.clear)
    core.seed_sections["activityLog"] = lambda records: _seed(log, records)
    core.router.add("POST", "/_emulator/activity-log", lambda req: _inject(core, req))
    core.router.add("GET", "/_emulator/activity-log", lambda req: _list(core, req))
