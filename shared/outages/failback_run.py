"""Failback on Resolved, over the stores and the job backbone.

When the incident of an executed outage plan resolves, `fail_back` stores its failback plan
(deterministic id: the same plan however often the incident resolves) and submits the
`plan_failback` job: it waits for the source execution to end, starts the VM protection of
every recovered DR VM towards its primary region (the `vm_protection` job with a target region
and resource group, so the same capture steps, copy scheduler and limits), and records when
every copy back is complete (state `awaiting_approval`). Approving the plan submits
`failback_cleanup`, which deletes the DR-side resources recovery created in dependency order
(the drills' deletion step) and reports what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.jobs.messages import iso, parse_time
from shared.jobs.model import JobState, job_id_for
from shared.outages import approval
from shared.outages.approval import PlanState, PlanStatus
from shared.outages.errors import StoreConflict
from shared.outages.failback import (
    copies_complete,
    executed_status,
    on_resolved,
    open_failback,
    reprotect_failed,
    to_document,
)
from shared.outages.plan_model import DrPlan, PlanKind
from shared.outages.store import StoredPlan

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.jobs.registry import StepContext, StepResult
    from shared.outages.failback_model import FailbackVm
    from shared.outages.run import ExecutionView

logger = logging.getLogger(__name__)
FAILBACK_KIND = "plan_failback"
CLEANUP_KIND = "failback_cleanup"
PURPOSE = "failback"
EXECUTION_POLL_SECONDS = 30.0
_ATTEMPTS = 25


def _done(deps: Deps, execution: ExecutionView) -> list[str]:
    from shared.outages.recovery_records import load_progress

    return list(load_progress(deps.records, execution.plan_id, execution.revision).done)


def _failback_document(
    deps: Deps, source: StoredPlan, execution: ExecutionView, now: datetime
) -> DrPlan | None:
    status = executed_status(source.status, execution.state)
    outcome = on_resolved(source.plan, status, _done(deps, execution), now)
    if outcome.failback is None:
        return None
    group = deps.settings.failback_resource_group
    return to_document(outcome.failback, source.plan, execution.revision, group)


def fail_back(
    deps: Deps, source: StoredPlan, execution: ExecutionView, now: datetime
) -> StoredPlan | None:
    """Store the failback plan of an executed outage plan and submit its job; idempotent.

    Returns the stored failback plan (the one already stored when the incident resolved
    before), or None for a plan that fails back nothing (a drill).
    """
    document = _failback_document(deps, source, execution, now)
    if document is None:
        return None
    stored = deps.plans.get(document.plan_id)
    if stored is None:
        try:
            stored = deps.plans.create(document, open_failback(document.plan_id, now))
        except StoreConflict:  # a concurrent delivery stored it first
            stored = deps.plans.get(document.plan_id)
            assert stored is not None
    submit_failback(deps, stored.plan_id)
    logger.info(
        "plan %s failback %s (%s)",
        source.plan_id,
        stored.plan_id,
        stored.status.state.value,
        extra={"plan_id": stored.plan_id},
    )
    return stored


def submit_failback(deps: Deps, failback_id: str) -> str:
    """Submit (or find) the `plan_failback` job of a failback plan; return its job id."""
    return deps.jobs.submit(FAILBACK_KIND, failback_id, {"planId": failback_id}).job.id


def cleanup_spec_record(failback_id: str) -> str:
    """The record naming what a failback's cleanup deletes (the drills' cleanup reads it)."""
    return f"failback-work/{failback_id}/spec.json"


def submit_cleanup(deps: Deps, stored: StoredPlan) -> str:
    """Submit (or find) the cleanup of an approved failback plan; return its job id.

    What to delete is written to DR-region records first (a plan's resources outgrow a job
    record); rewriting it is idempotent (the same content).
    """
    from shared.outages.failback import cleanup_of

    created = [
        {"kind": c.kind.value, "id": c.resource_id, "owner": c.owner}
        for c in cleanup_of(stored.plan)
    ]
    spec = {"drill_id": stored.plan_id, "created": created}
    name = cleanup_spec_record(stored.plan_id)
    deps.records.put(name, spec, {"kind": "failback-cleanup", "planid": stored.plan_id})
    data = {"planId": stored.plan_id, "spec": name}
    return deps.jobs.submit(CLEANUP_KIND, stored.plan_id, data).job.id


def _move(deps: Deps, plan_id: str, change: Any) -> StoredPlan:
    """Apply `change(stored) -> (plan, status)` under the plan's ETag (retried on a race)."""
    for _ in range(_ATTEMPTS):
        current = deps.plans.get(plan_id)
        if current is None:
            raise LookupError(f"failback plan {plan_id} is not stored")
        plan, status = change(current)
        if plan == current.plan and status == current.status:
            return current
        try:
            return deps.plans.replace(plan, status, current.etag)
        except StoreConflict:
            continue
    raise StoreConflict(plan_id)


