"""VM protection job kind on the job backbone: `vm_protection`, one capture set of one VM."""

from __future__ import annotations

from shared.engine.steps import azure_step
from shared.jobs.registry import Registry, StepContext, StepResult

PROTECTION_KIND = "vm_protection"


def _capture(ctx: StepContext) -> StepResult:
    """Capture every disk of the VM as one set (snapshots, or a clean copy)."""
    from shared.vms.protect import capture

    return capture(ctx)


def _copy(ctx: StepContext) -> StepResult:
    """Copy every snapshot of the set into the DR region through the copy scheduler."""
    from shared.vms.replicate import copy

    return copy(ctx)


def _manifest(ctx: StepContext) -> StepResult:
    """Write the set's recovery manifest in DR-region storage."""
    from shared.vms.replicate import manifest

    return manifest(ctx)


capture = azure_step(_capture)
copy = azure_step(_copy)
manifest = azure_step(_manifest)


def register(registry: Registry) -> None:
    """Declare the VM protection job kind (shared.features.JOB_KINDS points here)."""
    registry.register(
        PROTECTION_KIND,
        (("capture", capture), ("copy", copy), ("manifest", manifest)),
        "Captures one VM's disks as a set, copies them to the DR region, writes the manifest.",
    )
