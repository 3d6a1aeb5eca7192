"""The failback job kinds: `plan_failback` (copy the DR VMs back) and `failback_cleanup`."""

from __future__ import annotations

from shared.engine.steps import azure_step
from shared.jobs.registry import Registry, StepContext, StepResult
from shared.outages.failback_run import CLEANUP_KIND, FAILBACK_KIND


def _settle(ctx: StepContext) -> StepResult:
    """Wait for the source execution to end; the failback plan covers what it created."""
    from shared.outages.failback_run import settle

    return settle(ctx)


def _reprotect(ctx: StepContext) -> StepResult:
    """Start the protection of every recovered DR VM towards its primary region."""
    from shared.outages.failback_run import reprotect

    return reprotect(ctx)


def _await_copies(ctx: StepContext) -> StepResult:
    """Wait until every copy back is complete; then the cleanup awaits approval."""
    from shared.outages.failback_run import await_copies

    return await_copies(ctx)


def _begin(ctx: StepContext) -> StepResult:
    """Mark the approved failback plan executing."""
    from shared.outages.failback_run import begin_cleanup

    return begin_cleanup(ctx)


def _delete(ctx: StepContext) -> StepResult:
    """Delete the DR-side resources recovery created, in dependency order."""
    from shared.outages.failback_run import delete

    return delete(ctx)


def _finish(ctx: StepContext) -> StepResult:
    """Mark the failback plan done (or failed, naming what is left)."""
    from shared.outages.failback_run import finish_cleanup

    return finish_cleanup(ctx)


def register(registry: Registry) -> None:
    """Declare the failback job kinds (shared.features.JOB_KINDS points here)."""
    registry.register(
        FAILBACK_KIND,
        (
            ("settle", azure_step(_settle)),
            ("reprotect", azure_step(_reprotect)),
            ("await_copies", azure_step(_await_copies)),
        ),
        "Protects the VMs an outage plan recovered back to their primary region.",
    )
    registry.register(
        CLEANUP_KIND,
        (
            ("begin", azure_step(_begin)),
            ("delete", azure_step(_delete)),
            ("finish", azure_step(_finish)),
        ),
        "Deletes the DR-side resources of a failback plan once its cleanup is approved.",
    )