# ---- the reprotect job: settle → reprotect → await copies ----


def _stored(ctx: StepContext) -> StoredPlan | None:
    return ctx.app.plans.get(str(ctx.data["planId"]))


def settle(ctx: StepContext) -> StepResult:
    """Wait until the source execution ended, then bring the failback plan to what it created."""
    from shared.jobs.registry import StepResult
    from shared.outages.run import execution_view
    from shared.publish.events import plan_created

    stored = _stored(ctx)
    if stored is None or stored.plan.failback is None:
        return StepResult.fail(f"failback plan {ctx.data['planId']} is not stored")
    source = ctx.app.plans.get(stored.plan.failback.source_plan_id)
    execution = execution_view(ctx.app, stored.plan.failback.source_plan_id)
    if source is None or execution is None:
        return StepResult.fail("the executed plan or its execution is gone")
    if execution.state not in ("succeeded", "failed"):
        return StepResult.wait(EXECUTION_POLL_SECONDS, f"the plan's execution is {execution.state}")
    document = _failback_document(ctx.app, source, execution, stored.plan.created_at)
    if document is not None and stored.status.state is PlanState.REPROTECTING:
        stored = _move(ctx.app, stored.plan_id, lambda s: (document, s.status))
    detail = stored.plan.failback
    assert detail is not None
    regions = sorted({r.to_region for r in detail.reprotect}) or [stored.plan.dr_region]
    event = plan_created(
        stored.plan_id,
        region=regions[0],
        dr_region=stored.plan.dr_region,
        resources=len(detail.reprotect),
        requires_approval=True,
        created_at=stored.status.created_at,
        outage_id=stored.plan.incident_key or None,
    )
    ctx.emit(*event, fact=f"plan|{stored.plan_id}|created")
    return StepResult.done({"vms": len(detail.reprotect)})


def _slot(plan: DrPlan) -> datetime:
    from shared.vms.service import minute

    return minute(plan.created_at)


def protection_job_id(plan: DrPlan, vm: FailbackVm) -> str:
    """The job id of one DR VM's protection back to its primary region."""
    from shared.vms.jobs import PROTECTION_KIND
    from shared.vms.naming import set_id

    return job_id_for(PROTECTION_KIND, set_id(vm.dr_vm_id, _slot(plan)))


def _protect_back(deps: Deps, plan: DrPlan, vm: FailbackVm) -> str:
    from shared.vms.jobs import PROTECTION_KIND
    from shared.vms.naming import set_id
    from shared.vms.policy import Mode

    assert plan.failback is not None
    slot = _slot(plan)
    data = {
        "vm_id": vm.dr_vm_id,
        "slot": iso(slot),
        # Snapshots: the DR VM serves traffic, a clean copy would stop it.
        "mode": Mode.SNAPSHOT.value,
        "group": None,
        "trigger": PURPOSE,
        "rpo_deadline": iso(slot),
        "purpose": PURPOSE,
        "failback_plan_id": plan.plan_id,
        "target_region": vm.to_region,
        "target_resource_group": plan.failback.resource_group,
    }
    return deps.jobs.submit(PROTECTION_KIND, set_id(vm.dr_vm_id, slot), data).job.id


def _place_copies(deps: Deps, plan: DrPlan) -> str | None:
    """Make sure the failback group exists in each primary region the copies go to (created
    there when missing); the reason when it is located elsewhere or may not be created."""
    from shared.arm_id import ResourceId
    from shared.azure.resource_groups import ensure_group
    from shared.errors import ConfigurationError

    assert plan.failback is not None
    group = plan.failback.resource_group
    wanted = sorted(
        {
            (ResourceId.parse(vm.dr_vm_id, "drVmId").subscription.lower(), vm.to_region.lower())
            for vm in plan.failback.reprotect
        }
    )
    for subscription, region in wanted:
        try:
            ensure_group(deps.clients, subscription, group, region)
        except ConfigurationError as exc:
            return (
                f"LIFEBOAT_FAILBACK_RESOURCE_GROUP: the copies back to {region} need resource "
                f"group {group!r} located in {region} in subscription {subscription}: {exc}"
            )
    return None


