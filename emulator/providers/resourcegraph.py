"""Resource Graph provider: POST /providers/Microsoft.ResourceGraph/resources over the store."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.core import errors
from emulator.core.router import Request, Response
from emulator.providers.kql import KqlError
from emulator.providers.kql_query import parse

if TYPE_CHECKING:
    from emulator.core import Core

Body = dict[str, Any]
TENANT_ID = "8f0b3b4e-5d55-4c3a-9c1b-5e1f6b0d2a77"
MAX_TOP = 1000
# Subscriptions and resource groups live in the ResourceContainers table, not Resources.
_CONTAINER_TYPES = {"microsoft.resources/subscriptions", "microsoft.resources/resourcegroups"}
_INVALID_QUERY = (
    "Query is invalid. Please refer to the documentation for the Azure Resource Graph service "
    "and fix the error before retrying."
)


def to_row(body: Body) -> Body:
    """Return the Resources-table row of a stored resource (type, group, location lower-cased)."""
    parts = body["id"].split("/")
    lowered = [p.lower() for p in parts]
    group = parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""
    return {
        "id": body["id"],
        "name": body.get("name"),
        "type": str(body.get("type") or "").lower(),
        "tenantId": TENANT_ID,
        "kind": body.get("kind") or "",
        "location": str(body.get("location") or "").lower(),
        "resourceGroup": group.lower(),
        "subscriptionId": parts[2].lower() if len(parts) > 2 else "",
        "managedBy": body.get("managedBy") or "",
        "sku": body.get("sku"),
        "plan": body.get("plan"),
        "properties": body.get("properties"),
        "tags": body.get("tags"),
        "identity": body.get("identity"),
        "zones": body.get("zones"),
        "extendedLocation": body.get("extendedLocation"),
    }


def bad_query(code: str, message: str, now_iso: str, correlation: str) -> errors.ArmError:
    """Return ARG's 400 for an invalid query: BadRequest with InvalidQuery + a specific detail."""
    return errors.ArmError(
        400,
        "BadRequest",
        "Please provide below info when asking for support: "
        f"timestamp = {now_iso}, correlationId = {correlation}.",
        details=[{"code": "InvalidQuery", "message": _INVALID_QUERY},
                 {"code": code, "message": message}],
    )  # fmt: skip


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(token: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["o"]
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request("BadRequest", "The $skipToken is invalid.") from None
    if not isinstance(value, int) or value < 0:
        raise errors.bad_request("BadRequest", "The $skipToken is invalid.")
    return value


def _column_type(values: list[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, int):
            return "integer"
        if isinstance(value, float):
            return "number"
        return "string" if isinstance(value, str) else "object"
    return "string"


def _plain(value: Any) -> Any:
    """JSON-ready cell: datetimes as ARG writes them (ISO 8601, Z)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def as_table(columns: list[str], rows: list[Body]) -> Body:
    """Return rows in the 'table' result format ({columns: [{name, type}], rows: [[...]]})."""
    return {
        "columns": [{"name": c, "type": _column_type([r.get(c) for r in rows])} for c in columns],
        "rows": [[r.get(c) for c in columns] for r in rows],
    }


class ResourceGraph:
    """Evaluates the supported KQL subset over every stored resource in scope."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def _error(self, exc: KqlError) -> errors.ArmError:
        return bad_query(exc.code, exc.message, self.core.clock.iso(), self.core.new_guid())

    def _rows(self, table: str, subscriptions: list[str] | None) -> list[Body]:
        wanted = {s.lower() for s in subscriptions or []}
        if table == "Resources":
            rows = [to_row(b) for b in self.core.store.all()]
            rows = [r for r in rows if r["type"] and r["type"] not in _CONTAINER_TYPES]
        else:
            # Other tables (ServiceHealthResources) come from the provider that owns them.
            source = self.core.extensions.get("resourcegraph.tables", {}).get(table)
            if source is None:
                raise self._error(KqlError("UnknownTable", f"Table '{table}' is not supported."))
            rows = source()
        return [r for r in rows if not wanted or r["subscriptionId"] in wanted]

    def resources(self, req: Request) -> Response:
        """Answer one query page: totalRecords, count, resultTruncated, $skipToken?, data."""
        body = req.json_object()
        text = body.get("query")
        if not isinstance(text, str) or not text.strip():
            raise self._error(KqlError("ParserFailure", "The query is empty."))
        if body.get("facets"):
            raise self._error(KqlError("UnsupportedByEmulator", "Facets are not supported."))
        options = body.get("options") or {}
        try:
            query = parse(text, self.core.clock.now())
        except KqlError as exc:
            raise self._error(exc) from None
        rows = query.run(self._rows(query.table, body.get("subscriptions")))
        top = min(int(options.get("$top") or self.core.page_size), MAX_TOP)
        token = options.get("$skipToken")
        start = _offset(token) if token else int(options.get("$skip") or 0)
        page = rows[start : start + top]
        more = start + top < len(rows)
        answer: Body = {"totalRecords": len(rows), "count": len(page), "resultTruncated": "false"}
        if more and "id" not in query.columns:
            # ARG pages by id: without an id column it truncates instead of giving a token.
            answer["resultTruncated"] = "true"
        elif more:
            answer["$skipToken"] = _token(start + top)
        fmt = str(options.get("resultFormat") or "objectArray")
        page = [{k: _plain(v) for k, v in row.items()} for row in page]
        answer["data"] = as_table(query.columns, page) if fmt == "table" else page
        answer["facets"] = []
        return Response.ok(answer)


def register(core: Core) -> None:
    """Add the Resource Graph query route (tenant scope)."""
    core.router.add(
        "POST", "/providers/Microsoft.ResourceGraph/resources", ResourceGraph(core).resources
    )
