"""The `plan_execution` job kind on the job backbone (shared.features.JOB_KINDS points here)."""

from __future__ import annotations

from shared.engine.steps import azure_step
from shared.jobs.registry import Registry, StepContext, StepResult


def _execute(ctx: StepContext) -> StepResult:
    """Issue the plan's writes in order; wait while Azure works on them."""
    from shared.outages.execute import run_execution

    return run_execution(ctx)


execute = azure_step(_execute)


def register(registry: Registry) -> None:
    """Declare the plan execution job kind."""
    from shared.outages.run import EXECUTION_KIND

    registry.register(
        EXECUTION_KIND,
        (("execute", execute),),
        "Executes an approved DR plan in the DR region: disks, NICs and VMs, templates, images.",
    )
