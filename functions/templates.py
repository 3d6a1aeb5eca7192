"""Template DR triggers: POST /api/templates/backup and /api/templates/restore."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import azure.functions as func

from functions.http import ErrorStatus, answer, json_response
from shared.templates.errors import (
    BackupNotFound,
    RestoreConflict,
    RestoreRejected,
    TemplateNotFound,
)

if TYPE_CHECKING:
    from shared.jobs.accepted import Accepted

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
    """Back up one template (`{"templateId"}`: 200 with the outcome) or all (`{"all": true}`:
    202 with the job)."""
    return answer("templates/backup", lambda: _backup(req), _STATUS)


def _backup(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.templates.jobs import start_backup_all
    from shared.templates.requests import parse_backup_request
    from shared.templates.service import backup_template

    request, deps = parse_backup_request(req.get_body()), get_deps()
    if request.template_id is None:
        return _accepted("templates/backup", start_backup_all(deps))
    # One template is one ARM read and at most one blob write: answered at once.
    result = backup_template(request.template_id, deps, require_known=True)
    return json_response(200, result.to_dict())


@bp.function_name("templates_restore")
@bp.route(route="templates/restore", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def templates_restore(req: func.HttpRequest) -> func.HttpResponse:
    """Recreate a template in its DR region: 202 with the job; 200 with the plan (dry run)."""
    return answer("templates/restore", lambda: _restore(req), _STATUS)


def _restore(req: func.HttpRequest) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.templates.jobs import start_restore
    from shared.templates.recovery import restore_template
    from shared.templates.requests import parse_restore_request

    request, deps = parse_restore_request(req.get_body()), get_deps()
    if request.dry_run or deps.settings.dry_run:
        # A dry run writes nothing and waits on nothing: answered at once.
        return json_response(200, restore_template(request, deps).to_dict())
    return _accepted("templates/restore", start_restore(request, deps))


def _accepted(route: str, accepted: Accepted) -> func.HttpResponse:
    logger.info(
        "%s -> job %s (created %s)",
        route,
        accepted.job_id,
        accepted.created,
        extra={"job_id": accepted.job_id, "action": route},
    )
    return json_response(202, accepted.to_json(), {"Location": accepted.status_url})
