"""Plan and drill events: Lifeboat.Plan.Created / .AwaitingApproval / .Approved (published from
outside a job through `submit_events`, so the job backbone retries them), .Executed / .Failed
and Lifeboat.Drill.Completed (emitted from inside their jobs: the outbox delivers them).

Every event's job key names the fact (plan, revision, transition), so a duplicate alert, a
repeated approval or a redelivered job publishes the same event id. Publishing never raises
into the DR work: a failure to submit is logged and the DR work goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.publish.events import (
    Event,
    drill_completed,
    plan_approved,
    plan_awaiting_approval,
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
    ctx.emit(*event, fact=f"plan|{plan_id}|finished")


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
