"""Reading the activity log (Service Health, Resource Health) from Log Analytics' AzureActivity
table with azure-monitor-query's LogsQueryClient and the managed identity."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from azure.monitor.query import LogsQueryClient

    from shared.azure.clients import AzureClients
    from shared.config import Settings

AUDIENCE = "https://api.loganalytics.io"
COLUMNS = (
    "TimeGenerated",
    "EventDataId",
    "CategoryValue",
    "SubscriptionId",
    "ResourceId",
    "Level",
    "OperationNameValue",
    "ActivityStatusValue",
    "CorrelationId",
    "Properties_d",
)


class ActivityQueryFailed(Exception):
    """The workspace could not be queried (unreachable, refused, or a partial answer)."""


def _kql_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def health_query(since: datetime, subscriptions: Sequence[str]) -> str:
    """Return the KQL for ServiceHealth/ResourceHealth records in scope since `since`."""
    subs = ", ".join(json.dumps(s.lower()) for s in subscriptions)
    return (
        'AzureActivity | where CategoryValue in ("ServiceHealth", "ResourceHealth")'
        f" | where SubscriptionId in~ ({subs})"
        f" | where TimeGenerated > datetime({_kql_time(since)})"
        f" | project {', '.join(COLUMNS)} | order by TimeGenerated asc"
    )


class ActivityLogReader:
    """Queries one Log Analytics workspace (LIFEBOAT_ACTIVITY_WORKSPACE_ID)."""

    def __init__(self, clients: AzureClients, settings: Settings) -> None:
        self._clients = clients
        self._settings = settings
        self._client: LogsQueryClient | None = None

    def _get(self) -> LogsQueryClient:
        if self._client is None:
            from azure.monitor.query import LogsQueryClient

            s = self._settings
            options: dict[str, Any] = {"endpoint": s.activity_endpoint, "audience": AUDIENCE}
            if s.arm_ca_bundle:
                options["connection_verify"] = s.arm_ca_bundle
            self._client = LogsQueryClient(self._clients.credential, **options)
        return self._client

    def health_records(
        self, workspace_id: str, since: datetime, subscriptions: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Return the health records since `since`, oldest first, as column → value dicts
        (Properties_d parsed). Raises ActivityQueryFailed when the query does not answer whole.
        """
        from azure.core.exceptions import AzureError
        from azure.monitor.query import LogsQueryStatus

        query = health_query(since, subscriptions)
        try:
            result = self._get().query_workspace(workspace_id, query, timespan=None)
        except AzureError as exc:
            raise ActivityQueryFailed(f"{type(exc).__name__}: {exc}") from None
        if result.status != LogsQueryStatus.SUCCESS:
            raise ActivityQueryFailed(f"partial result: {getattr(result, 'partial_error', '')}")
        tables = getattr(result, "tables", None) or []
        if not tables:
            return []
        table = tables[0]
        out = []
        for row in table.rows:
            record = {name: row[name] for name in table.columns}
            props = record.get("Properties_d")
            if isinstance(props, str):
                try:
                    record["Properties_d"] = json.loads(props) if props else {}
                except ValueError:
                    record["Properties_d"] = {}
            out.append(record)
        return out
