"""Plan and drill events: Lifeboat.Plan.Created / .AwaitingApproval / .Approved / .Closed
(published from outside a job through `submit_events`, so the job backbone retries them),
.Executed / .Failed and Lifeboat.Drill.Completed (emitted from inside their jobs: the outbox
delivers them; .Failed also when the execution job ends failed before its end, through
shared.features.JOB_FAILED_EVENTS).

Every event's job key names the fact (plan, revision, transition), so a duplicate alert, a
repeated approval or a redelivered job publishes the same event id. Publishing never raises
into the DR work: a failure to submit is logged and the DR work goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.publish.events import (
    CLOSED_STATES,
    Event,
    drill_completed,
    plan_approved,
    plan_awaiting_approval,
    plan_closed,
    plan_created,
    plan_executed,
    plan_failed,
)
from shared.publish.rpo import submit_events

if TYPE_CHECKING:
    from shared.bootstrap import Deps
    from shared.jobs.registry import StepContext
    from shared.outages.plan_model import DrPlan
    from shared.outages.store import StoredPlan

logger = logging.getLogger(__name__)

# The plan_closures sweep re-submits the Closed event of plans that ended this recently (a
# worker that died between the plan's write and the event's submission loses nothing).
CLOSED_HEAL_WINDOW = timedelta(hours=24)


def _region(plan: DrPlan) -> str:
    regions = Counter(i.region for i in plan.items if i.region)
    return regions.most_common(1)[0][0] if regions else "unknown"


def _submit(deps: Deps, key: str, event: Event) -> None:
    try:
        submit_events(deps, key, [event])
    except Exception:  # publishing never fails the DR work
        logger.exception("event %s for %s not submitted", event.type, event.subject)


def plan_opened(deps: Deps, stored: StoredPlan) -> None:
    """After a plan was stored or re-planned: Created (once per plan) and, when it waits for an
    approval, AwaitingApproval (once per revision). `approveUrl` has no key in it."""
    from shared.outages.approval import PENDING, PlanState
    from shared.outages.service import approve_url

    plan, status = stored.plan, stored.status
    region = _region(plan)
    created = plan_created(
        plan.plan_id,
        region=region,
        dr_region=plan.dr_region,
        resources=len(plan.items),
        requires_approval=status.state in PENDING,
        created_at=status.created_at,
        outage_id=plan.incident_key or None,
    )
    _submit(deps, f"plan|{plan.plan_id}|created", created)
    if status.state is not PlanState.AWAITING_APPROVAL:
        return
    awaiting = plan_awaiting_approval(
        plan.plan_id,
        region=region,
        dr_region=plan.dr_region,
        resources=len(plan.items),
        approve_url=approve_url(deps, plan.plan_id),
        since=status.updated_at,
        expires_at=status.expires_at,
    )
    _submit(deps, f"plan|{plan.plan_id}|r{status.revision}|awaiting", awaiting)


def plan_was_approved(deps: Deps, stored: StoredPlan) -> None:
    """After approve_plan moved a plan to approved: Approved (once per revision)."""
    status = stored.status
    event = plan_approved(
        stored.plan_id,
        approved_by=status.approved_by or "unknown",
        approved_at=status.approved_at or status.updated_at,
    )
    _submit(deps, f"plan|{stored.plan_id}|r{status.revision}|approved", event)


def plan_was_closed(deps: Deps, stored: StoredPlan) -> None:
    """After a plan was cancelled, expired or closed (its incident resolved before it ran):
    Closed, once per plan (those states are final). Nothing for a plan in another state."""
    from shared.outages.approval import PlanState
    from shared.outages.plan_model import PlanKind

    plan, status = stored.plan, stored.status
    if plan.kind is not PlanKind.OUTAGE or status.state.value not in CLOSED_STATES:
        return
    expired = status.state is PlanState.EXPIRED
    cancelled = status.state is PlanState.CANCELLED
    reason = status.reason
    if cancelled and not reason:
        reason = f"cancelled by {status.cancelled_by or 'unknown'}"
    event = plan_closed(
        plan.plan_id,
        state=status.state.value,
        reason=reason,
        closed_at=status.expires_at if expired else status.updated_at,
        closed_by=status.cancelled_by if cancelled else None,
    )
    _submit(deps, f"plan|{plan.plan_id}|closed", event)


def plans_were_closed(deps: Deps, plans: list[StoredPlan]) -> None:
    """`plan_was_closed` for each of `plans` (idempotent: a repeat submits nothing new)."""
    for stored in plans:
        plan_was_closed(deps, stored)


def sweep_plan_closures(deps: Deps, now: datetime) -> dict[str, Any]:
    """The reconcile sweep: apply expiry to every plan (a plan nobody reads still expires and
    publishes Closed) and re-submit the Closed event of plans closed within the last day."""
    from shared.outages.service import list_plans

    plans = list_plans(deps)
    recent = [
        p
        for p in plans
        if p.status.state.value in CLOSED_STATES and now - p.status.updated_at <= CLOSED_HEAL_WINDOW
    ]
    plans_were_closed(deps, recent)
    return {"plans": len(plans), "closedRecently": len(recent)}


def execution_failed(
    data: Mapping[str, Any], reason: str, step: str | None, now: datetime
) -> list[tuple[Event, str]]:
    """When a plan_execution job ends failed (a step failed it, its retries ran out, its
    message was poisoned): Failed, with the same id as the execute step's own Failed (the
    outbox keeps one). An outage plan only; nothing for a drill's execution."""
    from shared.outages.plan_model import PlanKind

    plan_id = data.get("planId")
    if not plan_id or data.get("planKind", PlanKind.OUTAGE.value) != PlanKind.OUTAGE.value:
        return []
    event = plan_failed(str(plan_id), reason=reason, failed_at=now, step=step)
    return [(event, _finished_fact(str(plan_id)))]


