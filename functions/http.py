"""HTTP plumbing shared by the adapters: JSON responses and the error vocabulary's status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import azure.functions as func

from shared.errors import ConfigurationError, InvalidInput, LifeboatError, TransientError

logger = logging.getLogger(__name__)

ErrorStatus = Sequence[tuple[type[LifeboatError], int]]

# The common vocabulary; a route puts its own, more specific errors in front of it.
COMMON_STATUS: ErrorStatus = (
    (InvalidInput, 400),
    (TransientError, 503),
    (ConfigurationError, 500),
)


def json_response(
    status: int, body: object, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    """Return `body` as a JSON response with `status`."""
    return func.HttpResponse(
        json.dumps(body),
        status_code=status,
        mimetype="application/json",
        charset="utf-8",
        headers=headers,
    )


def error_response(exc: LifeboatError, route: str, specific: ErrorStatus = ()) -> func.HttpResponse:
    """Return `{"error": ...}` with the status `exc` maps to (500 when unmapped).

    A transient error carries Retry-After when Azure gave one; 5xx answers are logged.
    """
    table = (*specific, *COMMON_STATUS)
    status = next((code for kind, code in table if isinstance(exc, kind)), 500)
    if status >= 500:
        logger.warning("%s failed: %s", route, exc, extra={"route": route, "status": status})
    headers = {}
    if isinstance(exc, TransientError) and exc.retry_after:
        headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return json_response(status, {"error": str(exc)}, headers)


def read_json(req: func.HttpRequest) -> object:
    """Return the decoded JSON body; raise InvalidInput("body") when it is not JSON."""
    try:
        return json.loads(req.get_body())
    except (ValueError, RecursionError):
        # RecursionError: absurdly nested JSON is bad input too, never a 500.
        raise InvalidInput("body", "not valid JSON") from None
