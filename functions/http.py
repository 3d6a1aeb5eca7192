"""HTTP plumbing shared by the adapters: JSON responses and the error vocabulary's status codes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

import azure.functions as func

from shared.errors import ConfigurationError, InvalidInput, LifeboatError, TransientError

logger = logging.getLogger(__name__)

ErrorStatus = Sequence[tuple[type[LifeboatError], int]]

# A 503 always says when to come back; Azure's own Retry-After wins when it gave one.
DEFAULT_RETRY_AFTER_SECONDS = 10

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

    A 503 carries Retry-After (Azure's, else DEFAULT_RETRY_AFTER_SECONDS); 5xx are logged.
    """
    table = (*specific, *COMMON_STATUS)
    status = next((code for kind, code in table if isinstance(exc, kind)), 500)
    if status >= 500:
        # A 500 needs an operator (settings, role assignments); a 503 heals by itself.
        level = logging.WARNING if status == 503 else logging.ERROR
        logger.log(level, "%s failed: %s", route, exc, extra={"route": route, "status": status})
    headers = {}
    if status == 503:
        wait = exc.retry_after if isinstance(exc, TransientError) else None
        headers["Retry-After"] = str(max(1, int((wait or DEFAULT_RETRY_AFTER_SECONDS) + 0.999)))
    misconfigured = isinstance(exc, ConfigurationError)
    message = f"the app is misconfigured: {exc}" if misconfigured else str(exc)
    return json_response(status, {"error": message}, headers)


def answer(
    route: str, call: Callable[[], func.HttpResponse], specific: ErrorStatus = ()
) -> func.HttpResponse:
    """Return call()'s response, or the error response its failure maps to.

    Lifeboat errors map through `specific` then COMMON_STATUS; azure-core failures are first
    translated by shared.azure.failures (transient → 503 with Retry-After, denied → 500).
    Anything else (a bug, an Azure answer a service should have branched on) propagates.
    """
    try:
        return call()
    except LifeboatError as exc:
        return error_response(exc, route, specific)
    except Exception as exc:
        from shared.azure.failures import lifeboat_error  # on failure only: indexing stays lean

        error = lifeboat_error(exc, route)
        if error is None:
            raise
        return error_response(error, route, specific)


def read_json(req: func.HttpRequest) -> object:
    """Return the decoded JSON body; raise InvalidInput("body") when it is not JSON."""
    try:
        return json.loads(req.get_body())
    except (ValueError, RecursionError):
        # RecursionError: absurdly nested JSON is bad input too, never a 500.
        raise InvalidInput("body", "not valid JSON") from None