def _finished_fact(plan_id: str) -> str:
    return f"plan|{plan_id}|finished"


def emit_plan_finished(
    ctx: StepContext,
    plan: DrPlan,
    *,
    recovered: int,
    failed: int,
    started_at: datetime,
    reason: str | None = None,
) -> None:
    """From the plan_execution job: Executed, or Failed with `reason` (the outbox delivers it).

    An outage plan only: a drill's plan is reported by Lifeboat.Drill.Completed.
    """
    from shared.outages.plan_model import PlanKind

    if plan.kind is not PlanKind.OUTAGE:
        return
    plan_id, now = plan.plan_id, ctx.now()
    if reason is None:
        event = plan_executed(
            plan_id, recovered=recovered, failed=failed, started_at=started_at, finished_at=now
        )
    else:
        event = plan_failed(plan_id, reason=reason, failed_at=now, step=ctx.step)
    ctx.emit(*event, fact=_finished_fact(plan_id))


def emit_drill_completed(ctx: StepContext, evidence: Mapping[str, Any]) -> None:
    """From the drill follow-up job, once the evidence is written: Drill.Completed."""
    findings = [
        f"{vm.get('vmId')}: {vm.get('verdict')}"
        for vm in evidence.get("vms") or ()
        if vm.get("verdict") != "passed"
    ]
    event = drill_completed(
        str(evidence["drillId"]),
        passed=bool(evidence["passed"]),
        started_at=datetime.fromisoformat(str(evidence["startedAt"])),
        finished_at=datetime.fromisoformat(str(evidence["finishedAt"])),
        findings=findings,
        plan_id=evidence.get("planId"),
        target_rto_seconds=evidence.get("rtoTargetSeconds"),
        rto_seconds=evidence.get("rtoSeconds"),
    )
    ctx.emit(*event, fact=f"drill|{evidence['drillId']}|completed")
