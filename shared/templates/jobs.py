"""Template DR job kinds (backup of all templates, restore) and the requests that start them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.arm_id import ResourceId
from shared.engine.steps import azure_step
from shared.errors import InvalidInput
from shared.jobs.accepted import Accepted, accept
from shared.jobs.model import JobState, job_id_for
from shared.jobs.registry import Registry, StepContext, StepResult
from shared.templates.requests import RestoreRequest

if TYPE_CHECKING:
    from shared.bootstrap import Deps

BACKUP_ALL_KIND = "template_backup_all"
RESTORE_KIND = "template_restore"
# One backup-all job per clock hour: a repeated request within the hour finds the same job.
_BUCKET = "%Y-%m-%dT%H"
_WINDOW = timedelta(hours=1)


def start_backup_all(deps: Deps) -> Accepted:
    """Start (or find) this hour's job backing up every template in scope.

    Raises InvalidInput("all") when no subscription is in scope (no job is submitted).
    """
    from shared.templates.service import NO_SCOPE

    if not deps.settings.subscriptions:
        raise InvalidInput("all", NO_SCOPE)
    return accept(deps.jobs, BACKUP_ALL_KIND, _backup_all_key(deps, deps.clock()), {})


def _backup_all_key(deps: Deps, now: datetime) -> str:
    """This clock hour, or the previous one while its job began less than an hour ago and has
    not failed: a request repeated across the turn of the hour (a client retrying) finds the
    job it started (submitting its key again also re-sends an orphaned job's message)."""
    earlier = (now - _WINDOW).strftime(_BUCKET)
    job = deps.jobs.get(job_id_for(BACKUP_ALL_KIND, earlier))
    if job is not None and job.state is not JobState.FAILED and now - job.created < _WINDOW:
        return earlier
    return now.strftime(_BUCKET)


def start_restore(request: RestoreRequest, deps: Deps) -> Accepted:
    """Start (or find) the job restoring `request`'s backup in the template's DR region.

    The key is template id + backup content hash ("latest" resolved now) + DR region (+ the
    chosen name), so a repeated request finds the same job and a new backup is new work.
    Raises what recovery.pin_backup raises, before any job is submitted.
    """
    from shared.templates.recovery import pin_backup

    digest, dr_region = pin_backup(request, deps)
    key = f"{request.template_id.key()}@{digest}@{dr_region}"
    if request.name is not None:
        key = f"{key}@{request.name.lower()}"
    data = {"template_id": str(request.template_id), "backup": digest, "name": request.name}
    return accept(deps.jobs, RESTORE_KIND, key, data)


def _backup_all(ctx: StepContext) -> StepResult:
    """Back up every template in scope; per-template outcomes and errors go in the job's data.

    Re-entrant: a second run finds each template's content already stored and writes nothing.
    """
    from shared.templates.service import backup_all

    # Each version stored anew publishes Lifeboat.Template.BackedUp from backup_template (one
    # event per template version, the same id as the Event Grid path's).
    report = backup_all(ctx.app).to_dict()
    counts = Counter(r["outcome"] for r in report["results"])
    # GET /api/jobs/{id} shows small values whole: the counts always, the lists while short.
    summary = {"counts": dict(sorted(counts.items())), "failed": len(report["errors"])}
    return StepResult.done({**summary, **report})


def _restore(ctx: StepContext) -> StepResult:
    """Recreate the template in its DR region from the pinned backup (scope checked again).

    Re-entrant: a DR template already holding this content is left as it is ("unchanged").
    """
    from shared.templates.recovery import restore_template

    template = ResourceId.parse(ctx.data["template_id"], "template_id")
    request = RestoreRequest(template, ctx.data["backup"], name=ctx.data.get("name"))
    result = restore_template(request, ctx.app)
    return StepResult.done(
        {
            "outcome": result.outcome,
            "targetId": result.target_id,
            "provisioningState": result.provisioning_state,
        }
    )


backup_everything = azure_step(_backup_all)
restore = azure_step(_restore)


def register(registry: Registry) -> None:
    """Declare the template DR job kinds in `registry` (shared.features.JOB_KINDS points here)."""
    registry.register(
        BACKUP_ALL_KIND,
        (("backup_all", backup_everything),),
        "Backs up every image template in scope to DR storage.",
    )
    registry.register(
        RESTORE_KIND,
        (("restore", restore),),
        "Recreates one image template in its DR region from a backup in DR storage.",
    )
