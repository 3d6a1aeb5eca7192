"""A small HTTP client for the app's routes (stdlib only); its errors map to exit codes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode


class Unreachable(Exception):
    """The app did not answer (DNS, connection, timeout)."""


class HttpFailure(Exception):
    """The app answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"HTTP {status}: {message}")


class AppClient:
    """Calls `<url>/api/<route>` with the function key in `x-functions-key`."""

    def __init__(self, url: str, key: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    def call(
        self, method: str, route: str, params: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """Return (status, JSON body) of a 2xx answer; raise HttpFailure or Unreachable."""
        query = f"?{urlencode(params)}" if params else ""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/api/{route}{query}",
            data=data,
            method=method,
            headers={"x-functions-key": self.key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                message = str(json.loads(raw).get("error") or raw.decode()[:200])
            except (ValueError, AttributeError):
                message = raw.decode(errors="replace")[:200] or exc.reason
            raise HttpFailure(exc.code, message) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise Unreachable(str(getattr(exc, "reason", exc))) from None

    def ledger(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Return (the first page's report, every ledger item), following continuations."""
        _, report = self.call("GET", "status", {"templates": "false", "limit": "1000"})
        items = list(report["ledger"]["items"])
        token = report["ledger"]["continuation"]
        while token:
            _, page = self.call(
                "GET", "status", {"templates": "false", "limit": "1000", "continuation": token}
            )
            items.extend(page["ledger"]["items"])
            token = page["ledger"]["continuation"]
        return report, items

    def approve(self, plan_id: str, who: str) -> Any:
        """POST /api/plans/{id}/approve with {"approvedBy": who}."""
        route = f"plans/{quote(plan_id, safe='')}/approve"
        return self.call("POST", route, body={"approvedBy": who})[1]

    def start_drill(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /api/drills: (202, the started drill) or (200, the dry-run plan)."""
        return self.call("POST", "drills", body=body)

    def drill(self, plan_id: str) -> Any:
        """GET /api/drills/{id}: plan, execution, jobs and evidence."""
        return self.call("GET", f"drills/{quote(plan_id, safe='')}")[1]
