"""Template DR triggers: POST /api/templates/backup and /api/templates/restore."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from shared.errors import ConfigurationError, InvalidInput, LifeboatError, TransientError
from shared.templates.errors import (
    BackupNotFound,
    RestoreConflict,
    RestoreRejected,
    TemplateNotFound,
)
from shared.templates.recovery import RestoreOutcome, restore_template
from shared.templates.requests import parse_backup_request, parse_restore_request
from shared.templates.service import backup_on_request

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]

_STATUS: tuple[tuple[type[LifeboatError], int], ...] = (
    (TemplateNotFound, 404),
    (BackupNotFound, 404),
    (RestoreConflict, 409),
    (RestoreRejected, 422),
    (InvalidInput, 400),
    (TransientError, 503),
    (ConfigurationError, 500),
)


@bp.function_name("templates_backup")
@bp.route(route="templates/backup", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def templates_backup(req: func.HttpRequest) -> func.HttpResponse:
    """Back up one template (`{"templateId"}`) or all (`{"all": true}`); 200 with the outcome."""
    try:
        result = backup_on_request(parse_backup_request(req.get_body()))
    except LifeboatError as exc:
        return _error(exc, "templates/backup")
    return _json(200, result.to_dict())


@bp.function_name("templates_restore")
@bp.route(route="templates/restore", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def templates_restore(req: func.HttpRequest) -> func.HttpResponse:
    """Recreate a template in its DR region: 201 created, 200 unchanged or dry run."""
    try:
        result = restore_template(parse_restore_request(req.get_body()))
    except LifeboatError as exc:
        return _error(exc, "templates/restore")
    logger.info(
        "template restore %s: %s",
        result.target_id,
        result.outcome,
        extra={"template_id": result.template_id, "target_id": result.target_id},
    )
    return _json(201 if result.outcome == RestoreOutcome.CREATED else 200, result.to_dict())


def _error(exc: LifeboatError, route: str) -> func.HttpResponse:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    if status >= 500:
        logger.warning("%s failed: %s", route, exc, extra={"route": route, "status": status})
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
