"""Image DR trigger: POST /api/images/replicate (manual run or dry-run plan)."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http import answer, json_response

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("images_replicate")
@bp.route(route="images/replicate", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def images_replicate(req: func.HttpRequest) -> func.HttpResponse:
    """Protect a build, run output or artifact: 202 with the job; 200 with the plan (dry run)."""
    return answer("images/replicate", lambda: _replicate(req))


def _replicate(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.images.requests import parse_replicate_request
    from shared.images.service import DryRun, replicate

    result = replicate(get_deps(), parse_replicate_request(req.get_body()))
    if isinstance(result, DryRun):
        return json_response(200, result.to_json())
    logger.info(
        "images/replicate -> job %s (created %s)",
        result.job_id,
        result.created,
        extra={"job_id": result.job_id, "action": "replicate"},
    )
    return json_response(202, result.to_json(), {"Location": f"/api/jobs/{result.job_id}"})
