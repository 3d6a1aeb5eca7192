"""The `plan_execution` step: issue a DR plan's writes in order, re-entrantly, in the DR region.

Each round reads what is in flight, then issues what execution.next_writes says comes next
(groups in order; disks, NICs, then the VM; VM creates in flight capped per subscription and
DR region by LIFEBOAT_VM_CREATE_CONCURRENCY; a Compute 429 holds VM creates for its Retry-After).
Creates are started, not awaited (Azure works on many at once); the next round reads them.
Progress goes to the DR record store after every round, so a worker killed anywhere loses at
most one round, whose writes are idempotent (fixed names; VMs with `If-None-Match: *`).
Nothing here reads the primary region: everything comes from the approved plan document.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.arm_id import ResourceId
from shared.engine.actions import CreateDiskFromSnapshot, CreateNic, CreateVm, WriteAction
from shared.errors import InvalidInput
from shared.jobs.failures import Verdict, classify
from shared.jobs.registry import StepContext, StepResult
from shared.outages.execution import IntentKind, WriteIntent, item_phases, next_writes, plan_rto
from shared.outages.plan_model import DrPlan, PlanItem
from shared.outages.recovery_records import Progress, load_plan, load_progress, save_progress
from shared.scope import in_scope

if TYPE_CHECKING:
    from shared.bootstrap import Deps

log = logging.getLogger(__name__)

# Rounds per pass: a round that finishes something may unblock the next phase at once.
MAX_ROUNDS = 4
# A write that keeps failing transiently (5xx, region down, throttled) gives its item up after
# this many attempts; the rest of the plan goes on.
MAX_WRITE_ATTEMPTS = 12
POLL_SECONDS = 15.0
TAG_PLAN = "lifeboat-plan"
TAG_SOURCE = "lifeboat-source"
TAG_DRILL = "lifeboat-drill"


@dataclass(frozen=True)
class Target:
    """One write of the plan and the item it belongs to."""

    intent: WriteIntent
    item: PlanItem


def targets(plan: DrPlan) -> dict[str, Target]:
    """Return every write of `plan` by its key (case-folded resource id)."""
    out: dict[str, Target] = {}
    for item in plan.items:
        for phase in item_phases(item, plan.dr_region):
            for intent in phase:
                out[intent.key] = Target(intent, item)
    return out


def _tags(plan: DrPlan, item: PlanItem) -> dict[str, str]:
    tags = {TAG_PLAN: plan.plan_id, TAG_SOURCE: item.subject[:256]}
    if plan.drill_id:
        tags[TAG_DRILL] = plan.drill_id
    return tags


def action_for(plan: DrPlan, target: Target) -> WriteAction:
    """Return the engine action of a disk, NIC or VM write (everything from the plan)."""
    intent, item = target.intent, target.item
    vm = item.vm
    if vm is None:
        raise InvalidInput("plan.items", f"{item.subject} has no VM recovery details")
    region, tags = plan.dr_region, _tags(plan, item)
    if intent.kind is IntentKind.DISK:
        d = next(d for d in vm.disks if d.resource_id.lower() == intent.key)
        zone = d.zone or vm.vm.zone
        return CreateDiskFromSnapshot(d.resource_id, region, d.source_id, d.sku, zone, tags)
    if intent.kind is IntentKind.NIC:
        n = next(n for n in vm.nics if n.resource_id.lower() == intent.key)
        return CreateNic(
            n.resource_id,
            region,
            n.subnet_id,
            n.allocation,
            n.private_ip,
            n.accelerated_networking,
            tags,
        )
    if intent.kind is IntentKind.VM:
        v = vm.vm
        return CreateVm(
            v.resource_id,
            region,
            size=v.size,
            os_type=v.os_type,
            disks=tuple((d.resource_id, d.lun, d.caching) for d in vm.disks),
            nics=tuple((n.resource_id, n.primary or len(vm.nics) == 1) for n in vm.nics),
            security_type=v.security_type,
            secure_boot_enabled=v.secure_boot_enabled,
            vtpm_enabled=v.vtpm_enabled,
            zone=v.zone,
            tags=tags,
        )
    raise InvalidInput("intent.kind", f"{intent.kind} is no engine write")


class _Pass:
    """One pass of the step: rounds of reads and writes over one loaded progress."""

    def __init__(self, ctx: StepContext, plan: DrPlan, progress: Progress) -> None:
        self.ctx = ctx
        self.deps: Deps = ctx.app
        self.plan = plan
        self.progress = progress
        self.targets = targets(plan)
        self.throttled: float | None = None
        self.changed = False

    # ---- bookkeeping ----

    def _now(self) -> str:
        return self.ctx.now().isoformat()

    def _done(self, target: Target) -> None:
        key = target.intent.key
        self.progress.in_flight.pop(key, None)
        self.progress.done[key] = self._now()
        if target.intent.kind is IntentKind.VM:
            self.progress.running_at.setdefault(target.item.subject, self._now())
        self.changed = True

    def _fail_item(self, target: Target, reason: str) -> None:
        key = target.intent.key
        self.progress.in_flight.pop(key, None)
        self.progress.errors[key] = reason[:500]
        self.progress.failed.setdefault(
            target.item.subject, f"{target.intent.name}: {reason}"[:500]
        )
        self.changed = True
        log.warning("plan %s item %s failed: %s", self.plan.plan_id, target.item.subject, reason)

    def _flying(self, target: Target, **extra: Any) -> None:
        entry = self.progress.in_flight.setdefault(target.intent.key, {"since": self._now()})
        entry.update(extra)

    def _error(self, target: Target, exc: Exception) -> None:
        """A write or read raised: retry later, wait for quota, or give the item up."""
        failure = classify(exc, self.ctx.now())
        if failure.verdict is Verdict.CRASH:
            raise exc
        key = target.intent.key
        self.progress.errors[key] = failure.message[:500]
        if failure.verdict is Verdict.FAIL:
            self._fail_item(target, failure.message)
            return
        if _status(exc) == 429:
            # Waiting for quota is no failed attempt: Compute's Retry-After paces the creates.
            self.throttled = max(self.throttled or 0.0, failure.delay or POLL_SECONDS)
            self.progress.attempts[key] = max(0, self.progress.attempts.get(key, 0) - 1)
            return
        if self.progress.attempts.get(key, 0) >= MAX_WRITE_ATTEMPTS:
            self._fail_item(
                target, f"gave up after {MAX_WRITE_ATTEMPTS} attempts: {failure.message}"
            )

    # ---- reads of what is in flight ----

    def check(self, target: Target) -> None:
        """Read one in-flight write: finished, still going, gone (re-issue) or failed."""
        kind = target.intent.kind
        if kind is IntentKind.TEMPLATE:
            self._check_template(target)
            return
        from shared.azure import nics, recovery

        rid = ResourceId.parse(target.intent.resource_id, "resourceId")
        clients = self.deps.clients
        try:
            if kind is IntentKind.DISK:
                found = recovery.get_disk(clients, rid)
            elif kind is IntentKind.NIC:
                found = nics.get_nic(clients, rid)
            else:
                found = recovery.get_vm(clients, rid)
        except Exception as exc:  # classified: retry, wait or fail the item
            # A read that keeps failing (the DR region down) uses up the write's attempts too.
            key = target.intent.key
            self.progress.attempts[key] = self.progress.attempts.get(key, 0) + 1
            self._error(target, exc)
            return
        if found is None:
            self.progress.in_flight.pop(target.intent.key, None)  # lost: issue it again
        elif found.succeeded:
            self._done(target)
        elif found.failed:
            self._fail_item(target, f"Azure reports provisioningState Failed for {rid}")

    def _check_template(self, target: Target) -> None:
        from shared.jobs.model import JobState

        job_id = str(self.progress.in_flight[target.intent.key].get("job") or "")
        job = self.deps.jobs.get(job_id) if job_id else None
        if job is None:
            self.progress.in_flight.pop(target.intent.key, None)
        elif job.state is JobState.SUCCEEDED:
            self._done(target)
        elif job.state is JobState.FAILED:
            self._fail_item(target, f"template restore job {job_id} failed: {job.reason}")

    # ---- writes ----

    def issue(self, target: Target) -> None:
        """Issue one write; a finished answer is recorded at once, otherwise it is in flight."""
        intent = target.intent
        key = intent.key
        if not in_scope(intent.subscription, self.deps.settings.subscriptions):
            self._fail_item(target, f"subscription {intent.subscription} is not in scope")
            return
        self.progress.attempts[key] = self.progress.attempts.get(key, 0) + 1
        try:
            if intent.kind is IntentKind.IMAGE_CHECK:
                self.progress.notes[target.item.subject] = (
                    f"DR gallery version {intent.resource_id}"
                )
                self._done(target)
            elif intent.kind is IntentKind.TEMPLATE:
                self._restore_template(target)
            else:
                self._write(target)
        except Exception as exc:  # classified: retry, wait or fail the item
            self._error(target, exc)

    def _restore_template(self, target: Target) -> None:
        from shared.templates.jobs import start_restore
        from shared.templates.requests import RestoreRequest

        template = target.item.template
        if template is None:
            raise InvalidInput("plan.items", f"{target.item.subject} has no template details")
        request = RestoreRequest(
            ResourceId.parse(target.item.subject, "subject"),
            template.backup_version,
            name=template.name,
        )
        accepted = start_restore(request, self.deps)
        self._flying(target, job=accepted.job_id)
        self.changed = True

    def _write(self, target: Target) -> None:
        from shared.azure.recovery import Recovered
        from shared.engine.executor import execute

        action = action_for(self.plan, target)
        result = execute(self.deps.clients, self.deps.settings, action)
        self.changed = True
        if isinstance(result, Recovered) and result.succeeded:
            self._done(target)
        elif isinstance(result, Recovered) and result.failed:
            self._fail_item(target, f"Azure answered provisioningState Failed for {action.target}")
        else:
            self._flying(target)

    # ---- the rounds ----

    def blocked_keys(self) -> set[str]:
        """Writes of failed items: next_writes treats them as settled so the plan goes on."""
        failed = {s.lower() for s in self.progress.failed}
        return {k for k, t in self.targets.items() if t.item.subject.lower() in failed}

    def round(self) -> bool:
        """Run one round; return True when the plan has nothing left to do."""
        self.changed = False
        for key in sorted(self.progress.in_flight):
            target = self.targets.get(key)
            if target is None:
                self.progress.in_flight.pop(key, None)
            elif key not in self.progress.done:
                self.check(target)
        settled = set(self.progress.done) | self.blocked_keys()
        nxt = next_writes(
            self.plan,
            sorted(settled),
            sorted(self.progress.in_flight),
            self.deps.settings.vm_create_concurrency,
        )
        if nxt.complete:
            return True
        for intent in nxt.writes:
            if self.throttled is not None and intent.kind is IntentKind.VM:
                continue  # Compute throttled VM creates: wait for its quota
            self.issue(self.targets[intent.key])
        return False


def _status(exc: BaseException) -> int | None:
    from shared.azure.failures import answered_status

    return answered_status(exc)


def alert_time(data: Mapping[str, Any], fallback: datetime) -> datetime:
    """Return when the alert was received (the job's submission time when unknown)."""
    raw = data.get("alertReceivedAt")
    return datetime.fromisoformat(raw) if isinstance(raw, str) and raw else fallback


def rto_figures(
    plan: DrPlan, progress: Progress, alert: datetime
) -> tuple[dict[str, float], float | None]:
    """Return (RTO seconds per VM subject, the plan's RTO or None while a VM is not running)."""
    from shared.outages.execution import rto_per_vm

    running = {s: datetime.fromisoformat(t) for s, t in progress.running_at.items()}
    return rto_per_vm(alert, running), plan_rto(plan, alert, running)


def summary(plan: DrPlan, progress: Progress, alert: datetime) -> dict[str, Any]:
    """Return the small summary kept in job data (GET /api/jobs/{id} shows it)."""
    per_vm, rto = rto_figures(plan, progress, alert)
    total = len(targets(plan))
    return {
        "writes": {
            "total": total,
            "done": len(progress.done),
            "inFlight": len(progress.in_flight),
        },
        "failedItems": len(progress.failed),
        "vmsRunning": len(per_vm),
        "rtoSeconds": rto,
    }


def run_execution(ctx: StepContext) -> StepResult:
    """Advance the execution as far as it goes now; wait while Azure works, done at the end.

    Re-entrant: a pass re-reads what is in flight and never repeats a finished write; a
    repeated create finds its resource by name. Fails (after finishing every other item) when
    an item could not be recovered, naming the items.
    """
    deps = ctx.app
    plan_id, revision = str(ctx.data["planId"]), int(ctx.data["revision"])
    plan = load_plan(deps.records, plan_id, revision)
    if plan is None:
        return StepResult.fail(f"no approved plan stored for {plan_id} revision {revision}")
    progress = load_progress(deps.records, plan_id, revision)
    alert = alert_time(ctx.data, ctx.now())
    work = _Pass(ctx, plan, progress)
    complete = False
    for _ in range(MAX_ROUNDS):
        complete = work.round()
        save_progress(deps.records, plan_id, revision, progress)
        if complete or not work.changed or work.throttled is not None:
            break
    if not complete:
        wait = work.throttled if work.throttled is not None else POLL_SECONDS
        reason = f"{len(progress.in_flight)} writes in flight"
        return StepResult.wait(wait, reason, summary(plan, progress, alert))
    if progress.finished_at is None:
        progress.finished_at = ctx.now().isoformat()
        save_progress(deps.records, plan_id, revision, progress)
    data = summary(plan, progress, alert)
    from shared.publish.plans import emit_plan_finished

    total, failed = len(plan.items), len(progress.failed)
    if progress.failed:
        names = ", ".join(sorted(progress.failed)[:5])
        reason = f"{failed} items not recovered: {names}"
        emit_plan_finished(
            ctx, plan, recovered=total - failed, failed=failed, started_at=alert, reason=reason
        )
        return StepResult.fail(reason, data)
    emit_plan_finished(ctx, plan, recovered=total, failed=0, started_at=alert)
    return StepResult.done(data)
