"""The steps of `drill_cleanup`: validate the drill's VMs, hold for the window, delete every
resource the drill created in dependency order, and keep the evidence.

Every step is re-entrant and keeps its progress in job data: a worker killed at any point
re-runs the step, and deleting what is already gone is success (404 → done).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from shared.arm_id import ResourceId
from shared.drills import evidence
from shared.drills.spec import created_of, started_of, vms_of
from shared.drills.validation import (
    ProbeConfig,
    Reading,
    Verdict,
    judge,
    probe_named,
    read_vms,
)
from shared.drills.work import facts, save_progress
from shared.errors import AzureRefused, ConfigurationError
from shared.jobs.messages import iso, parse_time
from shared.jobs.registry import StepContext, StepResult
from shared.outages.cleanup import CreatedKind, CreatedResource, next_deletions

POLL_SECONDS = 15.0
"""How often validation looks again at a VM that has not passed yet."""


def validate(ctx: StepContext) -> StepResult:
    """Judge each VM not yet judged; wait while any is pending; record validation time."""
    data = facts(ctx)
    started = started_of(data)
    timeout = timedelta(seconds=float(data.get("timeout_seconds") or 0))
    probe = probe_named(str(data.get("probe") or "none"), ProbeConfig.of(ctx.app.settings))
    done: dict[str, Any] = dict(data.get("validations") or {})
    now = ctx.now()
    pending = 0
    judged = (Verdict.PASSED, Verdict.FAILED)
    todo = [
        vm for vm in vms_of(data) if (done.get(vm.vm_id.lower()) or {}).get("verdict") not in judged
    ]
    rids = [ResourceId.parse(vm.vm_id, "vm_id") for vm in todo]
    for vm, reading in zip(todo, read_vms(ctx.app.clients, rids, probe), strict=True):
        key = vm.vm_id.lower()
        verdict = judge(vm.vm_id, reading, started, now, timeout)
        done[key] = verdict.to_json()
        pending += verdict.verdict is Verdict.PENDING
    save_progress(ctx, data, validations=done)
    if pending:
        return StepResult.wait(POLL_SECONDS, f"{pending} VM(s) not validated yet")
    return StepResult.done({"validated_at": iso(now)})


def hold(ctx: StepContext) -> StepResult:
    """Keep the drill's VMs for the validation window, then move on to cleanup."""
    now = ctx.now()
    until = ctx.data.get("hold_until")
    if not until:
        window = timedelta(seconds=float(facts(ctx).get("window_seconds") or 0))
        until = iso(now + window)
    left = (parse_time(until) - now).total_seconds()
    if left > 0:
        return StepResult.wait(left, "validation window open", {"hold_until": until})
    return StepResult.done({"hold_until": until})


def _delete(ctx: StepContext, resource: CreatedResource) -> None:
    from shared.azure import drill_network as net
    from shared.azure.failures import azure_failures

    rid = ResourceId.parse(resource.resource_id, "created")
    call = {
        CreatedKind.VM: net.delete_vm,
        CreatedKind.NIC: net.delete_nic,
        CreatedKind.DISK: net.delete_disk,
        CreatedKind.NETWORK: net.delete_network,
    }[resource.kind]
    with azure_failures(f"deleting drill {resource.kind.value} {rid.name}", denied=False):
        call(ctx.app.clients, rid)


def delete(ctx: StepContext) -> StepResult:
    """Delete the next wave (VMs, then their NICs and disks, then the network); repeat."""
    data = facts(ctx)
    created = created_of(data)
    gone: list[str] = list(data.get("gone") or [])
    failed: dict[str, str] = dict(data.get("failed") or {})
    progress = next_deletions(created, gone, failed)
    if progress.settled:
        cleanup = {
            "complete": progress.complete,
            "deleted": len(gone),
            "left": dict(progress.left),
        }
        return StepResult.done({"cleanup": cleanup})
    for resource in progress.deletions:
        try:
            _delete(ctx, resource)
        except (AzureRefused, ConfigurationError) as exc:
            failed[resource.key] = str(exc)
            save_progress(ctx, data, gone=gone, failed=failed)
            continue
        gone.append(resource.key)
        save_progress(ctx, data, gone=gone, failed=failed)
    return StepResult.wait(0, "deleting the next wave")


def record(ctx: StepContext) -> StepResult:
    """Write the drill's evidence to DR-region storage (overwriting the same record)."""
    data: Mapping[str, Any] = facts(ctx)
    doc = evidence.build(data, vms_of(data), started_of(data), ctx.now(), data.get("cleanup") or {})
    ctx.app.records.put(evidence.record_name(doc["drillId"]), doc, evidence.metadata(doc))
    from shared.publish.plans import emit_drill_completed

    emit_drill_completed(ctx, doc)
    from shared.telemetry import record_drill_rto

    record_drill_rto(
        str(doc["drillId"]), str(doc.get("scope") or ""), doc["passed"], doc["rtoSeconds"]
    )
    return StepResult.done({"passed": doc["passed"], "rto_seconds": doc["rtoSeconds"]})


__all__ = ["Reading", "delete", "hold", "record", "validate"]
