"""HTTP trigger for Service Health / Resource Health alerts from action groups."""

from __future__ import annotations

import azure.functions as func

bp = func.Blueprint()


@bp.function_name("service_health")
@bp.route(route="service-health", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def service_health(req: func.HttpRequest) -> func.HttpResponse:
    """Placeholder until the alert model lands: answers 501."""
    return func.HttpResponse(status_code=501)
