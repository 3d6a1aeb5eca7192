"""The drill follow-up job kind, `drill_cleanup`: validate → hold the window → delete → record."""

from __future__ import annotations

from shared.engine.steps import azure_step
from shared.jobs.registry import Registry, StepContext, StepResult

CLEANUP_KIND = "drill_cleanup"


def _validate(ctx: StepContext) -> StepResult:
    """Judge each drill VM: provisioning Succeeded, running, Resource Health Available."""
    from shared.drills.followup import validate

    return validate(ctx)


def _hold(ctx: StepContext) -> StepResult:
    """Keep the drill's resources for the validation window."""
    from shared.drills.followup import hold

    return hold(ctx)


def _delete(ctx: StepContext) -> StepResult:
    """Delete every resource the drill created, in dependency order."""
    from shared.drills.followup import delete

    return delete(ctx)


def _record(ctx: StepContext) -> StepResult:
    """Keep the drill's evidence in DR-region storage."""
    from shared.drills.followup import record

    return record(ctx)


RUN_KIND = "drill_run"
EXECUTION_POLL_SECONDS = 15.0


def _await_execution(ctx: StepContext) -> StepResult:
    """Wait (re-entrant) until the drill plan's execution succeeded or failed."""
    from shared.outages.run import execution_view

    view = execution_view(ctx.app, str(ctx.data["planId"]))
    if view is None:
        return StepResult.wait(EXECUTION_POLL_SECONDS, "the drill's execution is not visible yet")
    if view.state not in ("succeeded", "failed"):
        return StepResult.wait(EXECUTION_POLL_SECONDS, f"the drill's execution is {view.state}")
    return StepResult.done({"executionState": view.state, "executionJobId": view.job_id})


def _submit_followup(ctx: StepContext) -> StepResult:
    """Submit the drill's follow-up (validate, window, cleanup, evidence); idempotent."""
    from shared.drills.chain import followup_for_plan
    from shared.drills.service import submit_followup
    from shared.drills.spec import started_of
    from shared.drills.start import network_of, window_of
    from shared.outages.recovery_records import load_plan

    plan = load_plan(ctx.app.records, str(ctx.data["planId"]), int(ctx.data["revision"]))
    if plan is None:
        return StepResult.fail(f"the drill plan {ctx.data['planId']} is not stored")
    window, timeout = window_of(ctx.data)
    followup = followup_for_plan(
        plan,
        network_of(ctx.data),
        started_at=started_of({"started_at": ctx.data["startedAt"]}),
        subscriptions=ctx.app.settings.subscriptions,
        rto_targets=ctx.app.settings.tier_rto_target_seconds(),
        window=window,
        timeout=timeout,
        probe=ctx.app.settings.drill_probe,
    )
    accepted = submit_followup(ctx.app, followup)
    return StepResult.done({"followupJobId": accepted.job_id})


def register(registry: Registry) -> None:
    """Declare the drill follow-up job kind (shared.features.JOB_KINDS points here)."""
    registry.register(
        CLEANUP_KIND,
        (
            ("validate", azure_step(_validate)),
            ("hold", azure_step(_hold)),
            ("delete", azure_step(_delete)),
            ("record", azure_step(_record)),
        ),
        "Validates a drill's VMs, keeps them for the window, deletes what it created, "
        "records the evidence.",
    )
    registry.register(
        RUN_KIND,
        (
            ("await_execution", _await_execution),
            ("followup", azure_step(_submit_followup)),
        ),
        "Waits for a drill plan's execution to finish, then submits its follow-up.",
    )
