"""HTTP trigger for Service Health / Resource Health alerts from action groups."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import azure.functions as func

from functions.http import json_response, read_json
from shared.errors import ConfigurationError, InvalidInput

if TYPE_CHECKING:
    from shared.services.service_health import AlertAssessment

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("service_health")
@bp.route(route="service-health", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def service_health(req: func.HttpRequest) -> func.HttpResponse:
    """Answer 200 with the decision about an alert, 400 naming the bad field, 500 on bad config."""
    from shared.bootstrap import get_deps
    from shared.events.health import parse_alert
    from shared.services.service_health import assess_alert

    try:
        alert = parse_alert(read_json(req))
    except InvalidInput as exc:
        logger.warning("rejected alert: %s", exc, extra={"field": exc.field})
        return json_response(400, {"error": str(exc)})
    try:
        assessment = assess_alert(alert, get_deps().settings)
    except ConfigurationError as exc:
        logger.error(
            "service-health cannot answer: setting %s is wrong: %s",
            exc.setting,
            exc,
            extra={"setting": exc.setting},
        )
        return json_response(500, {"error": "the app is misconfigured; see the function log"})
    _log_assessment(assessment)
    return json_response(200, assessment.to_json())


def _log_assessment(assessment: AlertAssessment) -> None:
    alert = assessment.alert
    logger.info(
        "alert %s %s stage=%s regions=%s affects_protected=%s action=%s",
        alert.source,
        alert.tracking_id or alert.event_id,
        alert.stage,
        ",".join(alert.regions),
        assessment.affects_protected_region,
        assessment.action,
        extra={
            "source": alert.source,
            "tracking_id": alert.tracking_id,
            "event_id": alert.event_id,
            "action": assessment.action,
        },
    )
