"""GET /api/dashboard: the readiness page (HTML), from DR-region storage only."""

from __future__ import annotations

import azure.functions as func

from functions.http import answer

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("dashboard")
@bp.route(route="dashboard", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def dashboard(req: func.HttpRequest) -> func.HttpResponse:
    """200 with the page: the RPO ledger worst first, open plans to approve, drills, findings.

    `?limit=`/`?continuation=` page the ledger as GET /api/status does.
    """
    return answer("dashboard", lambda: _dashboard(req))


def _dashboard(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.readiness.ledger import parse_limit
    from shared.readiness.page import render
    from shared.services.status import status_report

    report = status_report(
        get_deps(),
        optional=False,  # no ARM reads: the page answers with the primary region down
        include=frozenset({"outages", "drills"}),
        limit=parse_limit(req.params.get("limit")),
        continuation=req.params.get("continuation"),
    )
    return func.HttpResponse(
        render(report),
        status_code=200,
        mimetype="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