def reprotect(ctx: StepContext) -> StepResult:
    """Start the protection of every DR VM towards its primary region (idempotent per VM)."""
    from shared.jobs.registry import StepResult

    stored = _stored(ctx)
    if stored is None or stored.plan.failback is None:
        return StepResult.fail(f"failback plan {ctx.data['planId']} is not stored")
    problem = _place_copies(ctx.app, stored.plan)
    if problem is not None:
        return StepResult.fail(problem)
    jobs = [_protect_back(ctx.app, stored.plan, vm) for vm in stored.plan.failback.reprotect]
    return StepResult.done({"protections": len(jobs)})


def copy_states(deps: Deps, plan: DrPlan) -> list[dict[str, Any]]:
    """Per DR VM: its protection job, where it stands, and its copies in the primary region."""
    out = []
    for vm in plan.failback.reprotect if plan.failback else ():
        job_id = protection_job_id(plan, vm)
        job = deps.jobs.get(job_id)
        entry: dict[str, Any] = {
            "sourceVmId": vm.source_vm_id,
            "drVmId": vm.dr_vm_id,
            "fromRegion": vm.from_region,
            "toRegion": vm.to_region,
            "jobId": job_id,
            "state": "pending" if job is None else _copy_state(job.state, job.data),
        }
        if job is not None:
            disks = (job.data.get("plan") or {}).get("disks") or []
            entry["copies"] = [d["dr_snapshot"] for d in disks]
            if job.data.get("complete_at"):
                entry["completeAt"] = job.data["complete_at"]
            why = job.data.get("ended") or (job.reason if job.state is JobState.FAILED else None)
            if why:
                entry["error"] = str(why)
        out.append(entry)
    return out


def _copy_state(state: JobState, data: Any) -> str:
    if state is JobState.SUCCEEDED:
        return "failed" if data.get("ended") else "complete"
    if state is JobState.FAILED:
        return "failed"
    return "copying"


def not_copied(deps: Deps, plan: DrPlan) -> int:
    """How many DR VMs have no complete copy in the primary region yet."""
    return sum(1 for c in copy_states(deps, plan) if c["state"] != "complete")


def await_copies(ctx: StepContext) -> StepResult:
    """Wait for every copy back; then the plan awaits approval of its cleanup (with the time)."""
    from shared.jobs.registry import StepResult
    from shared.publish.events import plan_awaiting_approval

    stored = _stored(ctx)
    if stored is None:
        return StepResult.fail(f"failback plan {ctx.data['planId']} is not stored")
    states = copy_states(ctx.app, stored.plan)
    missing = [s for s in states if s["state"] == "pending"]
    for vm in stored.plan.failback.reprotect if stored.plan.failback else ():
        if any(m["drVmId"] == vm.dr_vm_id for m in missing):
            _protect_back(ctx.app, stored.plan, vm)  # a lost submission: submit it again
    copying = [s for s in states if s["state"] in ("pending", "copying")]
    if copying:
        wait = ctx.settings.vms_copy_poll_seconds
        return StepResult.wait(wait, f"{len(copying)} VM(s) still copying to the primary region")
    failed = [
        f"{s['drVmId']}: {s.get('error') or 'failed'}" for s in states if s["state"] == "failed"
    ]
    now = ctx.now()
    if failed:
        reason = "copy back failed: " + "; ".join(failed)
        _move(ctx.app, stored.plan_id, lambda s: (s.plan, reprotect_failed(s.status, now, reason)))
        return StepResult.fail(reason[:1000])
    times = [parse_time(s["completeAt"]) for s in states if s.get("completeAt")]
    at = max(times, default=now)
    moved = _move(ctx.app, stored.plan_id, lambda s: (s.plan, copies_complete(s.status, at, now)))
    from shared.outages.service import approve_url

    event = plan_awaiting_approval(
        moved.plan_id,
        region=sorted({s["toRegion"] for s in states} or {moved.plan.dr_region})[0],
        dr_region=moved.plan.dr_region,
        resources=len(moved.plan.failback.cleanup) if moved.plan.failback else 0,
        approve_url=approve_url(ctx.app, moved.plan_id),
        since=moved.status.updated_at,
    )
    ctx.emit(*event, fact=f"plan|{moved.plan_id}|awaiting")
    return StepResult.done({"copies_complete_at": iso(at)})


