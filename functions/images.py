"""Image DR trigger: POST /api/images/replicate (manual run or dry-run plan)."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from shared.errors import ConfigurationError, InvalidInput, LifeboatError, TransientError
from shared.images.requests import parse_replicate_request
from shared.images.service import DryRun, replicate

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]

_STATUS: tuple[tuple[type[LifeboatError], int], ...] = (
    (InvalidInput, 400),
    (TransientError, 503),
    (ConfigurationError, 500),
)


@bp.function_name("images_replicate")
@bp.route(route="images/replicate", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def images_replicate(req: func.HttpRequest) -> func.HttpResponse:
    """Protect a build, run output or artifact: 202 with the job; 200 with the plan (dry run)."""
    try:
        result = replicate(parse_replicate_request(req.get_body()))
    except LifeboatError as exc:
        return _error(exc)
    if isinstance(result, DryRun):
        return _json(200, result.to_json())
    logger.info(
        "images/replicate -> job %s (created %s)",
        result.job_id,
        result.created,
        extra={"job_id": result.job_id, "action": "replicate"},
    )
    return _json(202, result.to_json(), {"Location": f"/api/jobs/{result.job_id}"})


def _error(exc: LifeboatError) -> func.HttpResponse:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    if status >= 500:
        logger.warning("images/replicate failed: %s", exc, extra={"status": status})
    headers = {}
    if isinstance(exc, TransientError) and exc.retry_after:
        headers["Retry-After"] = str(int(exc.retry_after + 0.999))
    return _json(status, {"error": str(exc)}, headers)


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body),
        status_code=status,
        mimetype="application/json",
        charset="utf-8",
        headers=headers,
    )
