"""The job worker (queue trigger run_job), its poison-queue twin, and GET /api/jobs/{id}."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import azure.functions as func

from functions.http import answer, json_response
from shared.errors import InvalidInput

if TYPE_CHECKING:
    from shared.jobs.messages import JobMessage

log = logging.getLogger(__name__)

# The host resolves %APP_SETTING% in bindings, so the trigger and the code that enqueues
# (Settings.jobs_queue) read the same app setting; the host names the poison queue "<queue>-poison".
JOBS_QUEUE_SETTING = "LIFEBOAT_JOBS_QUEUE"
JOBS_QUEUE = f"%{JOBS_QUEUE_SETTING}%"
POISON_QUEUE = f"%{JOBS_QUEUE_SETTING}%-poison"
STORAGE_CONNECTION = "AzureWebJobsStorage"

# azure-functions leaves Blueprint.__init__ unannotated.
bp = func.Blueprint()  # type: ignore[no-untyped-call]


def _message(msg: func.QueueMessage) -> JobMessage | None:
    """Return the job message in `msg`, or None (logged) when it is not one."""
    from shared.jobs.messages import parse_job_message

    try:
        return parse_job_message(msg.get_body())
    except InvalidInput as exc:
        log.warning(
            "dropped a message that is not a job message: %s",
            exc,
            extra={"message_id": msg.id, "field": exc.field},
        )
        return None


@bp.function_name("run_job")
@bp.queue_trigger(arg_name="msg", queue_name=JOBS_QUEUE, connection=STORAGE_CONNECTION)
def run_job(msg: func.QueueMessage) -> None:
    """Advance the named job within the time budget; a wait re-enqueues it with a delay.

    Returns normally (the host deletes the message) unless advancing failed before the last
    delivery: then the exception propagates and the host redelivers.
    """
    from shared.bootstrap import get_deps
    from shared.telemetry import ensure_telemetry

    ensure_telemetry()  # App Insights on the worker too, when its connection string is set
    message = _message(msg)
    if message is None:
        return
    delivery = msg.dequeue_count or 1
    result = get_deps().jobs.handle(message, msg.id or "", delivery)
    log.info(
        "job %s: %s (state %s, next in %ss)",
        result.job_id,
        result.progress,
        result.state,
        result.delay,
        extra={"job_id": result.job_id, "action": str(result.progress), "delivery": delivery},
    )


@bp.function_name("run_job_poison")
@bp.queue_trigger(arg_name="msg", queue_name=POISON_QUEUE, connection=STORAGE_CONNECTION)
def run_job_poison(msg: func.QueueMessage) -> None:
    """Fail the job whose message the host gave up on (e.g. the worker died on every delivery)."""
    from shared.bootstrap import get_deps
    from shared.jobs.host import MAX_DEQUEUE_COUNT

    message = _message(msg)
    if message is None:
        return
    reason = f"poison: the host gave up after {MAX_DEQUEUE_COUNT} deliveries of its message"
    job = get_deps().jobs.fail(message.job_id, reason)
    log.warning(
        "poison message for job %s: state %s",
        message.job_id,
        job.state if job else "missing",
        extra={"job_id": message.job_id, "action": "poison"},
    )


@bp.function_name("get_job")
@bp.route(route="jobs/{id}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def get_job(req: func.HttpRequest) -> func.HttpResponse:
    """Answer 200 with the job, 404 for an unknown id, 400 for a malformed one."""
    return answer("jobs", lambda: _get_job(req.route_params.get("id", "")))


def _get_job(job_id: str) -> func.HttpResponse:
    from shared.bootstrap import get_deps
    from shared.jobs.view import job_view

    job = get_deps().jobs.get(job_id)
    if job is None:
        return json_response(404, {"error": f"no job {job_id}"})
    return json_response(200, job_view(job))
