"""HTTP trigger for Service Health / Resource Health alerts from action groups."""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared.errors import ConfigurationError, InvalidInput
from shared.events.health import parse_alert
from shared.services.service_health import AlertAssessment, assess_alert

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("service_health")
@bp.route(route="service-health", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def service_health(req: func.HttpRequest) -> func.HttpResponse:
    """Answer 200 with the decision about an alert, 400 naming the bad field, 500 on bad config."""
    try:
        alert = parse_alert(_json_body(req))
    except InvalidInput as exc:
        logger.warning("rejected alert: %s", exc, extra={"field": exc.field})
        return _json(400, {"error": str(exc)})
    try:
        assessment = assess_alert(alert)
    except ConfigurationError as exc:
        logger.error(
            "service-health cannot answer: setting %s is wrong: %s",
            exc.setting,
            exc,
            extra={"setting": exc.setting},
        )
        return _json(500, {"error": "the app is misconfigured; see the function log"})
    _log_assessment(assessment)
    return _json(200, assessment.to_json())


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


def _json_body(req: func.HttpRequest) -> object:
    """Return the decoded JSON body; raise InvalidInput("body") when it is not JSON."""
    try:
        return json.loads(req.get_body())
    except (ValueError, RecursionError):
        # RecursionError: absurdly nested JSON is bad input too, never a 500.
        raise InvalidInput("body", "not valid JSON") from None


def _json(status: int, body: object) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json", charset="utf-8"
    )
