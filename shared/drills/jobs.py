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
