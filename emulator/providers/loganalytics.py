"""Log Analytics query API (v1): the AzureActivity table over the project's KQL subset.

Workspaces are ARM resources (`Microsoft.OperationalInsights/workspaces`) declared in the estate;
the query API addresses one by `properties.customerId` (the workspace id) and fails with its
region. What a workspace holds comes from the activity log and the diagnostic settings
(emulator/providers/activity_log.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import isodate

from emulator.core import Core, Request, Response
from emulator.core.dataplane import audience_accepted, bearer_token
from emulator.core.errors import ArmError
from emulator.providers import activity_log
from emulator.providers.activity_log import AZURE_ACTIVITY, json_cell
from emulator.providers.kql import KqlError
from emulator.providers.kql_query import Tables, parse

Body = dict[str, Any]
Row = dict[str, Any]
WORKSPACES = "Microsoft.OperationalInsights/workspaces"
AUDIENCE = "https://api.loganalytics.io"
TABLES: Tables = {"AzureActivity": ("AzureActivity", tuple(AZURE_ACTIVITY))}
# The query API returns at most 500,000 rows; more is a partial result (PartialError).
MAX_ROWS = 500_000
_INVALID = "The request had some invalid properties"
_SYNTAX = {"ParserFailure"}
_SEMANTIC = {"UnknownTable", "FailedToResolveColumn", "UnknownFunction"}


def _inner(exc: KqlError) -> Body:
    """Log Analytics' innererror chain for a refused query (syntax, semantic, or emulator)."""
    if exc.code in _SYNTAX:
        return {
            "code": "SyntaxError",
            "message": "A recognition error occurred in the query.",
            "innererror": {"code": "SYN0002", "message": exc.message},
        }
    if exc.code in _SEMANTIC:
        return {
            "code": "SemanticError",
            "message": "A semantic error occurred.",
            "innererror": {"code": "SEM0100", "message": exc.message},
        }
    return {"code": exc.code, "message": exc.message}


def bad_argument(inner: Body) -> ArmError:
    """Return the 400 BadArgumentError whose innererror explains what was refused."""
    return ArmError(400, "BadArgumentError", _INVALID, details=[inner])


