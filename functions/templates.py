"""Template DR triggers: POST /api/templates/backup and /api/templates/restore."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http import ErrorStatus, answer, json_response
from shared.templates.errors import (
    BackupNotFound,
    RestoreConflict,
    RestoreRejected,
    TemplateNotFound,
)

logger = logging.getLogger(__name__)

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]

_STATUS: ErrorStatus = (
    (TemplateNotFound, 404),
    (BackupNotFound, 404),
    (RestoreConflict, 409),
    (RestoreRejected, 422),
)


@bp.function_name("templates_backup")
@bp.route(route="templates/backup", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def templates_backup(req: func.HttpRequest) -> func.HttpResponse:
    """Back up one template (`{"templateId"}`) or all (`{"all": true}`); 200 with the outcome."""
    return answer("templates/backup", lambda: _backup(req), _STATUS)


def _backup(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.templates.requests import parse_backup_request
    from shared.templates.service import backup_on_request

    result = backup_on_request(parse_backup_request(req.get_body()), get_deps())
    return json_response(200, result.to_dict())


@bp.function_name("templates_restore")
@bp.route(route="templates/restore", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def templates_restore(req: func.HttpRequest) -> func.HttpResponse:
    """Recreate a template in its DR region: 201 created, 200 unchanged or dry run."""
    return answer("templates/restore", lambda: _restore(req), _STATUS)


def _restore(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.templates.recovery import RestoreOutcome, restore_template
    from shared.templates.requests import parse_restore_request

    result = restore_template(parse_restore_request(req.get_body()), get_deps())
    logger.info(
        "template restore %s: %s",
        result.target_id,
        result.outcome,
        extra={"template_id": result.template_id, "target_id": result.target_id},
    )
    return json_response(201 if result.outcome == RestoreOutcome.CREATED else 200, result.to_dict())
