"""Service Health from the activity log: AzureActivity rows since a watermark → notifications
→ the same ledger ingestion as the webhook (so a missed action group still makes one entry).

The watermark (newest TimeGenerated read) is kept in DR storage (`outages/activity-watermark
.json`); each query reaches back OVERLAP before it, since records land in the workspace late,
and the ledger makes repeats duplicates. A query failure is a finding in the sweep's report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from shared.errors import InvalidInput
from shared.events.health import parse_alert
from shared.outages.notification import Channel, Notification, notification_from_alert

if TYPE_CHECKING:
    from shared.bootstrap import Deps

logger = logging.getLogger(__name__)

WATERMARK: Final = "outages/activity-watermark.json"
OVERLAP: Final = timedelta(minutes=30)
FIRST_LOOKBACK: Final = timedelta(hours=24)
SOURCE: Final = "activity-log"


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def event_of_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return the activity-log event (REST shape) an AzureActivity row holds."""
    return {
        "category": {"value": row.get("CategoryValue")},
        "eventTimestamp": _text(row.get("TimeGenerated")),
        "eventDataId": row.get("EventDataId"),
        "correlationId": row.get("CorrelationId"),
        "subscriptionId": row.get("SubscriptionId"),
        "resourceId": row.get("ResourceId") or None,
        "level": row.get("Level"),
        "operationName": {"value": row.get("OperationNameValue")},
        "status": {"value": row.get("ActivityStatusValue")},
        "properties": dict(row.get("Properties_d") or {}),
    }


def notification_of_row(row: Mapping[str, Any]) -> Notification | None:
    """Return the ledger's notification for a ServiceHealth row; None for rows that open no
    incident (Resource Health). Raises InvalidInput naming the field of a malformed row."""
    alert = parse_alert(event_of_row(row))
    if alert.tracking_id is None:
        return None
    props = row.get("Properties_d") or {}
    communication = props.get("communicationId") if isinstance(props, Mapping) else None
    return notification_from_alert(alert, Channel.ACTIVITY_LOG, communication or None)


def deliver(deps: Deps, notification: Notification) -> str:
    """Feed one notification to the alert ledger and plans; return what it changed."""
    from shared.outages.ingest import ingest

    return ingest(deps, notification, source=SOURCE).change.kind.value


def _watermark(deps: Deps) -> datetime | None:
    body = deps.records.get(WATERMARK) or {}
    return datetime.fromisoformat(body["through"]) if body.get("through") else None


def sweep_activity_log(deps: Deps, now: datetime) -> dict[str, Any]:
    """Query Service/Resource Health records since the watermark and ingest each; return a
    report. Not configured, a failed query or a down workspace is a finding, never a raise."""
    settings = deps.settings
    workspace = settings.activity_workspace_id
    if not workspace:
        return {"configured": False}
    mark = _watermark(deps)
    since = (mark - OVERLAP) if mark else now - FIRST_LOOKBACK
    from shared.azure.activity_logs import ActivityLogReader, ActivityQueryFailed

    try:
        rows = ActivityLogReader(deps.clients, settings).health_records(
            workspace, since, settings.subscriptions
        )
    except ActivityQueryFailed as exc:
        logger.warning("activity log query failed: %s", exc, extra={"action": "reconcile"})
        return {"configured": True, "finding": f"activity log query failed: {exc}", "rows": 0}
    changes: dict[str, int] = {}
    skipped, errors = 0, []
    newest = mark
    for row in rows:
        stamp = row.get("TimeGenerated")
        try:
            notification = notification_of_row(row)
        except InvalidInput as exc:
            errors.append(f"{row.get('EventDataId')}: {exc}")
            continue
        if notification is None or (notification.subscription_id or "").lower() not in (
            "",
            *settings.subscriptions,
        ):
            skipped += 1
        else:
            kind = deliver(deps, notification)
            changes[kind] = changes.get(kind, 0) + 1
        if isinstance(stamp, datetime) and (newest is None or stamp > newest):
            newest = stamp
    if newest is not None and newest != mark:
        deps.records.put(WATERMARK, {"through": newest.isoformat()}, {"kind": "watermark"})
    return {
        "configured": True,
        "rows": len(rows),
        "changes": changes,
        "skipped": skipped,
        "errors": errors[:20],
        "watermark": newest.isoformat() if newest else None,
    }
