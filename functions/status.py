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
    """200 with the RPO ledger, builds (DR-ready or not, newest DR image age), template
    findings and every other feature's section.

    `?templates=false` leaves out the sections that read ARM (the ledger and builds read only
    the DR-region storage account); `?limit=` (1..1000) and `?continuation=` page the ledger.
    """
    return answer("status", lambda: _status(req))


def _status(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.readiness.ledger import parse_limit
    from shared.services.status import status_report

    templates = (req.params.get("templates") or "true").lower() != "false"
    limit = parse_limit(req.params.get("limit"))
    continuation = req.params.get("continuation") or req.params.get("page")
    report = status_report(get_deps(), optional=templates, limit=limit, continuation=continuation)
    summary = report["summary"]
    logger.info(
        "status: %s builds, %s DR-ready",
        summary["builds"],
        summary["dr_ready"],
        extra={
            "action": "status",
            "builds": summary["builds"],
            "route": "status",
            "outcome": "ok",
            "ledger_items": report["ledger"]["totals"]["items"],
        },
    )
    from shared.telemetry import record_ledger

    record_ledger(report["ledger"]["items"], report["ledger"]["totals"]["by_state"])
    return json_response(200, report)