# ---- the cleanup job: begin → delete (the drills' step) → finish ----


def begin_cleanup(ctx: StepContext) -> StepResult:
    """Approved → executing (the cleanup started); any later state is kept."""
    from shared.jobs.registry import StepResult

    now = ctx.now()

    def start(s: StoredPlan) -> tuple[DrPlan, PlanStatus]:
        if s.status.state is PlanState.APPROVED:
            return s.plan, approval.start(s.status, now)
        return s.plan, s.status

    moved = _move(ctx.app, str(ctx.data["planId"]), start)
    if moved.status.state not in {PlanState.EXECUTING, PlanState.DONE, PlanState.FAILED}:
        return StepResult.fail(f"the failback plan is {moved.status.state.value}, not approved")
    return StepResult.done({"started_at": iso(moved.status.started_at or now)})


def delete(ctx: StepContext) -> StepResult:
    """Delete the next wave of DR-side resources: VMs, then their NICs and disks."""
    from shared.drills.followup import delete as delete_wave

    return delete_wave(ctx)


def finish_cleanup(ctx: StepContext) -> StepResult:
    """Executing → done (everything deleted) or failed (naming what is left); the event."""
    from shared.jobs.registry import StepResult
    from shared.publish.events import plan_executed, plan_failed

    cleanup = dict(ctx.data.get("cleanup") or {})
    left: dict[str, str] = dict(cleanup.get("left") or {})
    complete = bool(cleanup.get("complete"))
    now = ctx.now()
    reason = None if complete else "left: " + "; ".join(f"{k}: {v}" for k, v in left.items())

    def finish(s: StoredPlan) -> tuple[DrPlan, PlanStatus]:
        if s.status.state is not PlanState.EXECUTING:
            return s.plan, s.status
        return s.plan, approval.finish(s.status, now, complete, reason)

    moved = _move(ctx.app, str(ctx.data["planId"]), finish)
    started = parse_time(ctx.data.get("started_at") or iso(now))
    if reason is None:
        event = plan_executed(
            moved.plan_id,
            recovered=int(cleanup.get("deleted") or 0),
            failed=len(left),
            started_at=started,
            finished_at=now,
        )
    else:
        event = plan_failed(moved.plan_id, reason=reason, failed_at=now, step=ctx.step)
    ctx.emit(*event, fact=f"plan|{moved.plan_id}|finished")
    return StepResult.done({"cleanup": cleanup})


def cleanup_view(deps: Deps, plan_id: str) -> dict[str, Any] | None:
    """The cleanup job of a failback plan: its state, what was deleted and what is left."""
    job = deps.jobs.get(job_id_for(CLEANUP_KIND, plan_id))
    if job is None:
        return None
    cleanup = dict(job.data.get("cleanup") or {})
    return {
        "jobId": job.id,
        "statusUrl": f"/api/jobs/{job.id}",
        "state": job.state.value,
        "complete": cleanup.get("complete"),
        "deleted": cleanup.get("deleted"),
        "left": cleanup.get("left") or {},
    }


def failback_view(deps: Deps, stored: StoredPlan) -> dict[str, Any] | None:
    """The `failback` part of GET /api/plans/{id}: source, copies back, cleanup."""
    detail = stored.plan.failback
    if stored.plan.kind is not PlanKind.FAILBACK or detail is None:
        return None
    at = stored.status.copies_complete_at
    return {
        "sourcePlanId": detail.source_plan_id,
        "sourceRevision": detail.source_revision,
        "resourceGroup": detail.resource_group,
        "copiesCompleteAt": at.isoformat() if at else None,
        "vms": copy_states(deps, stored.plan),
        "cleanup": [
            {"kind": c.kind, "resourceId": c.resource_id, "owner": c.owner} for c in detail.cleanup
        ],
        "cleanupJob": cleanup_view(deps, stored.plan_id),
    }


def failback_plans(plans: Iterable[StoredPlan]) -> list[StoredPlan]:
    """The failback plans among `plans`."""
    return [p for p in plans if p.plan.kind is PlanKind.FAILBACK]