def _type(name: str, values: list[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "long"
        if isinstance(value, float):
            return "real"
        if isinstance(value, datetime):
            return "datetime"
        if isinstance(value, timedelta):
            return "timespan"
        if isinstance(value, dict | list):
            return "dynamic"
        return AZURE_ACTIVITY.get(name, "string")
    return AZURE_ACTIVITY.get(name, "string")


def _cell(value: Any) -> Any:
    # The query API writes dynamic values as JSON text and timespans as [d.]hh:mm:ss.
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, timedelta):
        return str(value)
    return json_cell(value)


def table(columns: list[str], rows: list[Row]) -> Body:
    """Return one result table ({name, columns: [{name, type}], rows}) as the API writes it."""
    return {
        "name": "PrimaryResult",
        "columns": [{"name": c, "type": _type(c, [r.get(c) for r in rows])} for c in columns],
        "rows": [[_cell(r.get(c)) for c in columns] for r in rows],
    }


def window(text: Any, now: datetime) -> tuple[datetime, datetime] | None:
    """Return the (start, end) of an ISO 8601 `timespan` (duration, start/end, start/duration)."""
    if text is None:
        return None
    try:
        if not isinstance(text, str):
            raise ValueError(text)
        first, _, second = text.partition("/")
        if not second:
            return now - _duration(first), now
        start = isodate.parse_datetime(first)
        end = start + _duration(second) if second.upper().startswith("P") else None
        return start, end or isodate.parse_datetime(second)
    except (ValueError, isodate.ISO8601Error):
        raise bad_argument(
            {"code": "InvalidTimespan", "message": f"The timespan '{text}' is not ISO 8601."}
        ) from None


def _duration(text: str) -> timedelta:
    value = isodate.parse_duration(text)
    if not isinstance(value, timedelta):
        raise ValueError(text)  # years/months have no fixed length
    return value


class LogAnalytics:
    """The query API as a DataPlane: auth, workspace region, Log Analytics' error shape."""

    prefix = "/loganalytics/"
    namespace = "Microsoft.OperationalInsights"

    def __init__(self, core: Core) -> None:
        self.core = core
        self.max_rows = MAX_ROWS

    def reset(self) -> None:
        """Back to Azure's row limit."""
        self.max_rows = MAX_ROWS

    # ---- DataPlane ------------------------------------------------------------------------
    def authenticate(self, req: Request) -> None:
        """401 without a bearer token, or with one minted for another audience."""
        token = bearer_token(req)
        if token is None:
            message = "Valid authentication was not provided"
            raise ArmError(401, "AuthorizationRequiredError", message)
        if not audience_accepted(token, AUDIENCE):
            raise ArmError(
                401,
                "InvalidTokenError",
                "The provided authentication is not valid for this resource",
                details=[{"code": "InvalidAudience", "message": f"Expected audience {AUDIENCE}."}],
            )

    def admit(self, req: Request, raw: bytes) -> None:
        """No size limit is emulated for queries."""

    def region(self, req: Request) -> str | None:
        """The addressed workspace's region; 404 WorkspaceNotFoundError when unknown."""
        location: str | None = self.workspace(req.params.get("workspace", "")).get("location")
        return location

    def render(self, error: ArmError) -> Body:
        """{"error": {message, code, correlationId, innererror?}} as the query API answers."""
        body: Body = {
            "message": error.message,
            "code": error.code,
            "correlationId": self.core.new_guid(),
        }
        if error.details:
            body["innererror"] = error.details[0]
        return {"error": body}

    # ---- queries --------------------------------------------------------------------------
    def workspace(self, customer_id: str) -> Body:
        """Return the stored workspace whose customerId is `customer_id`; raise 404."""
        for body in self.core.store.list(WORKSPACES):
            if str(body["properties"].get("customerId", "")).lower() == customer_id.lower():
                return body
        raise ArmError(404, "WorkspaceNotFoundError", "The workspace could not be found")

    def rows(self, workspace: Body) -> list[Row]:
        """AzureActivity rows of `workspace` (TenantId is the workspace id, as in Azure)."""
        tenant = workspace["properties"]["customerId"]
        exported = activity_log.state(self.core).exported_to(workspace["id"])
        return [{**r, "TenantId": tenant} for r in exported]

    def query(self, req: Request) -> Response:
        """Run one query: timespan filters TimeGenerated first, then the KQL pipeline."""
        body = req.json_object()
        text = body.get("query")
        if not isinstance(text, str) or not text.strip():
            raise bad_argument({"code": "QueryMissing", "message": "'query' is required."})
        now = self.core.clock.now()
        span = window(body.get("timespan"), now)
        try:
            parsed = parse(text, now, TABLES, default_table=None)
        except KqlError as exc:
            raise bad_argument(_inner(exc)) from None
        rows = [r for w in self._workspaces(req, body) for r in self.rows(w)]
        if span is not None:
            rows = [r for r in rows if span[0] <= r["TimeGenerated"] < span[1]]
        result = parsed.run(rows)
        answer: Body = {"tables": [table(parsed.columns, result[: self.max_rows])]}
        if len(result) > self.max_rows:
            answer["error"] = {
                "code": "PartialError",
                "message": "There were some errors when processing your request",
                "details": [
                    {
                        "code": "EngineError",
                        "message": "Query result set has exceeded the internal record count "
                        f"limit {self.max_rows}.",
                    }
                ],
            }
        return Response.ok(answer)

    def _workspaces(self, req: Request, body: Body) -> list[Body]:
        found = [self.workspace(req.params["workspace"])]
        extra = body.get("workspaces") or []
        if not isinstance(extra, list) or not all(isinstance(w, str) for w in extra):
            raise bad_argument({"code": "InvalidWorkspaces", "message": "'workspaces' is a list."})
        for customer_id in extra:
            other = self.workspace(customer_id)
            self.core.faults.check_region(other.get("location"), self.namespace)
            found.append(other)
        return found


def register(core: Core) -> None:
    """Serve POST {endpoint}/loganalytics/v1/workspaces/{workspace}/query."""
    plane = LogAnalytics(core)
    core.extensions["loganalytics"] = plane
    core.data_planes.append(plane)
    core.on_reset(plane.reset)
    core.router.add("POST", "/loganalytics/v1/workspaces/{workspace}/query", plane.query)
