"""Job steps that call Azure: throttling that outlasted the SDK waits, 409s from races retried."""

from __future__ import annotations

from shared.jobs.registry import StepContext, StepFn, StepResult


def azure_step(step: StepFn) -> StepFn:
    """Return `step` run with throttling waits and transient 409s turned into job retries."""

    def run(ctx: StepContext) -> StepResult:
        from shared.azure.arm_calls import throttling_waits, transient_conflicts

        with throttling_waits(), transient_conflicts():
            return step(ctx)

    run.__doc__ = step.__doc__
    return run
