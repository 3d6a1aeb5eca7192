"""GET /api/status: readiness of every known build (and template) for disaster recovery."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http import answer, json_response

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("status")
@bp.route(route="status", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def status(req: func.HttpRequest) -> func.HttpResponse:
    """200 with builds (DR-ready or not, newest DR image age) and template findings.

    `?templates=false` leaves out the template findings (they read ARM; builds read only the
    DR-region storage account).
    """
    return answer("status", lambda: _status(req))


def _status(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.services.status import status_report

    templates = (req.params.get("templates") or "true").lower() != "false"
    report = status_report(get_deps(), optional=templates)
    summary = report["summary"]
    logger.info(
        "status: %s builds, %s DR-ready",
        summary["builds"],
        summary["dr_ready"],
        extra={"action": "status", "builds": summary["builds"]},
    )
    return json_response(200, report)
