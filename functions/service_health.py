"""HTTP trigger for Service Health / Resource Health alerts from action groups."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import azure.functions as func

from functions.http import answer, json_response, read_json
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.services.service_health import AlertAssessment

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


@bp.function_name("service_health")
@bp.route(route="service-health", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def service_health(req: func.HttpRequest) -> func.HttpResponse:
    """Answer 200 with the decision about an alert: for a Service Health incident in a
    protected region, its ledger entry and the plan it made or updated (`action`); 400 naming
    the bad field, 503 when storage is unavailable, 500 on bad config."""
    return answer("service-health", lambda: _assess(req))


def _assess(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.events.health import parse_alert
    from shared.services.service_health import respond_to_alert

    try:
        alert = parse_alert(read_json(req))
        dry_run = _dry_run_param(req)
    except InvalidInput as exc:
        logger.warning("rejected alert: %s", exc, extra={"field": exc.field})
        raise
    assessment = respond_to_alert(get_deps(), alert, dry_run=dry_run)
    _log_assessment(assessment)
    return json_response(200, assessment.to_json())


def _dry_run_param(req: func.HttpRequest) -> bool | None:
    """`?dryRun=true` plans without writing anything (default: LIFEBOAT_DRY_RUN)."""
    raw: str | None = req.params.get("dryRun")
    if raw is None:
        return None
    if raw.lower() not in {"true", "false"}:
        raise InvalidInput("dryRun", "expected true or false")
    return bool(raw.lower() == "true")


def _log_assessment(assessment: AlertAssessment) -> None:
    alert = assessment.alert
    logger.info(
        # Same name as the response field, so one query finds both.
        "alert %s %s stage=%s regions=%s affectsProtectedRegion=%s action=%s",
        alert.source,
        alert.tracking_id or alert.event_id,
        alert.stage,
        ",".join(alert.regions),
        str(assessment.affects_protected_region).lower(),
        assessment.action,
        extra={
            "source": alert.source,
            "tracking_id": alert.tracking_id,
            "event_id": alert.event_id,
            "action": assessment.action,
            "affectsProtectedRegion": assessment.affects_protected_region,
        },
    )
