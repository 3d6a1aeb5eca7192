"""VM protection trigger: POST /api/vms/protect (a job per VM, or the exact set plans)."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http import answer, json_response

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("vms_protect")
@bp.route(route="vms/protect", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def vms_protect(req: func.HttpRequest) -> func.HttpResponse:
    """Protect one VM or every VM with a tag: 202 with a job per VM; 200 with plans (dry run)."""
    return answer("vms/protect", lambda: _protect(req))


def _protect(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.vms.service import parse_protect_request, protect

    deps = get_deps()
    request = parse_protect_request(req.get_body(), deps.settings.subscriptions)
    result = protect(deps, request)
    if result["dry_run"]:
        return json_response(200, result)
    logger.info("vms/protect -> %d job(s)", len(result["jobs"]), extra={"action": "protect"})
    return json_response(202, result)
