"""Executing an approved DR plan in the DR region: submit it, and see how far it got.

The interface the outage and drill entry points call. A plan of kind drill runs through the
same job: its names carry the drill id and its NICs go to the drill network the plan names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from shared.arm_id import ResourceId
from shared.errors import InvalidInput
from shared.jobs.model import Job, JobState, job_id_for
from shared.outages.execute import alert_time, rto_figures, targets
from shared.outages.execution import IntentKind
from shared.outages.plan_model import DrPlan
from shared.outages.recovery_records import (
    Progress,
    latest_revision,
    load_plan,
    load_progress,
    store_plan,
)
from shared.scope import require_in_scope

if TYPE_CHECKING:
    from shared.bootstrap import Deps

EXECUTION_KIND = "plan_execution"

ExecutionState = Literal["queued", "running", "succeeded", "failed"]
_STATES: dict[JobState, ExecutionState] = {
    JobState.PENDING: "queued",
    JobState.RUNNING: "running",
    JobState.WAITING: "running",
    JobState.SUCCEEDED: "succeeded",
    JobState.FAILED: "failed",
}


def execution_key(plan_id: str, revision: int) -> str:
    """The job key of (plan id, revision): one approved revision, one execution."""
    return f"{plan_id}@r{revision}"


def execution_job_id(plan_id: str, revision: int) -> str:
    """The job id of the execution of (plan id, revision)."""
    return job_id_for(EXECUTION_KIND, execution_key(plan_id, revision))


def _check(plan: DrPlan, revision: int, deps: Deps) -> None:
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise InvalidInput("revision", f"expected a non-negative integer, got {revision!r}")
    for item in plan.items:
        require_in_scope(
            ResourceId.parse(item.subject, "items.subject"),
            deps.settings.subscriptions,
            "items.subject",
        )


def submit_execution(
    deps: Deps, plan: DrPlan, *, revision: int, alert_received_at: datetime | None
) -> str:
    """Start (or find) the execution of `plan` at `revision`; return its job id.

    Idempotent per (plan id, revision): a repeated call returns the same job and changes
    nothing. The approved plan is stored in the DR record store before the job exists, so
    execution reads only the DR region. Raises InvalidInput naming `revision` or
    `items.subject` (an item outside LIFEBOAT_SUBSCRIPTIONS) before anything is written.
    """
    _check(plan, revision, deps)
    job_id = execution_job_id(plan.plan_id, revision)
    store_plan(deps.records, plan, revision, job_id, alert_received_at)
    data = {
        "planId": plan.plan_id,
        "revision": revision,
        "planKind": plan.kind.value,
        "drillId": plan.drill_id,
        "alertReceivedAt": alert_received_at.isoformat() if alert_received_at else None,
    }
    submission = deps.jobs.submit(EXECUTION_KIND, execution_key(plan.plan_id, revision), data)
    return submission.job.id


@dataclass(frozen=True)
class WriteView:
    """One write of an item: what it creates and where it stands."""

    kind: str
    resource_id: str
    name: str
    state: Literal["pending", "in_progress", "done", "failed"]
    done_at: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the write as JSON."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "resourceId": self.resource_id,
            "name": self.name,
            "state": self.state,
        }
        if self.done_at:
            out["doneAt"] = self.done_at
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class ItemView:
    """One plan item: its state, writes, and (VMs) when it ran and its RTO."""

    subject: str
    kind: str
    group: str
    state: Literal["pending", "running", "succeeded", "failed", "blocked"]
    writes: tuple[WriteView, ...]
    running_at: str | None = None
    rto_seconds: float | None = None
    error: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the item as JSON."""
        out: dict[str, Any] = {
            "subject": self.subject,
            "kind": self.kind,
            "group": self.group,
            "state": self.state,
            "writes": [w.to_dict() for w in self.writes],
        }
        for key, value in (
            ("runningAt", self.running_at),
            ("rtoSeconds", self.rto_seconds),
            ("error", self.error),
            ("note", self.note),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class ExecutionView:
    """Where one plan execution stands: state, items with per-write progress, errors, RTO."""

    plan_id: str
    revision: int
    job_id: str
    plan_kind: str
    drill_id: str | None
    state: ExecutionState
    items: tuple[ItemView, ...]
    errors: tuple[str, ...] = ()
    rto_seconds: float | None = None
    running_at: dict[str, str] = field(default_factory=dict)
    alert_received_at: str | None = None
    finished_at: str | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the execution as JSON (camelCase keys, ISO 8601 times)."""
        return {
            "planId": self.plan_id,
            "revision": self.revision,
            "jobId": self.job_id,
            "statusUrl": f"/api/jobs/{self.job_id}",
            "planKind": self.plan_kind,
            "drillId": self.drill_id,
            "state": self.state,
            "items": [i.to_dict() for i in self.items],
            "errors": list(self.errors),
            "rtoSeconds": self.rto_seconds,
            "runningAt": dict(self.running_at),
            "alertReceivedAt": self.alert_received_at,
            "finishedAt": self.finished_at,
            "reason": self.reason,
        }


def _write_view(kind: IntentKind, rid: str, name: str, progress: Progress) -> WriteView:
    key = rid.lower()
    error = progress.errors.get(key)
    if key in progress.done:
        return WriteView(kind.value, rid, name, "done", progress.done[key], error)
    if key in progress.in_flight:
        return WriteView(kind.value, rid, name, "in_progress", None, error)
    return WriteView(kind.value, rid, name, "pending", None, error)


def _item_views(plan: DrPlan, progress: Progress, per_vm: dict[str, float]) -> list[ItemView]:
    by_item: dict[str, list[WriteView]] = {}
    for target in targets(plan).values():
        i = target.intent
        by_item.setdefault(target.item.subject, []).append(
            _write_view(i.kind, i.resource_id, i.name, progress)
        )
    failed = {k.lower(): v for k, v in progress.failed.items()}
    out = []
    for group in plan.groups:
        for item in group.items:
            writes = by_item.get(item.subject, [])
            error = failed.get(item.subject.lower())
            state: Literal["pending", "running", "succeeded", "failed", "blocked"]
            if item.blocked:
                state = "blocked"
                error = "; ".join(f.message for f in item.findings if f.blocking)
            elif error is not None:
                state = "failed"
                writes = [
                    WriteView(w.kind, w.resource_id, w.name, "failed", None, w.error)
                    if w.state != "done"
                    else w
                    for w in writes
                ]
            elif writes and all(w.state == "done" for w in writes):
                state = "succeeded"
            elif any(w.state != "pending" for w in writes):
                state = "running"
            else:
                state = "pending"
            out.append(
                ItemView(
                    item.subject,
                    item.kind.value,
                    group.name,
                    state,
                    tuple(writes),
                    progress.running_at.get(item.subject),
                    per_vm.get(item.subject),
                    error,
                    progress.notes.get(item.subject),
                )
            )
    return out


def _view(deps: Deps, job: Job) -> ExecutionView | None:
    plan_id, revision = str(job.data.get("planId", "")), int(job.data.get("revision", 0))
    plan = load_plan(deps.records, plan_id, revision)
    if plan is None:
        return None
    progress = load_progress(deps.records, plan_id, revision)
    alert = alert_time(job.data, job.created)
    per_vm, rto = rto_figures(plan, progress, alert)
    items = _item_views(plan, progress, per_vm)
    errors = tuple(f"{s}: {r}" for s, r in sorted(progress.failed.items()))
    if job.state is JobState.FAILED and job.reason and not errors:
        errors = (job.reason,)
    return ExecutionView(
        plan_id=plan_id,
        revision=revision,
        job_id=job.id,
        plan_kind=plan.kind.value,
        drill_id=plan.drill_id,
        state=_STATES[job.state],
        items=tuple(items),
        errors=errors,
        rto_seconds=rto,
        running_at=dict(progress.running_at),
        alert_received_at=alert.isoformat(),
        finished_at=progress.finished_at,
        reason=job.reason,
    )


def execution_view(deps: Deps, plan_id: str) -> ExecutionView | None:
    """Return the newest execution of `plan_id` (highest revision), None when there is none."""
    found = latest_revision(deps.records, plan_id)
    if found is None:
        return None
    revision, _ = found
    job = deps.jobs.get(execution_job_id(plan_id, revision))
    return _view(deps, job) if job is not None else None


def running_executions(deps: Deps) -> list[ExecutionView]:
    """Return every execution not yet finished (queued or running), by plan id."""
    views = []
    for job in deps.jobs.list(kind=EXECUTION_KIND):
        if job.terminal:
            continue
        view = _view(deps, job)
        if view is not None:
            views.append(view)
    return sorted(views, key=lambda v: (v.plan_id, v.revision))
